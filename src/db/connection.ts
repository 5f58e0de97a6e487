import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { PGlite, type Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { lockDataDirectory } from './data-dir-lock.ts';
import * as schema from './schema.ts';

export type Schema = typeof schema;
export type Orm = PgDatabase<PgQueryResultHKT, Schema>;
export type Engine = 'pglite' | 'postgres';

/**
 * One connection's worth of work: typed queries through `orm`, raw SQL through `query`, bulk loads
 * through `copyFrom`. Result types are the same on both engines: int8 → bigint, date → 'YYYY-MM-DD',
 * timestamptz → Date, numeric → string.
 */
export interface Session {
  readonly engine: Engine;
  readonly orm: Orm;
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** COPY … FROM in text format; `chunks` are whole lines ending in '\n'. Returns rows copied. */
  copyFrom(table: string, columns: readonly string[], chunks: AsyncIterable<string> | Iterable<string>): Promise<number>;
}

export interface Database extends Session {
  /** Runs `work` in one transaction: everything it wrote is committed together or not at all. */
  transaction<T>(work: (tx: Session) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly description: string;
  /** PGlite only: the whole data directory as a tarball, to open copies from (see pgliteTemplate). */
  dumpDataDir?(): Promise<Blob>;
  /**
   * PGlite only: a script of several statements (its own BEGIN … COMMIT included) in one simple-protocol
   * message, with nothing else run on the one connection meanwhile; an error leaves no transaction open.
   * For pg-boss, whose schema and maintenance statements are such scripts. Returns every statement's rows.
   */
  execScript?(text: string): Promise<Record<string, unknown>[]>;
}

export interface ConnectOptions {
  /** postgres://… to use a PostgreSQL server; otherwise PGlite on `dataDir`. */
  databaseUrl?: string | undefined;
  /** PGlite data directory; 'memory://' for a throw-away in-memory database. */
  dataDir?: string | undefined;
  migrate?: boolean;
  /**
   * PGlite only, for a data directory that does not exist yet (or memory://): start from this dump of
   * another one (PGlite's dumpDataDir) instead of running initdb. The tests start every database from one
   * migrated dump: initdb is most of the time PGlite takes to open a new database.
   */
  pgliteTemplate?: Blob | undefined;
}

const INT8 = 20;
const INT8_ARRAY = 1016;
const DATE = 1082;
const NUMERIC = 1700;

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

export async function openDatabase(options: ConnectOptions): Promise<Database> {
  const database = options.databaseUrl
    ? await openPostgres(options.databaseUrl)
    : await openPglite(options.dataDir ?? 'memory://', options.pgliteTemplate);
  if (options.migrate !== false) {
    try {
      await database.migrate();
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  return database;
}

function countCopied(lines: number, chunk: string): number {
  let count = lines;
  for (let index = chunk.indexOf('\n'); index !== -1; index = chunk.indexOf('\n', index + 1)) count++;
  return count;
}

async function openPglite(dataDir: string, template?: Blob): Promise<Database & { migrate(): Promise<void> }> {
  // V8 tiers hot WebAssembly functions up to its optimising compiler, and compiling PGlite's largest
  // functions that way peaks at about 500 MB. Measured on a 300k-row insert and index build: peak RSS
  // 709 MB by default, 175 MB with this budget, at the same speed. (A fresh data directory's initdb
  // still peaks near 1 GB once.) TRIBUTARY_WASM_TIERING_BUDGET=0 restores V8's default.
  if (process.env.TRIBUTARY_WASM_TIERING_BUDGET !== '0') {
    v8.setFlagsFromString(`--wasm-tiering-budget=${process.env.TRIBUTARY_WASM_TIERING_BUDGET ?? 1_000_000_000}`);
  }
  let unlock = () => {};
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDirectory(dataDir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir, {
      // PGlite lives inside our process, so its buffers count against our memory: 32 MB rather than the
      // default 128 MB keeps a 10-million-row bulk load under 1 GB, and COPY uses a ring buffer anyway.
      // work_mem as on PostgreSQL (see openPostgres).
      postgresqlconf: ['shared_buffers=32MB', 'work_mem=64MB'],
      ...(template ? { loadDataDir: template } : {}),
      parsers: {
        [INT8]: (value: string) => BigInt(value),
        [DATE]: (value: string) => value,
        [NUMERIC]: (value: string) => value,
      },
    });
  } catch (error) {
    unlock();
    throw error;
  }
  const sessionOn = (runner: PGlite | PGliteTransaction): Session => ({
    engine: 'pglite',
    orm: drizzlePglite({ client: runner as PGlite, schema }) as unknown as Orm,
    async query<Row>(text: string, params: unknown[] = []) {
      return (await runner.query<Row>(text, params)).rows;
    },
    async copyFrom(table, columns, chunks) {
      // PGlite reads COPY input from a Blob mounted at /dev/blob; one Blob per batch keeps memory flat.
      const statement = `COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'`;
      let copied = 0;
      let batch: string[] = [];
      let batchSize = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const blob = new Blob(batch);
        for (const part of batch) copied = countCopied(copied, part);
        batch = [];
        batchSize = 0;
        await runner.query(statement, [], { blob });
      };
      for await (const chunk of chunks) {
        batch.push(chunk);
        batchSize += chunk.length;
        if (batchSize >= 8 * 1024 * 1024) await flush();
      }
      await flush();
      return copied;
    },
  });
  const session = sessionOn(client);
  return {
    ...session,
    description: dataDir.startsWith('memory://') ? 'PGlite (in memory)' : `PGlite at ${dataDir}`,
    transaction: (work) => client.transaction((tx) => work(sessionOn(tx))),
    async migrate() {
      await migratePglite(drizzlePglite({ client }), { migrationsFolder });
    },
    dumpDataDir: () => client.dumpDataDir('none'),
    execScript: (text) =>
      // PGlite's transaction() holds its lock for the whole callback, so no query of the app can run between
      // the script's statements, or find the connection in a transaction the script aborted. The script brings
      // its own BEGIN … COMMIT: the one opened for the lock is closed first and an empty one reopened after,
      // for transaction() to commit.
      client.transaction(async (tx) => {
        await tx.exec('ROLLBACK');
        try {
          const results = await tx.exec(text);
          return results.flatMap((result) => result.rows as Record<string, unknown>[]);
        } catch (error) {
          await tx.exec('ROLLBACK');
          throw error;
        } finally {
          await tx.exec('BEGIN');
        }
      }),
    async close() {
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
  };
}

async function openPostgres(url: string): Promise<Database & { migrate(): Promise<void> }> {
  const typeParsers = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8) return (value: string) => BigInt(value);
      if (oid === INT8_ARRAY) return parseBigintArray;
      if (oid === DATE || oid === NUMERIC) return (value: string) => value;
      return pg.types.getTypeParser(oid, format);
    },
  } as typeof pg.types;
  // JIT compilation costs more than it saves on our queries: the KPI rollups' CTEs have row estimates far
  // above the truth, and compiling for them took 0.9 s of a 1.3 s query (measured on 100k MRs). The
  // default work_mem (4 MB) sends the KPIs' sorts and hash aggregates over a year of rollup rows to disk.
  // Parallel workers cost more to start than they save on these queries of a few hundred thousand rows:
  // all KPIs over 1M MRs took 9.3 s with them and 6.8–7.5 s without (2 cores).
  const pool = new pg.Pool({ connectionString: url, types: typeParsers, max: 8, options: '-c jit=off -c work_mem=64MB -c max_parallel_workers_per_gather=0' });
  // An idle connection the server ends (a restart, an administrator, a dropped database) is an 'error' on
  // the pool, which would crash the process unheard: the pool drops that connection and the next query opens
  // another, and a server that is really gone fails that query, where the caller sees it.
  pool.on('error', () => {});
  // Surface a bad URL or a server that is down now, not at the first query.
  (await pool.connect()).release();
  const sessionOn = (runner: pg.Pool | pg.PoolClient): Session => ({
    engine: 'postgres',
    orm: drizzleNodePostgres({ client: runner, schema }) as unknown as Orm,
    async query<Row>(text: string, params: unknown[] = []) {
      return (await runner.query(text, params)).rows as Row[];
    },
    async copyFrom(table, columns, chunks) {
      const client = 'release' in runner ? runner : await runner.connect();
      try {
        const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
        await pipeline(Readable.from(chunks), stream);
        return Number(stream.rowCount);
      } finally {
        if (client !== runner) (client as pg.PoolClient).release();
      }
    },
  });
  const session = sessionOn(pool);
  const safeUrl = new URL(url);
  safeUrl.password = safeUrl.password ? '***' : '';
  return {
    ...session,
    description: `PostgreSQL at ${safeUrl.toString()}`,
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(sessionOn(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async migrate() {
      const client = await pool.connect();
      try {
        // Two processes starting at once must not both apply the same migration.
        await client.query('SELECT pg_advisory_lock(7270696275746172)');
        await migrateNodePostgres(drizzleNodePostgres({ client }), { migrationsFolder });
      } finally {
        await client.query('SELECT pg_advisory_unlock(7270696275746172)').catch(() => {});
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** `{1,2,NULL}` → [1n, 2n, null]; integers are never quoted in array literals. */
function parseBigintArray(value: string): (bigint | null)[] {
  if (value === '{}') return [];
  return value.slice(1, -1).split(',').map((element) => (element === 'NULL' ? null : BigInt(element)));
}

/** Counts and sums arrive as bigint on both engines; this is the one place they become numbers. */
export function toNumber(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  if (value === null || value === undefined) return 0;
  throw new TypeError(`not a number: ${String(value)}`);
}

