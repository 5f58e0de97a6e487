import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { type AppEnv, ProblemError } from '../server/http.ts';
import { csrfTokenMatches, findApiToken, findSession } from './credentials.ts';
import type { Principal } from './principal.ts';
import { forwardedClient, type TrustedProxies } from './proxies.ts';
import { ANONYMOUS_PERMISSIONS, permissionsOf } from './roles.ts';

export interface AuthOptions {
  /** Secure cookies (the default); off only for plain-http development on loopback. */
  secureCookies: boolean;
  /** Origins besides the server's own that may send unsafe requests with a session cookie (e.g. the web app's dev server). */
  allowedOrigins: readonly string[];
  /** Reverse proxies whose X-Forwarded-For gives the client's address (src/auth/proxies.ts); none by default. */
  trustedProxies?: TrustedProxies | undefined;
}

export const CSRF_HEADER = 'x-csrf-token';

/**
 * `__Host-` cookies are sent only to this host, over HTTPS, for path /: no subdomain can set or read
 * them. Browsers refuse the prefix without Secure, so plain-http development uses the bare name.
 */
export function cookieNames(options: Pick<AuthOptions, 'secureCookies'>) {
  return options.secureCookies
    ? { session: '__Host-tributary_session', csrf: '__Host-tributary_csrf' }
    : { session: 'tributary_session', csrf: 'tributary_csrf' };
}

/** Finds the principal: a Bearer token (which must be valid), else a session cookie, else anonymous. */
export function authenticate(options: AuthOptions): MiddlewareHandler<AppEnv> {
  const names = cookieNames(options);
  return async (c, next) => {
    const db = c.get('db');
    const authorization = c.req.header('authorization');
    let principal: Principal = { kind: 'anonymous', permissions: ANONYMOUS_PERMISSIONS };
    if (authorization !== undefined) {
      const [scheme, token] = authorization.split(' ');
      const found = scheme?.toLowerCase() === 'bearer' && token ? await findApiToken(db, token) : undefined;
      if (!found) throw new ProblemError(401, 'the API token is not valid (unknown, revoked or expired)', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
      principal = {
        kind: 'token',
        user: found.user,
        role: found.user.role,
        tokenId: found.token.id,
        tokenPrefix: found.token.prefix,
        scopes: found.token.scopes,
        permissions: permissionsOf(found.user.role, found.token.scopes),
      };
    } else {
      const token = getCookie(c, names.session);
      const found = token ? await findSession(db, token) : undefined;
      if (found && token) {
        principal = {
          kind: 'session',
          user: found.user,
          role: found.user.role,
          sessionId: found.sessionId,
          sessionToken: token,
          permissions: permissionsOf(found.user.role),
        };
      }
    }
    c.set('principal', principal);
    await next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery: a browser attaches cookies to requests another site makes. For unsafe
 * methods not carrying a Bearer token: the Origin (when the browser sends one) must be ours, and with
 * a session cookie the X-CSRF-Token header must hold the session's CSRF token, which only our own pages
 * can read (from the login response or the tributary_csrf cookie).
 */
export function csrfProtection(options: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const principal = c.get('principal');
    if (principal.kind === 'token') return next();
    const origin = c.req.header('origin');
    if (origin !== undefined && !originAllowed(c, origin, options)) throw new ProblemError(403, `CSRF check failed: origin ${origin} may not send this request`);
    if (origin === undefined && c.req.header('sec-fetch-site') === 'cross-site') throw new ProblemError(403, 'CSRF check failed: a cross-site request');
    if (principal.kind === 'session') {
      const given = c.req.header(CSRF_HEADER);
      if (!given || !csrfTokenMatches(principal.sessionToken, given)) {
        throw new ProblemError(403, `CSRF check failed: send the session's CSRF token in the ${CSRF_HEADER} header`);
      }
    }
    await next();
  };
}

function originAllowed(c: Context, origin: string, options: AuthOptions): boolean {
  return origin === new URL(c.req.url).origin || options.allowedOrigins.includes(origin);
}

/**
 * The client's address for rate limits: the socket's peer, unless that is one of `trustedProxies`; then the
 * rightmost address in X-Forwarded-For that is not a trusted proxy. Without trusted proxies the header is ignored.
 */
export function clientAddress(c: Context, trustedProxies?: TrustedProxies): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  const peer = incoming?.socket?.remoteAddress;
  if (peer === undefined) return 'unknown';
  return forwardedClient(peer, c.req.header('x-forwarded-for'), trustedProxies);
}
