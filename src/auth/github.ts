import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { defineRoute, newRouter, PROBLEM_TYPE, ProblemError, problemSchema } from '../server/http.ts';
import { flowCookie, isLoopbackHttp, returnToQuery, startSession, userForIdentity } from './external.ts';
import type { AuthOptions } from './middleware.ts';
import { isRole, type Role } from './roles.ts';

/**
 * Sign-in with GitHub (github.com or GitHub Enterprise Server). GitHub's user sign-in is OAuth 2.0, not
 * OpenID Connect: the authorization code flow with state and PKCE (S256) against /login/oauth/authorize and
 * /login/oauth/access_token, then the REST API's GET /user (the account's stable numeric id) and GET
 * /user/emails (its verified primary e-mail). The e-mail finds the Tributary user and the account is linked
 * to the GitHub id on first use, as OIDC links its subject; auto-provisioning and refusal work as for OIDC.
 * Plain fetch: @octokit/oauth-methods' exchangeWebFlowCode sends no PKCE code_verifier.
 */

export interface GithubOptions {
  clientId: string;
  clientSecret: string;
  /** Where GitHub sends the browser back: https://tributary.example/api/v1/auth/github/callback */
  redirectUri: string;
  /** https://github.com (the default), or a GitHub Enterprise Server's address; its API is then at /api/v3. */
  baseUrl?: string | undefined;
  /** The role given to someone GitHub vouches for who has no account yet; undefined: refuse them. */
  autoProvisionRole?: Role | undefined;
}

export const GITHUB_DOT_COM = 'https://github.com';
/** Enough to read the account's e-mail addresses and whether they are verified; the public profile needs none. */
const SCOPE = 'user:email';

export function githubOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): GithubOptions | undefined {
  if (!env.TRIBUTARY_GITHUB_CLIENT_ID) return undefined;
  const missing = ['TRIBUTARY_GITHUB_CLIENT_SECRET', 'TRIBUTARY_GITHUB_REDIRECT_URI'].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`TRIBUTARY_GITHUB_CLIENT_ID is set, so ${missing.join(' and ')} must be too`);
  const role = env.TRIBUTARY_GITHUB_AUTO_PROVISION;
  if (role && !isRole(role)) throw new Error(`TRIBUTARY_GITHUB_AUTO_PROVISION must be a role (viewer, coach, manager, admin), not ${JSON.stringify(role)}`);
  const options: GithubOptions = {
    clientId: env.TRIBUTARY_GITHUB_CLIENT_ID,
    clientSecret: env.TRIBUTARY_GITHUB_CLIENT_SECRET as string,
    redirectUri: env.TRIBUTARY_GITHUB_REDIRECT_URI as string,
    baseUrl: env.TRIBUTARY_GITHUB_URL || undefined,
    autoProvisionRole: role ? (role as Role) : undefined,
  };
  githubEndpoints(options);
  return options;
}

/** Where the web flow and the REST API are, from the base URL (checked: https, or http on loopback only). */
export function githubEndpoints(options: Pick<GithubOptions, 'baseUrl'>) {
  let base: URL;
  try {
    base = new URL(options.baseUrl ?? GITHUB_DOT_COM);
  } catch {
    throw new Error(`TRIBUTARY_GITHUB_URL must be a URL such as https://github.example.com, not ${JSON.stringify(options.baseUrl)}`);
  }
  if (base.protocol !== 'https:' && !isLoopbackHttp(base)) throw new Error(`TRIBUTARY_GITHUB_URL must be https (plain http only on loopback): ${base.href}`);
  const web = base.href.replace(/\/+$/, '');
  const api = web === GITHUB_DOT_COM ? 'https://api.github.com' : `${web}/api/v3`;
  // The "issuer" of linked accounts (users.oidc_issuer): ids are unique per GitHub instance only.
  return { issuer: web, authorize: `${web}/login/oauth/authorize`, token: `${web}/login/oauth/access_token`, user: `${api}/user`, emails: `${api}/user/emails` };
}

const flowSchema = z.object({ state: z.string(), verifier: z.string(), returnTo: z.string() });

const problem = (description: string) => ({ description, content: { [PROBLEM_TYPE]: { schema: problemSchema } } });

const start = defineRoute('public', {
  method: 'get',
  path: '/auth/github/login',
  tags: ['auth'],
  summary: 'Sign in with GitHub: redirects there',
  request: { query: returnToQuery },
  responses: { 302: { description: 'To GitHub' }, 404: problem('GitHub sign-in is not configured') },
});

const callback = defineRoute('public', {
  method: 'get',
  path: '/auth/github/callback',
  tags: ['auth'],
  summary: 'Where GitHub sends the browser back: sets the session cookie and redirects on',
  request: {
    query: z.looseObject({ code: z.string().optional(), state: z.string().optional(), error: z.string().optional(), error_description: z.string().optional() }),
  },
  responses: {
    302: { description: 'Signed in: to `returnTo`' },
    403: problem('GitHub vouched for someone without an account here, or without a verified primary e-mail'),
    404: problem('GitHub sign-in is not configured'),
    502: problem('GitHub cannot be reached or answered unexpectedly'),
  },
});

const tokenAnswer = z.union([
  z.object({ access_token: z.string().min(1), token_type: z.string().optional(), scope: z.string().optional() }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);
const githubUser = z.object({ id: z.number().int(), login: z.string(), name: z.string().nullable().optional() });
const githubEmails = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }));

const sameText = (a: string, b: string) => {
  const [left, right] = [Buffer.from(a), Buffer.from(b)];
  return left.length === right.length && timingSafeEqual(left, right);
};

const REQUEST_TIMEOUT_MS = 10_000;

export function githubRoutes(options: AuthOptions & { github?: GithubOptions | undefined }) {
  const flows = flowCookie(options, 'github', flowSchema);
  const github = options.github;
  const configured = () => {
    if (!github) throw new ProblemError(404, 'GitHub sign-in is not configured on this server');
    return { github, endpoints: githubEndpoints(github) };
  };

  /** A request to GitHub; a network failure or an answer that is not what GitHub sends is a 502. */
  const ask = async <T extends z.ZodType>(url: string, init: RequestInit, schema: T, what: string): Promise<{ status: number; body: z.output<T> | undefined }> => {
    let response: Response;
    try {
      response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new ProblemError(502, `GitHub cannot be reached (${what}): ${(error as Error).message}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      return { status: response.status, body: undefined };
    }
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new ProblemError(502, `GitHub answered ${what} with something unexpected`);
    return { status: response.status, body: parsed.data };
  };

  return newRouter()
    .openapi(start, async (c) => {
      const { github: settings, endpoints: at } = configured();
      const flow = { state: randomBytes(32).toString('base64url'), verifier: randomBytes(32).toString('base64url'), returnTo: c.req.valid('query').returnTo ?? '/' };
      const url = new URL(at.authorize);
      url.search = new URLSearchParams({
        client_id: settings.clientId,
        redirect_uri: settings.redirectUri,
        scope: SCOPE,
        state: flow.state,
        code_challenge: createHash('sha256').update(flow.verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      flows.set(c, flow);
      return c.redirect(url.href, 302);
    })
    .openapi(callback, async (c) => {
      const { github: settings, endpoints: at } = configured();
      const flow = flows.take(c);
      const query = c.req.valid('query');
      const log = c.get('log');
      const fail = (status: number, reason: string): never => {
        log.warn({ event: 'github_failed', reason }, 'GitHub sign-in failed');
        throw new ProblemError(status, `the GitHub sign-in did not complete: ${reason}`);
      };
      if (!query.state || !sameText(query.state, flow.state)) fail(400, 'the state does not match the sign-in under way in this browser');
      if (query.error) fail(query.error === 'access_denied' ? 403 : 400, `GitHub says ${query.error}${query.error_description ? `: ${query.error_description}` : ''}`);
      if (!query.code) fail(400, 'GitHub sent no code');

      const exchanged = await ask(
        at.token,
        {
          method: 'POST',
          headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Tributary' },
          body: new URLSearchParams({
            client_id: settings.clientId,
            client_secret: settings.clientSecret,
            code: query.code as string,
            redirect_uri: settings.redirectUri,
            code_verifier: flow.verifier,
          }),
        },
        tokenAnswer,
        'the code exchange',
      );
      if (!exchanged.body) return fail(502, `the code exchange answered ${exchanged.status}`);
      // GitHub answers a refused exchange with 200 and an error (bad_verification_code, incorrect_client_credentials…).
      if ('error' in exchanged.body) return fail(400, `GitHub refused the code: ${exchanged.body.error}${exchanged.body.error_description ? ` (${exchanged.body.error_description})` : ''}`);

      const api = { headers: { authorization: `Bearer ${exchanged.body.access_token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'Tributary' } };
      const [account, emails] = await Promise.all([ask(at.user, api, githubUser, 'GET /user'), ask(at.emails, api, githubEmails, 'GET /user/emails')]);
      if (!account.body) return fail(502, `GET /user answered ${account.status}`);
      if (!emails.body) return fail(403, `GitHub did not let Tributary read the account's e-mail addresses (GET /user/emails answered ${emails.status}; the ${SCOPE} scope is needed)`);
      const primary = emails.body.find((entry) => entry.primary);
      const email = primary?.verified ? primary.email : undefined;
      const user = await userForIdentity(
        c,
        { issuer: at.issuer, subject: String(account.body.id), email, name: account.body.name || account.body.login },
        settings.autoProvisionRole,
      );
      await startSession(c, options, user, 'github');
      return c.redirect(flow.returnTo, 302);
    });
}
