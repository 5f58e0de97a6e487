import { type Command, InvalidArgumentError, Option } from 'commander';
import { databaseConfig } from '../config.ts';
import type { Database } from '../db/connection.ts';
import { createLogger } from '../server/serve.ts';
import { listenForStop } from '../util/signals.ts';
import { type RunningWorker, startWorker, WorkerError } from '../worker/index.ts';
import { UsageError } from './output.ts';
import { contextFor } from './sources.ts';

type WithDatabase = <T>(command: Command, work: (db: Database) => Promise<T>) => Promise<T>;

export interface WorkerCliOptions {
  syncCron?: string;
  pollSeconds?: number;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0.5) throw new InvalidArgumentError(`expected seconds (at least 0.5), got ${JSON.stringify(value)}`);
  return seconds;
}

/** The worker's options, shared by `serve` and `worker`. */
export function addWorkerOptions(command: Command): Command {
  return command
    .addOption(new Option('--sync-cron <cron>', 'when each source syncs (cron, UTC)').env('TRIBUTARY_SYNC_CRON').default('*/15 * * * *'))
    .addOption(new Option('--poll-seconds <seconds>', 'how often the worker looks for work (default 2; 5 on the embedded database)').env('TRIBUTARY_WORKER_POLL_SECONDS').argParser(parseSeconds));
}

/** Starts the worker on `db` for a CLI command; bad options become usage errors naming the option. */
export async function startCliWorker(command: Command, db: Database, options: WorkerCliOptions): Promise<RunningWorker> {
  const globals = command.optsWithGlobals<{ databaseUrl?: string; dataDir?: string }>();
  const { databaseUrl } = databaseConfig({ databaseUrl: globals.databaseUrl, dataDir: globals.dataDir });
  const { cacheDir } = contextFor(command);
  try {
    return await startWorker({ db, databaseUrl, logger: createLogger(), sourceContext: { cacheDir }, syncCron: options.syncCron, pollSeconds: options.pollSeconds });
  } catch (error) {
    if (error instanceof WorkerError) throw new UsageError(`--${error.message.replace(/^syncCron/, 'sync-cron').replace(/^pollSeconds/, 'poll-seconds')}`);
    throw error;
  }
}

export function registerWorkerCommand(program: Command, withDatabase: WithDatabase): void {
  addWorkerOptions(
    program
      .command('worker')
      .description('Run the background worker alone (scheduled syncs, "sync now", rollup refreshes, webhook deliveries), to scale out on PostgreSQL.'),
  ).action(async (options: WorkerCliOptions, command: Command) => {
    const globals = command.optsWithGlobals<{ databaseUrl?: string; dataDir?: string }>();
    if (!databaseConfig({ databaseUrl: globals.databaseUrl, dataDir: globals.dataDir }).databaseUrl) {
      // The embedded database opens in one process only: `serve` runs the worker in-process instead.
      throw new UsageError('tributary worker needs PostgreSQL (DATABASE_URL or --database-url): the embedded database opens in one process only, and `tributary serve` already runs the worker on it');
    }
    await withDatabase(command, async (db) => {
      const signals = listenForStop();
      try {
        const worker = await startCliWorker(command, db, options);
        process.stdout.write('Tributary worker running. Ctrl-C stops it.\n');
        await signals.stopped;
        await worker.stop();
      } finally {
        signals.dispose();
      }
    });
  });
}
