import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { actorOf } from '../auth/principal.ts';
import { isDay } from '../db/time.ts';
import { EXPERIENCE_LEVELS } from '../metrics/kpis/experience-levels.ts';
import {
  type AppEnv,
  canSeeEmails,
  decodeCursor,
  defineRoute,
  idParam,
  isoTime,
  jsonContent,
  maskEmails,
  maskEmailsDeep,
  newRouter,
  PROBLEM_TYPE,
  ProblemError,
  page,
  pageQuerySchema,
  pageSchema,
  problemSchema,
} from '../server/http.ts';
import type { Enqueue } from '../worker/index.ts';
import { listRoster, type MergeRecord, mergeHistory, mergePeople, showPerson, suggestMerges, unmergePeople } from './index.ts';

/**
 * Contributors, organisations and people administration over HTTP. Lists read the KPI rollups
 * (kpi_canonical, kpi_activity_spans, kpi_activity_months, kpi_merge_requests) rather than walking the
 * raw tables, so a page costs an index lookup per row. E-mail addresses, and person keys (which are
 * often built from them), reach only callers with the `emails` permission.
 */

const problem = (description: string) => ({ description, content: { [PROBLEM_TYPE]: { schema: problemSchema } } });

const LEVEL_LABELS = EXPERIENCE_LEVELS.map(([label]) => label).toReversed() as [string, ...string[]];

/** The experience level of someone with `merged` merged MRs of all time: the buckets of the experience-levels KPI. */
export function experienceLevelOf(merged: number): string {
  return (EXPERIENCE_LEVELS.find(([, from]) => merged >= from) ?? EXPERIENCE_LEVELS[EXPERIENCE_LEVELS.length - 1]!)[0];
}

const contributorSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    key: z.string().nullable().openapi({ description: 'The person key; null for callers who may not see e-mails' }),
    bot: z.boolean(),
    identities: z.number().int(),
    activities: z.number().int(),
    firstActivityAt: z.string().nullable(),
    lastActivityAt: z.string().nullable(),
  })
  .openapi('Contributor');

const profileSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    key: z.string().nullable(),
    canonicalId: z.string().nullable().openapi({ description: 'The person this one is merged into, if any' }),
    bot: z.boolean(),
    class: z.string(),
    organisation: z.string().nullable(),
    experience: z
      .object({
        mergedMrs: z.number().int().openapi({ description: 'Merged MRs of all time (bots excluded), as the experience-levels KPI counts them' }),
        level: z.enum(LEVEL_LABELS).openapi({ description: `The experience level: ${LEVEL_LABELS.join(', ')} merged MRs` }),
      })
      .openapi({ description: 'Where this person stands in the experience-levels KPI (from the KPI rollups)' }),
    members: z.array(z.object({ id: z.string(), name: z.string().nullable(), key: z.string().nullable() })),
    identities: z.array(z.object({ platform: z.string(), kind: z.string(), value: z.string(), verified: z.boolean(), displayName: z.string().nullable() })),
    organisations: z.array(z.object({ organisation: z.string(), validFrom: z.string().nullable(), validTo: z.string().nullable(), source: z.string() })),
    teamMemberships: z.array(z.object({ validFrom: z.string().nullable(), validTo: z.string().nullable(), title: z.string().nullable(), department: z.string().nullable() })),
    activityByMonth: z.array(z.object({ month: z.string(), kind: z.string(), activities: z.number().int() })),
    mergeRequests: z.array(
      z.object({ id: z.string(), project: z.string(), number: z.number().int(), title: z.string(), state: z.string(), createdAt: z.string().nullable(), mergedAt: z.string().nullable(), webUrl: z.string().nullable() }),
    ),
  })
  .openapi('ContributorProfile');

const organisationSchema = z
  .object({ id: z.string(), name: z.string(), domains: z.array(z.string()), parent: z.string().nullable(), arr: z.string().nullable(), people: z.number().int() })
  .openapi('Organisation');

const mergeSchema = z
  .object({
    id: z.string(),
    fromPersonId: z.string(),
    intoPersonId: z.string(),
    reason: z.string(),
    rule: z.string().nullable(),
    score: z.number().nullable(),
    evidence: z.record(z.string(), z.unknown()).nullable(),
    actor: z.string(),
    mergedAt: z.string(),
    undoneAt: z.string().nullable(),
    undoneBy: z.string().nullable(),
  })
  .openapi('Merge');

const contributorsList = defineRoute('read', {
  method: 'get',
  path: '/contributors',
  tags: ['contributors'],
  summary: 'Contributors (canonical people), by name, with their activity totals',
  request: {
    query: pageQuerySchema.extend({
      q: z.string().trim().min(1).max(200).optional().openapi({ description: 'Name or username contains this (e-mails too, for callers who may see them)' }),
      bots: z.enum(['true', 'false']).optional().openapi({ description: 'Only bots (true) or only people who are not (false)' }),
      organisation: z
        .string()
        .regex(/^\d{1,19}$/, 'must be an organisation id')
        .optional()
        .openapi({ description: 'Only people affiliated with this organisation (by id) at any time' }),
    }),
  },
  responses: { 200: jsonContent(pageSchema(contributorSchema, 'ContributorPage'), 'A page of contributors') },
});

const contributorProfile = defineRoute('read', {
  method: 'get',
  path: '/contributors/{id}',
  tags: ['contributors'],
  summary: 'A contributor: identities, organisations over time, activity by month, recent merge requests',
  request: { params: z.object({ id: idParam('id', 'The person id') }) },
  responses: { 200: jsonContent(profileSchema, 'The profile'), 404: problem('No such person') },
});

const organisationsList = defineRoute('read', {
  method: 'get',
  path: '/organisations',
  tags: ['organisations'],
  summary: 'Organisations by name',
  request: { query: pageQuerySchema.extend({ q: z.string().trim().min(1).max(200).optional() }) },
  responses: { 200: jsonContent(pageSchema(organisationSchema, 'OrganisationPage'), 'A page of organisations') },
});

const organisationOne = defineRoute('read', {
  method: 'get',
  path: '/organisations/{id}',
  tags: ['organisations'],
  summary: 'An organisation and the people affiliated with it, with when',
  request: { params: z.object({ id: idParam('id', 'The organisation id') }) },
  responses: {
    200: jsonContent(
      organisationSchema.extend({
        members: z.array(z.object({ id: z.string(), name: z.string().nullable(), validFrom: z.string().nullable(), validTo: z.string().nullable(), source: z.string() })),
      }),
      'The organisation',
    ),
    404: problem('No such organisation'),
  },
});

const suggestions = defineRoute('people:write', {
  method: 'get',
  path: '/people/merge-suggestions',
  tags: ['people'],
  summary: 'Probable links between people, best first, to accept with POST /people/merges',
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(500).default(50),
      minScore: z.coerce.number().min(0).max(1).optional(),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({
        items: z.array(
          z.object({
            a: z.object({ id: z.string(), key: z.string(), name: z.string().nullable() }),
            b: z.object({ id: z.string(), key: z.string(), name: z.string().nullable() }),
            score: z.number(),
            rules: z.array(z.string()),
            shared: z.string(),
          }),
        ),
      }),
      'Suggestions',
    ),
  },
});

const mergesList = defineRoute('people:write', {
  method: 'get',
  path: '/people/merges',
  tags: ['people'],
  summary: 'The merge audit log, newest first, undone merges included',
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
  responses: { 200: jsonContent(z.object({ items: z.array(mergeSchema) }), 'Merges') },
});

const personRef = z.string().trim().min(1).max(400).openapi({ description: 'A person id, key, or identity (gitlab:username:alice, or an e-mail address)' });

const merge = defineRoute('people:write', {
  method: 'post',
  path: '/people/merges',
  tags: ['people'],
  summary: 'Merge the person `from` belongs to into the person `into` belongs to (audited, undoable)',
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: z.strictObject({ from: personRef, into: personRef, overrideSeparation: z.boolean().optional() }) } },
    },
  },
  responses: { 201: jsonContent(mergeSchema, 'Merged'), 404: problem('No such person'), 409: problem('Already one person, or kept apart') },
});

const unmerge = defineRoute('people:write', {
  method: 'post',
  path: '/people/merges/{id}/undo',
  tags: ['people'],
  summary: 'Undo a merge; by default the two are then kept apart from automatic resolution',
  request: {
    params: z.object({ id: idParam('id', 'The merge id') }),
    body: { required: false, content: { 'application/json': { schema: z.strictObject({ keepApart: z.boolean().optional() }) } } },
  },
  responses: { 200: jsonContent(mergeSchema, 'Undone'), 404: problem('No such merge'), 409: problem('Already undone') },
});

const rosterEntrySchema = z
  .object({
    personId: z.string().openapi({ description: 'The canonical person (see /contributors/{id})' }),
    name: z.string().nullable(),
    key: z.string().nullable().openapi({ description: 'The person key; null for callers who may not see e-mails' }),
    username: z.object({ platform: z.string(), value: z.string() }).nullable(),
    title: z.string().nullable(),
    department: z.string().nullable(),
    validFrom: z.string().nullable().openapi({ description: 'The membership open on `at` started then (null: since always)' }),
    validTo: z.string().nullable(),
    source: z.string().openapi({ description: 'The roster it came from (gitlab-team, roster, import…)' }),
    roles: z.array(z.object({ role: z.string(), specialty: z.string().optional() })),
    coach: z.string().nullable().openapi({ description: 'MR coach specialty (development, docs, quality, ux); null when not a coach' }),
    capacity: z.number().int().nullable().openapi({ description: 'Community MRs a coach takes on at once; null: the default' }),
    openReviews: z.number().int().nullable().openapi({ description: 'Open MRs with this coach as reviewer (coaches only)' }),
    outOfOffice: z.object({ validFrom: z.string(), validTo: z.string().nullable(), note: z.string().nullable() }).nullable(),
    groups: z.array(z.object({ platform: z.string(), group: z.string(), accessLevel: z.number().int().nullable(), validFrom: z.string().nullable() })),
  })
  .openapi('RosterEntry');

const roster = defineRoute('read', {
  method: 'get',
  path: '/people/roster',
  tags: ['people'],
  summary: 'The team on a day: roles, coach specialty, capacity, out of office and group memberships, by name',
  request: {
    query: pageQuerySchema.extend({
      at: z.string().refine(isDay, 'must be a date (YYYY-MM-DD)').optional().openapi({ description: 'The day (default today, UTC)' }),
      q: z.string().trim().min(1).max(200).optional().openapi({ description: 'Name or username contains this' }),
      coaches: z.enum(['true', 'false']).optional().openapi({ description: 'Only MR coaches (true)' }),
    }),
  },
  responses: { 200: jsonContent(pageSchema(rosterEntrySchema, 'RosterPage'), 'A page of team members') },
});

const toMerge = (m: MergeRecord) => ({
  id: m.id.toString(),
  fromPersonId: m.fromPersonId.toString(),
  intoPersonId: m.intoPersonId.toString(),
  reason: m.reason,
  rule: m.rule,
  score: m.score,
  evidence: m.evidence,
  actor: m.actor,
  mergedAt: m.mergedAt.toISOString(),
  undoneAt: isoTime(m.undoneAt),
  undoneBy: m.undoneBy,
});

const nameFor = (c: Context<AppEnv>, name: string | null) => (name === null || canSeeEmails(c) ? name : maskEmails(name));

export function peopleRoutes(options: { enqueue?: Enqueue | undefined } = {}) {
  // The KPIs count people merged: a merge or unmerge asks the worker for a refresh. The change stands
  // without it (the next sync refreshes too), so a queue that fails is logged, not answered as an error.
  const refreshLater = (c: Context<AppEnv>) =>
    options.enqueue?.('refresh-rollups').catch((error: unknown) => c.get('log').error({ err: error }, 'could not enqueue a rollup refresh'));

  return newRouter()
    .openapi(contributorsList, async (c) => {
      const { limit, cursor, q, bots, organisation } = c.req.valid('query');
      const after = decodeCursor(cursor, 2);
      const emails = canSeeEmails(c);
      const rows = await c.get('db').query<{ id: bigint; key: string; name: string | null; sort: string; bot: boolean; identities: unknown; activities: unknown; first_at: Date | null; last_at: Date | null }>(
        `WITH matched AS (
           SELECT DISTINCT kc.canonical_id FROM identities i JOIN kpi_canonical kc ON kc.person_id = i.person_id
            WHERE $1::text IS NOT NULL AND i.value_normalised LIKE '%' || $1 || '%' AND ($2 OR i.kind IN ('username', 'name'))),
         page AS (
           SELECT p.id, p.key, p.name, lower(coalesce(p.name, '')) AS sort,
                  coalesce(p.bot_override, p.is_bot OR p.bot_detected IS NOT NULL) AS bot
             FROM people p
            WHERE p.merged_into IS NULL
              AND ($1::text IS NULL OR lower(coalesce(p.name, '')) LIKE '%' || $1 || '%' OR ($2 AND lower(p.key) LIKE '%' || $1 || '%')
                   OR p.id IN (SELECT canonical_id FROM matched))
              AND ($3::boolean IS NULL OR coalesce(p.bot_override, p.is_bot OR p.bot_detected IS NOT NULL) = $3)
              AND ($4::text IS NULL OR (lower(coalesce(p.name, '')), p.id) > ($4, $5::int8))
              AND ($7::int8 IS NULL OR p.id IN (SELECT kc.canonical_id FROM affiliations a JOIN kpi_canonical kc ON kc.person_id = a.person_id WHERE a.organisation_id = $7::int8))
            ORDER BY lower(coalesce(p.name, '')), p.id
            LIMIT $6)
         SELECT page.*,
                (SELECT count(*) FROM identities i JOIN kpi_canonical kc ON kc.person_id = i.person_id WHERE kc.canonical_id = page.id) AS identities,
                s.activities, s.first_at, s.last_at
           FROM page
           LEFT JOIN LATERAL (SELECT sum(activities) AS activities, min(first_at) AS first_at, max(last_at) AS last_at
                                FROM kpi_activity_spans WHERE canonical_id = page.id) s ON true
          ORDER BY page.sort, page.id`,
        [q?.toLowerCase() ?? null, emails, bots === undefined ? null : bots === 'true', after?.[0] ?? null, after?.[1] ?? null, limit + 1, organisation ?? null],
      );
      return c.json(
        page(
          rows,
          limit,
          (r) => [r.sort, r.id.toString()],
          (r) => ({
            id: r.id.toString(),
            name: nameFor(c, r.name),
            key: emails ? r.key : null,
            bot: r.bot,
            identities: Number(r.identities),
            activities: Number(r.activities ?? 0),
            firstActivityAt: isoTime(r.first_at),
            lastActivityAt: isoTime(r.last_at),
          }),
        ),
        200,
      );
    })
    .openapi(contributorProfile, async (c) => {
      const db = c.get('db');
      const emails = canSeeEmails(c);
      const person = await showPerson(db, BigInt(c.req.valid('param').id));
      const root = person.canonical?.id ?? person.id;
      const activity = await db.query<{ month: string; kind: string; activities: unknown }>(
        `SELECT to_char(month, 'YYYY-MM') AS month, kind, sum(activities) AS activities FROM kpi_activity_months
          WHERE canonical_id = $1 GROUP BY month, kind ORDER BY month, kind`,
        [root.toString()],
      );
      const mergeRequests = await db.query<{ id: bigint; project: string; number: number; title: string; state: string; created_at: Date | null; merged_at: Date | null; web_url: string | null }>(
        `SELECT m.id, pr.path AS project, m.number, m.title, f.state, f.created_at, f.merged_at, m.web_url
           FROM kpi_merge_requests f JOIN merge_requests m ON m.id = f.merge_request_id JOIN projects pr ON pr.id = f.project_id
          WHERE f.canonical_id = $1 ORDER BY f.contributed_at DESC NULLS LAST, f.merge_request_id DESC LIMIT 50`,
        [root.toString()],
      );
      const [experience] = await db.query<{ merged: unknown }>(
        `SELECT coalesce(sum(merged), 0) AS merged FROM kpi_author_months WHERE canonical_id = $1 AND class <> 'bot'`,
        [root.toString()],
      );
      const mergedMrs = Number(experience?.merged ?? 0);
      const body = {
        id: person.id.toString(),
        name: nameFor(c, person.name),
        key: emails ? person.key : null,
        canonicalId: person.canonical ? person.canonical.id.toString() : null,
        bot: person.bot.bot,
        class: person.classification.class,
        organisation: person.organisation?.organisation ?? null,
        experience: { mergedMrs, level: experienceLevelOf(mergedMrs) },
        members: person.members.map((m) => ({ id: m.id.toString(), name: nameFor(c, m.name), key: emails ? m.key : null })),
        identities: person.identities
          .filter((i) => emails || i.kind !== 'email')
          .map((i) => ({ platform: i.platform, kind: i.kind, value: emails ? i.value : maskEmails(i.value), verified: i.verified, displayName: nameFor(c, i.displayName) })),
        organisations: person.affiliations.map((a) => ({ organisation: a.organisation, validFrom: a.validFrom, validTo: a.validTo, source: a.source })),
        teamMemberships: person.teamMemberships.map((t) => ({ validFrom: t.validFrom, validTo: t.validTo, title: t.title, department: t.department })),
        activityByMonth: activity.map((a) => ({ month: a.month, kind: a.kind, activities: Number(a.activities) })),
        mergeRequests: mergeRequests.map((m) => ({
          id: m.id.toString(),
          project: m.project,
          number: m.number,
          title: m.title,
          state: m.state,
          createdAt: isoTime(m.created_at),
          mergedAt: isoTime(m.merged_at),
          webUrl: m.web_url,
        })),
      };
      // Free text (titles, display names) can hold an address too.
      return c.json(emails ? body : maskEmailsDeep(body), 200);
    })
    .openapi(organisationsList, async (c) => {
      const { limit, cursor, q } = c.req.valid('query');
      const after = decodeCursor(cursor, 2);
      const rows = await c.get('db').query<{ id: bigint; name: string; sort: string; domains: string[]; parent: string | null; arr: string | null; people: number }>(
        `SELECT o.id, o.name, lower(o.name) AS sort, o.domains, parent.name AS parent, o.arr,
                (SELECT count(DISTINCT a.person_id) FROM affiliations a WHERE a.organisation_id = o.id)::int AS people
           FROM organisations o LEFT JOIN organisations parent ON parent.id = o.parent_id
          WHERE ($1::text IS NULL OR lower(o.name) LIKE '%' || $1 || '%')
            AND ($2::text IS NULL OR (lower(o.name), o.id) > ($2, $3::int8))
          ORDER BY lower(o.name), o.id LIMIT $4`,
        [q?.toLowerCase() ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
      );
      return c.json(
        page(
          rows,
          limit,
          (r) => [r.sort, r.id.toString()],
          (r) => ({ id: r.id.toString(), name: r.name, domains: r.domains, parent: r.parent, arr: r.arr, people: r.people }),
        ),
        200,
      );
    })
    .openapi(organisationOne, async (c) => {
      const db = c.get('db');
      const id = c.req.valid('param').id;
      const [organisation] = await db.query<{ id: bigint; name: string; domains: string[]; parent: string | null; arr: string | null; people: number }>(
        `SELECT o.id, o.name, o.domains, parent.name AS parent, o.arr,
                (SELECT count(DISTINCT a.person_id) FROM affiliations a WHERE a.organisation_id = o.id)::int AS people
           FROM organisations o LEFT JOIN organisations parent ON parent.id = o.parent_id WHERE o.id = $1::int8`,
        [id],
      );
      if (!organisation) throw new ProblemError(404, `no organisation with id ${id}`);
      const members = await db.query<{ id: bigint; name: string | null; valid_from: string | null; valid_to: string | null; source: string }>(
        `SELECT coalesce(kc.canonical_id, p.id) AS id, root.name, a.valid_from, a.valid_to, a.source
           FROM affiliations a JOIN people p ON p.id = a.person_id
           LEFT JOIN kpi_canonical kc ON kc.person_id = p.id LEFT JOIN people root ON root.id = coalesce(kc.canonical_id, p.id)
          WHERE a.organisation_id = $1::int8 ORDER BY a.valid_from NULLS FIRST, root.name LIMIT 1000`,
        [id],
      );
      return c.json(
        {
          id: organisation.id.toString(),
          name: organisation.name,
          domains: organisation.domains,
          parent: organisation.parent,
          arr: organisation.arr,
          people: organisation.people,
          members: members.map((m) => ({ id: m.id.toString(), name: nameFor(c, m.name), validFrom: m.valid_from, validTo: m.valid_to, source: m.source })),
        },
        200,
      );
    })
    .openapi(roster, async (c) => {
      const { limit, cursor, at, q, coaches } = c.req.valid('query');
      const after = decodeCursor(cursor, 2);
      const emails = canSeeEmails(c);
      const rows = await listRoster(c.get('db'), {
        ...(at ? { at } : {}),
        ...(q ? { q } : {}),
        coaches: coaches === 'true',
        ...(after ? { after: [String(after[0]), String(after[1])] as const } : {}),
        limit: limit + 1,
      });
      const body = page(
        rows,
        limit,
        (r) => [r.sort, r.personId.toString()],
        (r) => ({
          personId: r.personId.toString(),
          name: r.name,
          key: emails ? r.key : null,
          username: r.username,
          title: r.title,
          department: r.department,
          validFrom: r.validFrom,
          validTo: r.validTo,
          source: r.source,
          roles: r.roles,
          coach: r.coach,
          capacity: r.capacity,
          openReviews: r.openReviews,
          outOfOffice: r.outOfOffice,
          groups: r.groups,
        }),
      );
      // Names and notes are free text: an address in them reaches only callers who may see e-mails.
      return c.json(emails ? body : maskEmailsDeep(body), 200);
    })
    .openapi(suggestions, async (c) => {
      const { limit, minScore } = c.req.valid('query');
      const found = await suggestMerges(c.get('db'), { limit, ...(minScore === undefined ? {} : { minScore }) });
      const person = (p: { id: bigint; key: string; name: string | null }) => ({ id: p.id.toString(), key: p.key, name: p.name });
      return c.json({ items: found.map((s) => ({ a: person(s.a), b: person(s.b), score: s.score, rules: s.rules, shared: s.shared })) }, 200);
    })
    .openapi(mergesList, async (c) => c.json({ items: (await mergeHistory(c.get('db'), undefined, c.req.valid('query').limit)).map(toMerge) }, 200))
    .openapi(merge, async (c) => {
      const { from, into, overrideSeparation } = c.req.valid('json');
      const record = await mergePeople(c.get('db'), from, into, { actor: actorOf(c.get('principal')), overrideSeparation: overrideSeparation ?? false });
      await refreshLater(c);
      return c.json(toMerge(record), 201);
    })
    .openapi(unmerge, async (c) => {
      const body = c.req.valid('json') ?? {};
      const record = await unmergePeople(c.get('db'), { mergeId: BigInt(c.req.valid('param').id) }, { actor: actorOf(c.get('principal')), keepApart: body.keepApart ?? true });
      await refreshLater(c);
      return c.json(toMerge(record), 200);
    });
}
