import { z } from 'zod';
import type { Session } from '../db/connection.ts';
import { botRuleSql, canonicalBotSql } from './bots.ts';
import { findPerson, identityKeyForm, type PersonRef, sqlLiteral, sqlTextArray } from './common.ts';

/**
 * The one classification every KPI and workflow uses: (person, time) → team | community | bot.
 *
 *   1. bot wins (src/people/bots.ts: an override, the data, a detection rule, or `bots` below);
 *   2. team when any of: the person is in `team`; a roster membership (team_memberships) holds at that
 *      time; a membership of one of `groups` holds at that time; with `domainRule` on, one of the
 *      person's e-mail identities is at one of `teamDomains` (or a subdomain);
 *   3. community otherwise.
 * The person is taken at its canonical person: every identity, membership and flag of the merged group
 * counts. Periods are half-open [from, to) in days; `at` is compared by its UTC day.
 */

export const classificationRulesSchema = z.strictObject({
  /** Count roster memberships (team_memberships). */
  roster: z.boolean().default(true),
  /** Only memberships from these sources (e.g. ["gitlab-team"]); all when absent. */
  rosterSources: z.array(z.string().min(1)).optional(),
  /** Forge groups whose members are team, as "platform:path" or a bare GitLab path ("gitlab-org"). */
  groups: z.array(z.string().min(1)).default([]),
  /** The team's own e-mail domains (e.g. ["gitlab.com"]). Used by the domain rule and by reports. */
  teamDomains: z.array(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain name')).default([]),
  /** Count an e-mail at a team domain as team membership (off by default: personal addresses make it wrong both ways). */
  domainRule: z.boolean().default(false),
  /** Always team: person keys or identities ("gitlab:username:alice"). */
  team: z.array(z.string().min(1)).default([]),
  /** Always bots: person keys or identities. */
  bots: z.array(z.string().min(1)).default([]),
});

export type ClassificationRules = z.output<typeof classificationRulesSchema>;
export type ClassificationRulesInput = z.input<typeof classificationRulesSchema>;
export type Classification = 'team' | 'community' | 'bot';

/** Validates rules (throws a ZodError naming the field); defaults fill in what is left out. */
export function classificationRules(input: ClassificationRulesInput = {}): ClassificationRules {
  return classificationRulesSchema.parse(input);
}

function groupCondition(rules: ClassificationRules, alias: string): string {
  if (rules.groups.length === 0) return 'false';
  return rules.groups
    .map((group) => {
      const match = /^(gitlab|github):(.+)$/.exec(group);
      const [platform, path] = match ? [match[1] as string, match[2] as string] : ['gitlab', group];
      return `(${alias}.platform = ${sqlLiteral(platform)} AND ${alias}.group_path = ${sqlLiteral(path)})`;
    })
    .join(' OR ');
}

/**
 * The set-based form, for KPIs: a query giving (person_id, at, canonical_id, class) for every distinct
 * pair that `pairs` yields. `pairs` is any SQL query or relation whose first two columns are a person
 * id (int8) and an instant (timestamptz); its parameters ($1…) pass through untouched, and the rules
 * are inlined as literals. Use it as a subquery or a CTE:
 *
 *   WITH c AS (${classificationSql(rules, 'SELECT author_id, merged_at FROM merge_requests WHERE merged_at IS NOT NULL')})
 *   SELECT count(*) FILTER (WHERE c.class = 'community') FROM merge_requests m JOIN c ON c.person_id = m.author_id AND c.at = m.merged_at
 */
export function classificationSql(rulesInput: ClassificationRulesInput | ClassificationRules, pairs: string): string {
  const rules = classificationRules(rulesInput);
  const teamKeys = sqlTextArray(rules.team.map((k) => k.trim()));
  const teamIdentities = sqlTextArray(rules.team.map(identityKeyForm));
  const domains = sqlTextArray(rules.teamDomains.map((d) => d.toLowerCase()));
  const rosterSource = rules.rosterSources ? `AND t.source = ANY(${sqlTextArray(rules.rosterSources)})` : '';
  const periods: string[] = [];
  if (rules.roster) {
    periods.push(`SELECT g.canonical_id, t.valid_from, t.valid_to FROM grp g JOIN team_memberships t ON t.person_id = g.person_id WHERE true ${rosterSource}`);
  }
  if (rules.groups.length > 0) {
    periods.push(`SELECT g.canonical_id, m.valid_from, m.valid_to FROM grp g JOIN group_memberships m ON m.person_id = g.person_id WHERE ${groupCondition(rules, 'm')}`);
  }
  const always: string[] = [];
  if (rules.team.length > 0) {
    always.push(`SELECT g.canonical_id FROM grp g JOIN people p ON p.id = g.person_id WHERE p.key = ANY(${teamKeys})`);
    always.push(
      `SELECT g.canonical_id FROM grp g JOIN identities i ON i.person_id = g.person_id WHERE i.platform::text || ':' || i.kind::text || ':' || i.value_normalised = ANY(${teamIdentities})`,
    );
  }
  if (rules.domainRule && rules.teamDomains.length > 0) {
    always.push(
      `SELECT g.canonical_id FROM grp g JOIN identities i ON i.person_id = g.person_id
        WHERE i.kind = 'email' AND EXISTS (SELECT 1 FROM unnest(${domains}) d WHERE split_part(i.value_normalised, '@', 2) = d OR split_part(i.value_normalised, '@', 2) LIKE '%.' || d)`,
    );
  }
  return `WITH canon AS MATERIALIZED (SELECT person_id, canonical_id FROM person_canonical),
    q AS MATERIALIZED (
      SELECT DISTINCT pr.person_id, pr.at, coalesce(c.canonical_id, pr.person_id) AS canonical_id, (pr.at AT TIME ZONE 'UTC')::date AS day
        FROM (${pairs}) AS pr(person_id, at) LEFT JOIN canon c ON c.person_id = pr.person_id
       WHERE pr.person_id IS NOT NULL),
    grp AS MATERIALIZED (
      SELECT c.canonical_id, c.person_id FROM canon c WHERE c.canonical_id IN (SELECT canonical_id FROM q)
      UNION SELECT q.canonical_id, q.canonical_id FROM q),
    bot AS MATERIALIZED (${canonicalBotSql('grp', rules.bots)}),
    always_team AS MATERIALIZED (${always.length > 0 ? always.join(' UNION ') : 'SELECT NULL::int8 AS canonical_id WHERE false'}),
    periods AS MATERIALIZED (${periods.length > 0 ? periods.join(' UNION ALL ') : 'SELECT NULL::int8 AS canonical_id, NULL::date AS valid_from, NULL::date AS valid_to WHERE false'})
    SELECT q.person_id, q.at, q.canonical_id,
           CASE WHEN coalesce(b.bot, false) THEN 'bot'
                WHEN q.canonical_id IN (SELECT canonical_id FROM always_team) OR bool_or(pe.canonical_id IS NOT NULL) THEN 'team'
                ELSE 'community' END AS class
      FROM q LEFT JOIN bot b ON b.canonical_id = q.canonical_id
      LEFT JOIN periods pe ON pe.canonical_id = q.canonical_id
        AND (pe.valid_from IS NULL OR pe.valid_from <= q.day) AND (pe.valid_to IS NULL OR q.day < pe.valid_to)
     GROUP BY q.person_id, q.at, q.canonical_id, b.bot`;
}

export interface ClassifiedPair {
  personId: bigint;
  at: Date;
  canonicalId: bigint;
  class: Classification;
}

/** Classifies many (person id, instant) pairs in one query. */
export async function classifyMany(
  session: Session,
  pairs: readonly { personId: bigint; at: Date }[],
  rules: ClassificationRulesInput | ClassificationRules = {},
): Promise<ClassifiedPair[]> {
  if (pairs.length === 0) return [];
  return session.query<ClassifiedPair>(
    `SELECT person_id AS "personId", at, canonical_id AS "canonicalId", class
       FROM (${classificationSql(rules, 'SELECT * FROM unnest($1::int8[], $2::timestamptz[])')}) c ORDER BY person_id, at`,
    [pairs.map((p) => p.personId.toString()), pairs.map((p) => p.at.toISOString())],
  );
}

/** classify(person, at): team, community or bot. */
export async function classify(session: Session, person: PersonRef, at: Date, rules: ClassificationRulesInput | ClassificationRules = {}): Promise<Classification> {
  const found = await findPerson(session, person);
  const [row] = await classifyMany(session, [{ personId: found.id, at }], rules);
  return (row?.class ?? 'community') as Classification;
}

export interface MergedMergeRequestCounts {
  /** Merged MRs looked at. */
  mergeRequests: number;
  /** Merged MRs with no author. */
  withoutAuthor: number;
  team: number;
  community: number;
  bot: number;
  /** Team MRs none of whose author e-mails (of the MR's commits, and the authors its merge message states) is at a team domain. */
  teamWithoutTeamDomainEmail: number;
  /** Community MRs whose author matches a bot rule on re-detection (should be 0: a bot counted as community). */
  botsCountedAsCommunity: number;
  /** Distinct canonical authors per class. */
  authors: { team: number; community: number; bot: number };
}

/**
 * Classifies the author of every merged MR at its merged_at and counts: the check the KPIs rest on.
 * `projects` limits to projects given as "platform:path".
 */
export async function classifyMergedMergeRequests(
  session: Session,
  rulesInput: ClassificationRulesInput | ClassificationRules = {},
  options: { projects?: readonly string[] } = {},
): Promise<MergedMergeRequestCounts> {
  const rules = classificationRules(rulesInput);
  const domains = sqlTextArray(rules.teamDomains.map((d) => d.toLowerCase()));
  const projectFilter = options.projects?.length ? `AND m.project_id IN (SELECT id FROM projects WHERE platform::text || ':' || path = ANY($1::text[]))` : '';
  const params = options.projects?.length ? [[...options.projects]] : [];
  const atDomain = (email: string) =>
    `EXISTS (SELECT 1 FROM unnest(${domains}) d WHERE split_part(lower(${email}), '@', 2) = d OR split_part(lower(${email}), '@', 2) LIKE '%.' || d)`;
  const [row] = await session.query<Record<string, bigint>>(
    `WITH mrs AS MATERIALIZED (SELECT m.id, m.project_id, m.number, m.author_id, m.merged_at FROM merge_requests m WHERE m.merged_at IS NOT NULL ${projectFilter}),
     c AS MATERIALIZED (${classificationSql(rules, 'SELECT author_id, merged_at FROM mrs')}),
     classified AS MATERIALIZED (
       SELECT mrs.*, c.class, c.canonical_id FROM mrs LEFT JOIN c ON c.person_id = mrs.author_id AND c.at = mrs.merged_at),
     -- The e-mails the MR itself was written with (its commits', and those its merge message states),
     -- not every address the person ever used: the question is what a domain rule would have seen.
     team_domain_authors AS MATERIALIZED (
       SELECT DISTINCT x.id FROM classified x
         JOIN commits k ON k.project_id = x.project_id AND k.merge_request_number = x.number
        WHERE x.class = 'team' AND k.author_email IS NOT NULL AND ${atDomain('k.author_email')}
       UNION
       -- MRs read from git history state their authors (M^1..M^2 and Co-authored-by trailers).
       SELECT DISTINCT x.id FROM classified x
         JOIN merge_requests m ON m.id = x.id
         CROSS JOIN LATERAL jsonb_array_elements(coalesce(m.authors, '[]'::jsonb)) AS a(author)
        WHERE x.class = 'team' AND ${atDomain("a.author->>'email'")}),
     botlike AS MATERIALIZED (
       SELECT DISTINCT x.id FROM classified x
         JOIN person_canonical g ON g.canonical_id = x.canonical_id
         JOIN identities i ON i.person_id = g.person_id
        WHERE x.class = 'community' AND (${botRuleSql('i')}) IS NOT NULL)
     SELECT count(*) AS merge_requests,
            count(*) FILTER (WHERE author_id IS NULL) AS without_author,
            count(*) FILTER (WHERE class = 'team') AS team,
            count(*) FILTER (WHERE class = 'community') AS community,
            count(*) FILTER (WHERE class = 'bot') AS bot,
            count(*) FILTER (WHERE class = 'team' AND id NOT IN (SELECT id FROM team_domain_authors)) AS team_without_domain,
            (SELECT count(*) FROM botlike) AS botlike,
            count(DISTINCT canonical_id) FILTER (WHERE class = 'team') AS team_authors,
            count(DISTINCT canonical_id) FILTER (WHERE class = 'community') AS community_authors,
            count(DISTINCT canonical_id) FILTER (WHERE class = 'bot') AS bot_authors
       FROM classified`,
    params,
  );
  const n = (key: string) => Number(row?.[key] ?? 0);
  return {
    mergeRequests: n('merge_requests'),
    withoutAuthor: n('without_author'),
    team: n('team'),
    community: n('community'),
    bot: n('bot'),
    teamWithoutTeamDomainEmail: n('team_without_domain'),
    botsCountedAsCommunity: n('botlike'),
    authors: { team: n('team_authors'), community: n('community_authors'), bot: n('bot_authors') },
  };
}
