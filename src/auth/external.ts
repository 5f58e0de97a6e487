import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { type AppEnv, defineRoute, jsonContent, newRouter, ProblemError } from '../server/http.ts';
import { createSession, csrfTokenOf } from './credentials.ts';
import { type AuthOptions, cookieNames } from './middleware.ts';
import type { Role } from './roles.ts';
import { createUser, findUserByEmail, findUserForOidc, type User } from './users.ts';

/**
 * What sign-in through another site shares, whichever protocol it speaks (OpenID Connect in oidc.ts,
 * GitHub's OAuth in github.ts): the short-lived flow cookie that carries state and PKCE verifier across the
 * round trip, finding (or provisioning) the user the provider vouches for, and the session it ends in.
 */

/** How long a sign-in may take between leaving for the provider and coming back. */
const FLOW_COOKIE_SECONDS = 600;

export const returnToQuery = z.object({
  returnTo: z
    .string()
    .regex(/^\/(?!\/)/, 'must be a path on this site')
    .max(2000)
    .optional()
    .openapi({ description: 'Where to land after signing in (a path here; default /)' }),
});

export const isLoopbackHttp = (url: URL) => url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

/** A flow cookie: HTTP-only, ten minutes, `__Host-` prefixed with secure cookies. */
export function flowCookie<T extends z.ZodType>(options: Pick<AuthOptions, 'secureCookies'>, name: string, schema: T) {
  const cookie = options.secureCookies ? `__Host-tributary_${name}` : `tributary_${name}`;
  return {
    set(c: Context<AppEnv>, flow: z.input<T>) {
      setCookie(c, cookie, Buffer.from(JSON.stringify(flow)).toString('base64url'), {
        path: '/',
        httpOnly: true,
        secure: options.secureCookies,
        // Lax: the provider's redirect back is a top-level navigation from another site, which Lax allows.
        sameSite: 'Lax',
        maxAge: FLOW_COOKIE_SECONDS,
      });
    },
    /** The flow under way in this browser (the cookie is cleared: a callback is good once); refuses when there is none. */
    take(c: Context<AppEnv>): z.output<T> {
      const raw = getCookie(c, cookie);
      deleteCookie(c, cookie, { path: '/', secure: options.secureCookies });
      let parsed: unknown = null;
      try {
        parsed = raw ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) : null;
      } catch {
        parsed = null;
      }
      const flow = schema.safeParse(parsed);
      if (!flow.success) throw new ProblemError(400, 'no sign-in is under way in this browser (or it took more than ten minutes); start again');
      return flow.data;
    },
  };
}

export interface ExternalIdentity {
  /** Whose account it is: an OIDC issuer, or GitHub's address for GitHub. */
  issuer: string;
  /** The account's stable id there (OIDC `sub`, GitHub's numeric user id). */
  subject: string;
  /** An e-mail the provider says is verified; undefined when it gives none. */
  email: string | undefined;
  name: string | undefined;
}

/**
 * The Tributary user behind an external account: the one linked to it, else the one with its verified e-mail
 * (linking it now), else a new one with `autoProvisionRole`, else refused. An account's link is one provider
 * account (users.oidc_issuer, oidc_subject): one already linked elsewhere is refused rather than relinked.
 */
export async function userForIdentity(c: Context<AppEnv>, identity: ExternalIdentity, autoProvisionRole: Role | undefined): Promise<User> {
  const db = c.get('db');
  const { issuer, subject, email } = identity;
  let user = await findUserForOidc(db, issuer, subject, email);
  if (!user && email) {
    const existing = await findUserByEmail(db, email);
    if (existing) throw new ProblemError(403, `the Tributary account of ${email} is linked to another sign-in provider account; sign in with that one, or with a password`);
  }
  if (!user && autoProvisionRole && email) {
    user = await createUser(db, { email, name: identity.name?.trim() || email, role: autoProvisionRole }, { issuer, subject });
  }
  if (!user || user.disabledAt) {
    throw new ProblemError(403, `${email ?? 'this account'} has no Tributary account${email ? '' : ' (the provider gave no verified e-mail)'}; ask an administrator`);
  }
  return user;
}

/** Signs `user` in, as a password sign-in does: the session cookie (HTTP-only) and the readable CSRF cookie. */
export async function startSession(c: Context<AppEnv>, options: Pick<AuthOptions, 'secureCookies'>, user: User, via: string): Promise<void> {
  const names = cookieNames(options);
  const { token, expiresAt } = await createSession(c.get('db'), user.id);
  setCookie(c, names.session, token, { path: '/', secure: options.secureCookies, sameSite: 'Lax', expires: expiresAt, httpOnly: true });
  setCookie(c, names.csrf, csrfTokenOf(token), { path: '/', secure: options.secureCookies, sameSite: 'Lax', expires: expiresAt });
  c.get('log').info({ event: 'login', via, userId: user.id.toString() }, 'signed in');
}

export interface SignInProvider {
  id: 'oidc' | 'github';
  /** For the button: "Sign in with {label}". */
  label: string;
  /** Where the browser goes to start (add `?returnTo=/path`). */
  loginPath: string;
}

const providers = defineRoute('public', {
  method: 'get',
  path: '/auth/providers',
  tags: ['auth'],
  summary: 'How one can sign in here: password, and the configured providers (for the sign-in page)',
  responses: {
    200: jsonContent(
      z
        .object({
          password: z.boolean(),
          providers: z.array(z.object({ id: z.enum(['oidc', 'github']), label: z.string(), loginPath: z.string() })),
        })
        .openapi('SignInProviders'),
      'The ways to sign in',
    ),
  },
});

export function signInProviderRoutes(list: () => SignInProvider[]) {
  return newRouter().openapi(providers, (c) => c.json({ password: true, providers: list() }, 200));
}

/**
 * A sign-in through another site that fails on its way back (state, refusal, unknown account…) ends in the
 * browser, not in a script: for a request that asks for HTML, a page saying why, with a way back, rather
 * than the problem document API clients get. Hono's html template escapes the message.
 */
export function signInFailedPage(message: string) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in failed · Tributary</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1b2733}a{color:#1d5fbf}</style></head>
<body><main><h1>Sign-in failed</h1><p>${message.charAt(0).toUpperCase() + message.slice(1)}.</p>
<p><a href="/">Back to sign in</a></p></main></body></html>`;
}

/** Whether a request is the browser arriving back from another site's sign-in and wants a page. */
export function isSignInCallbackPage(c: Context<AppEnv>): boolean {
  return /\/auth\/[a-z]+\/callback$/.test(c.req.path) && (c.req.header('accept') ?? '').includes('text/html');
}
