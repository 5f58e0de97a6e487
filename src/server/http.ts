import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.ts';
import type { Permission } from '../auth/roles.ts';
import type { Database } from '../db/connection.ts';

/**
 * What every area's routes share: the Hono environment, errors as RFC 9457 problem details, a router
 * that turns validation failures into them, and opaque cursor pagination. src/server/app.ts assembles
 * the areas' routers; the areas import from here.
 */

export interface AppEnv {
  Variables: {
    db: Database;
    principal: Principal;
    log: Logger;
    requestId: string;
  };
}

export const PROBLEM_TYPE = 'application/problem+json';

export interface FieldError {
  field: string;
  in?: string;
  message: string;
}

/** An error to answer as problem+json; handlers throw it, app.onError writes it. */
export class ProblemError extends Error {
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  constructor(status: number, detail: string, options: { errors?: FieldError[]; headers?: Record<string, string> } = {}) {
    super(detail);
    this.status = status;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function problemResponse(c: Context, status: number, detail: string, options: { errors?: FieldError[]; headers?: Record<string, string> } = {}): Response {
  const body = {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance: c.req.path,
    ...(options.errors ? { errors: options.errors } : {}),
  };
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': PROBLEM_TYPE, ...options.headers } });
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), in: z.string().optional(), message: z.string() })).optional(),
  })
  .openapi('Problem');

/** zod issues as `{ field, in, message }`: the field is the dotted path inside the part of the request. */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], where?: string): FieldError[] {
  return issues.map((issue) => {
    let field = issue.path.map(String).join('.');
    // An unknown key is reported on the object holding it; name the key itself.
    if (issue.code === 'unrecognized_keys') field = [field, ...issue.keys].filter(Boolean).join('.');
    return { field: field || '(root)', ...(where ? { in: where } : {}), message: issue.message };
  });
}

/** A router whose validation failures are problem+json naming the field. Every area makes its routes on one. */
export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const errors = fieldErrors(result.error.issues, result.target);
        return problemResponse(c, 400, `invalid ${result.target}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
      }
    },
  });
}

export function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!principal.permissions.has(permission)) {
      if (principal.kind === 'anonymous') {
        throw new ProblemError(401, 'sign in or send an API token (Authorization: Bearer …)', { headers: { 'www-authenticate': 'Bearer' } });
      }
      throw new ProblemError(403, `this needs the "${permission}" permission, which your ${principal.kind === 'token' ? 'token' : 'role'} does not grant`);
    }
    await next();
  };
}

const ERROR_RESPONSES = {
  400: { description: 'Invalid input: `errors` names each field', content: { [PROBLEM_TYPE]: { schema: problemSchema } } },
  401: { description: 'Not signed in', content: { [PROBLEM_TYPE]: { schema: problemSchema } } },
  403: { description: 'Not allowed for this role or token scope, or a failed CSRF check', content: { [PROBLEM_TYPE]: { schema: problemSchema } } },
} as const;

/**
 * A route with the permission it needs: checked before its input is validated (so anonymous callers
 * learn nothing about the input), documented as `x-permission` and with the security schemes.
 */
export function defineRoute<R extends Omit<RouteConfig, 'middleware' | 'security'>>(permission: Permission, config: R) {
  const extra = {
    middleware: requirePermission(permission),
    security: (permission === 'public' ? [] : [{ session: [] }, { bearer: [] }]) as Record<string, string[]>[],
    'x-permission': permission,
  };
  return createRoute({ ...config, ...extra, responses: { ...ERROR_RESPONSES, ...config.responses } } as R & typeof extra & {
    responses: typeof ERROR_RESPONSES & R['responses'];
  });
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

// ——— pagination ———

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'At most this many items (1–200, default 50)' }),
  cursor: z.string().max(500).optional().openapi({ description: 'The `nextCursor` of the previous page' }),
});

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page' }),
    })
    .openapi(name);
}

/**
 * Cursors are the sort key of the last item, base64url-encoded JSON: opaque to clients, stable under
 * inserts (keyset pagination, not offsets), and checked on the way back in.
 */
export function encodeCursor(key: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): (string | number | null)[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === arity && key.every((part) => part === null || ['string', 'number'].includes(typeof part))) return key;
  } catch {}
  throw new ProblemError(400, 'cursor: not a cursor this endpoint gave out', { errors: [{ field: 'cursor', in: 'query', message: 'not a cursor this endpoint gave out' }] });
}

/** Fetch limit + 1 rows; this trims the extra one and makes the cursor from the last kept row. */
export function page<Row, Item>(rows: Row[], limit: number, keyOf: (row: Row) => (string | number | null)[], toItem: (row: Row) => Item) {
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return { items: kept.map(toItem), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

// ——— privacy ———

const EMAIL = /[^\s@<>()"',;:]+@[^\s@<>()"',;:]+/g;

/** Replaces anything shaped like an e-mail address, for callers who may not see them. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, '[e-mail hidden]');
}

/** maskEmails over every string in a JSON-like value. */
export function maskEmailsDeep<T>(value: T): T {
  if (typeof value === 'string') return maskEmails(value) as T;
  if (Array.isArray(value)) return value.map(maskEmailsDeep) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskEmailsDeep(v)])) as T;
  }
  return value;
}

export function canSeeEmails(c: Context<AppEnv>): boolean {
  return c.get('principal').permissions.has('emails');
}

export const idParam = (name: string, description: string) =>
  z
    .string()
    .regex(/^\d{1,19}$/, 'must be a whole number')
    .openapi({ param: { name, in: 'path' }, description });

export const isoTime = (value: Date | null | undefined): string | null => (value ? value.toISOString() : null);
