import { InputError } from './common.ts';

/** One CSV record by column name, with the line it starts on (1 is the header). */
export interface CsvRecord {
  line: number;
  values: Record<string, string>;
}

/**
 * RFC 4180 CSV: a header line, comma-separated fields, double quotes around fields holding commas,
 * quotes or line breaks ("" is a quote inside them). Blank lines are skipped. Errors name the line.
 */
export function parseCsv(text: string, options: { required?: readonly string[]; known?: readonly string[] } = {}): CsvRecord[] {
  const rows = splitRows(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const headerRow = rows.shift();
  if (!headerRow) throw new InputError(1, undefined, 'the file is empty; expected a header line');
  const header = headerRow.fields.map((h) => h.trim().toLowerCase());
  for (const column of options.required ?? []) {
    if (!header.includes(column)) throw new InputError(headerRow.line, column, `the header has no ${column} column`);
  }
  if (options.known) {
    for (const column of header) {
      if (!options.known.includes(column)) throw new InputError(headerRow.line, column, `unknown column (known: ${options.known.join(', ')})`);
    }
  }
  const seen = new Set<string>();
  for (const column of header) {
    if (seen.has(column)) throw new InputError(headerRow.line, column, 'the column appears twice');
    seen.add(column);
  }
  return rows.map((row) => {
    if (row.fields.length !== header.length) {
      throw new InputError(row.line, undefined, `expected ${header.length} fields as in the header, found ${row.fields.length}`);
    }
    const values: Record<string, string> = {};
    header.forEach((column, index) => {
      values[column] = (row.fields[index] as string).trim();
    });
    return { line: row.line, values };
  });
}

function splitRows(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let line = 1;
  let index = 0;
  while (index < text.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let atFieldStart = true;
    let blank = true;
    for (;;) {
      if (index >= text.length) {
        if (quoted) throw new InputError(start, undefined, 'a quoted field is not closed');
        break;
      }
      const ch = text[index] as string;
      if (quoted) {
        if (ch === '"') {
          if (text[index + 1] === '"') {
            field += '"';
            index += 2;
            continue;
          }
          quoted = false;
          index++;
          continue;
        }
        if (ch === '\n') line++;
        field += ch;
        index++;
        continue;
      }
      if (ch === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
        blank = false;
        index++;
        continue;
      }
      if (ch === ',') {
        fields.push(field);
        field = '';
        atFieldStart = true;
        blank = false;
        index++;
        continue;
      }
      if (ch === '\n' || ch === '\r') {
        index += ch === '\r' && text[index + 1] === '\n' ? 2 : 1;
        line++;
        break;
      }
      if (ch === '"') throw new InputError(line, undefined, 'a quote inside an unquoted field (quote the whole field and double the quote)');
      field += ch;
      atFieldStart = false;
      if (ch.trim() !== '') blank = false;
      index++;
    }
    fields.push(field);
    if (!blank) rows.push({ line: start, fields });
  }
  return rows;
}

/** One CSV line (with '\n'), quoting only where needed. */
export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return `${values
    .map((value) => {
      const text = value === null || value === undefined ? '' : String(value);
      return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(',')}\n`;
}
