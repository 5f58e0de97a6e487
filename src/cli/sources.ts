import { dirname, join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { databaseConfig } from '../config.ts';
import type { Database } from '../db/connection.ts';
import { describeRefresh, refreshRollups } from '../metrics/rollups.ts';
import type { SourceContext } from '../sources/contract.ts';
import { addSource, listSources, removeSource, syncSources } from '../sources/registry.ts';
import { formatNumber, Progress, printJson, printTable } from './output.ts';

/** How sync statistics read in a sentence; the rest are in --json. */
const STAT_WORDS: Record<string, string> = {
  commits: 'commits',
  merges: 'merges',
  mergeRequests: 'merge requests',
  duplicateMerges: 'merged again (one MR each)',
  renumbered: 'under an earlier numbering',
  issues: 'issues',
  users: 'user profiles',
  newPeople: 'new people',
  linkedPeople: 'linked to people already known',
};

type WithDatabase = <T>(command: Command, work: (db: Database) => Promise<T>) => Promise<T>;

/** Clones and other files of sources live beside the embedded database's directory. */
export function contextFor(command: Command): SourceContext {
  const globals = command.optsWithGlobals<{ dataDir?: string }>();
  const { dataDir } = databaseConfig({ dataDir: globals.dataDir });
  const base = dataDir.startsWith('memory://') ? join(process.cwd(), '.tributary') : dirname(dataDir);
  return { cacheDir: join(base, 'cache'), warn: (message) => process.stderr.write(`${pc.yellow('warning:')} ${message}\n`) };
}

export function registerSourceCommands(program: Command, withDatabase: WithDatabase) {
  const sources = program.command('sources').description('Where activity comes from: repositories, forges, channels.');

  const add = sources.command('add').description('Add a source; `tributary sync` then reads it.');
  add
    .command('git')
    .description('A git repository (a local path or a URL): merged MRs and commits from its history alone, no token needed.')
    .argument('<path-or-url>', 'the repository: a directory, or a URL to mirror')
    .option('--project-path <group/name>', 'the project the history belongs to (default: from the URL or directory name)')
    .addOption(new Option('--platform <platform>', 'the forge whose MR numbers the messages use (default: from the URL, else gitlab)').choices(['gitlab', 'github']))
    .option('--github-path <owner/name>', 'where "Merge pull request #N" PRs live when the project is on GitLab (a project that moved)')
    .option('--branch <name>', 'the default branch, when HEAD does not name it')
    .option('--name <name>', 'what to call the source (default: the project path)')
    .option('--json', 'print the source as JSON')
    .action(async (location: string, options: Record<string, string | boolean | undefined>, command: Command) => {
      await withDatabase(command, async (db) => {
        const config: Record<string, unknown> = { location };
        for (const key of ['projectPath', 'platform', 'githubPath', 'branch'] as const) if (options[key]) config[key] = options[key];
        const row = await addSource(db, 'git', config, contextFor(command), options.name as string | undefined);
        if (options.json) return printJson({ name: row.name, kind: row.kind, config: row.config });
        process.stdout.write(`${pc.green('✓')} Added git source ${pc.bold(row.name)}. Read it with: npx tributary sync ${row.name}\n`);
      });
    });

  add
    .command('gitlab')
    .description('A GitLab group (with its subgroups) or project, read through the API: MRs, notes, approvals, label events, issues, users, members, milestones.')
    .option('--group <path>', 'the group to mirror, e.g. gitlab-org')
    .option('--project <path>', 'one project instead, e.g. gitlab-org/gitlab-shell')
    .option('--url <url>', 'the GitLab instance', 'https://gitlab.com')
    .option('--token-env <name>', 'the environment variable holding the token (read_api); the token is never stored', 'GITLAB_TOKEN')
    .option('--requests-per-minute <n>', 'the most requests in any minute, retries included', parseWhole)
    .option('--concurrency <n>', 'requests at once', parseWhole)
    .option('--overlap-seconds <n>', 'how far before the last change an incremental sync looks again', parseWhole)
    .addOption(new Option('--ceiling-window-seconds <n>', 'the window of the request ceiling (tests)').argParser(parseWhole).hideHelp())
    .addOption(new Option('--backoff-ms <n>', 'the first retry delay (tests)').argParser(parseWhole).hideHelp())
    .option('--name <name>', 'what to call the source (default: the group or project path)')
    .option('--json', 'print the source as JSON')
    .action(async (options: Record<string, string | number | boolean | undefined>, command: Command) => {
      await withDatabase(command, async (db) => {
        const config: Record<string, unknown> = {};
        for (const key of ['group', 'project', 'url', 'tokenEnv', 'requestsPerMinute', 'concurrency', 'overlapSeconds', 'ceilingWindowSeconds', 'backoffMs'] as const) {
          if (options[key] !== undefined) config[key] = options[key];
        }
        const row = await addSource(db, 'gitlab', config, contextFor(command), options.name as string | undefined);
        if (options.json) return printJson({ name: row.name, kind: row.kind, config: row.config });
        process.stdout.write(`${pc.green('✓')} Added GitLab source ${pc.bold(row.name)}. Read it with: npx tributary sync ${row.name}\n`);
      });
    });

  sources
    .command('list')
    .description('The sources and where each sync stands.')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const rows = await listSources(db);
        if (options.json) {
          return printJson(
            rows.map((r) => ({
              name: r.name,
              kind: r.kind,
              config: r.config,
              lastFinishedAt: r.last_finished_at,
              lastError: r.last_error,
              lastStats: r.last_stats,
            })),
          );
        }
        if (rows.length === 0) return void process.stdout.write('No sources yet. Add one: npx tributary sources add git <path-or-url>\n');
        printTable(
          rows.map((r) => ({
            name: r.name,
            kind: r.kind,
            location: String(r.config.location ?? r.config.group ?? r.config.project ?? ''),
            'last sync': r.last_finished_at ? r.last_finished_at.toISOString().slice(0, 19).replace('T', ' ') : 'never',
            error: r.last_error ?? '',
          })),
          ['name', 'kind', 'location', 'last sync', 'error'],
        );
      });
    });

  sources
    .command('remove')
    .description('Forget a source (the data it brought stays).')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      await withDatabase(command, async (db) => {
        await removeSource(db, name);
        process.stdout.write(`${pc.green('✓')} Removed ${name}.\n`);
      });
    });

  program
    .command('sync')
    .description('Read what is new from one source, or from all: only new commits, pages or events.')
    .argument('[source]', 'the source name (default: every source)')
    .option('--full', 'read everything again instead of only what is new')
    .option('--json', 'print the results as JSON')
    .action(async (name: string | undefined, options: { full?: boolean; json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const progress = new Progress(`syncing ${name ?? 'all sources'}`);
        const outcomes = await syncSources(db, name, {
          ...contextFor(command),
          full: options.full,
          estimateTotals: Boolean(process.stderr.isTTY),
          progress: ({ items, unit, total }) => progress.update({ done: items, unit, total }),
        });
        progress.done();
        // The KPI rollups follow every sync, so dashboards and `kpi show` read current numbers at once.
        const rollups = outcomes.some((o) => o.ok) ? await refreshRollups(db) : undefined;
        if (options.json) return printJson(outcomes);
        for (const outcome of outcomes) {
          if (!outcome.ok) {
            process.stdout.write(`${pc.red('✗')} ${outcome.name}: ${outcome.error}\n`);
            continue;
          }
          const stats = outcome.result?.stats ?? {};
          const parts = Object.entries(STAT_WORDS)
            .filter(([key]) => typeof stats[key] === 'number' && stats[key] !== 0)
            .map(([key, words]) => `${formatNumber(stats[key] as number)} ${words}`);
          if (stats.rewalked) parts.push('history rewritten: read again');
          const seconds = typeof stats.seconds === 'number' ? ` in ${stats.seconds.toFixed(1)} s` : '';
          process.stdout.write(`${pc.green('✓')} ${outcome.name}: ${stats.upToDate ? 'up to date' : `${parts.join(', ') || 'nothing new'}${seconds}`}\n`);
        }
        if (rollups && rollups.mode !== 'none') process.stdout.write(`${pc.dim(describeRefresh(rollups))}\n`);
        if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
      });
    });
}

function parseWhole(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}`);
  return n;
}
