import type { z } from 'zod';
import { KINDS_BY_TYPE, RECORD_KINDS, type Reference } from './records.ts';

export interface ParsedChunk {
  /** COPY text per table. */
  copies: Record<string, string>;
  /** For each table, the input line of each COPY row, so a database error can name the line. */
  rowLines: Record<string, Int32Array>;
  /** Ids of referable records (people, projects, …) defined in this chunk, by kind. */
  defined: Record<string, string[]>;
  /** References made in this chunk, the first per (kind, id). */
  references: (Reference & { line: number })[];
  counts: Record<string, number>;
  lines: number;
  error?: { line: number; field?: string; message: string };
}

const KNOWN_TYPES = RECORD_KINDS.map((kind) => kind.type).join(', ');

export function describeIssue(issue: z.core.$ZodIssue, record: unknown): { field: string; message: string } {
  const field = issue.path.map(String).join('.');
  let value: unknown = record;
  for (const key of issue.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (issue.code === 'invalid_type' && value === undefined) return { field, message: 'is required' };
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return { field: [field, keys[0]].filter(Boolean).join('.'), message: `is not a field of this record type (unknown: ${keys.join(', ')})` };
  }
  return { field, message: issue.message };
}

export function parseChunk(text: string, firstLine: number): ParsedChunk {
  const copies: Record<string, string[]> = {};
  const rowLines: Record<string, number[]> = {};
  const defined: Record<string, string[]> = {};
  const references = new Map<string, Reference & { line: number }>();
  const counts: Record<string, number> = {};
  const refs: Reference[] = [];
  let lineNumber = firstLine - 1;
  let start = 0;
  const result = (error?: ParsedChunk['error']): ParsedChunk => {
    const joined: Record<string, string> = {};
    const lines: Record<string, Int32Array> = {};
    for (const table of Object.keys(copies)) {
      joined[table] = (copies[table] as string[]).join('');
      lines[table] = Int32Array.from(rowLines[table] as number[]);
    }
    const parsed: ParsedChunk = { copies: joined, rowLines: lines, defined, references: [...references.values()], counts, lines: lineNumber - firstLine + 1 };
    if (error) parsed.error = error;
    return parsed;
  };

  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    lineNumber++;
    if (line.trim() === '') continue;

    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      return result({ line: lineNumber, message: `not valid JSON (${(error as Error).message})` });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return result({ line: lineNumber, message: 'must be a JSON object' });
    }
    const type = (value as { type?: unknown }).type;
    if (type === undefined) return result({ line: lineNumber, field: 'type', message: 'is required' });
    const kind = typeof type === 'string' ? KINDS_BY_TYPE.get(type) : undefined;
    if (!kind) {
      return result({ line: lineNumber, field: 'type', message: `unknown record type ${JSON.stringify(type)} (known: ${KNOWN_TYPES})` });
    }
    const parsed = kind.schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0] as z.core.$ZodIssue;
      return result({ line: lineNumber, ...describeIssue(issue, value) });
    }
    refs.length = 0;
    const row = kind.toCopy(parsed.data, refs);
    (copies[kind.table] ??= []).push(row);
    (rowLines[kind.table] ??= []).push(lineNumber);
    counts[kind.type] = (counts[kind.type] ?? 0) + 1;
    if (kind.referable && kind.idOf) (defined[kind.referable] ??= []).push(kind.idOf(parsed.data));
    for (const ref of refs) {
      const key = `${ref.kind}:${ref.id}`;
      if (!references.has(key)) references.set(key, { ...ref, line: lineNumber });
    }
  }
  return result();
}
