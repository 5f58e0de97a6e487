import { z } from '@hono/zod-openapi';
import { canSeeEmails, decodeCursor, defineRoute, isoTime, jsonContent, maskEmailsDeep, newRouter, page, pageQuerySchema, pageSchema } from '../server/http.ts';

/**
 * Merge requests over HTTP: the community, open and idle views a coach works from. Reads the MR rollup
 * (kpi_merge_requests: the author's canonical person and class at contribution time) joined to the MR
 * for its title and dates.
 */

const mergeRequestSchema = z
  .object({
    id: z.string(),
    project: z.string(),
    number: z.number().int(),
    title: z.string(),
    state: z.string(),
    class: z.string().nullable().openapi({ description: "The author's class when they contributed: community, team or bot" }),
    author: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    organisation: z.string().nullable(),
    labels: z.array(z.string()),
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
    mergedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    webUrl: z.string().nullable(),
  })
  .openapi('MergeRequest');

const flag = z.enum(['true', 'false']).optional();

const list = defineRoute('read', {
  method: 'get',
  path: '/merge-requests',
  tags: ['merge requests'],
  summary: 'Merge requests, newest first, filtered: community, open, idle, by project or author',
  request: {
    query: pageQuerySchema.extend({
      community: flag.openapi({ description: 'Only MRs by the wider community (true) or by anyone else (false)' }),
      state: z.enum(['open', 'merged', 'closed']).optional(),
      idle: flag.openapi({ description: 'Only open MRs without an update for `idleDays` days' }),
      idleDays: z.coerce.number().int().min(1).max(3650).default(14),
      project: z.string().min(1).optional().openapi({ description: 'A project path, e.g. acme/platform' }),
      author: z
        .string()
        .regex(/^\d{1,19}$/, 'must be a person id')
        .optional()
        .openapi({ description: 'A person id: their MRs, merged identities included' }),
    }),
  },
  responses: { 200: jsonContent(pageSchema(mergeRequestSchema, 'MergeRequestPage'), 'A page of merge requests') },
});

export function contributionRoutes() {
  return newRouter().openapi(list, async (c) => {
    const query = c.req.valid('query');
    const after = decodeCursor(query.cursor, 2);
    const rows = await c.get('db').query<{
      id: bigint;
      project: string;
      number: number;
      title: string;
      state: string;
      class: string | null;
      author_id: bigint | null;
      author_name: string | null;
      organisation: string | null;
      labels: string[];
      created_at: Date | null;
      updated_at: Date | null;
      merged_at: Date | null;
      closed_at: Date | null;
      web_url: string | null;
      sort: Date;
    }>(
      // The page is chosen from the narrow rollup alone (a top-N sort of ids), and only its rows are joined
      // for titles and names: joining first made the unfiltered list sort every MR's wide row.
      `WITH page AS MATERIALIZED (
         SELECT f.merge_request_id, coalesce(f.contributed_at, 'epoch'::timestamptz) AS sort
           FROM kpi_merge_requests f
          WHERE ($1::boolean IS NULL OR (f.class = 'community') = $1)
            AND ($2::text IS NULL OR ($2 = 'open' AND f.open_until = 'infinity') OR ($2 = 'merged' AND f.merged_at IS NOT NULL) OR ($2 = 'closed' AND f.closed_at IS NOT NULL))
            AND ($3::boolean IS NOT TRUE OR (f.open_until = 'infinity' AND EXISTS (
                  SELECT 1 FROM merge_requests m WHERE m.id = f.merge_request_id AND coalesce(m.updated_at, f.created_at) < now() - make_interval(days => $4::int))))
            AND ($5::text IS NULL OR f.project_id IN (SELECT id FROM projects WHERE path = $5))
            AND ($6::int8 IS NULL OR f.canonical_id = (SELECT canonical_id FROM kpi_canonical WHERE person_id = $6::int8))
            AND ($7::timestamptz IS NULL OR (coalesce(f.contributed_at, 'epoch'::timestamptz), f.merge_request_id) < ($7::timestamptz, $8::int8))
          ORDER BY 2 DESC, 1 DESC
          LIMIT $9)
       SELECT f.merge_request_id AS id, pr.path AS project, m.number, m.title, f.state, f.class, f.canonical_id AS author_id, author.name AS author_name,
              o.name AS organisation, m.labels, f.created_at, m.updated_at, f.merged_at, f.closed_at, m.web_url, page.sort
         FROM page
         JOIN kpi_merge_requests f ON f.merge_request_id = page.merge_request_id
         JOIN merge_requests m ON m.id = f.merge_request_id
         JOIN projects pr ON pr.id = f.project_id
         LEFT JOIN people author ON author.id = f.canonical_id
         LEFT JOIN organisations o ON o.id = f.organisation_id
        ORDER BY page.sort DESC, page.merge_request_id DESC`,
      [
        query.community === undefined ? null : query.community === 'true',
        query.state ?? null,
        query.idle === 'true',
        query.idleDays,
        query.project ?? null,
        query.author ?? null,
        after?.[0] ?? null,
        after?.[1] ?? null,
        query.limit + 1,
      ],
    );
    const result = page(
      rows,
      query.limit,
      (r) => [r.sort.toISOString(), r.id.toString()],
      (r) => ({
        id: r.id.toString(),
        project: r.project,
        number: r.number,
        title: r.title,
        state: r.state,
        class: r.class,
        author: r.author_id === null ? null : { id: r.author_id.toString(), name: r.author_name },
        organisation: r.organisation,
        labels: r.labels,
        createdAt: isoTime(r.created_at),
        updatedAt: isoTime(r.updated_at),
        mergedAt: isoTime(r.merged_at),
        closedAt: isoTime(r.closed_at),
        webUrl: r.web_url,
      }),
    );
    // Titles and display names are free text and may hold an address.
    return c.json(canSeeEmails(c) ? result : { items: maskEmailsDeep(result.items), nextCursor: result.nextCursor }, 200);
  });
}
