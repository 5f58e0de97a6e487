import type { Session } from '../db/connection.ts';
import { type BotStatus, botStatus } from './bots.ts';
import { type Classification, type ClassificationRulesInput, classify } from './classify.ts';
import { findPerson, membersOf, type PersonRef, rootsOf } from './common.ts';
import { type MergeRecord, mergeHistory } from './merge.ts';
import { organisationAt } from './organisations.ts';

export interface PersonSummary {
  id: bigint;
  key: string;
  name: string | null;
  /** People merged into this one (itself excluded). */
  merged: number;
  identities: number;
  bot: boolean;
}

/** Canonical people, optionally those with a key, name or identity containing `search`. */
export async function listPeople(session: Session, options: { search?: string; limit?: number; offset?: number; bots?: boolean } = {}): Promise<PersonSummary[]> {
  const search = options.search?.trim().toLowerCase() || null;
  return session.query<PersonSummary>(
    `WITH canon AS MATERIALIZED (SELECT person_id, canonical_id FROM person_canonical),
     matched AS (
       SELECT DISTINCT c.canonical_id FROM canon c JOIN people p ON p.id = c.person_id
        WHERE $1::text IS NULL OR lower(p.key) LIKE '%' || $1 || '%' OR lower(coalesce(p.name, '')) LIKE '%' || $1 || '%'
           OR EXISTS (SELECT 1 FROM identities i WHERE i.person_id = p.id AND (i.value_normalised LIKE '%' || $1 || '%' OR lower(coalesce(i.display_name, '')) LIKE '%' || $1 || '%'))),
     counts AS (
       SELECT g.canonical_id, count(*) AS n FROM identities i JOIN canon g ON g.person_id = i.person_id
        WHERE g.canonical_id IN (SELECT canonical_id FROM matched) GROUP BY g.canonical_id),
     summary AS (
       SELECT m.canonical_id AS id, count(DISTINCT c.person_id) - 1 AS merged,
              coalesce(bool_or(p.bot_override) FILTER (WHERE p.id = m.canonical_id), bool_or(p.bot_override), bool_or(p.is_bot OR p.bot_detected IS NOT NULL)) AS bot
         FROM matched m JOIN canon c ON c.canonical_id = m.canonical_id JOIN people p ON p.id = c.person_id
        GROUP BY m.canonical_id)
     SELECT p.id, p.key, p.name, s.merged::int AS merged, coalesce(counts.n, 0)::int AS identities, coalesce(s.bot, false) AS bot
       FROM summary s JOIN people p ON p.id = s.id LEFT JOIN counts ON counts.canonical_id = s.id
      WHERE $4::boolean IS NULL OR coalesce(s.bot, false) = $4
      ORDER BY p.key LIMIT $2 OFFSET $3`,
    [search, options.limit ?? 50, options.offset ?? 0, options.bots ?? null],
  );
}

export interface PersonDetails {
  id: bigint;
  key: string;
  name: string | null;
  /** The canonical person when this one is merged into another. */
  canonical: { id: bigint; key: string } | null;
  members: { id: bigint; key: string; name: string | null; mergedInto: bigint | null }[];
  identities: { platform: string; kind: string; value: string; person: string; verified: boolean; displayName: string | null }[];
  bot: BotStatus;
  classification: { at: Date; class: Classification };
  organisation: { organisation: string; source: string } | null;
  affiliations: { organisation: string; validFrom: string | null; validTo: string | null; source: string; person: string }[];
  teamMemberships: { validFrom: string | null; validTo: string | null; title: string | null; department: string | null; roles: unknown; source: string; capacity: number | null }[];
  groupMemberships: { platform: string; group: string; validFrom: string | null; validTo: string | null; accessLevel: number | null }[];
  merges: MergeRecord[];
}

/** Everything about a person's canonical group: identities, merges, affiliations, memberships, bot status and class now. */
export async function showPerson(session: Session, ref: PersonRef, rules: ClassificationRulesInput = {}, at: Date = new Date()): Promise<PersonDetails> {
  const person = await findPerson(session, ref);
  const root = (await rootsOf(session, [person.id])).get(person.id) as bigint;
  const ids = (await membersOf(session, root)).map(String);
  const members = await session.query<PersonDetails['members'][number]>(
    'SELECT id, key, name, merged_into AS "mergedInto" FROM people WHERE id = ANY($1::int8[]) ORDER BY id = $2 DESC, key',
    [ids, root.toString()],
  );
  const rootRow = members.find((m) => m.id === root);
  return {
    id: person.id,
    key: person.key,
    name: person.name ?? rootRow?.name ?? null,
    canonical: root === person.id ? null : { id: root, key: rootRow?.key ?? '' },
    members,
    identities: await session.query(
      `SELECT i.platform::text AS platform, i.kind::text AS kind, i.value, p.key AS person, i.verified, i.display_name AS "displayName"
         FROM identities i JOIN people p ON p.id = i.person_id WHERE i.person_id = ANY($1::int8[]) ORDER BY i.platform, i.kind, i.value_normalised`,
      [ids],
    ),
    bot: await botStatus(session, root),
    classification: { at, class: await classify(session, root, at, rules) },
    organisation: await organisationAt(session, root, at),
    affiliations: await session.query(
      `SELECT o.name AS organisation, a.valid_from AS "validFrom", a.valid_to AS "validTo", a.source, p.key AS person
         FROM affiliations a JOIN organisations o ON o.id = a.organisation_id JOIN people p ON p.id = a.person_id
        WHERE a.person_id = ANY($1::int8[]) ORDER BY a.valid_from NULLS FIRST, o.name`,
      [ids],
    ),
    teamMemberships: await session.query(
      `SELECT valid_from AS "validFrom", valid_to AS "validTo", title, department, roles, source, capacity
         FROM team_memberships WHERE person_id = ANY($1::int8[]) ORDER BY valid_from NULLS FIRST`,
      [ids],
    ),
    groupMemberships: await session.query(
      `SELECT platform::text AS platform, group_path AS "group", valid_from AS "validFrom", valid_to AS "validTo", access_level AS "accessLevel"
         FROM group_memberships WHERE person_id = ANY($1::int8[]) ORDER BY group_path, valid_from NULLS FIRST`,
      [ids],
    ),
    merges: await mergeHistory(session, root),
  };
}
