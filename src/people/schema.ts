import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  index,
  jsonb,
  numeric,
  pgEnum,
  pgTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// Ids are deterministic hashes of each record's natural key (src/db/ids.ts), so no table uses a sequence.
const id = () => bigint('id', { mode: 'bigint' }).primaryKey();
const ref = (name: string) => bigint(name, { mode: 'bigint' });

export const platform = pgEnum('platform', ['gitlab', 'github', 'git', 'discord', 'discourse', 'reddit', 'crowdin', 'email', 'other']);
export const identityKind = pgEnum('identity_kind', ['username', 'email', 'user_id', 'name']);

/** One human (or bot) behind any number of identities. `merged_into` keeps merges reversible. */
export const people = pgTable('people', {
  id: id(),
  key: text('key').notNull().unique(),
  name: text('name'),
  isBot: boolean('is_bot').notNull().default(false),
  country: text('country'),
  timezone: text('timezone'),
  mergedInto: ref('merged_into'),
});

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
  },
  (t) => [index('team_memberships_person').on(t.personId)],
);
