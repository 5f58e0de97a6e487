import { randomUUID } from 'node:crypto';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { isSignInCallbackPage, type SignInProvider, signInFailedPage, signInProviderRoutes } from '../auth/external.ts';
import { type GithubOptions, githubRoutes } from '../auth/github.ts';
import { type AuthOptions, authenticate, csrfProtection } from '../auth/middleware.ts';
import { type OidcOptions, oidcRoutes } from '../auth/oidc.ts';
import { authProblem, authRoutes } from '../auth/routes.ts';
import { AuthError } from '../auth/users.ts';
import { contributionRoutes } from '../contributions/routes.ts';
import type { Database } from '../db/connection.ts';
import { kpiRoutes } from '../metrics/routes.ts';
import { KpiError } from '../metrics/run.ts';
import { PeopleError } from '../people/index.ts';
import { peopleRoutes } from '../people/routes.ts';
import { SettingsError } from '../settings/index.ts';
import { SourceError } from '../sources/contract.ts';
import { sourceRoutes } from '../sources/routes.ts';
import type { Enqueue } from '../worker/index.ts';
import { docsPage } from './docs.ts';
import { type AppEnv, defineRoute, jsonContent, newRouter, ProblemError, problemResponse } from './http.ts';
import { webApp } from './web.ts';

export interface AppOptions extends AuthOptions {
  db: Database;
  logger: Logger;
  /** OpenID Connect sign-in; without it the OIDC routes answer 404. */
  oidc?: OidcOptions | undefined;
  /** Sign-in with GitHub (OAuth); without it the GitHub routes answer 404. */
  github?: GithubOptions | undefined;
  /** A registry of its own per app, so two apps in one process (tests) do not share counters. */
  registry?: Registry;
  /** The built web app (default dist/web); served for every GET outside /api, /healthz and /metrics. */
  webRoot?: string;
  /** The background worker's queue (src/worker): changes the KPI rollups must follow ask it for a refresh. */
  enqueue?: Enqueue | undefined;
}

export const API_PREFIX = '/api/v1';
export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

/**
 * The whole HTTP application: middleware (request id, logs, metrics, authentication, CSRF), the areas'
 * routes under /api/v1, health and metrics, the OpenAPI document and its docs page. Areas own their
 * routes (src/<area>/routes.ts); this file only assembles them.
 */
export function createApp(options: AppOptions) {
  const { db, logger } = options;
  const registry = options.registry ?? new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const app = new OpenAPIHono<AppEnv>();

  app.use('*', async (c, next) => {
    const started = performance.now();
    const requestId = randomUUID();
    c.set('db', db);
    c.set('requestId', requestId);
    c.set('log', logger.child({ requestId }));
    await next();
    c.header('x-request-id', requestId);
    const seconds = (performance.now() - started) / 1000;
    // The route pattern, not the path: /contributors/:id is one series, whatever the id.
    const route = routePath(c, -1) || 'unmatched';
    const labels = { method: c.req.method, route: route === '/*' || route === '*' ? 'unmatched' : route, status: String(c.res.status) };
    requests.inc(labels);
    durations.observe(labels, seconds);
    const principal = c.var.principal;
    // Method, path, status and who: never headers, cookies, query strings or bodies, where secrets travel.
    logger.info(
      {
        requestId,
        method: c.req.method,
        path: c.req.path,
        route: labels.route,
        status: c.res.status,
        ms: Math.round(seconds * 10_000) / 10,
        ...(principal && principal.kind !== 'anonymous' ? { userId: principal.user.id.toString(), via: principal.kind } : {}),
      },
      'request',
    );
  });
  app.use('*', secureHeaders());
  // Nothing the API accepts comes near this; a larger body is refused before it is read.
  app.use('/api/*', bodyLimit({ maxSize: 1024 * 1024, onError: (c) => problemResponse(c, 413, 'the request body is larger than 1 MB') }));
  app.use('*', authenticate(options));
  app.use('*', csrfProtection(options));

  const health = defineRoute('public', {
    method: 'get',
    path: '/healthz',
    tags: ['operations'],
    summary: 'Whether the server can reach its database',
    responses: {
      200: jsonContent(z.object({ status: z.literal('ok'), database: z.literal('ok') }), 'Healthy'),
      503: jsonContent(z.object({ status: z.literal('unavailable'), database: z.string() }), 'The database does not answer'),
    },
  });
  const metrics = defineRoute('public', {
    method: 'get',
    path: '/metrics',
    tags: ['operations'],
    summary: 'Prometheus metrics: requests and durations by route and status, process figures',
    responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } } },
  });

  const operations = newRouter()
    .openapi(health, async (c) => {
      try {
        await c.get('db').query('SELECT 1');
        return c.json({ status: 'ok' as const, database: 'ok' as const }, 200);
      } catch (error) {
        c.get('log').error({ err: error }, 'health check failed');
        return c.json({ status: 'unavailable' as const, database: 'unreachable' }, 503);
      }
    })
    .openapi(metrics, async (c) => {
      return c.text(await registry.metrics(), 200, { 'content-type': registry.contentType });
    });

  app.route('/', operations);
  app.route(API_PREFIX, authRoutes(options));
  app.route(API_PREFIX, oidcRoutes(options));
  app.route(API_PREFIX, githubRoutes(options));
  app.route(
    API_PREFIX,
    signInProviderRoutes(() => {
      const providers: SignInProvider[] = [];
      if (options.oidc) providers.push({ id: 'oidc', label: URL.parse(options.oidc.issuer)?.host || 'single sign-on', loginPath: `${API_PREFIX}/auth/oidc/login` });
      if (options.github) providers.push({ id: 'github', label: 'GitHub', loginPath: `${API_PREFIX}/auth/github/login` });
      return providers;
    }),
  );
  app.route(API_PREFIX, kpiRoutes());
  app.route(API_PREFIX, peopleRoutes({ enqueue: options.enqueue }));
  app.route(API_PREFIX, contributionRoutes());
  app.route(API_PREFIX, sourceRoutes());

  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: options.secureCookies ? '__Host-tributary_session' : 'tributary_session',
    description: 'Set by POST /api/v1/auth/login. Unsafe methods also need the X-CSRF-Token header.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (`tributary tokens create`), scoped read, write or admin.',
  });
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'Tributary API',
      version: '1.0.0',
      description:
        'Errors are RFC 9457 problem details (application/problem+json); validation errors name each field in `errors`. ' +
        'Lists are paginated with `?limit=&cursor=` and answer `{ items, nextCursor }`. ' +
        'Each operation’s `x-permission` names the permission it needs (docs/server.md lists which roles and scopes grant it).',
    },
  });
  app.get(DOCS_PATH, (c) => c.html(docsPage(OPENAPI_PATH)));

  // What no route takes is the web app's (a GET outside /api, /healthz and /metrics); it stays out of the
  // route table and the OpenAPI document, and unknown /api paths still get a problem document.
  const web = webApp(options.webRoot);
  app.notFound(async (c) => (await web(c)) ?? problemResponse(c, 404, `no route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    if ((error instanceof ProblemError || error instanceof AuthError) && isSignInCallbackPage(c)) {
      const status = error instanceof ProblemError ? error.status : authProblem(error).status;
      return c.html(signInFailedPage(error.message), status as 400);
    }
    if (error instanceof ProblemError) return problemResponse(c, error.status, error.message, { errors: error.errors, headers: error.headers });
    if (error instanceof AuthError) {
      const problem = authProblem(error);
      return problemResponse(c, problem.status, problem.message, { errors: problem.errors });
    }
    if (error instanceof KpiError || error instanceof SettingsError || error instanceof SourceError) {
      // Their messages start with the field at fault: "from: …", "projects: …".
      const field = /^([a-z][\w.]*): /i.exec(error.message)?.[1];
      return problemResponse(c, 400, error.message, field ? { errors: [{ field, message: error.message.slice(field.length + 2) }] } : {});
    }
    if (error instanceof PeopleError) {
      const status = { not_found: 404, ambiguous: 409, conflict: 409, invalid: 400 }[error.code];
      return problemResponse(c, status, error.message);
    }
    if (error instanceof HTTPException) {
      // Hono's own: a body that is not JSON, for one.
      return problemResponse(c, error.status, error.message || 'bad request');
    }
    c.get('log')?.error({ err: error }, 'unhandled error');
    return problemResponse(c, 500, 'something went wrong on our side; the log has the details');
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
