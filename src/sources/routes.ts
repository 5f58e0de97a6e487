import { z } from '@hono/zod-openapi';
import { actorOf } from '../auth/principal.ts';
import { canSeeEmails, defineRoute, isoTime, jsonContent, maskEmails, newRouter, PROBLEM_TYPE, ProblemError, problemSchema } from '../server/http.ts';

/**
 * Sources over HTTP: where each sync stands, and "sync now". The request is recorded (sync_requests)
 * for the background worker to run; the API never syncs inside a request.
 */

const syncRequestSchema = z
  .object({ id: z.string(), source: z.string(), requestedBy: z.string(), requestedAt: z.string(), startedAt: z.string().nullable(), finishedAt: z.string().nullable() })
  .openapi('SyncRequest');

const sourceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    createdAt: z.string(),
    lastStartedAt: z.string().nullable(),
    lastFinishedAt: z.string().nullable(),
    lastError: z.string().nullable(),
    lastStats: z.record(z.string(), z.unknown()).nullable(),
    pendingSync: z.object({ id: z.string(), requestedAt: z.string() }).nullable(),
  })
  .openapi('Source');

const list = defineRoute('read', {
  method: 'get',
  path: '/sources',
  tags: ['sources'],
  summary: 'Every source with its last sync, its last error and any waiting "sync now"',
  responses: { 200: jsonContent(z.object({ items: z.array(sourceSchema) }), 'The sources') },
});

const syncNow = defineRoute('sources:sync', {
  method: 'post',
  path: '/sources/{name}/sync',
  tags: ['sources'],
  summary: 'Ask for a sync now: recorded for the worker; asking again while one waits returns the waiting request',
  request: { params: z.object({ name: z.string().min(1).openapi({ param: { name: 'name', in: 'path' }, description: 'The source name' }) }) },
  responses: {
    202: jsonContent(syncRequestSchema, 'Recorded; the worker will run it'),
    404: { description: 'No such source', content: { [PROBLEM_TYPE]: { schema: problemSchema } } },
  },
});

export function sourceRoutes() {
  return newRouter()
    .openapi(list, async (c) => {
      const rows = await c.get('db').query<{
        id: bigint;
        name: string;
        kind: string;
        created_at: Date;
        last_started_at: Date | null;
        last_finished_at: Date | null;
        last_error: string | null;
        last_stats: Record<string, unknown> | null;
        pending_id: bigint | null;
        pending_at: Date | null;
      }>(
        `SELECT s.id, s.name, s.kind::text AS kind, s.created_at, s.last_started_at, s.last_finished_at, s.last_error, s.last_stats,
                r.id AS pending_id, r.requested_at AS pending_at
           FROM sources s LEFT JOIN sync_requests r ON r.source_id = s.id AND r.started_at IS NULL
          ORDER BY s.name`,
      );
      const emails = canSeeEmails(c);
      return c.json(
        {
          items: rows.map((r) => ({
            id: r.id.toString(),
            name: r.name,
            kind: r.kind,
            createdAt: r.created_at.toISOString(),
            lastStartedAt: isoTime(r.last_started_at),
            lastFinishedAt: isoTime(r.last_finished_at),
            lastError: r.last_error === null || emails ? r.last_error : maskEmails(r.last_error),
            lastStats: r.last_stats,
            pendingSync: r.pending_id === null ? null : { id: r.pending_id.toString(), requestedAt: (r.pending_at as Date).toISOString() },
          })),
        },
        200,
      );
    })
    .openapi(syncNow, async (c) => {
      const { name } = c.req.valid('param');
      const db = c.get('db');
      const request = await db.transaction(async (tx) => {
        const [source] = await tx.query<{ id: bigint }>('SELECT id FROM sources WHERE name = $1', [name]);
        if (!source) throw new ProblemError(404, `no source named ${JSON.stringify(name)}`);
        await tx.query('INSERT INTO sync_requests (source_id, requested_by) VALUES ($1, $2) ON CONFLICT (source_id) WHERE started_at IS NULL DO NOTHING', [
          source.id.toString(),
          actorOf(c.get('principal')),
        ]);
        const [row] = await tx.query<{ id: bigint; requested_by: string; requested_at: Date; started_at: Date | null; finished_at: Date | null }>(
          'SELECT id, requested_by, requested_at, started_at, finished_at FROM sync_requests WHERE source_id = $1 AND started_at IS NULL',
          [source.id.toString()],
        );
        return row as NonNullable<typeof row>;
      });
      return c.json(
        {
          id: request.id.toString(),
          source: name,
          requestedBy: canSeeEmails(c) ? request.requested_by : maskEmails(request.requested_by),
          requestedAt: request.requested_at.toISOString(),
          startedAt: isoTime(request.started_at),
          finishedAt: isoTime(request.finished_at),
        },
        202,
      );
    });
}
