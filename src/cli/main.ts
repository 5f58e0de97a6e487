import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { databaseConfig } from '../config.ts';
import { type Database, openDatabase, toNumber } from '../db/connection.ts';
import { generateNdjsonLines } from '../generator/community.ts';
import { ImportError } from '../interchange/errors.ts';
import { EXPORT_TYPES, exportNdjson } from '../interchange/export.ts';
import { type ImportStats, importNdjson, importNdjsonFile } from '../interchange/import.ts';
import { RECORD_KINDS } from '../interchange/records.ts';
import { describeRefresh, refreshRollups } from '../metrics/rollups.ts';
import { KpiError } from '../metrics/run.ts';
import { SettingsError } from '../settings/index.ts';
import { SourceError } from '../sources/contract.ts';
import { registerGitlabCommands } from './gitlab.ts';
import { registerKpiCommands } from './kpi.ts';
import { formatBytes, formatNumber, Progress, printJson, printTable, UsageError } from './output.ts';
import { registerPeopleCommands } from './people.ts';
import { createDemoAdmin, registerServerCommands, serveDatabase } from './server.ts';
import { registerSourceCommands } from './sources.ts';
import { registerWorkerCommand } from './worker.ts';

/** The demo community `tributary start` loads into an empty database. */
const DEMO = { seed: 'demo', mergeRequests: 20_000, activities: 200_000 };

interface GlobalOptions {
  databaseUrl?: string;
  dataDir?: string;
}

const program = new Command('tributary')
  .description('Tributary: the contributor success platform for open-source communities.')
  .version('0.1.0')
  .addOption(new Option('--database-url <url>', 'PostgreSQL to use instead of the embedded database').env('DATABASE_URL'))
  .addOption(new Option('--data-dir <dir>', 'where the embedded database keeps its files').env('TRIBUTARY_DATA_DIR').default('./.tributary/data'))
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

async function withDatabase<T>(command: Command, work: (db: Database) => Promise<T>): Promise<T> {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const db = await openDatabase(databaseConfig({ databaseUrl: globals.databaseUrl, dataDir: globals.dataDir }));
  try {
    return await work(db);
  } finally {
    // A file-backed PGlite left open keeps the process alive.
    await db.close();
  }
}

program
  .command('start')
  .description('Prepare the database (loading a demo community into an empty one) and show what is there.')
  .option('--no-demo', 'do not load demo data into an empty database')
  .option('--json', 'print the summary as JSON')
  .option('--serve', 'then serve the web app and the API on http://127.0.0.1:3000 (PORT to change), with an admin to sign in as when there is no user')
  .action(async (options: { demo: boolean; json?: boolean; serve?: boolean }, command: Command) => {
    await withDatabase(command, async (db) => {
      await prepare(db, options);
      if (!options.serve) return;
      const admin = await createDemoAdmin(db);
      if (admin) {
        process.stdout.write(
          `\n${pc.bold('Sign in')} as ${admin.email} with the password ${pc.bold(admin.password)} (shown this once; \`tributary users\` manages accounts).\n`,
        );
      }
      // Plain http on the loopback address only: the browser on this machine, nobody else.
      await serveDatabase(command, db, { port: Number(process.env.PORT || 3000), host: '127.0.0.1', insecureCookies: true, allowedOrigins: [], worker: true });
    });
  });

/** start's work: the demo community in an empty database, the rollups built, and a summary. */
async function prepare(db: Database, options: { demo: boolean; json?: boolean }) {
  const [row] = await db.query<{ loaded: boolean }>('SELECT EXISTS (SELECT 1 FROM merge_requests) OR EXISTS (SELECT 1 FROM activities) AS loaded');
  let loaded: ImportStats | undefined;
  if (!row?.loaded && options.demo) {
    const progress = new Progress('loading demo data');
    loaded = await importNdjson(db, Readable.from(generateNdjsonLines(DEMO)), {
      onProgress: ({ lines }) => progress.update({ done: lines, unit: 'records' }),
    });
    progress.done();
  }
  // Dashboards read the KPI rollups: build them now rather than at the first look.
  await refreshRollups(db);
  const counts = await tableCounts(db);
  if (options.json) {
    printJson({ database: db.description, demoLoaded: Boolean(loaded), counts });
    return;
  }
  if (loaded) {
    process.stdout.write(`${pc.green('✓')} Loaded a demo community (seed "${DEMO.seed}") in ${loaded.seconds.toFixed(1)} s.\n`);
  }
  process.stdout.write(`${pc.bold('Tributary is ready.')} Data: ${db.description}\n\n`);
  printTable(
    counts.filter((c) => c.rows > 0),
    ['table', 'rows'],
  );
  process.stdout.write(
    `\nLook around:\n` +
      `  npx tributary db info                          what is stored, table by table\n` +
      `  npx tributary kpi list                         the KPIs; kpi show uwcc, kpi explain uwcc 2026-10\n` +
      `  npx tributary report --month 2026-10           every KPI for a month, as Markdown with charts\n` +
      `  npx tributary export --type merge_request      merge requests as NDJSON (docs/ndjson.md)\n` +
      `  npx tributary import FILE                      load your own NDJSON\n` +
      `  npx tributary --help                           every command\n`,
  );
}

program
  .command('import')
  .description('Load an NDJSON file (docs/ndjson.md) in one transaction: all of it or, on any error, none of it.')
  .argument('<file>', 'the file to read, or - for standard input')
  .option('--json', 'print the result as JSON')
  .action(async (file: string, options: { json?: boolean }, command: Command) => {
    await withDatabase(command, async (db) => {
      const progress = new Progress(`importing ${file === '-' ? 'standard input' : file}`);
      const onProgress = ({ lines, bytes }: { lines: number; bytes: number }) => progress.update({ done: lines, unit: 'lines', bytes });
      let stats: ImportStats;
      try {
        stats = file === '-' ? await importNdjson(db, process.stdin, { onProgress }) : await importNdjsonFile(db, file, { onProgress });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`cannot read ${file}: no such file`);
        throw error;
      } finally {
        progress.done();
      }
      const rollups = await refreshRollups(db);
      if (options.json) return printJson(stats);
      process.stdout.write(
        `${pc.green('✓')} Imported ${formatNumber(stats.lines)} lines (${formatBytes(stats.bytes)}) in ${stats.seconds.toFixed(1)} s ` +
          `(${formatNumber(Math.round(stats.lines / Math.max(stats.seconds, 0.001)))} lines/s).\n`,
      );
      printTable(
        stats.tables.map((t) => ({ ...t })),
        ['table', 'rows', 'inserted', 'updated', 'unchanged'],
      );
      if (rollups.mode !== 'none') process.stdout.write(`${pc.dim(describeRefresh(rollups))}\n`);
    });
  });

program
  .command('export')
  .description('Write the database as NDJSON (docs/ndjson.md) to standard output or a file.')
  .addOption(new Option('--type <type...>', 'only these record types').choices(EXPORT_TYPES))
  .option('-o, --output <file>', 'write to this file instead of standard output')
  .action(async (options: { type?: string[]; output?: string }, command: Command) => {
    await withDatabase(command, async (db) => {
      const out: Writable = options.output ? createWriteStream(options.output) : process.stdout;
      await db.transaction(async (tx) => {
        for await (const lines of exportNdjson(tx, options.type ?? [])) {
          if (!out.write(lines)) await new Promise((resolve) => out.once('drain', resolve));
        }
      });
      if (options.output) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    });
  });

program
  .command('generate')
  .description('Write a synthetic community as NDJSON: the same seed always gives the same data.')
  .option('--seed <seed>', 'random seed', 'demo')
  .option('--merge-requests <n>', 'number of merge requests', parseCount, 20_000)
  .option('--activities <n>', 'number of activities', parseCount, 200_000)
  .option('--people <n>', 'number of people (default: scaled to the merge requests)', parseCount)
  .option('-o, --output <file>', 'write to this file instead of standard output')
  .action(async (options: { seed: string; mergeRequests: number; activities: number; people?: number; output?: string }) => {
    const out: Writable = options.output ? createWriteStream(options.output) : process.stdout;
    const progress = new Progress('generating');
    let bytes = 0;
    for (const lines of generateNdjsonLines({ seed: options.seed, mergeRequests: options.mergeRequests, activities: options.activities, people: options.people })) {
      bytes += lines.length;
      progress.update({ done: bytes, unit: 'characters' });
      if (!out.write(lines)) await new Promise((resolve) => out.once('drain', resolve));
    }
    progress.done();
    if (options.output) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  });

registerSourceCommands(program, withDatabase);
registerPeopleCommands(program, withDatabase);
registerKpiCommands(program, withDatabase);
registerGitlabCommands(program, withDatabase);
registerServerCommands(program, withDatabase);
registerWorkerCommand(program, withDatabase);

const db = program.command('db').description('The database itself.');
db.command('info')
  .description('Where the data lives and how many rows each table holds.')
  .option('--json', 'print as JSON')
  .action(async (options: { json?: boolean }, command: Command) => {
    await withDatabase(command, async (database) => {
      const counts = await tableCounts(database);
      if (options.json) return printJson({ database: database.description, engine: database.engine, counts });
      process.stdout.write(`${database.description}\n\n`);
      printTable(counts, ['table', 'rows']);
    });
  });

async function tableCounts(db: Database): Promise<{ table: string; rows: number }[]> {
  const tables = [...new Set(RECORD_KINDS.map((kind) => kind.table))];
  const [row] = await db.query<Record<string, unknown>>(`SELECT ${tables.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(', ')}`);
  return tables.map((table) => ({ table, rows: toNumber(row?.[table]) }));
}

function parseCount(value: string): number {
  const count = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(count) || count < 0) throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}`);
  return count;
}

// Every subcommand gets --help from commander, and errors in how it was called exit with 2.
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof UsageError) {
    process.stderr.write(`${pc.red('error:')} ${error.message}\n`);
    process.exitCode = 2;
  } else if (error instanceof SourceError || error instanceof KpiError || error instanceof SettingsError) {
    process.stderr.write(`${pc.red('error:')} ${error.message}\n`);
    process.exitCode = 1;
  } else if (error instanceof ImportError) {
    process.stderr.write(`${pc.red('import failed, nothing was written:')} ${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`${pc.red('error:')} ${(error as Error).message}\n`);
    if (process.env.TRIBUTARY_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = 1;
  }
}
