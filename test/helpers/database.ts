import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/connection.ts';

/**
 * A fresh, migrated database for one test: in-memory PGlite, or, when TEST_DATABASE_URL is set, a
 * new PostgreSQL database of its own (test files run in parallel processes) dropped afterwards.
 */
export async function openTestDatabase(): Promise<Database> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return openDatabase({ dataDir: 'memory://' });
  const name = `tributary_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const testUrl = new URL(url);
  testUrl.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: testUrl.toString() });
  const close = db.close.bind(db);
  return Object.assign(db, {
    async close() {
      await close();
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      try {
        await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.end();
      }
    },
  });
}

export const engineName = process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite';

/** Every table's row count and a digest of its contents: equal snapshots mean equal data. */
export async function snapshot(db: Database): Promise<Record<string, string>> {
  const tables = await db.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`,
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await db.query<{ rows: unknown; digest: string }>(
      `SELECT count(*) AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM ${name} t`,
    );
    result[name] = `${String(row?.rows)} ${row?.digest}`;
  }
  return result;
}

const sharedDir = fileURLToPath(new URL('../../../shared/', import.meta.url));

/** ../shared beside the checkout, or a reason to skip when it is absent (as in a user's clone). */
export function sharedPath(relative: string): { path: string; skip: false } | { path: undefined; skip: string } {
  const path = `${sharedDir}${relative}`;
  return existsSync(path) ? { path, skip: false } : { path: undefined, skip: `../shared/${relative} is not beside this checkout` };
}
