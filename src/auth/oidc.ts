import { z } from '@hono/zod-openapi';
import * as client from 'openid-client';
import { defineRoute, newRouter, PROBLEM_TYPE, ProblemError, problemSchema } from '../server/http.ts';
import { flowCookie, isLoopbackHttp, returnToQuery, startSession, userForIdentity } from './external.ts';
import type { AuthOptions } from './middleware.ts';
import { isRole, type Role } from './roles.ts';

/**
 * Sign-in through an OpenID Connect provider (GitLab, Keycloak, Google, Entra ID, Authentik…): the
 * authorization code flow with PKCE, state and nonce, through openid-client. The provider's verified
 * e-mail finds the Tributary user (and links the account to the provider's subject on first use);
 * with auto-provisioning on, someone unknown becomes a user with that role, otherwise they are refused.
 */

export interface OidcOptions {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  /** Where the provider sends the browser back: https://tributary.example/api/v1/auth/oidc/callback */
  redirectUri: string;
  scopes?: string | undefined;
  /** The role given to someone the provider vouches for who has no account yet; undefined: refuse them. */
  autoProvisionRole?: Role | undefined;
}

export function oidcOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): OidcOptions | undefined {
  if (!env.TRIBUTARY_OIDC_ISSUER) return undefined;
  const missing = ['TRIBUTARY_OIDC_CLIENT_ID', 'TRIBUTARY_OIDC_REDIRECT_URI'].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`TRIBUTARY_OIDC_ISSUER is set, so ${missing.join(' and ')} must be too`);
  const role = env.TRIBUTARY_OIDC_AUTO_PROVISION;
  if (role && !isRole(role)) throw new Error(`TRIBUTARY_OIDC_AUTO_PROVISION must be a role (viewer, coach, manager, admin), not ${JSON.stringify(role)}`);
  return {
    issuer: env.TRIBUTARY_OIDC_ISSUER,
    clientId: env.TRIBUTARY_OIDC_CLIENT_ID as string,
    clientSecret: env.TRIBUTARY_OIDC_CLIENT_SECRET || undefined,
    redirectUri: env.TRIBUTARY_OIDC_REDIRECT_URI as string,
    scopes: env.TRIBUTARY_OIDC_SCOPES || undefined,
    autoProvisionRole: role ? (role as Role) : undefined,
  };
}

const flowSchema = z.object({ state: z.string(), nonce: z.string(), verifier: z.string(), returnTo: z.string() });

const problem = (description: string) => ({ description, content: { [PROBLEM_TYPE]: { schema: problemSchema } } });

const start = defineRoute('public', {
  method: 'get',
  path: '/auth/oidc/login',
  tags: ['auth'],
  summary: 'Sign in through the configured OpenID Connect provider: redirects there',
  request: { query: returnToQuery },
  responses: { 302: { description: 'To the provider' }, 404: problem('OIDC sign-in is not configured'), 502: problem('The provider cannot be reached') },
});

const callback = defineRoute('public', {
  method: 'get',
  path: '/auth/oidc/callback',
  tags: ['auth'],
  summary: 'Where the provider sends the browser back: sets the session cookie and redirects on',
  request: { query: z.looseObject({ code: z.string().optional(), state: z.string().optional(), iss: z.string().optional(), error: z.string().optional() }) },
  responses: {
    302: { description: 'Signed in: to `returnTo`' },
    403: problem('The provider vouched for someone without an account here'),
    404: problem('OIDC sign-in is not configured'),
  },
});

export function oidcRoutes(options: AuthOptions & { oidc?: OidcOptions | undefined }) {
  const flows = flowCookie(options, 'oidc', flowSchema);
  const oidc = options.oidc;
  let configuration: Promise<client.Configuration> | undefined;
  const configured = () => {
    if (!oidc) throw new ProblemError(404, 'OIDC sign-in is not configured on this server');
    configuration ??= client
      .discovery(new URL(oidc.issuer), oidc.clientId, oidc.clientSecret, undefined, {
        // Plain http only for a provider on this machine (development, tests); anything else must be https.
        execute: isLoopbackHttp(new URL(oidc.issuer)) ? [client.allowInsecureRequests] : [],
      })
      .catch((error) => {
        configuration = undefined;
        throw new ProblemError(502, `the OIDC provider ${oidc.issuer} cannot be reached: ${(error as Error).message}`);
      });
    return { oidc, configuration };
  };

  return newRouter()
    .openapi(start, async (c) => {
      const { oidc: settings, configuration: pending } = configured();
      const config = await pending;
      const flow = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier(), returnTo: c.req.valid('query').returnTo ?? '/' };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: settings.scopes ?? 'openid email profile',
        code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      });
      flows.set(c, flow);
      return c.redirect(url.href, 302);
    })
    .openapi(callback, async (c) => {
      const { oidc: settings, configuration: pending } = configured();
      const config = await pending;
      const flow = flows.take(c);
      // The URL the provider redirected to, as registered: behind a proxy the request's own URL may differ.
      const current = new URL(settings.redirectUri);
      current.search = new URL(c.req.url).search;
      let claims: client.IDToken | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (error) {
        c.get('log').warn({ event: 'oidc_failed', reason: (error as Error).message }, 'OIDC sign-in failed');
        throw new ProblemError(400, `the OIDC sign-in did not complete: ${(error as Error).message}`);
      }
      if (!claims) throw new ProblemError(400, 'the provider sent no ID token');
      const email = typeof claims.email === 'string' && claims.email_verified !== false ? claims.email : undefined;
      const name = typeof claims.name === 'string' ? claims.name : undefined;
      const user = await userForIdentity(c, { issuer: claims.iss, subject: claims.sub, email, name }, settings.autoProvisionRole);
      await startSession(c, options, user, 'oidc');
      return c.redirect(flow.returnTo, 302);
    });
}
