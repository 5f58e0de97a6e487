import { isIP } from 'node:net';
import { type Command, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { createApiToken, listApiTokens, revokeApiToken } from '../auth/credentials.ts';
import { githubOptionsFromEnv } from '../auth/github.ts';
import { oidcOptionsFromEnv } from '../auth/oidc.ts';
import { generatePassword } from '../auth/passwords.ts';
import { parseTrustedProxies, type TrustedProxies } from '../auth/proxies.ts';
import { ROLES, type Role, SCOPES } from '../auth/roles.ts';
import { AuthError, createUser, findUserByEmail, listUsers } from '../auth/users.ts';
import type { Database } from '../db/connection.ts';
import { serveUntilSignalled } from '../server/serve.ts';
import { printJson, printTable, UsageError } from './output.ts';
import { addWorkerOptions, startCliWorker, type WorkerCliOptions } from './worker.ts';

type WithDatabase = <T>(command: Command, work: (db: Database) => Promise<T>) => Promise<T>;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError(`expected a port (0–65535), got ${JSON.stringify(value)}`);
  return port;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One line: a trailing newline from `echo` is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** AuthError's field → the CLI option that carries it. */
function asUsage<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((error) => {
    if (error instanceof AuthError) throw new UsageError(error.field ? `--${error.field}: ${error.message.replace(/^[\w.]+: /, '')}` : error.message);
    throw error;
  });
}

export interface ServeCliOptions extends WorkerCliOptions {
  port: number;
  host: string;
  insecureCookies?: boolean | undefined;
  allowedOrigins: string[];
  trustedProxies?: TrustedProxies | undefined;
  worker: boolean;
}

/** Serves the API and the web app on `db` until SIGINT or SIGTERM, with the background worker unless turned off. */
export async function serveDatabase(command: Command, db: Database, options: ServeCliOptions): Promise<void> {
  let oidc: ReturnType<typeof oidcOptionsFromEnv>;
  let github: ReturnType<typeof githubOptionsFromEnv>;
  try {
    oidc = oidcOptionsFromEnv();
    github = githubOptionsFromEnv();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const worker = options.worker ? await startCliWorker(command, db, options) : undefined;
  try {
    await serveUntilSignalled(db, {
      port: options.port,
      host: options.host,
      secureCookies: !options.insecureCookies,
      allowedOrigins: options.allowedOrigins,
      trustedProxies: options.trustedProxies,
      oidc,
      github,
      enqueue: worker?.enqueue,
    });
  } finally {
    // After HTTP (no request can enqueue any more), before the database closes.
    await worker?.stop();
  }
}

export const DEMO_ADMIN_EMAIL = 'admin@tributary.test';

/** For `start --serve` on a database without users: an admin to sign in with, and its password (shown once). */
export async function createDemoAdmin(db: Database): Promise<{ email: string; password: string } | undefined> {
  if ((await listUsers(db)).length > 0) return undefined;
  const password = generatePassword();
  await createUser(db, { email: DEMO_ADMIN_EMAIL, name: 'Demo admin', role: 'admin', password });
  return { email: DEMO_ADMIN_EMAIL, password };
}

export function registerServerCommands(program: Command, withDatabase: WithDatabase): void {
  const serve = program
    .command('serve')
    .description('Serve the REST API (/api/v1), its OpenAPI document (/api/openapi.json) and docs (/api/docs), /healthz and /metrics.')
    .addOption(new Option('--port <port>', 'port to listen on (0: any free one)').env('PORT').argParser(parsePort).default(3000))
    .addOption(new Option('--host <host>', 'address to listen on').env('HOST').default('127.0.0.1'))
    .addOption(
      new Option('--insecure-cookies', 'session cookies without Secure, for plain-http development on a loopback address only').env('TRIBUTARY_INSECURE_COOKIES'),
    )
    .addOption(new Option('--allowed-origin <origin...>', 'other origins that may send requests with a session cookie (e.g. a web dev server)').env('TRIBUTARY_ALLOWED_ORIGINS'))
    .addOption(
      new Option('--trusted-proxy <address...>', 'reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For gives the client address for the login rate limit').env(
        'TRIBUTARY_TRUSTED_PROXIES',
      ),
    )
    .option('--no-worker', 'do not run the background worker in this process (run `tributary worker` beside it, on PostgreSQL)');
  addWorkerOptions(serve).action(
    async (
      options: { port: number; host: string; insecureCookies?: boolean; allowedOrigin?: string[] | string; trustedProxy?: string[] | string; worker: boolean } & WorkerCliOptions,
      command: Command,
    ) => {
      if (options.insecureCookies && !isLoopback(options.host)) {
        throw new UsageError(`--insecure-cookies is for loopback development only; ${options.host} is not a loopback address`);
      }
      const allowedOrigins = [options.allowedOrigin ?? []].flat().flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
      let trustedProxies: TrustedProxies | undefined;
      try {
        trustedProxies = options.trustedProxy === undefined ? undefined : parseTrustedProxies(options.trustedProxy);
      } catch (error) {
        throw new UsageError(`--trusted-proxy: ${(error as Error).message}`);
      }
      await withDatabase(command, (db) => serveDatabase(command, db, { ...options, allowedOrigins, trustedProxies: trustedProxies?.entries.length ? trustedProxies : undefined }));
    },
  );

  const users = program.command('users').description('Who may sign in, and with which role (admin, manager, coach, viewer).');

  const addUser = (role: Role | undefined) => async (options: { email: string; name: string; role?: Role; passwordStdin?: boolean; json?: boolean }, command: Command) => {
    const password = options.passwordStdin ? await readStdin() : generatePassword();
    await withDatabase(command, async (db) => {
      const user = await asUsage(() => createUser(db, { email: options.email, name: options.name, role: (role ?? options.role) as Role, password }));
      if (options.json) return printJson({ ...user, password: options.passwordStdin ? undefined : password });
      process.stdout.write(`${pc.green('✓')} ${user.role} ${user.email} (id ${user.id})\n`);
      if (!options.passwordStdin) process.stdout.write(`Password (shown once, keep it safe): ${password}\n`);
    });
  };

  users
    .command('create-admin')
    .description('Add an administrator; the password is generated and printed once unless given on standard input.')
    .requiredOption('--email <email>', 'their e-mail address (the sign-in name)')
    .requiredOption('--name <name>', 'their name')
    .option('--password-stdin', 'read the password from standard input (at least 12 characters)')
    .option('--json', 'print as JSON')
    .action(addUser('admin'));

  users
    .command('create')
    .description('Add a user with a role; the password is generated and printed once unless given on standard input.')
    .requiredOption('--email <email>', 'their e-mail address (the sign-in name)')
    .requiredOption('--name <name>', 'their name')
    .addOption(new Option('--role <role>', 'what they may do').choices(ROLES).makeOptionMandatory())
    .option('--password-stdin', 'read the password from standard input (at least 12 characters)')
    .option('--json', 'print as JSON')
    .action(addUser(undefined));

  users
    .command('list')
    .description('Every user.')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const rows = await listUsers(db);
        if (options.json) return printJson(rows);
        printTable(
          rows.map((u) => ({ ...u, createdAt: u.createdAt.toISOString().slice(0, 19), disabled: u.disabledAt ? 'yes' : '' })),
          ['id', 'email', 'name', 'role', 'createdAt', 'disabled'],
        );
      });
    });

  const tokens = program.command('tokens').description('API tokens: shown once, stored hashed, scoped read, write or admin.');

  tokens
    .command('create')
    .description('Make an API token for a user; it is printed once.')
    .requiredOption('--user <email>', 'the user the token acts for')
    .requiredOption('--name <name>', 'what it is for, e.g. "grafana"')
    .addOption(new Option('--scope <scope...>', 'what it may do (within the user’s role)').choices(SCOPES).default(['read']))
    .option('--expires-in-days <days>', 'expire after this many days', (v) => {
      const days = Number(v);
      if (!Number.isInteger(days) || days < 1) throw new InvalidArgumentError(`expected a whole number of days, got ${JSON.stringify(v)}`);
      return days;
    })
    .option('--json', 'print as JSON')
    .action(async (options: { user: string; name: string; scope: string[]; expiresInDays?: number; json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const user = await findUserByEmail(db, options.user);
        if (!user) throw new UsageError(`--user: no user with the e-mail ${options.user}`);
        const expiresAt = options.expiresInDays ? new Date(Date.now() + options.expiresInDays * 86_400_000) : undefined;
        const { token, record } = await asUsage(() => createApiToken(db, { userId: user.id, name: options.name, scopes: options.scope, expiresAt }));
        if (options.json) return printJson({ token, ...record });
        process.stdout.write(`${pc.green('✓')} token ${record.id} (${record.prefix}) for ${user.email}, scopes ${record.scopes.join(', ')}\n`);
        process.stdout.write(`${token}\n(shown once: it is stored hashed)\n`);
      });
    });

  tokens
    .command('list')
    .description('Every API token (never the secret).')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const rows = await listApiTokens(db);
        if (options.json) return printJson(rows);
        const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : '');
        printTable(
          rows.map((t) => ({
            id: t.id,
            prefix: t.prefix,
            name: t.name,
            user: t.userId,
            scopes: t.scopes.join(','),
            created: day(t.createdAt),
            expires: day(t.expiresAt),
            lastUsed: day(t.lastUsedAt),
            revoked: day(t.revokedAt),
          })),
          ['id', 'prefix', 'name', 'user', 'scopes', 'created', 'expires', 'lastUsed', 'revoked'],
        );
      });
    });

  tokens
    .command('revoke')
    .description('Revoke an API token at once.')
    .argument('<token>', 'its id or prefix')
    .action(async (ref: string, _options: unknown, command: Command) => {
      await withDatabase(command, async (db) => {
        const revoked = await asUsage(() => revokeApiToken(db, ref));
        process.stdout.write(`${pc.green('✓')} revoked token ${revoked.id} (${revoked.prefix})\n`);
      });
    });
}
