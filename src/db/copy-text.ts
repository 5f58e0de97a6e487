// PostgreSQL COPY text format: one line per row, tab between columns, \N for NULL, and backslash
// escapes for backslash, tab, newline and carriage return inside values.
const NEEDS_ESCAPE = /[\\\t\n\r]/;

export function copyText(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\r'));
}

export const COPY_NULL = '\\N';

export function copyNullable(value: string | null | undefined): string {
  return value === null || value === undefined ? COPY_NULL : copyText(value);
}

/** A PostgreSQL array literal, every element quoted, escaped for COPY. */
export function copyArray(values: readonly (string | number | bigint)[]): string {
  if (values.length === 0) return '{}';
  const literal = `{${values.map((v) => (typeof v === 'string' ? `"${v.replace(/["\\]/g, '\\$&')}"` : String(v))).join(',')}}`;
  return copyText(literal);
}

export function copyJson(value: unknown): string {
  return value === null || value === undefined ? COPY_NULL : copyText(JSON.stringify(value));
}

export function copyBoolean(value: boolean | null | undefined): string {
  return value === null || value === undefined ? COPY_NULL : value ? 't' : 'f';
}
