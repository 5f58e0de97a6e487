import { resolve } from 'node:path';
import type { ConnectOptions } from './db/connection.ts';

/** Where the data lives: PostgreSQL when DATABASE_URL is set, otherwise PGlite in TRIBUTARY_DATA_DIR. */
export interface DatabaseConfig extends ConnectOptions {
  databaseUrl: string | undefined;
  dataDir: string;
}

export const DEFAULT_DATA_DIR = './.tributary/data';

export function databaseConfig(overrides: { databaseUrl?: string | undefined; dataDir?: string | undefined } = {}, env = process.env): DatabaseConfig {
  const databaseUrl = overrides.databaseUrl ?? (env.DATABASE_URL || undefined);
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(`DATABASE_URL must start with postgres:// or postgresql:// (got ${JSON.stringify(databaseUrl.split(':')[0])}…)`);
  }
  const dataDir = overrides.dataDir ?? (env.TRIBUTARY_DATA_DIR || DEFAULT_DATA_DIR);
  return { databaseUrl, dataDir: dataDir.startsWith('memory://') ? dataDir : resolve(dataDir) };
}
