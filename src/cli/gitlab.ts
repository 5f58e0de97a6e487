import { type Command, InvalidArgumentError } from 'commander';
import pc from 'picocolors';
import type { Database } from '../db/connection.ts';
import { GitlabTestServer } from '../sources/gitlab/testing/server.ts';
import { CHANGE_KINDS, type ChangeKind, World } from '../sources/gitlab/testing/world.ts';
import { GitlabWebhooks, listenForWebhooks } from '../sources/gitlab/webhooks.ts';
import { UsageError } from './output.ts';

type WithDatabase = <T>(command: Command, work: (db: Database) => Promise<T>) => Promise<T>;

const whole = (value: string) => {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}`);
  return n;
};
const fraction = (value: string) => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a fraction between 0 and 1, got ${JSON.stringify(value)}`);
  return n;
};

/** Runs until SIGINT or SIGTERM, then `stop`. */
function untilStopped(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      stop().then(resolve, reject);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

export function registerGitlabCommands(program: Command, withDatabase: WithDatabase) {
  const dev = program.command('dev').description('Tools for developing and testing Tributary.');
  dev
    .command('gitlab-server')
    .description('A GitLab-compatible API server over seeded data, with faults on demand (429 storms, 5xx, slow, dropped, truncated).')
    .option('--port <n>', 'the port', whole, 3030)
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--seed <seed>', 'the same seed gives the same data', 'dev')
    .option('--projects <n>', 'projects in the group acme and its subgroup acme/platform', whole, 6)
    .option('--merge-requests <n>', 'merge requests, with notes and label events', whole, 2_000)
    .option('--issues <n>', 'issues, with notes', whole, 500)
    .option('--users <n>', 'users (one in seventeen a bot; the first tenth the team)', whole, 200)
    .option('--token <token>', 'the token clients must send (PRIVATE-TOKEN or Bearer)', 'dev-token')
    .option('--rate-limited <fraction>', 'answer this fraction of requests 429 with Retry-After', fraction, 0)
    .option('--retry-after <seconds>', 'Retry-After on a 429', whole, 1)
    .option('--server-errors <fraction>', 'answer this fraction 500, 502 or 503', fraction, 0)
    .option('--dropped <fraction>', 'close this fraction of connections without an answer', fraction, 0)
    .option('--truncated <fraction>', 'cut this fraction of bodies off halfway', fraction, 0)
    .option('--slow <fraction>', 'answer this fraction late (see --slow-ms)', fraction, 0)
    .option('--slow-ms <ms>', 'how late', whole, 2000)
    .option('--quota <n>', 'at most n requests per minute, then 429 (RateLimit-* headers)', whole)
    .option('--change-every <seconds>', 'change the data every so many seconds (new notes, merges, new MRs, …)', whole)
    .option('--changes <n>', 'changes each time', whole, 20)
    .action(async (options: Record<string, number | string | undefined>) => {
      const world = new World({
        seed: String(options.seed),
        projects: Number(options.projects),
        mergeRequests: Number(options.mergeRequests),
        issues: Number(options.issues),
        users: Math.max(2, Number(options.users)),
      });
      const server = new GitlabTestServer(world, {
        token: String(options.token),
        quota: options.quota ? { limit: Number(options.quota), windowSeconds: 60 } : undefined,
        faults: {
          rateLimited: Number(options.rateLimited),
          retryAfterSeconds: Number(options.retryAfter),
          serverErrors: Number(options.serverErrors),
          dropped: Number(options.dropped),
          truncated: Number(options.truncated),
          slow: Number(options.slow) > 0 ? { fraction: Number(options.slow), ms: Number(options.slowMs) } : undefined,
        },
      });
      const url = await server.start(Number(options.port), String(options.host));
      process.stdout.write(
        `${pc.green('✓')} GitLab test server at ${pc.bold(url)} (token ${options.token}): group acme, ${world.projects.length} projects, ` +
          `${world.mergeRequests.length} MRs, ${world.issues.length} issues, ${world.users.length} users.\n` +
          `  Try: GITLAB_TOKEN=${options.token} npx tributary sources add gitlab --url ${url} --group acme && GITLAB_TOKEN=${options.token} npx tributary sync acme\n`,
      );
      let timer: NodeJS.Timeout | undefined;
      if (options.changeEvery) {
        const kinds = CHANGE_KINDS.filter((k): k is ChangeKind => k !== 'delete_mr');
        timer = setInterval(() => {
          const done = world.change(Number(options.changes), kinds);
          process.stdout.write(`  changed: ${done.length} (${[...new Set(done)].join(', ')})\n`);
        }, Number(options.changeEvery) * 1000);
      }
      await untilStopped(async () => {
        if (timer) clearInterval(timer);
        await server.stop();
        process.stdout.write(`served ${server.count()} requests\n`);
      });
    });

  const webhooks = program.command('webhooks').description('Webhooks from the forges.');
  webhooks
    .command('listen')
    .description('Receive GitLab webhooks on POST /webhooks/gitlab and apply them (until Ctrl-C).')
    .option('--port <n>', 'the port', whole, 8080)
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--token-env <name>', 'the environment variable holding the secret token GitLab sends as X-Gitlab-Token', 'GITLAB_WEBHOOK_TOKEN')
    .action(async (options: { port: number; host: string; tokenEnv: string }, command: Command) => {
      const secret = process.env[options.tokenEnv];
      if (!secret) throw new UsageError(`set ${options.tokenEnv} to the webhook's secret token (GitLab sends it as X-Gitlab-Token)`);
      await withDatabase(command, async (db) => {
        const hooks = new GitlabWebhooks(db, secret);
        const pending = await hooks.recover();
        const { server, url } = await listenForWebhooks(hooks, options.port, options.host);
        process.stdout.write(`${pc.green('✓')} Listening for GitLab webhooks at ${pc.bold(url)}${pending ? ` (applying ${pending} pending)` : ''}\n`);
        await untilStopped(async () => {
          await new Promise((resolve) => server.close(resolve));
          await hooks.idle();
          const s = hooks.stats;
          process.stdout.write(`accepted ${s.accepted}, applied ${s.applied}, ignored ${s.ignored}, rejected ${s.rejected}, duplicates ${s.duplicates}, failed ${s.failed}\n`);
        });
      });
    });
}
