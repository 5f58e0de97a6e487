import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A GitHub-compatible OAuth web flow and the two REST calls sign-in needs, on loopback, laid out as GitHub
 * Enterprise Server lays them out (the web flow at /login/oauth/…, the API under /api/v3): a real protocol
 * peer for tests, as strict as GitHub where it matters.
 *
 * - GET /login/oauth/authorize: the browser's GitHub session is the `github_user` cookie (a login); the
 *   client must be registered, redirect_uri must be the registered one, code_challenge_method S256 when a
 *   challenge is sent. Redirects back with a one-time code (ten minutes) and the state.
 * - POST /login/oauth/access_token (form or JSON; JSON answer with Accept: application/json): checks client
 *   id and secret, the code (unused, unexpired, issued to this client), redirect_uri (as at authorize) and
 *   the PKCE verifier against the challenge; errors are 200 with `error`, as GitHub answers them.
 * - GET /api/v3/user, GET /api/v3/user/emails: need `Authorization: Bearer|token <access token>`; /user/emails
 *   also the user:email (or user) scope, else 404 as GitHub answers.
 */

export interface GithubAccount {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface GithubClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  login: string;
  scopes: string[];
  challenge: string | undefined;
  expiresAt: number;
  used: boolean;
}

export interface FakeGithub {
  /** http://127.0.0.1:PORT: TRIBUTARY_GITHUB_URL for it. */
  url: string;
  accounts: Map<string, GithubAccount>;
  clients: Map<string, GithubClient>;
  /** Every authorize request's query, for assertions. */
  authorizeRequests: URLSearchParams[];
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
};

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) return JSON.parse(text || '{}') as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(text));
}

const cookie = (req: IncomingMessage, name: string) =>
  (req.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([key]) => key === name)?.[1];

export async function startFakeGithub(): Promise<FakeGithub> {
  const accounts = new Map<string, GithubAccount>();
  const clients = new Map<string, GithubClient>();
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, { login: string; scopes: string[] }>();
  const authorizeRequests: URLSearchParams[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://github.test');
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const q = url.searchParams;
      authorizeRequests.push(q);
      const client = clients.get(q.get('client_id') ?? '');
      if (!client) return json(res, 404, { message: 'Not Found: no such OAuth app' });
      const redirectUri = q.get('redirect_uri') ?? client.redirectUri;
      // GitHub shows an error page (it never redirects to an unregistered URI).
      if (redirectUri !== client.redirectUri) return json(res, 400, { error: 'redirect_uri_mismatch' });
      const challenge = q.get('code_challenge') ?? undefined;
      if (challenge && q.get('code_challenge_method') !== 'S256') return json(res, 400, { error: 'invalid_request', error_description: 'code_challenge_method must be S256' });
      const login = cookie(req, 'github_user');
      if (!login || !accounts.has(login)) {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<h1>Sign in to GitHub</h1>');
      }
      const back = new URL(redirectUri);
      const state = q.get('state');
      const code = randomBytes(10).toString('hex');
      grants.set(code, { clientId: client.clientId, redirectUri, login, scopes: (q.get('scope') ?? '').split(/[\s,]+/).filter(Boolean), challenge, expiresAt: Date.now() + 600_000, used: false });
      back.searchParams.set('code', code);
      if (state !== null) back.searchParams.set('state', state);
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const body = { ...Object.fromEntries(url.searchParams), ...(await readBody(req)) };
      const answer = (payload: Record<string, string>) => {
        if ((req.headers.accept ?? '').includes('application/json')) return json(res, 200, payload);
        res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' });
        return res.end(new URLSearchParams(payload).toString());
      };
      const client = clients.get(body.client_id ?? '');
      if (!client || client.clientSecret !== body.client_secret) {
        return answer({ error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' });
      }
      const grant = grants.get(body.code ?? '');
      if (!grant || grant.used || grant.expiresAt < Date.now() || grant.clientId !== client.clientId) {
        return answer({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
      }
      grant.used = true;
      if (body.redirect_uri !== undefined && body.redirect_uri !== grant.redirectUri) {
        return answer({ error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.' });
      }
      if (grant.challenge !== undefined) {
        const verifier = body.code_verifier ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
          return answer({ error: 'bad_verification_code', error_description: 'The code_verifier does not match the code_challenge.' });
        }
      }
      const token = `gho_${randomBytes(18).toString('base64url')}`;
      tokens.set(token, { login: grant.login, scopes: grant.scopes });
      return answer({ access_token: token, token_type: 'bearer', scope: grant.scopes.join(',') });
    }
    if (req.method === 'GET' && (url.pathname === '/api/v3/user' || url.pathname === '/api/v3/user/emails')) {
      const [scheme, token] = (req.headers.authorization ?? '').split(' ');
      const holder = scheme && /^(bearer|token)$/i.test(scheme) && token ? tokens.get(token) : undefined;
      const account = holder ? accounts.get(holder.login) : undefined;
      if (!holder || !account) return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      if (url.pathname === '/api/v3/user') return json(res, 200, { login: account.login, id: account.id, type: 'User', name: account.name });
      if (!holder.scopes.some((scope) => scope === 'user:email' || scope === 'user')) return json(res, 404, { message: 'Not Found' });
      return json(
        res,
        200,
        account.emails.map((e) => ({ ...e, visibility: e.primary ? 'private' : null })),
      );
    }
    return json(res, 404, { message: 'Not Found' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => json(res, 500, { message: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    accounts,
    clients,
    authorizeRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
