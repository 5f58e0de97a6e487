import type { z } from 'zod';
import type { Database } from '../db/connection.ts';

/**
 * What every source is: the same few files in each folder under src/sources/ —
 *   source.ts      its configuration (a zod schema) and this definition
 *   fetch.ts       reading from the origin (a stream, pages, a clone)
 *   store-raw.ts   keeping what the origin said, before interpretation
 *   normalise.ts   raw → projects, MRs, commits, identities, activities
 *   testing/       generators and protocol peers for its tests
 * and `sync` ties them together, resumably: a sync that fails leaves the previous cursor in place.
 */
export interface SourceDefinition<Config> {
  kind: 'git' | 'gitlab' | 'github';
  config: z.ZodType<Config>;
  /** A default name for a newly added source, e.g. the project path. */
  defaultName(config: Config): string;
  /** Checks that the origin can be reached before the source is saved, and fills in what it can tell. */
  check?(config: Config, context: SourceContext): Promise<Config | undefined> | Config | undefined;
  sync(db: Database, source: StoredSource<Config>, context: SyncContext): Promise<SyncResult>;
}

export interface StoredSource<Config> {
  id: bigint;
  name: string;
  kind: string;
  config: Config;
  cursor: Record<string, unknown> | null;
}

export interface SourceContext {
  /** Where a source may keep files of its own (clones), under the data directory. */
  cacheDir: string;
  warn(message: string): void;
}

export interface SyncContext extends SourceContext {
  progress?(progress: { items: number; unit: string; elapsedSeconds: number; total?: number | undefined }): void;
  /** Worth counting what a sync will read first, for a bar with an end (a person is watching). */
  estimateTotals?: boolean;
  /** Walk everything again, ignoring the cursor. */
  full?: boolean;
}

export interface SyncResult {
  cursor: Record<string, unknown>;
  stats: Record<string, number | string | boolean>;
}

/** A failure the user can act on; the CLI prints the message without a stack. */
export class SourceError extends Error {
  override name = 'SourceError';
}
