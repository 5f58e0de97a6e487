import { createHash } from 'node:crypto';
import type { Database, Session } from '../db/connection.ts';
import { toNumber } from '../db/connection.ts';
import { affiliationAtSql, type ClassificationRules, classificationRulesSchema, classificationSql } from '../people/index.ts';
import { readSetting, writeSetting } from '../settings/index.ts';
import { businessTimeSql } from './kpis/business-days.ts';
import { PARTICIPATION_KINDS } from './kpis/contributions.ts';

/**
 * The KPI rollups: what every KPI reads instead of the raw tables.
 *
 *   kpi_merge_requests   one row per MR: the author's canonical person, class (team | community | bot)
 *                        and organisation at contribution time, the milestone (inferred from merged_at
 *                        where the MR has none), type, and the instants KPIs measure
 *   kpi_author_months    merged / opened MRs per (month, project, canonical author, class, organisation)
 *   kpi_author_spans     the same over all time, for the merges: how many and the first, per (canonical
 *                        author, project, class, organisation)
 *   kpi_activity_months  activities per (month, project, canonical person, kind, class, organisation)
 *   kpi_activity_spans   the same over all time: first and last instant per (canonical person, project, kind, class, organisation)
 *   kpi_person_months    kpi_activity_months over every kind and project: per (month, canonical person, class,
 *                        organisation), with the projects as an array
 *   kpi_person_spans     kpi_activity_spans over every kind: per (canonical person, project, class, organisation),
 *                        with the first participation (CHAOSS D1)
 *   kpi_review_requests  one row per review request: the reviewer (canonical person, class) and when they
 *                        first responded (review, approval or note) after the request
 *
 * Each is defined once, as a SELECT over the raw tables (below). A refresh materialises those SELECTs: in
 * full, or only for what the triggers queued in `kpi_changes` since the last refresh (the MRs that changed
 * and the people whose data changed, taken with everyone their canonical person group had or has). The
 * same SELECTs run without materialising are the "unrolled" relations, which the tests compare every KPI
 * against.
 *
 * Choices:
 * - An MR is a contribution made when it was opened: its author is classified at created_at (GitLab sets
 *   `Community contribution` then). Git history has no created_at; merged_at stands in.
 * - A response to an MR is a human note (not a system note) or a review/approval, by anyone who is neither
 *   the author (as a canonical person) nor a bot at that time. The first one by a team member is the first
 *   review. A source that states first_review_at itself (the NDJSON field) counts as a team review too.
 * - Activities are classified on the UTC day they happened.
 */

export const CLASSIFICATION_SETTING = 'classification';

export async function readClassificationRules(session: Session): Promise<ClassificationRules> {
  return readSetting(session, CLASSIFICATION_SETTING, classificationRulesSchema);
}

export async function writeClassificationRules(session: Session, rules: unknown): Promise<ClassificationRules> {
  return writeSetting(session, CLASSIFICATION_SETTING, classificationRulesSchema, rules as ClassificationRules);
}

/** The relations a KPI query reads: the rollup tables, or the same SELECTs over the raw tables. */
export interface Relations {
  mergeRequests: string;
  authorMonths: string;
  authorSpans: string;
  activityMonths: string;
  activitySpans: string;
  personMonths: string;
  personSpans: string;
  reviewRequests: string;
}

export const ROLLED_UP: Relations = {
  mergeRequests: 'kpi_merge_requests',
  authorMonths: 'kpi_author_months',
  authorSpans: 'kpi_author_spans',
  activityMonths: 'kpi_activity_months',
  activitySpans: 'kpi_activity_spans',
  personMonths: 'kpi_person_months',
  personSpans: 'kpi_person_spans',
  reviewRequests: 'kpi_review_requests',
};

/** The unrolled relations: every KPI computed straight from the raw tables. Slow; for tests and checks. */
export function unrolledRelations(rules: ClassificationRules): Relations {
  const mergeRequests = `(${mergeRequestFactsSql(rules, 'true')})`;
  const activityMonths = `(${activityMonthsSql(rules, 'true')})`;
  const authorMonths = `(${authorMonthsSql(mergeRequests, 'true')})`;
  return {
    mergeRequests,
    authorMonths,
    authorSpans: `(${authorSpansSql(authorMonths, 'true')})`,
    activityMonths,
    activitySpans: `(${activitySpansSql(activityMonths, 'true')})`,
    personMonths: `(${personMonthsSql(activityMonths, 'true')})`,
    personSpans: `(${personSpansSql(activityMonths, 'true')})`,
    reviewRequests: `(${reviewRequestsSql(rules, mergeRequests, 'true')})`,
  };
}

const TYPE_FROM_LABELS = `(SELECT substr(l, 7) FROM unnest(mrs.labels) AS l WHERE l LIKE 'type::%' ORDER BY l LIMIT 1)`;

/** kpi_merge_requests as a SELECT over the raw tables, for the MRs `restriction` (over `m`) admits. */
export function mergeRequestFactsSql(rules: ClassificationRules, restriction: string): string {
  return `WITH mrs AS MATERIALIZED (
      SELECT m.id, m.project_id, m.number, m.author_id, m.created_at, m.merged_at,
             CASE WHEN m.merged_at IS NULL THEN m.closed_at END AS closed_at, m.state::text AS state,
             m.milestone_id, m.labels, m.type, m.draft, m.ready_for_review_at, m.first_review_at, m.origin::text AS origin,
             coalesce(m.created_at, m.merged_at, m.closed_at) AS contributed_at
        FROM merge_requests m WHERE ${restriction}),
    authors AS MATERIALIZED (${classificationSql(rules, 'SELECT author_id, contributed_at FROM mrs WHERE contributed_at IS NOT NULL')}),
    organisations_then AS MATERIALIZED (${affiliationAtSql('SELECT author_id, contributed_at FROM mrs WHERE contributed_at IS NOT NULL')}),
    responses AS MATERIALIZED (
      SELECT mrs.id AS merge_request_id, c.author_id AS person_id, c.created_at AS at
        FROM mrs JOIN comments c ON c.project_id = mrs.project_id AND c.target_type = 'merge_request' AND c.target_ref = mrs.number::text
       WHERE NOT c.system AND c.author_id IS NOT NULL
      UNION ALL
      SELECT r.merge_request_id, r.reviewer_id, r.occurred_at
        FROM reviews r JOIN mrs ON mrs.id = r.merge_request_id WHERE r.kind IN ('reviewed', 'approved')),
    responders AS MATERIALIZED (${classificationSql(rules, 'SELECT person_id, at FROM responses')}),
    first_responses AS MATERIALIZED (
      SELECT rs.merge_request_id,
             min(rs.at) FILTER (WHERE rc.class <> 'bot') AS first_response_at,
             min(rs.at) FILTER (WHERE rc.class = 'team') AS first_team_review_at
        FROM responses rs
        JOIN mrs ON mrs.id = rs.merge_request_id
        JOIN responders rc ON rc.person_id = rs.person_id AND rc.at = rs.at
        LEFT JOIN authors a ON a.person_id = mrs.author_id AND a.at = mrs.contributed_at
       WHERE rc.canonical_id IS DISTINCT FROM a.canonical_id
       GROUP BY rs.merge_request_id)
    SELECT mrs.id AS merge_request_id, mrs.project_id, mrs.author_id, a.canonical_id, a.class, o.organisation_id,
           mrs.contributed_at, mrs.created_at, mrs.merged_at, mrs.closed_at,
           CASE WHEN mrs.merged_at IS NOT NULL THEN mrs.merged_at WHEN mrs.closed_at IS NOT NULL THEN mrs.closed_at
                WHEN mrs.state = 'opened' THEN 'infinity'::timestamptz END AS open_until,
           mrs.state,
           coalesce(mrs.milestone_id, inferred.id) AS milestone_id,
           (mrs.milestone_id IS NULL AND inferred.id IS NOT NULL) AS milestone_inferred,
           coalesce(mrs.type, ${TYPE_FROM_LABELS}) AS type,
           ('Community contribution' = ANY(mrs.labels)) AS labelled_community,
           coalesce(mrs.ready_for_review_at, CASE WHEN NOT mrs.draft THEN mrs.created_at END) AS ready_at,
           least(fr.first_response_at, mrs.first_review_at) AS first_response_at,
           least(fr.first_team_review_at, mrs.first_review_at) AS first_team_review_at,
           mrs.origin
      FROM mrs
      LEFT JOIN authors a ON a.person_id = mrs.author_id AND a.at = mrs.contributed_at
      LEFT JOIN organisations_then o ON o.person_id = mrs.author_id AND o.at = mrs.contributed_at
      LEFT JOIN first_responses fr ON fr.merge_request_id = mrs.id
      LEFT JOIN LATERAL (
        SELECT ms.id FROM milestones ms JOIN projects p ON p.id = mrs.project_id
         WHERE mrs.milestone_id IS NULL AND mrs.merged_at IS NOT NULL
           AND ms.start_date IS NOT NULL AND ms.due_date IS NOT NULL
           AND (ms.scope = p.path OR p.path LIKE ms.scope || '/%')
           AND (mrs.merged_at AT TIME ZONE 'UTC')::date BETWEEN ms.start_date AND ms.due_date
         ORDER BY ms.due_date, ms.id LIMIT 1) inferred ON true`;
}

/** kpi_author_months as a SELECT over a kpi_merge_requests relation, for the rows `restriction` (over `f`) admits. */
export function authorMonthsSql(mergeRequests: string, restriction: string): string {
  return `SELECT e.month, e.project_id, e.canonical_id, e.class, coalesce(e.organisation_id, 0) AS organisation_id,
                 sum(e.merged)::int AS merged, sum(e.merged_feature)::int AS merged_feature, sum(e.merged_typed)::int AS merged_typed,
                 sum(e.opened)::int AS opened, min(e.first_merged_at) AS first_merged_at
      FROM (
        SELECT date_trunc('month', f.merged_at AT TIME ZONE 'UTC')::date AS month, f.project_id, f.canonical_id, f.class, f.organisation_id,
               1 AS merged, coalesce(f.type = 'feature', false)::int AS merged_feature, (f.type IS NOT NULL)::int AS merged_typed, 0 AS opened, f.merged_at AS first_merged_at
          FROM ${mergeRequests} f WHERE f.merged_at IS NOT NULL AND f.canonical_id IS NOT NULL AND ${restriction}
        UNION ALL
        SELECT date_trunc('month', f.created_at AT TIME ZONE 'UTC')::date, f.project_id, f.canonical_id, f.class, f.organisation_id, 0, 0, 0, 1, NULL
          FROM ${mergeRequests} f WHERE f.created_at IS NOT NULL AND f.canonical_id IS NOT NULL AND ${restriction}
      ) e
     GROUP BY e.month, e.project_id, e.canonical_id, e.class, coalesce(e.organisation_id, 0)`;
}

/** kpi_author_spans as a SELECT over a kpi_author_months relation, for the rows `restriction` (over `am`) admits. */
export function authorSpansSql(authorMonths: string, restriction: string): string {
  return `SELECT am.canonical_id, am.project_id, am.class, am.organisation_id, sum(am.merged)::int AS merged, min(am.first_merged_at) AS first_merged_at
      FROM ${authorMonths} am WHERE am.merged > 0 AND ${restriction}
     GROUP BY am.canonical_id, am.project_id, am.class, am.organisation_id`;
}

/**
 * The days on which someone's class or organisation can change: the starts and ends of the team, group and
 * organisation periods of everyone in their canonical group. Between two such days both stay the same, so
 * classifying one day of each stretch stands for all of them (most people have no such day at all).
 */
const BOUNDARIES = `boundaries AS MATERIALIZED (
      SELECT pc.person_id, array_agg(DISTINCT b.day ORDER BY b.day) AS days
        FROM person_canonical pc
        JOIN person_canonical g ON g.canonical_id = pc.canonical_id
        JOIN (SELECT person_id, valid_from AS day FROM team_memberships UNION ALL SELECT person_id, valid_to FROM team_memberships
              UNION ALL SELECT person_id, valid_from FROM group_memberships UNION ALL SELECT person_id, valid_to FROM group_memberships
              UNION ALL SELECT person_id, valid_from FROM affiliations UNION ALL SELECT person_id, valid_to FROM affiliations) b ON b.person_id = g.person_id
       WHERE b.day IS NOT NULL
       GROUP BY pc.person_id)`;

/** The first day of the stretch `day` falls in (see BOUNDARIES), given the person's boundary days `days`. */
const stretchStart = (days: string, day: string) => `coalesce((SELECT max(boundary) FROM unnest(${days}) AS boundary WHERE boundary <= ${day}), DATE '1970-01-01')`;

/**
 * kpi_activity_months as a SELECT over the raw tables, for the activities `restriction` (over `a`) admits.
 * Activities are first counted per (person, day, project, kind) in one pass over the table; each such row
 * is then classified and affiliated at the start of its stretch (BOUNDARIES), so the classification runs
 * over a few rows per person rather than one per active day.
 */
export function activityMonthsSql(rules: ClassificationRules, restriction: string): string {
  const pairs = 'SELECT DISTINCT person_id, stretch_at FROM daily';
  return `WITH ${BOUNDARIES},
    daily AS MATERIALIZED (
      SELECT counted.*, (${stretchStart('bd.days', 'counted.day')}::timestamp AT TIME ZONE 'UTC') AS stretch_at
        FROM (SELECT a.person_id, (a.occurred_at AT TIME ZONE 'UTC')::date AS day, coalesce(a.project_id, 0) AS project_id, a.kind::text AS kind,
                     count(*) AS activities, min(a.occurred_at) AS first_at, max(a.occurred_at) AS last_at
                FROM activities a WHERE ${restriction}
               GROUP BY 1, 2, 3, 4) counted
        LEFT JOIN boundaries bd ON bd.person_id = counted.person_id),
    classes AS MATERIALIZED (${classificationSql(rules, pairs)}),
    organisations_then AS MATERIALIZED (${affiliationAtSql(pairs)})
    SELECT date_trunc('month', d.day)::date AS month, d.project_id, c.canonical_id, d.kind, c.class, coalesce(o.organisation_id, 0) AS organisation_id,
           sum(d.activities)::int AS activities, min(d.first_at) AS first_at, max(d.last_at) AS last_at
      FROM daily d
      JOIN classes c ON c.person_id = d.person_id AND c.at = d.stretch_at
      LEFT JOIN organisations_then o ON o.person_id = d.person_id AND o.at = d.stretch_at
     GROUP BY 1, 2, 3, 4, 5, 6`;
}

/** kpi_activity_spans as a SELECT over a kpi_activity_months relation, for the rows `restriction` (over `am`) admits. */
export function activitySpansSql(activityMonths: string, restriction: string): string {
  return `SELECT am.canonical_id, am.project_id, am.kind, am.class, am.organisation_id,
                 sum(am.activities)::int AS activities, min(am.first_at) AS first_at, max(am.last_at) AS last_at
      FROM ${activityMonths} am WHERE ${restriction}
     GROUP BY am.canonical_id, am.project_id, am.kind, am.class, am.organisation_id`;
}

/** kpi_person_months as a SELECT over a kpi_activity_months relation, for the rows `restriction` (over `am`) admits. */
export function personMonthsSql(activityMonths: string, restriction: string): string {
  return `SELECT am.month, am.canonical_id, am.class, am.organisation_id, array_agg(DISTINCT am.project_id ORDER BY am.project_id) AS project_ids,
                 sum(am.activities)::int AS activities, min(am.first_at) AS first_at, max(am.last_at) AS last_at
      FROM ${activityMonths} am WHERE ${restriction}
     GROUP BY am.month, am.canonical_id, am.class, am.organisation_id`;
}

/** kpi_person_spans as a SELECT over a kpi_activity_months relation, for the rows `restriction` (over `am`) admits. */
export function personSpansSql(activityMonths: string, restriction: string): string {
  return `SELECT am.canonical_id, am.project_id, am.class, am.organisation_id,
                 sum(am.activities)::int AS activities, min(am.first_at) AS first_at, max(am.last_at) AS last_at,
                 min(am.first_at) FILTER (WHERE am.kind IN (${PARTICIPATION_KINDS.map((kind) => `'${kind}'`).join(', ')})) AS first_participation_at
      FROM ${activityMonths} am WHERE ${restriction}
     GROUP BY am.canonical_id, am.project_id, am.class, am.organisation_id`;
}

/**
 * kpi_review_requests as a SELECT over the raw tables and a kpi_merge_requests relation (for the MR's
 * author and dates), for the MRs `restriction` (over `m`) admits. The response to a request is the
 * reviewer's first review, approval or human note on the MR at or after it, by any identity of the
 * reviewer's canonical person.
 */
export function reviewRequestsSql(rules: ClassificationRules, mergeRequests: string, restriction: string): string {
  return `WITH mrs AS MATERIALIZED (SELECT m.id, m.project_id, m.number FROM merge_requests m WHERE ${restriction}),
    requests AS MATERIALIZED (
      SELECT r.merge_request_id, mrs.project_id, r.reviewer_id, r.occurred_at AS requested_at
        FROM reviews r JOIN mrs ON mrs.id = r.merge_request_id WHERE r.kind = 'review_requested'),
    reviewers AS MATERIALIZED (${classificationSql(rules, 'SELECT reviewer_id, requested_at FROM requests')}),
    canon AS MATERIALIZED (SELECT person_id, canonical_id FROM person_canonical),
    responses AS MATERIALIZED (
      SELECT x.merge_request_id, coalesce(cn.canonical_id, x.person_id) AS canonical_id, x.at
        FROM (SELECT mrs.id AS merge_request_id, c.author_id AS person_id, c.created_at AS at
                FROM mrs JOIN comments c ON c.project_id = mrs.project_id AND c.target_type = 'merge_request' AND c.target_ref = mrs.number::text
               WHERE NOT c.system AND c.author_id IS NOT NULL AND mrs.id IN (SELECT merge_request_id FROM requests)
              UNION ALL
              SELECT r.merge_request_id, r.reviewer_id, r.occurred_at
                FROM reviews r WHERE r.kind IN ('reviewed', 'approved') AND r.merge_request_id IN (SELECT merge_request_id FROM requests)) x
        LEFT JOIN canon cn ON cn.person_id = x.person_id)
    SELECT rq.merge_request_id, rq.project_id, rq.reviewer_id, rv.canonical_id AS reviewer_canonical_id, rv.class AS reviewer_class,
           rq.requested_at, min(rs.at) AS responded_at,
           f.canonical_id AS author_canonical_id, f.class AS author_class, f.organisation_id, f.created_at AS opened_at,
           coalesce(f.merged_at, f.closed_at) AS ended_at,
           ${businessTimeSql('rq.requested_at', null)} AS requested_business_days,
           CASE WHEN coalesce(min(rs.at), f.merged_at, f.closed_at) IS NOT NULL
                THEN ${businessTimeSql('greatest(rq.requested_at, coalesce(min(rs.at), f.merged_at, f.closed_at))', null)} END AS until_business_days
      FROM requests rq
      JOIN reviewers rv ON rv.person_id = rq.reviewer_id AND rv.at = rq.requested_at
      LEFT JOIN ${mergeRequests} f ON f.merge_request_id = rq.merge_request_id
      LEFT JOIN responses rs ON rs.merge_request_id = rq.merge_request_id AND rs.canonical_id = rv.canonical_id AND rs.at >= rq.requested_at
     GROUP BY rq.merge_request_id, rq.project_id, rq.reviewer_id, rv.canonical_id, rv.class, rq.requested_at,
              f.canonical_id, f.class, f.organisation_id, f.created_at, f.merged_at, f.closed_at`;
}

/** The rollup tables, in the order a build fills them. */
export const ROLLUP_TABLES = [
  'kpi_merge_requests',
  'kpi_author_months',
  'kpi_author_spans',
  'kpi_activity_months',
  'kpi_activity_spans',
  'kpi_person_months',
  'kpi_person_spans',
  'kpi_review_requests',
] as const;

const FACT_COLUMNS =
  'merge_request_id, project_id, author_id, canonical_id, class, organisation_id, contributed_at, created_at, merged_at, closed_at, open_until, state, milestone_id, milestone_inferred, type, labelled_community, ready_at, first_response_at, first_team_review_at, origin';
const AUTHOR_MONTH_COLUMNS = 'month, project_id, canonical_id, class, organisation_id, merged, merged_feature, merged_typed, opened, first_merged_at';
const ACTIVITY_MONTH_COLUMNS = 'month, project_id, canonical_id, kind, class, organisation_id, activities, first_at, last_at';
const ACTIVITY_SPAN_COLUMNS = 'canonical_id, project_id, kind, class, organisation_id, activities, first_at, last_at';
const PERSON_MONTH_COLUMNS = 'month, canonical_id, class, organisation_id, project_ids, activities, first_at, last_at';
const AUTHOR_SPAN_COLUMNS = 'canonical_id, project_id, class, organisation_id, merged, first_merged_at';
const PERSON_SPAN_COLUMNS = 'canonical_id, project_id, class, organisation_id, activities, first_at, last_at, first_participation_at';
const REVIEW_REQUEST_COLUMNS =
  'merge_request_id, project_id, reviewer_id, reviewer_canonical_id, reviewer_class, requested_at, responded_at, author_canonical_id, author_class, organisation_id, opened_at, ended_at, requested_business_days, until_business_days';

export function rulesDigest(rules: ClassificationRules): string {
  return createHash('sha256').update(JSON.stringify(rules)).digest('hex').slice(0, 16);
}

export interface RefreshResult {
  mode: 'full' | 'incremental' | 'none';
  /** Why a full rebuild was chosen. */
  reason?: string;
  mergeRequests: number;
  people: number;
  seconds: number;
}

/** Above this share of all MRs or people changed, rebuilding everything is cheaper than the incremental path. */
const INCREMENTAL_LIMIT = 0.2;

/**
 * Brings the rollups up to date, in one transaction: nothing when nothing changed, the changed MRs and
 * people when few did, everything otherwise (first build, new classification rules, milestones changed,
 * or `full`).
 */
export async function refreshRollups(db: Database, options: { full?: boolean } = {}): Promise<RefreshResult> {
  const started = performance.now();
  const result = await db.transaction(async (tx) => {
    const rules = await readClassificationRules(tx);
    const digest = rulesDigest(rules);
    const [state] = await tx.query<{ rules_digest: string }>('SELECT rules_digest FROM kpi_state');
    const [queued] = await tx.query<Record<string, unknown>>(
      `SELECT count(*) FILTER (WHERE scope = 'merge_request') AS merge_requests, count(*) FILTER (WHERE scope = 'person') AS people,
              count(*) FILTER (WHERE scope = 'everything') AS everything
         FROM kpi_changes`,
    );
    const changedMergeRequests = toNumber(queued?.merge_requests);
    const changedPeople = toNumber(queued?.people);
    // Counting every MR and person costs a scan: only when a rebuild is done, or a large change may call for one.
    const totals = async () => {
      const [row] = await tx.query<Record<string, unknown>>('SELECT (SELECT count(*) FROM merge_requests) AS merge_requests, (SELECT count(*) FROM people) AS people');
      return { mergeRequests: toNumber(row?.merge_requests), people: toNumber(row?.people) };
    };
    let reason: string | undefined;
    if (options.full) reason = 'asked for';
    else if (!state) reason = 'first build';
    else if (state.rules_digest !== digest) reason = 'classification rules changed';
    else if (toNumber(queued?.everything) > 0) reason = 'milestones changed';
    else if (changedMergeRequests > 1000 || changedPeople > 1000) {
      const all = await totals();
      if (changedMergeRequests > 1000 && changedMergeRequests > INCREMENTAL_LIMIT * all.mergeRequests) reason = 'many merge requests changed';
      else if (changedPeople > 1000 && changedPeople > INCREMENTAL_LIMIT * all.people) reason = 'many people changed';
    }
    if (reason) {
      await rebuildAll(tx, rules);
      await tx.query(
        `INSERT INTO kpi_state (singleton, rules_digest, built_at, refreshed_at) VALUES (1, $1, now(), now())
         ON CONFLICT (singleton) DO UPDATE SET rules_digest = excluded.rules_digest, built_at = now(), refreshed_at = now()`,
        [digest],
      );
      return { mode: 'full' as const, reason, ...(await totals()) };
    }
    if (changedMergeRequests === 0 && changedPeople === 0) return { mode: 'none' as const, mergeRequests: 0, people: 0 };
    const people = await refreshChanged(tx, rules);
    await tx.query('UPDATE kpi_state SET refreshed_at = now()');
    return { mode: 'incremental' as const, mergeRequests: changedMergeRequests, people };
  });
  if (result.mode === 'full') {
    // Outside the transaction (VACUUM cannot run in one): sets the visibility map so the KPIs' index-only
    // scans of the fresh tables need no heap visits.
    await db.query(`VACUUM ANALYZE ${ROLLUP_TABLES.join(', ')}`);
  }
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

/**
 * Builds every rollup from scratch. Rows go in in the order KPIs read them (by month or instant, then
 * class), so a year of community rows sits in a few hundred neighbouring pages instead of thousands spread
 * over the table: on 1M MRs a month-range read of kpi_author_months touched 6,770 pages before.
 */
async function rebuildAll(tx: Session, rules: ClassificationRules) {
  await tx.query(`TRUNCATE ${ROLLUP_TABLES.join(', ')}, kpi_canonical, kpi_changes`);
  await tx.query(`INSERT INTO kpi_merge_requests (${FACT_COLUMNS}) ${mergeRequestFactsSql(rules, 'true')} ORDER BY contributed_at, class`);
  await tx.query(`INSERT INTO kpi_author_months (${AUTHOR_MONTH_COLUMNS}) ${authorMonthsSql('kpi_merge_requests', 'true')} ORDER BY month, class`);
  await tx.query(`INSERT INTO kpi_author_spans (${AUTHOR_SPAN_COLUMNS}) ${authorSpansSql('kpi_author_months', 'true')} ORDER BY canonical_id`);
  await tx.query(`INSERT INTO kpi_activity_months (${ACTIVITY_MONTH_COLUMNS}) ${activityMonthsSql(rules, 'true')} ORDER BY month, class`);
  await tx.query(`INSERT INTO kpi_activity_spans (${ACTIVITY_SPAN_COLUMNS}) ${activitySpansSql('kpi_activity_months', 'true')} ORDER BY canonical_id`);
  await tx.query(`INSERT INTO kpi_person_months (${PERSON_MONTH_COLUMNS}) ${personMonthsSql('kpi_activity_months', 'true')} ORDER BY month, class`);
  await tx.query(`INSERT INTO kpi_person_spans (${PERSON_SPAN_COLUMNS}) ${personSpansSql('kpi_activity_months', 'true')} ORDER BY canonical_id`);
  await tx.query(`INSERT INTO kpi_review_requests (${REVIEW_REQUEST_COLUMNS}) ${reviewRequestsSql(rules, 'kpi_merge_requests', 'true')} ORDER BY requested_at`);
  await tx.query('INSERT INTO kpi_canonical (person_id, canonical_id) SELECT person_id, canonical_id FROM person_canonical');
  await tx.query(`ANALYZE ${ROLLUP_TABLES.join(', ')}, kpi_canonical`);
}

/**
 * The incremental path. The people to redo are everyone in the canonical groups that a changed person or
 * the author of a changed MR belongs to now, or belonged to at the last refresh (kpi_canonical): a merge
 * or an unmerge moves rows between groups, and both groups' rows are rebuilt.
 */
async function refreshChanged(tx: Session, rules: ClassificationRules): Promise<number> {
  await tx.query(`CREATE TEMP TABLE kpi_refresh_mrs ON COMMIT DROP AS SELECT id FROM kpi_changes WHERE scope = 'merge_request'`);
  await tx.query(
    `CREATE TEMP TABLE kpi_refresh_seeds ON COMMIT DROP AS
       SELECT id AS person_id FROM kpi_changes WHERE scope = 'person'
       UNION SELECT m.author_id FROM merge_requests m JOIN kpi_refresh_mrs c ON c.id = m.id WHERE m.author_id IS NOT NULL
       UNION SELECT f.author_id FROM kpi_merge_requests f JOIN kpi_refresh_mrs c ON c.id = f.merge_request_id WHERE f.author_id IS NOT NULL`,
  );
  await tx.query(
    `CREATE TEMP TABLE kpi_refresh_groups ON COMMIT DROP AS
       SELECT pc.canonical_id FROM person_canonical pc JOIN kpi_refresh_seeds s ON s.person_id = pc.person_id
       UNION SELECT kc.canonical_id FROM kpi_canonical kc JOIN kpi_refresh_seeds s ON s.person_id = kc.person_id
       UNION SELECT s.person_id FROM kpi_refresh_seeds s
       UNION SELECT f.canonical_id FROM kpi_merge_requests f JOIN kpi_refresh_mrs c ON c.id = f.merge_request_id WHERE f.canonical_id IS NOT NULL`,
  );
  await tx.query(
    `CREATE TEMP TABLE kpi_refresh_people ON COMMIT DROP AS
       SELECT pc.person_id FROM person_canonical pc JOIN kpi_refresh_groups g ON g.canonical_id = pc.canonical_id
       UNION SELECT kc.person_id FROM kpi_canonical kc JOIN kpi_refresh_groups g ON g.canonical_id = kc.canonical_id
       UNION SELECT person_id FROM kpi_refresh_seeds`,
  );
  // Everyone redone is now in one of these groups; their rows may have been filed under any of them.
  await tx.query(
    `INSERT INTO kpi_refresh_groups SELECT pc.canonical_id FROM person_canonical pc JOIN kpi_refresh_people p ON p.person_id = pc.person_id
      EXCEPT SELECT canonical_id FROM kpi_refresh_groups`,
  );
  await tx.query('ANALYZE kpi_refresh_mrs, kpi_refresh_people, kpi_refresh_groups');

  // An MR's row depends on its author and on who responded to it (their class decides first responses).
  await tx.query(
    `CREATE TEMP TABLE kpi_refresh_facts ON COMMIT DROP AS
       SELECT id FROM kpi_refresh_mrs
       UNION SELECT m.id FROM merge_requests m WHERE m.author_id IN (SELECT person_id FROM kpi_refresh_people)
       UNION SELECT f.merge_request_id FROM kpi_merge_requests f WHERE f.author_id IN (SELECT person_id FROM kpi_refresh_people)
       UNION SELECT r.merge_request_id FROM reviews r WHERE r.reviewer_id IN (SELECT person_id FROM kpi_refresh_people)
       UNION SELECT m.id FROM comments c JOIN merge_requests m ON m.project_id = c.project_id AND c.target_ref = m.number::text
              WHERE c.target_type = 'merge_request' AND c.author_id IN (SELECT person_id FROM kpi_refresh_people)`,
  );
  await tx.query('ANALYZE kpi_refresh_facts');
  await tx.query('DELETE FROM kpi_merge_requests WHERE merge_request_id IN (SELECT id FROM kpi_refresh_facts)');
  await tx.query(`INSERT INTO kpi_merge_requests (${FACT_COLUMNS}) ${mergeRequestFactsSql(rules, 'm.id IN (SELECT id FROM kpi_refresh_facts)')}`);

  await tx.query('DELETE FROM kpi_author_months WHERE canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)');
  await tx.query(
    `INSERT INTO kpi_author_months (${AUTHOR_MONTH_COLUMNS}) ${authorMonthsSql('kpi_merge_requests', 'f.canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)')}`,
  );
  await tx.query('DELETE FROM kpi_author_spans WHERE canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)');
  await tx.query(
    `INSERT INTO kpi_author_spans (${AUTHOR_SPAN_COLUMNS}) ${authorSpansSql('kpi_author_months', 'am.canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)')}`,
  );
  await tx.query('DELETE FROM kpi_activity_months WHERE canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)');
  await tx.query(
    `INSERT INTO kpi_activity_months (${ACTIVITY_MONTH_COLUMNS}) ${activityMonthsSql(
      rules,
      'a.person_id IN (SELECT pc.person_id FROM person_canonical pc JOIN kpi_refresh_groups g ON g.canonical_id = pc.canonical_id)',
    )}`,
  );
  await tx.query('DELETE FROM kpi_activity_spans WHERE canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)');
  await tx.query(
    `INSERT INTO kpi_activity_spans (${ACTIVITY_SPAN_COLUMNS}) ${activitySpansSql('kpi_activity_months', 'am.canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)')}`,
  );
  await tx.query('DELETE FROM kpi_person_months WHERE canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)');
  await tx.query(
    `INSERT INTO kpi_person_months (${PERSON_MONTH_COLUMNS}) ${personMonthsSql('kpi_activity_months', 'am.canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)')}`,
  );
  await tx.query('DELETE FROM kpi_person_spans WHERE canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)');
  await tx.query(
    `INSERT INTO kpi_person_spans (${PERSON_SPAN_COLUMNS}) ${personSpansSql('kpi_activity_months', 'am.canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)')}`,
  );
  // A request's row depends on its MR's row (redone above), its reviewer's group (canonical person, class) and
  // the notes and reviews of that group; a responder whose group changed is in the reviewer's old or new group,
  // so among these people.
  await tx.query(
    `CREATE TEMP TABLE kpi_refresh_review_mrs ON COMMIT DROP AS
       SELECT id FROM kpi_refresh_facts
       UNION SELECT merge_request_id FROM kpi_review_requests WHERE reviewer_id IN (SELECT person_id FROM kpi_refresh_people)`,
  );
  await tx.query('DELETE FROM kpi_review_requests WHERE merge_request_id IN (SELECT id FROM kpi_refresh_review_mrs)');
  await tx.query(
    `INSERT INTO kpi_review_requests (${REVIEW_REQUEST_COLUMNS}) ${reviewRequestsSql(rules, 'kpi_merge_requests', 'm.id IN (SELECT id FROM kpi_refresh_review_mrs)')}`,
  );
  await tx.query(
    `DELETE FROM kpi_canonical WHERE person_id IN (SELECT person_id FROM kpi_refresh_people)
        OR canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups)`,
  );
  await tx.query(
    `INSERT INTO kpi_canonical (person_id, canonical_id)
       SELECT pc.person_id, pc.canonical_id FROM person_canonical pc
        WHERE pc.canonical_id IN (SELECT canonical_id FROM kpi_refresh_groups) OR pc.person_id IN (SELECT person_id FROM kpi_refresh_people)
       ON CONFLICT (person_id) DO UPDATE SET canonical_id = excluded.canonical_id`,
  );
  await tx.query(
    `DELETE FROM kpi_changes c WHERE (c.scope = 'merge_request' AND c.id IN (SELECT id FROM kpi_refresh_mrs))
        OR (c.scope = 'person' AND c.id IN (SELECT person_id FROM kpi_refresh_seeds))`,
  );
  const [row] = await tx.query<{ n: unknown }>('SELECT count(*) AS n FROM kpi_refresh_people');
  return toNumber(row?.n);
}

/** One line saying what a refresh did, for the CLI. */
export function describeRefresh(result: RefreshResult): string {
  if (result.mode === 'none') return 'KPI rollups: up to date';
  if (result.mode === 'full') return `KPI rollups rebuilt (${result.reason}) in ${result.seconds.toFixed(1)} s`;
  return `KPI rollups updated for ${result.mergeRequests} changed merge requests and ${result.people} people in ${result.seconds.toFixed(1)} s`;
}
