import { z } from '@hono/zod-openapi';
import { deleteCookie, setCookie } from 'hono/cookie';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { defineRoute, idParam, isoTime, jsonContent, newRouter, PROBLEM_TYPE, ProblemError, problemSchema } from '../server/http.ts';
import { type ApiToken, createApiToken, createSession, csrfTokenOf, listApiTokens, revokeApiToken, revokeSession } from './credentials.ts';
import { type AuthOptions, clientAddress, cookieNames } from './middleware.ts';
import { generatePassword, verifyNothing, verifyPassword } from './passwords.ts';
import { PERMISSIONS, ROLES, SCOPES } from './roles.ts';
import { type AuthError, createUser, findUserByEmail, listUsers, type User, updateUser } from './users.ts';

/** Failed logins allowed per address and per account in the window before answering 429. */
export const LOGIN_FAILURES_ALLOWED = 5;
const LOGIN_WINDOW_SECONDS = 15 * 60;

const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    createdAt: z.string(),
    disabledAt: z.string().nullable(),
  })
  .openapi('User');

const tokenSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiToken');

const toUser = (user: User) => ({
  id: user.id.toString(),
  email: user.email,
  name: user.name,
  role: user.role,
  createdAt: user.createdAt.toISOString(),
  disabledAt: isoTime(user.disabledAt),
});

const toToken = (token: ApiToken) => ({
  id: token.id.toString(),
  userId: token.userId.toString(),
  name: token.name,
  prefix: token.prefix,
  scopes: token.scopes,
  createdAt: token.createdAt.toISOString(),
  expiresAt: isoTime(token.expiresAt),
  lastUsedAt: isoTime(token.lastUsedAt),
  revokedAt: isoTime(token.revokedAt),
});

const problem = (description: string) => ({ description, content: { [PROBLEM_TYPE]: { schema: problemSchema } } });

const login = defineRoute('public', {
  method: 'post',
  path: '/auth/login',
  tags: ['auth'],
  summary: 'Sign in with e-mail and password: sets the session cookie and returns the CSRF token',
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: z.strictObject({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) }) } },
    },
  },
  responses: {
    200: jsonContent(
      z.object({ user: userSchema, csrfToken: z.string(), expiresAt: z.string() }).openapi('LoginResult'),
      'Signed in; send csrfToken as X-CSRF-Token with every unsafe request',
    ),
    429: problem('Too many failed attempts from this address or for this account; see Retry-After'),
  },
});

const logout = defineRoute('public', {
  method: 'post',
  path: '/auth/logout',
  tags: ['auth'],
  summary: 'Sign out: revokes the session and clears its cookies',
  responses: { 204: { description: 'Signed out (also when not signed in)' } },
});

const me = defineRoute('public', {
  method: 'get',
  path: '/auth/me',
  tags: ['auth'],
  summary: 'Who is asking, and what they may do',
  responses: {
    200: jsonContent(
      z
        .object({
          authenticated: z.boolean(),
          via: z.enum(['session', 'token']).nullable(),
          user: z.object({ id: z.string(), name: z.string(), email: z.string(), role: z.enum(ROLES) }).nullable(),
          permissions: z.array(z.enum(PERMISSIONS)),
          csrfToken: z.string().nullable(),
        })
        .openapi('Me'),
      'The caller',
    ),
  },
});

const usersList = defineRoute('admin', {
  method: 'get',
  path: '/users',
  tags: ['users'],
  summary: 'Every user',
  responses: { 200: jsonContent(z.object({ items: z.array(userSchema) }), 'The users') },
});

const usersCreate = defineRoute('admin', {
  method: 'post',
  path: '/users',
  tags: ['users'],
  summary: 'Add a user; without a password one is generated and returned once',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({
            email: z.email().max(320),
            name: z.string().trim().min(1).max(200),
            role: z.enum(ROLES),
            password: z.string().min(12).max(1024).optional(),
          }),
        },
      },
    },
  },
  responses: {
    201: jsonContent(z.object({ user: userSchema, generatedPassword: z.string().nullable() }), 'Created'),
    409: problem('A user with this e-mail exists'),
  },
});

const usersUpdate = defineRoute('admin', {
  method: 'patch',
  path: '/users/{id}',
  tags: ['users'],
  summary: "Change a user's name or role, or disable (ending their sessions and tokens) or enable them",
  request: {
    params: z.object({ id: idParam('id', 'The user id') }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              name: z.string().trim().min(1).max(200).optional(),
              role: z.enum(ROLES).optional(),
              disabled: z.boolean().optional(),
            })
            .refine((change) => Object.values(change).some((v) => v !== undefined), 'name, role or disabled'),
        },
      },
    },
  },
  responses: {
    200: jsonContent(userSchema, 'The user as changed'),
    404: problem('No such user'),
    409: problem('You cannot disable or demote yourself, nor leave no enabled admin'),
  },
});

const tokenCreateBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  scopes: z.array(z.enum(SCOPES)).min(1),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

const ownTokensList = defineRoute('account', {
  method: 'get',
  path: '/account/tokens',
  tags: ['account'],
  summary: 'Your API tokens, revoked and expired ones included (never the secret)',
  responses: { 200: jsonContent(z.object({ items: z.array(tokenSchema) }), 'Your tokens, newest first') },
});

const ownTokensCreate = defineRoute('account', {
  method: 'post',
  path: '/account/tokens',
  tags: ['account'],
  summary: 'Make an API token for yourself; the secret is in this response only. It acts within both its scopes and your role',
  request: { body: { required: true, content: { 'application/json': { schema: tokenCreateBody } } } },
  responses: { 201: jsonContent(z.object({ token: z.string(), record: tokenSchema }), 'Created: keep `token`, it is not shown again') },
});

const ownTokensRevoke = defineRoute('account', {
  method: 'delete',
  path: '/account/tokens/{id}',
  tags: ['account'],
  summary: 'Revoke one of your API tokens',
  request: { params: z.object({ id: idParam('id', 'The token id') }) },
  responses: { 200: jsonContent(tokenSchema, 'Revoked'), 404: problem('You have no such active token') },
});

const tokensList = defineRoute('admin', {
  method: 'get',
  path: '/tokens',
  tags: ['tokens'],
  summary: 'Every API token (never the secret)',
  responses: { 200: jsonContent(z.object({ items: z.array(tokenSchema) }), 'The tokens') },
});

const tokensCreate = defineRoute('admin', {
  method: 'post',
  path: '/tokens',
  tags: ['tokens'],
  summary: 'Make an API token for yourself; the secret is in this response only',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({
            name: z.string().trim().min(1).max(200),
            scopes: z.array(z.enum(SCOPES)).min(1),
            expiresInDays: z.number().int().min(1).max(3650).optional(),
          }),
        },
      },
    },
  },
  responses: { 201: jsonContent(z.object({ token: z.string(), record: tokenSchema }), 'Created: keep `token`, it is not shown again') },
});

const tokensRevoke = defineRoute('admin', {
  method: 'delete',
  path: '/tokens/{id}',
  tags: ['tokens'],
  summary: 'Revoke an API token',
  request: { params: z.object({ id: idParam('id', 'The token id') }) },
  responses: { 200: jsonContent(tokenSchema, 'Revoked'), 404: problem('No such active token') },
});

export function authRoutes(options: AuthOptions) {
  const names = cookieNames(options);
  // In memory, per process: enough for one server; a scaled-out deployment needs a shared store (e.g.
  // rate-limiter-flexible's PostgreSQL limiter) so attempts spread over processes still add up.
  const failures = new RateLimiterMemory({ points: LOGIN_FAILURES_ALLOWED, duration: LOGIN_WINDOW_SECONDS });

  const refuseWhenLimited = async (keys: string[]) => {
    for (const key of keys) {
      const state = await failures.get(key);
      if (state && state.consumedPoints >= LOGIN_FAILURES_ALLOWED) {
        const seconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
        throw new ProblemError(429, `too many failed sign-ins; try again in ${seconds} s`, { headers: { 'retry-after': String(seconds) } });
      }
    }
  };

  const cookieOptions = (expires: Date) => ({ path: '/', secure: options.secureCookies, sameSite: 'Lax' as const, expires });

  const router = newRouter()
    .openapi(login, async (c) => {
      const { email, password } = c.req.valid('json');
      const keys = [`ip:${clientAddress(c, options.trustedProxies)}`, `account:${email.trim().toLowerCase()}`];
      await refuseWhenLimited(keys);
      const db = c.get('db');
      const user = await findUserByEmail(db, email.trim());
      const valid = user?.passwordHash && !user.disabledAt ? await verifyPassword(password, user.passwordHash) : await verifyNothing(password);
      if (!valid || !user) {
        for (const key of keys) await failures.penalty(key, 1);
        c.get('log').info({ event: 'login_failed' }, 'failed sign-in');
        throw new ProblemError(401, 'e-mail or password is wrong');
      }
      await failures.delete(keys[1] as string);
      const { token, expiresAt } = await createSession(db, user.id);
      const csrfToken = csrfTokenOf(token);
      setCookie(c, names.session, token, { ...cookieOptions(expiresAt), httpOnly: true });
      // Readable by our own pages (not HttpOnly), so a reloaded web app finds its CSRF token again.
      setCookie(c, names.csrf, csrfToken, cookieOptions(expiresAt));
      c.get('log').info({ event: 'login', userId: user.id.toString() }, 'signed in');
      const { passwordHash: _hash, ...rest } = user;
      return c.json({ user: toUser(rest), csrfToken, expiresAt: expiresAt.toISOString() }, 200);
    })
    .openapi(logout, async (c) => {
      const principal = c.get('principal');
      if (principal.kind === 'session') await revokeSession(c.get('db'), principal.sessionId);
      deleteCookie(c, names.session, { path: '/', secure: options.secureCookies });
      deleteCookie(c, names.csrf, { path: '/', secure: options.secureCookies });
      return c.body(null, 204);
    })
    .openapi(me, (c) => {
      const principal = c.get('principal');
      const permissions = PERMISSIONS.filter((p) => principal.permissions.has(p));
      if (principal.kind === 'anonymous') return c.json({ authenticated: false, via: null, user: null, permissions, csrfToken: null }, 200);
      const { user } = principal;
      return c.json(
        {
          authenticated: true,
          via: principal.kind,
          user: { id: user.id.toString(), name: user.name, email: user.email, role: user.role },
          permissions,
          csrfToken: principal.kind === 'session' ? csrfTokenOf(principal.sessionToken) : null,
        },
        200,
      );
    })
    .openapi(usersList, async (c) => c.json({ items: (await listUsers(c.get('db'))).map(toUser) }, 200))
    .openapi(usersCreate, async (c) => {
      const input = c.req.valid('json');
      const generatedPassword = input.password === undefined ? generatePassword() : null;
      const user = await createUser(c.get('db'), { ...input, password: input.password ?? (generatedPassword as string) });
      return c.json({ user: toUser(user), generatedPassword }, 201);
    })
    .openapi(usersUpdate, async (c) => {
      const principal = c.get('principal');
      const actorId = principal.kind === 'anonymous' ? undefined : principal.user.id;
      const user = await updateUser(c.get('db'), BigInt(c.req.valid('param').id), c.req.valid('json'), actorId);
      c.get('log').info({ event: 'user_changed', userId: user.id.toString(), change: Object.keys(c.req.valid('json')) }, 'user changed');
      return c.json(toUser(user), 200);
    })
    .openapi(ownTokensList, async (c) => {
      const principal = c.get('principal');
      if (principal.kind === 'anonymous') throw new ProblemError(401, 'sign in first');
      const tokens = await listApiTokens(c.get('db'), principal.user.id);
      return c.json({ items: tokens.reverse().map(toToken) }, 200);
    })
    .openapi(ownTokensCreate, async (c) => {
      const input = c.req.valid('json');
      const principal = c.get('principal');
      if (principal.kind === 'anonymous') throw new ProblemError(401, 'sign in first');
      // The admin scope grants nothing more than the role to anyone else: refuse it rather than mislead.
      if (input.scopes.includes('admin') && principal.user.role !== 'admin') {
        throw new ProblemError(400, 'scopes: the admin scope needs the admin role', { errors: [{ field: 'scopes', in: 'json', message: 'the admin scope needs the admin role' }] });
      }
      const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : undefined;
      const { token, record } = await createApiToken(c.get('db'), { userId: principal.user.id, name: input.name, scopes: input.scopes, expiresAt });
      c.get('log').info({ event: 'token_created', tokenId: record.id.toString() }, 'API token created');
      return c.json({ token, record: toToken(record) }, 201);
    })
    .openapi(ownTokensRevoke, async (c) => {
      const principal = c.get('principal');
      if (principal.kind === 'anonymous') throw new ProblemError(401, 'sign in first');
      const record = await revokeApiToken(c.get('db'), c.req.valid('param').id, principal.user.id);
      c.get('log').info({ event: 'token_revoked', tokenId: record.id.toString() }, 'API token revoked');
      return c.json(toToken(record), 200);
    })
    .openapi(tokensList, async (c) => c.json({ items: (await listApiTokens(c.get('db'))).map(toToken) }, 200))
    .openapi(tokensCreate, async (c) => {
      const input = c.req.valid('json');
      const principal = c.get('principal');
      if (principal.kind === 'anonymous') throw new ProblemError(401, 'sign in first');
      const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : undefined;
      const { token, record } = await createApiToken(c.get('db'), { userId: principal.user.id, name: input.name, scopes: input.scopes, expiresAt });
      return c.json({ token, record: toToken(record) }, 201);
    })
    .openapi(tokensRevoke, async (c) => c.json(toToken(await revokeApiToken(c.get('db'), c.req.valid('param').id)), 200));
  return router;
}

/** AuthError → problem details (used by the server's error handler). */
export function authProblem(error: AuthError): ProblemError {
  const status = error.code === 'conflict' ? 409 : error.code === 'not_found' ? 404 : 400;
  return new ProblemError(status, error.message, error.field ? { errors: [{ field: error.field, message: error.message }] } : {});
}

