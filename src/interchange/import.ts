import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Database, Session } from '../db/connection.ts';
import { toNumber } from '../db/connection.ts';
import { lineChunks } from './chunks.ts';
import { ImportError } from './errors.ts';
import { type ParsedChunk, parseChunk } from './parse.ts';
import { RECORD_KINDS, type Reference } from './records.ts';

/**
 * Loads an NDJSON file in one transaction: every line is validated (in worker threads), every
 * reference is checked, and either all of it lands or none of it does. Re-importing a file changes
 * nothing: rows are keyed by hashes of their natural keys and updated only where they differ.
 *
 * Speed comes from COPY and from loading an empty table without its indexes (rebuilt once at the
 * end, inside the same transaction); a table that already holds rows is loaded through a staging
 * table and merged with INSERT … ON CONFLICT.
 */

export interface ImportOptions {
  /** The input's path, if it is a file: lets a duplicate-record error name both lines. */
  path?: string | undefined;
  workers?: number;
  onProgress?: (progress: { bytes: number; lines: number }) => void;
}

export interface TableStats {
  table: string;
  /** Rows read from the file. */
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  method: 'bulk' | 'merge' | 'append';
}

export interface ImportStats {
  lines: number;
  bytes: number;
  records: Record<string, number>;
  tables: TableStats[];
  seconds: number;
}

const FLUSH_BYTES = 8 << 20;
const TABLE_COLUMNS = new Map(RECORD_KINDS.map((kind) => [kind.table, kind.columns]));
const TABLE_OF_REFERABLE: Record<Reference['kind'], string> = {
  person: 'people',
  project: 'projects',
  organisation: 'organisations',
  milestone: 'milestones',
};

export async function importNdjsonFile(db: Database, path: string, options: Omit<ImportOptions, 'path'> = {}): Promise<ImportStats> {
  // Opened before anything else, so a missing file is an error here rather than an unhandled stream event.
  const handle = await open(path);
  return importNdjson(db, handle.createReadStream({ highWaterMark: 1 << 20 }), { ...options, path });
}

export async function importNdjson(
  db: Database,
  input: Readable | AsyncIterable<Uint8Array | string>,
  options: ImportOptions = {},
): Promise<ImportStats> {
  const started = performance.now();
  const pool = new ParserPool(options.workers ?? Math.max(1, Math.min(4, availableParallelism())));
  try {
    return await db.transaction(async (tx) => {
      const loader = new TableLoader(tx);
      const references = new Map<string, Reference & { line: number }>();
      const records: Record<string, number> = {};
      let lines = 0;
      let bytes = 0;

      const consume = async (parsed: ParsedChunk) => {
        if (parsed.error) throw new ImportError(parsed.error.message, parsed.error);
        for (const [table, text] of Object.entries(parsed.copies)) {
          await loader.add(table, text, parsed.rowLines[table] as Int32Array);
        }
        for (const reference of parsed.references) {
          const key = `${reference.kind}:${reference.id}`;
          if (!references.has(key)) references.set(key, reference);
        }
        for (const [type, count] of Object.entries(parsed.counts)) records[type] = (records[type] ?? 0) + count;
        lines += parsed.lines;
      };

      // Parsing runs ahead of loading by a bounded number of chunks, so memory stays flat.
      const inFlight: Promise<ParsedChunk>[] = [];
      const limit = pool.size * 3;
      for await (const chunk of lineChunks(input)) {
        bytes += chunk.bytes.length;
        inFlight.push(pool.parse(chunk.bytes, chunk.firstLine));
        if (inFlight.length >= limit) await consume(await (inFlight.shift() as Promise<ParsedChunk>));
        options.onProgress?.({ bytes, lines });
      }
      while (inFlight.length > 0) await consume(await (inFlight.shift() as Promise<ParsedChunk>));
      options.onProgress?.({ bytes, lines });
      // The parser threads' memory is better spent on building indexes.
      await pool.close();

      const tables = await loader.finish(options.path);
      await checkReferences(tx, references);
      return { lines, bytes, records, tables, seconds: (performance.now() - started) / 1000 };
    });
  } finally {
    await pool.close();
  }
}

// ——— parsing in worker threads ———

class ParserPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve(parsed: ParsedChunk): void; reject(error: Error): void }>();
  private nextId = 0;
  private failure: Error | undefined;

  readonly size: number;

  constructor(size: number) {
    this.size = size;
    for (let index = 0; index < size; index++) {
      // Left alone, each thread's heap grows far beyond what one chunk needs before V8 collects it;
      // the cap keeps a bulk load's memory flat (a 16 MiB line, the longest allowed, still fits).
      const worker = new Worker(new URL('./parse-worker.ts', import.meta.url), {
        resourceLimits: { maxOldGenerationSizeMb: 192, maxYoungGenerationSizeMb: 32 },
      });
      worker.on('message', ({ id, parsed }: { id: number; parsed: ParsedChunk }) => {
        this.waiting.get(id)?.resolve(parsed);
        this.waiting.delete(id);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`a parser thread stopped with exit code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  parse(bytes: Uint8Array, firstLine: number): Promise<ParsedChunk> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const promise = new Promise<ParsedChunk>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    // Awaited in order later; this keeps a rejection from being reported as unhandled meanwhile.
    promise.catch(() => {});
    (this.workers[id % this.size] as Worker).postMessage({ id, firstLine, bytes });
    return promise;
  }

  private fail(error: Error) {
    this.failure ??= error;
    for (const { reject } of this.waiting.values()) reject(error);
    this.waiting.clear();
  }

  async close() {
    this.failure ??= new Error('the import has finished');
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

// ——— loading tables ———

interface TableState {
  table: string;
  method: 'bulk' | 'merge' | 'append';
  /** Where COPY writes: the table itself (bulk, append) or its staging table (merge). */
  target: string;
  pending: string[];
  pendingLines: Int32Array[];
  pendingBytes: number;
  /** Rows as the database counted them, whether or not the caller gave input line numbers. */
  rows: number;
  /** Index and constraint definitions dropped for a bulk load, re-created at the end. */
  dropped: { constraints: { name: string; definition: string }[]; indexes: string[] };
}

/** Loads COPY text into tables in one transaction: bulk into empty tables, merged into the others. */
export class TableLoader {
  private readonly tables = new Map<string, TableState>();
  private copying: Promise<void> = Promise.resolve();

  private readonly tx: Session;
  private readonly mode: 'auto' | 'append';
  private readonly flushBytes: number;

  /**
   * `auto`: empty tables are bulk-loaded (indexes dropped and rebuilt), others merged through a
   * staging table. `append`: rows are known to be new (a source that read only what it had not read
   * before), so COPY goes straight into the table with its indexes in place.
   */
  constructor(tx: Session, mode: 'auto' | 'append' = 'auto', flushBytes = FLUSH_BYTES) {
    this.tx = tx;
    this.mode = mode;
    this.flushBytes = flushBytes;
  }

  async add(table: string, text: string, lines: Int32Array) {
    const state = this.tables.get(table) ?? (await this.open(table));
    state.pending.push(text);
    state.pendingLines.push(lines);
    state.pendingBytes += text.length;
    if (state.pendingBytes >= this.flushBytes) await this.flush(state);
  }

  private async open(table: string): Promise<TableState> {
    await this.copying;
    const state: TableState = {
      table,
      method: 'bulk',
      target: table,
      pending: [],
      pendingLines: [],
      pendingBytes: 0,
      rows: 0,
      dropped: { constraints: [], indexes: [] },
    };
    if (this.mode === 'append') {
      state.method = 'append';
      this.tables.set(table, state);
      return state;
    }
    // Nobody else may write the table while we decide how to load it and until we commit.
    await this.tx.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
    const [{ empty } = { empty: true }] = await this.tx.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${table}) AS empty`);
    if (empty) {
      const constraints = await this.tx.query<{ name: string; definition: string }>(
        `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
         WHERE conrelid = $1::regclass AND contype IN ('p', 'u') ORDER BY contype, conname`,
        [table],
      );
      const indexes = await this.tx.query<{ name: string; definition: string }>(
        `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
         WHERE schemaname = current_schema() AND tablename = $1 AND indexname <> ALL($2::text[])`,
        [table, constraints.map((c) => c.name)],
      );
      for (const index of indexes) await this.tx.query(`DROP INDEX ${quoteIdent(index.name)}`);
      for (const constraint of constraints) await this.tx.query(`ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(constraint.name)}`);
      state.dropped = { constraints, indexes: indexes.map((index) => index.definition) };
    } else {
      state.method = 'merge';
      state.target = `import_${table}`;
      await this.tx.query(`CREATE TEMP TABLE ${state.target} (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DROP`);
    }
    this.tables.set(table, state);
    return state;
  }

  /** Starts one COPY; the next waits for it, so parsing goes on while the database works. */
  private async flush(state: TableState) {
    if (state.pending.length === 0) return;
    const text = state.pending.length === 1 ? (state.pending[0] as string) : state.pending.join('');
    const lines = concatLines(state.pendingLines);
    state.pending = [];
    state.pendingLines = [];
    state.pendingBytes = 0;
    const previous = this.copying;
    this.copying = previous.then(() =>
      this.tx.copyFrom(state.target, TABLE_COLUMNS.get(state.table) as readonly string[], [text]).then(
        (copied) => {
          state.rows += copied;
        },
        (error: unknown) => {
          throw copyError(error, state.table, lines);
        },
      ),
    );
    this.copying.catch(() => {});
    // Let at most one COPY wait behind the running one.
    await previous;
  }

  async finish(path: string | undefined): Promise<TableStats[]> {
    for (const state of this.tables.values()) await this.flush(state);
    await this.copying;
    // Index builds sort in memory when they can. A server has memory to spare for that; PGlite
    // shares ours, so it keeps its default.
    if (this.tx.engine === 'postgres') await this.tx.query(`SET LOCAL maintenance_work_mem = '512MB'`);
    const stats: TableStats[] = [];
    for (const state of this.tables.values()) {
      if (state.method === 'bulk') {
        for (const constraint of state.dropped.constraints) {
          try {
            await this.tx.query(`ALTER TABLE ${state.table} ADD CONSTRAINT ${quoteIdent(constraint.name)} ${constraint.definition}`);
          } catch (error) {
            if (errorCode(error) === '23505') throw await duplicateError(state.table, error, path);
            throw error;
          }
        }
        for (const definition of state.dropped.indexes) await this.tx.query(definition);
        stats.push({ table: state.table, rows: state.rows, inserted: state.rows, updated: 0, unchanged: 0, method: 'bulk' });
      } else if (state.method === 'append') {
        stats.push({ table: state.table, rows: state.rows, inserted: state.rows, updated: 0, unchanged: 0, method: 'append' });
      } else {
        stats.push(await this.merge(state, path));
      }
      // Fresh statistics matter after a big load; after a few rows they are not worth a table scan.
      if (this.mode === 'auto' || state.rows >= 50_000) await this.tx.query(`ANALYZE ${state.table}`);
    }
    return stats;
  }

  private async merge(state: TableState, path: string | undefined): Promise<TableStats> {
    const [duplicate] = await this.tx.query<{ id: bigint }>(
      `SELECT id FROM ${state.target} GROUP BY id HAVING count(*) > 1 LIMIT 1`,
    );
    if (duplicate) throw await duplicateError(state.table, String(duplicate.id), path);
    const columns = TABLE_COLUMNS.get(state.table) as readonly string[];
    const updatable = columns.filter((column) => column !== 'id');
    const list = columns.join(', ');
    const [result] = await this.tx.query<{ inserted: unknown; updated: unknown }>(
      `WITH written AS (
         INSERT INTO ${state.table} (${list}) SELECT ${list} FROM ${state.target}
         ON CONFLICT (id) DO UPDATE SET ${updatable.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
         WHERE (${updatable.map((c) => `${state.table}.${c}`).join(', ')}) IS DISTINCT FROM (${updatable.map((c) => `EXCLUDED.${c}`).join(', ')})
         RETURNING (xmax = 0) AS inserted
       )
       SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM written`,
    );
    const inserted = toNumber(result?.inserted);
    const updated = toNumber(result?.updated);
    return { table: state.table, rows: state.rows, inserted, updated, unchanged: state.rows - inserted - updated, method: 'merge' };
  }
}

function concatLines(parts: Int32Array[]): Int32Array {
  if (parts.length === 1) return parts[0] as Int32Array;
  const all = new Int32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

// ——— errors from the database, named by input line ———

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

/** A COPY error says "COPY table, line N, column c"; N counts rows of that COPY, which we map back to the input. */
function copyError(error: unknown, table: string, lines: Int32Array): Error {
  const where = String((error as { where?: string } | null)?.where ?? '');
  const match = /COPY \w+, line (\d+)(?:, column (\w+))?/.exec(where);
  if (!match) return error as Error;
  const line = lines[Number(match[1]) - 1];
  return new ImportError(`rejected by the database: ${(error as Error).message}`, {
    line,
    field: match[2] ? `${table}.${match[2]}` : undefined,
  });
}

async function duplicateError(table: string, errorOrId: unknown, path: string | undefined): Promise<ImportError> {
  const id =
    typeof errorOrId === 'string' ? errorOrId : /\(id\)=\((\d+)\)/.exec(String((errorOrId as { detail?: string }).detail ?? ''))?.[1];
  const kind = RECORD_KINDS.find((k) => k.table === table);
  const what = kind ? `${kind.type} record` : `row of ${table}`;
  if (id && path) {
    const lines = await linesOfId(path, table, id);
    if (lines.length >= 2) {
      return new ImportError(`the same ${what} appears twice (also on line ${lines[0]}); each record may appear once per file`, {
        line: lines[1],
      });
    }
  }
  return new ImportError(`the same ${what} (id ${id ?? 'unknown'}) appears more than once in the input; each record may appear once per file`);
}

/** The slow path for an error message only: reads the file again to find the lines that produce one id. */
async function linesOfId(path: string, table: string, id: string): Promise<number[]> {
  const found: number[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of lineChunks(createReadStream(path))) {
    const parsed = parseChunk(decoder.decode(chunk.bytes), chunk.firstLine);
    const text = parsed.copies[table];
    if (!text) continue;
    const lines = parsed.rowLines[table] as Int32Array;
    let row = 0;
    for (let start = 0; start < text.length; row++) {
      const end = text.indexOf('\n', start);
      if (text.slice(start, text.indexOf('\t', start)) === id) found.push(lines[row] as number);
      start = end + 1;
    }
    if (found.length >= 2) break;
  }
  return found;
}

// ——— references ———

async function checkReferences(tx: Session, references: Map<string, Reference & { line: number }>) {
  const byKind = new Map<Reference['kind'], (Reference & { line: number })[]>();
  for (const reference of references.values()) {
    const list = byKind.get(reference.kind) ?? [];
    list.push(reference);
    byKind.set(reference.kind, list);
  }
  let firstMissing: (Reference & { line: number }) | undefined;
  for (const [kind, list] of byKind) {
    for (let start = 0; start < list.length; start += 50_000) {
      const batch = list.slice(start, start + 50_000);
      const missing = await tx.query<{ id: bigint }>(
        `SELECT wanted.id FROM unnest($1::bigint[]) AS wanted(id)
         WHERE NOT EXISTS (SELECT 1 FROM ${TABLE_OF_REFERABLE[kind]} t WHERE t.id = wanted.id)`,
        [batch.map((reference) => reference.id)],
      );
      const missingIds = new Set(missing.map((row) => String(row.id)));
      for (const reference of batch) {
        if (missingIds.has(reference.id) && (!firstMissing || reference.line < firstMissing.line)) firstMissing = reference;
      }
    }
  }
  if (firstMissing) {
    const { kind, key, field, line } = firstMissing;
    throw new ImportError(`refers to ${kind} ${JSON.stringify(key)}, which is neither in the file nor in the database`, { line, field });
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

