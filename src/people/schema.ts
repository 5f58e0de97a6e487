import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgEnum,
  pgTable,
  pgView,
  real,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// Ids are deterministic hashes of each record's natural key (src/db/ids.ts), so no table uses a sequence.
const id = () => bigint('id', { mode: 'bigint' }).primaryKey();
const ref = (name: string) => bigint(name, { mode: 'bigint' });
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const platform = pgEnum('platform', ['gitlab', 'github', 'git', 'discord', 'discourse', 'reddit', 'crowdin', 'email', 'other']);
export const identityKind = pgEnum('identity_kind', ['username', 'email', 'user_id', 'name']);

/**
 * One human (or bot) behind any number of identities. `merged_into` keeps merges reversible: a merge
 * points one root person at another, an unmerge clears that one pointer (see src/people/merge.ts).
 */
export const people = pgTable(
  'people',
  {
    id: id(),
    key: text('key').notNull().unique(),
    name: text('name'),
    // Declared a bot by its data: the NDJSON `bot` field, a GitLab profile's `bot: true`.
    isBot: boolean('is_bot').notNull().default(false),
    country: text('country'),
    timezone: text('timezone'),
    mergedInto: ref('merged_into'),
    // The bot rule that matched one of this person's identities (src/people/bots.ts), null when none did.
    botDetected: text('bot_detected'),
    // A person's decision that overrides detection: true (a bot), false (not a bot), null (let the rules decide).
    botOverride: boolean('bot_override'),
  },
  (t) => [index('people_merged_into').on(t.mergedInto)],
);

export const identities = pgTable(
  'identities',
  {
    id: id(),
    platform: platform('platform').notNull(),
    kind: identityKind('kind').notNull(),
    // Stored as given; `value_normalised` (lower-cased, trimmed) carries the uniqueness.
    value: text('value').notNull(),
    valueNormalised: text('value_normalised').notNull(),
    personId: ref('person_id').notNull(),
    verified: boolean('verified').notNull().default(false),
    displayName: text('display_name'),
  },
  (t) => [
    uniqueIndex('identities_natural').on(t.platform, t.kind, t.valueNormalised),
    index('identities_person').on(t.personId),
    // Identical e-mails across platforms meet on (kind, value_normalised).
    index('identities_kind_value').on(t.kind, t.valueNormalised),
  ],
);

export const organisations = pgTable('organisations', {
  id: id(),
  name: text('name').notNull().unique(),
  domains: text('domains').array().notNull().default(sql`'{}'::text[]`),
  // Annual recurring revenue in whole currency units; numeric keeps it exact for MRARR.
  arr: numeric('arr'),
  parentId: ref('parent_id'),
});

export const affiliations = pgTable(
  'affiliations',
  {
    id: id(),
    personId: ref('person_id').notNull(),
    organisationId: ref('organisation_id').notNull(),
    // Half-open [from, to): null `from` means since always, null `to` means still.
    validFrom: date('valid_from', { mode: 'string' }),
    validTo: date('valid_to', { mode: 'string' }),
    source: text('source').notNull(),
  },
  (t) => [index('affiliations_person').on(t.personId)],
);

/** Periods during which a person was a team member, with roles such as MR coach (with specialty). */
export const teamMemberships = pgTable(
  'team_memberships',
  {
    id: id(),
    personId: ref('person_id').notNull(),
    validFrom: date('valid_from', { mode: 'string' }),
    validTo: date('valid_to', { mode: 'string' }),
    title: text('title'),
    department: text('department'),
    roles: jsonb('roles').$type<{ role: string; specialty?: string }[]>().notNull().default(sql`'[]'::jsonb`),
    source: text('source').notNull(),
    // How many community MRs a coach takes on at once; null means the workflow's default.
    capacity: integer('capacity'),
  },
  (t) => [index('team_memberships_person').on(t.personId)],
);

/**
 * The canonical person of every person: follow `merged_into` to the root. This is a view, not a
 * maintained column, so it is right whoever wrote `merged_into` (resolution, a manual merge, an NDJSON
 * import, a source) and an unmerge needs no bookkeeping. KPIs join it:
 * `JOIN person_canonical pc ON pc.person_id = a.person_id` and count `pc.canonical_id`.
 * A person on a `merged_into` cycle (which merge() never makes) has no row.
 */
export const personCanonical = pgView('person_canonical', {
  personId: bigint('person_id', { mode: 'bigint' }).notNull(),
  canonicalId: bigint('canonical_id', { mode: 'bigint' }).notNull(),
  depth: integer('depth').notNull(),
}).as(
  sql`WITH RECURSIVE walk(person_id, canonical_id, depth) AS (
    SELECT id, id, 0 FROM people WHERE merged_into IS NULL
    UNION ALL
    SELECT p.id, w.canonical_id, w.depth + 1 FROM people p JOIN walk w ON p.merged_into = w.person_id
  ) SELECT person_id, canonical_id, depth FROM walk`,
);

/**
 * The audit log of merges. Each row is one `merged_into` pointer set on a root person; an unmerge
 * clears exactly that pointer and stamps `undone_at`. Audit rows are local events with no natural key,
 * so, unlike the records of the interchange format, they take their ids from a sequence.
 */
export const personMerges = pgTable(
  'person_merges',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    fromPersonId: ref('from_person_id').notNull(),
    intoPersonId: ref('into_person_id').notNull(),
    // 'auto' (resolution), 'suggestion' (an accepted suggestion) or 'manual'.
    reason: text('reason').notNull(),
    // The rule behind an automatic or suggested merge (same_user_id, same_email, …), with its score.
    rule: text('rule'),
    score: real('score'),
    // What linked them: the identities on each side, for the record.
    evidence: jsonb('evidence').$type<Record<string, unknown>>(),
    actor: text('actor').notNull(),
    mergedAt: at('merged_at').notNull().defaultNow(),
    undoneAt: at('undone_at'),
    undoneBy: text('undone_by'),
  },
  (t) => [index('person_merges_from').on(t.fromPersonId), index('person_merges_into').on(t.intoPersonId)],
);

/** "Never merge these two": automatic resolution and suggestions leave such pairs apart. `person_a` < `person_b`. */
export const personSeparations = pgTable(
  'person_separations',
  {
    personA: ref('person_a').notNull(),
    personB: ref('person_b').notNull(),
    actor: text('actor').notNull(),
    note: text('note'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('person_separations_pair').on(t.personA, t.personB), index('person_separations_b').on(t.personB)],
);

/**
 * The watermark of incremental resolution: the identities and people resolveIdentities() has looked at.
 * Narrow tables of their own rather than a column, so stamping 100,000 rows is an insert of ids, not an
 * update of every wide row and its indexes.
 */
export const resolvedIdentities = pgTable('resolved_identities', { identityId: ref('identity_id').primaryKey() });
export const resolvedPeople = pgTable('resolved_people', { personId: ref('person_id').primaryKey() });

/**
 * A source saw an identity on an account other than the person holding it: "this GitLab username is
 * user 123's". IdentityCollector.save() writes one row when the identity already belonged to someone
 * else, and resolution merges the two (the certain link "same platform user id").
 */
export const identityClaims = pgTable(
  'identity_claims',
  {
    identityId: ref('identity_id').notNull(),
    personId: ref('person_id').notNull(),
    seenAt: at('seen_at').notNull().defaultNow(),
    resolvedAt: at('resolved_at'),
  },
  (t) => [uniqueIndex('identity_claims_pair').on(t.identityId, t.personId), index('identity_claims_unresolved').on(t.identityId).where(sql`resolved_at IS NULL`)],
);

/** Membership of a forge group (e.g. gitlab-org) over time, from the GitLab source or an import. Half-open [from, to). */
export const groupMemberships = pgTable(
  'group_memberships',
  {
    id: id(),
    personId: ref('person_id').notNull(),
    platform: platform('platform').notNull(),
    groupPath: text('group_path').notNull(),
    accessLevel: integer('access_level'),
    validFrom: date('valid_from', { mode: 'string' }),
    validTo: date('valid_to', { mode: 'string' }),
    source: text('source').notNull(),
  },
  (t) => [index('group_memberships_person').on(t.personId), index('group_memberships_group').on(t.platform, t.groupPath)],
);

/** A team member's out-of-office periods, half-open [from, to): coaches away are not assigned MRs. */
export const outOfOffice = pgTable(
  'out_of_office',
  {
    id: id(),
    personId: ref('person_id').notNull(),
    validFrom: date('valid_from', { mode: 'string' }).notNull(),
    validTo: date('valid_to', { mode: 'string' }),
    note: text('note'),
  },
  (t) => [index('out_of_office_person').on(t.personId)],
);
