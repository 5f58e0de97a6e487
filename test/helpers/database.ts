import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/connection.ts';

/**
 * A fresh, migrated database for one test: in-memory PGlite, or, when TEST_DATABASE_URL is set, a
 * new PostgreSQL database of its own (test files run in parallel processes) dropped afterwards.
 */
export async function openTestDatabase(): Promise<Database> {
  if (!process.env.TEST_DATABASE_URL) return openDatabase({ dataDir: 'memory://', pgliteTemplate: (await migratedTemplate()).dump });
  const place = await createTestDatabasePlace();
  const db = await openDatabase({ databaseUrl: place.env.DATABASE_URL });
  const close = db.close.bind(db);
  return Object.assign(db, {
    async close() {
      await close();
      await place.remove();
    },
  });
}

/**
 * Somewhere for a child process (the CLI) to keep a database: environment variables naming it, and
 * a way to remove it. A PGlite data directory, or a PostgreSQL database when TEST_DATABASE_URL is set.
 */
export async function createTestDatabasePlace(): Promise<{ env: Record<string, string>; remove(): Promise<void> }> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-test-'));
    cpSync((await migratedTemplate()).dir, dir, { recursive: true });
    return { env: { TRIBUTARY_DATA_DIR: dir }, remove: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `tributary_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await onServer(url, `CREATE DATABASE ${name}`);
  const testUrl = new URL(url);
  testUrl.pathname = `/${name}`;
  return { env: { DATABASE_URL: testUrl.toString() }, remove: () => onServer(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

let template: Promise<{ dump: Blob; dir: string }> | undefined;

/**
 * A freshly migrated PGlite database, as a dump (for in-memory databases) and as a data directory (to copy
 * for the CLI), made once for all test processes of a run and kept in the temporary directory under the
 * digest of the migrations and of PGlite's version, so a new migration makes a new one. A database opened
 * from it is the same as one made by initdb and the migrations, in a fraction of the time.
 */
function migratedTemplate(): Promise<{ dump: Blob; dir: string }> {
  template ??= (async () => {
    const migrations = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));
    const hash = createHash('sha256').update(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)));
    for (const file of readdirSync(migrations, { recursive: true, encoding: 'utf8' }).sort()) {
      const path = join(migrations, file);
      if (statSync(path).isFile()) hash.update(file).update(readFileSync(path));
    }
    const base = join(tmpdir(), `tributary-test-template-${hash.digest('hex').slice(0, 16)}`);
    // Made under temporary names and renamed into place: test processes that race make equal copies.
    if (!existsSync(`${base}.tar`)) {
      const db = await openDatabase({ dataDir: 'memory://' });
      const dump = await db.dumpDataDir?.();
      if (!dump) throw new Error('PGlite did not dump its data directory');
      await db.close();
      const partial = `${base}.${process.pid}.tar`;
      writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
      renameSync(partial, `${base}.tar`);
    }
    const dump = new Blob([readFileSync(`${base}.tar`)]);
    if (!existsSync(base)) {
      const partial = `${base}.${process.pid}`;
      const db = await openDatabase({ dataDir: partial, pgliteTemplate: dump, migrate: false });
      await db.close();
      try {
        renameSync(partial, base);
      } catch {
        rmSync(partial, { recursive: true, force: true });
      }
    }
    return { dump, dir: base };
  })();
  return template;
}

async function onServer(url: string, statement: string) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

export const engineName = process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite';

/**
 * Every table's row count and a digest of its contents: equal snapshots mean equal data. `exclude`
 * leaves out columns per table (when a row was fetched or synced, not what it says): those rows are
 * compared as JSON without them.
 */
export async function snapshot(db: Database, options: { exclude?: Record<string, readonly string[]> } = {}): Promise<Record<string, string>> {
  const tables = await db.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`,
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const excluded = options.exclude?.[name] ?? [];
    const row = excluded.length === 0 ? 't::text' : `(to_jsonb(t) - ${`ARRAY[${excluded.map((c) => `'${c}'`).join(', ')}]`})::text`;
    const [found] = await db.query<{ rows: unknown; digest: string }>(
      `SELECT count(*) AS rows, md5(coalesce(string_agg(${row}, '|' ORDER BY ${row}), '')) AS digest FROM ${name} t`,
    );
    result[name] = `${String(found?.rows)} ${found?.digest}`;
  }
  return result;
}

const sharedDir = fileURLToPath(new URL('../../../shared/', import.meta.url));

/** ../shared beside the checkout, or a reason to skip when it is absent (as in a user's clone). */
export function sharedPath(relative: string): { path: string; skip: false } | { path: undefined; skip: string } {
  const path = `${sharedDir}${relative}`;
  return existsSync(path) ? { path, skip: false } : { path: undefined, skip: `../shared/${relative} is not beside this checkout` };
}
