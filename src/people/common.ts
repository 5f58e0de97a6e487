import type { Database, Session } from '../db/connection.ts';

/** A failure to report to the user as it is (unknown person, a merge that cannot be undone, …). */
export class PeopleError extends Error {
  readonly code: 'not_found' | 'ambiguous' | 'conflict' | 'invalid';
  constructor(code: PeopleError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Bad input in a file: names the line and the field, like the NDJSON importer. Nothing was written. */
export class InputError extends PeopleError {
  readonly line: number;
  readonly field: string | undefined;
  constructor(line: number, field: string | undefined, message: string) {
    super('invalid', `line ${line}${field ? `, field ${JSON.stringify(field)}` : ''}: ${message}`);
    this.line = line;
    this.field = field;
  }
}

/** Runs `work` in a transaction of its own, or inside the caller's when `db` is already one. */
export function inTransaction<T>(db: Session, work: (tx: Session) => Promise<T>): Promise<T> {
  const maybe = db as Partial<Database>;
  return typeof maybe.transaction === 'function' ? maybe.transaction(work) : work(db);
}

/** A person as given by a user or a caller: its id, its key, or an identity (`gitlab:username:alice`, `alice@example.com`). */
export type PersonRef = bigint | string;

export interface PersonRow {
  id: bigint;
  key: string;
  name: string | null;
}

const IDENTITY_KEY = /^(gitlab|github|git|discord|discourse|reddit|crowdin|email|other):(username|email|user_id|name):(.+)$/;

export async function findPerson(session: Session, ref: PersonRef): Promise<PersonRow> {
  if (typeof ref === 'bigint') {
    const [row] = await session.query<PersonRow>('SELECT id, key, name FROM people WHERE id = $1', [ref.toString()]);
    if (!row) throw new PeopleError('not_found', `no person with id ${ref}`);
    return row;
  }
  const text = ref.trim();
  const [byKey] = await session.query<PersonRow>('SELECT id, key, name FROM people WHERE key = $1', [text]);
  if (byKey) return byKey;
  if (/^\d{1,19}$/.test(text)) {
    const [byId] = await session.query<PersonRow>('SELECT id, key, name FROM people WHERE id = $1::int8', [text]);
    if (byId) return byId;
  }
  const identity = IDENTITY_KEY.exec(text);
  if (identity) {
    const [row] = await session.query<PersonRow>(
      `SELECT p.id, p.key, p.name FROM identities i JOIN people p ON p.id = i.person_id
        WHERE i.platform = $1::platform AND i.kind = $2::identity_kind AND i.value_normalised = $3`,
      [identity[1], identity[2], normalise(identity[3] as string)],
    );
    if (row) return row;
  }
  // A bare username or e-mail on any platform, when it names one person (after merges).
  const rows = await session.query<PersonRow & { root: bigint }>(
    `SELECT DISTINCT p.id, p.key, p.name FROM identities i JOIN people p ON p.id = i.person_id
      WHERE i.kind IN ('username', 'email') AND i.value_normalised = $1 ORDER BY p.id`,
    [normalise(text)],
  );
  if (rows.length === 0) throw new PeopleError('not_found', `no person with key, id or identity ${JSON.stringify(text)}`);
  const roots = await rootsOf(session, rows.map((r) => r.id));
  const distinct = new Set(rows.map((r) => roots.get(r.id)));
  if (distinct.size > 1) {
    throw new PeopleError('ambiguous', `${JSON.stringify(text)} names ${distinct.size} different people: ${rows.map((r) => r.key).join(', ')}`);
  }
  return rows[0] as PersonRow;
}

const normalise = (value: string) => value.trim().toLowerCase();

/** A list entry naming a person (its key) or an identity: the identity form normalised ("gitlab:username:Alice " → "gitlab:username:alice"). */
export function identityKeyForm(entry: string): string {
  const match = IDENTITY_KEY.exec(entry.trim());
  return match ? `${match[1]}:${match[2]}:${normalise(match[3] as string)}` : entry.trim();
}

/**
 * The canonical person (root of `merged_into`) of each given person, walking up by primary key: cost
 * grows with the number asked about, not with the table. Persons on a cycle map to themselves.
 */
export async function rootsOf(session: Session, personIds: readonly bigint[]): Promise<Map<bigint, bigint>> {
  const result = new Map<bigint, bigint>();
  if (personIds.length === 0) return result;
  const rows = await session.query<{ start: bigint; root: bigint }>(
    `WITH RECURSIVE ids AS MATERIALIZED (SELECT DISTINCT unnest($1::int8[]) AS id),
     up(start, id, merged_into, depth) AS (
       SELECT p.id, p.id, p.merged_into, 0 FROM ids JOIN people p ON p.id = ids.id
       UNION ALL
       SELECT up.start, p.id, p.merged_into, up.depth + 1 FROM up JOIN people p ON p.id = up.merged_into WHERE up.depth < 64
     )
     SELECT start, id AS root FROM up WHERE merged_into IS NULL`,
    [personIds.map(String)],
  );
  for (const row of rows) result.set(row.start, row.root);
  for (const id of personIds) if (!result.has(id)) result.set(id, id);
  return result;
}

/** Every person whose canonical person is `root` (the root included), walking down `merged_into`. */
export async function membersOf(session: Session, root: bigint): Promise<bigint[]> {
  const rows = await session.query<{ id: bigint }>(
    `WITH RECURSIVE down(id, depth) AS (
       SELECT $1::int8, 0
       UNION ALL
       SELECT p.id, down.depth + 1 FROM people p JOIN down ON p.merged_into = down.id WHERE down.depth < 64
     ) SELECT DISTINCT id FROM down`,
    [root.toString()],
  );
  return rows.map((r) => r.id);
}

/** A SQL string literal: standard_conforming_strings is on in every supported PostgreSQL, so only ' needs doubling. */
export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new PeopleError('invalid', 'text must not contain NUL characters');
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlTextArray(values: readonly string[]): string {
  return values.length === 0 ? `'{}'::text[]` : `ARRAY[${values.map(sqlLiteral).join(', ')}]::text[]`;
}

const ACCENTS: Record<string, string> = {
  á: 'a', à: 'a', â: 'a', ä: 'a', ã: 'a', å: 'a', ā: 'a', ą: 'a', æ: 'a', ç: 'c', ć: 'c', č: 'c', ď: 'd', é: 'e', è: 'e',
  ê: 'e', ë: 'e', ē: 'e', ę: 'e', ě: 'e', ğ: 'g', í: 'i', ì: 'i', î: 'i', ï: 'i', ı: 'i', ł: 'l', ñ: 'n', ń: 'n', ň: 'n',
  ó: 'o', ò: 'o', ô: 'o', ö: 'o', õ: 'o', ø: 'o', ő: 'o', œ: 'o', ř: 'r', ś: 's', š: 's', ş: 's', ș: 's', ß: 's', ť: 't',
  ț: 't', ú: 'u', ù: 'u', û: 'u', ü: 'u', ů: 'u', ű: 'u', ý: 'y', ÿ: 'y', ź: 'z', ż: 'z', ž: 'z',
};
// lower() leaves non-ASCII letters alone under the C locale (PGlite's), so upper-case forms are folded too.
const FOLDS = Object.entries(ACCENTS).flatMap(([from, to]) => {
  const upper = from.toUpperCase();
  return upper.length === 1 && upper !== from ? [[from, to], [upper, to]] : [[from, to]];
});
const ACCENT_FROM = FOLDS.map(([from]) => from).join('');
const ACCENT_TO = FOLDS.map(([, to]) => to).join('');

/** A name for comparison: lower case, accents folded, punctuation to single spaces ("José  O'Brien" → "jose o brien"). */
export function normaliseName(name: string): string {
  let folded = '';
  for (const ch of name.toLowerCase()) folded += ACCENTS[ch] ?? ch;
  return folded
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The same normalisation as normaliseName(), as a SQL expression over `expression`. */
export function normaliseNameSql(expression: string): string {
  return `btrim(regexp_replace(translate(lower(${expression}), ${sqlLiteral(ACCENT_FROM)}, ${sqlLiteral(ACCENT_TO)}), '[^a-z0-9]+', ' ', 'g'))`;
}

/** Today as YYYY-MM-DD in UTC. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export { isDay } from '../db/time.ts';
