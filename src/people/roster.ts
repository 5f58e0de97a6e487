import { z } from 'zod';
import type { Session } from '../db/connection.ts';
import { idText } from '../db/ids.ts';
import { findPerson, InputError, inTransaction, isDay, PeopleError, type PersonRef, today } from './common.ts';
import { csvLine, parseCsv } from './csv.ts';
import { IdentityCollector, type IdentitySighting, personKeyOf } from './identities.ts';
import { affiliateFromProfile } from './organisations.ts';

/**
 * The team: who was a team member when, with title, department and roles (MR coach with a specialty),
 * capacity and out-of-office periods; and forge group membership over time. A roster file is a
 * snapshot: importing it opens a membership for each person in it (from start_date, or open-ended when
 * the file has none) and, with `closeMissing`, ends at `asOf` the open memberships of the same source
 * whose person is no longer in it. Periods are half-open [valid_from, valid_to).
 */

export const COACH_SPECIALTIES = ['development', 'docs', 'quality', 'ux'] as const;
export type CoachSpecialty = (typeof COACH_SPECIALTIES)[number];

export interface RosterImportOptions {
  /** The day the snapshot describes (default today): memberships no longer in it end then. */
  asOf?: string;
  /** End open memberships of this source whose person is not in the file (default true). */
  closeMissing?: boolean;
  /** Default 'gitlab-team' for the GitLab format, 'roster' for CSV. */
  source?: string;
}

export interface RosterImportStats {
  members: number;
  created: number;
  updated: number;
  closed: number;
  coaches: number;
}

const day = z.string().refine(isDay, 'must be a date (YYYY-MM-DD)');

/** One line of GitLab's team-member file (data/team_members/person/*.yml, as NDJSON). Other fields are ignored. */
const gitlabTeamMember = z.object({
  slug: z.string().min(1, 'must not be empty'),
  name: z.string().nullish(),
  gitlab: z.string().nullish(),
  role: z.string().nullish(),
  departments: z.array(z.string()).nullish(),
  country: z.string().nullish(),
  start_date: day.nullish(),
  projects: z.record(z.string(), z.unknown()).nullish(),
  specialty: z.union([z.string(), z.array(z.string())]).nullish(),
});

interface Member {
  line: number;
  identity: IdentitySighting;
  email?: IdentitySighting | undefined;
  name: string | null;
  validFrom: string | null;
  validTo: string | null;
  title: string | null;
  department: string | null;
  coach: CoachSpecialty | null;
  capacity: number | null;
}

/**
 * The coach specialty a role implies: docs, quality (tests, tooling, pipelines), UX, or development.
 * The role decides; departments only when there is no role (a developer in the Quality department is
 * a development coach).
 */
export function coachSpecialtyOf(role: string, departments: readonly string[] = []): CoachSpecialty {
  const text = (role.trim() || departments.join(' ')).toLowerCase();
  if (/technical writ|documentation|\bdocs\b/.test(text)) return 'docs';
  if (/quality|in test|\bqa\b|test automation|engineering productivity/.test(text)) return 'quality';
  if (/design|\bux\b|user experience|ux research/.test(text)) return 'ux';
  return 'development';
}

/** GitLab's team-member format, one JSON object a line (see ../shared/fixtures/roster). All lines or none. */
export async function importGitlabTeam(db: Session, text: string, options: RosterImportOptions = {}): Promise<RosterImportStats> {
  const members: Member[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw new InputError(line, undefined, `not JSON (${(error as Error).message})`);
    }
    const parsed = gitlabTeamMember.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0] as z.core.$ZodIssue;
      throw new InputError(line, issue.path.join('.') || undefined, issue.message);
    }
    const row = parsed.data;
    const departments = row.departments ?? [];
    const isCoach = departments.some((d) => /merge request coach/i.test(d)) || /\bcoach\b/i.test(row.role ?? '');
    const username = row.gitlab?.trim();
    members.push({
      line,
      identity: username
        ? { platform: 'gitlab', kind: 'username', value: username, displayName: row.name ?? null }
        : { platform: 'other', kind: 'username', value: `roster:${row.slug}`, displayName: row.name ?? null },
      name: row.name ?? null,
      validFrom: row.start_date ?? null,
      validTo: null,
      title: row.role ?? null,
      department: departments.filter((d) => !/merge request coach/i.test(d)).find((d) => /department/i.test(d)) ?? departments.at(-1) ?? null,
      coach: isCoach ? coachSpecialtyOf(row.role ?? '', departments) : null,
      capacity: null,
    });
  });
  return saveRoster(db, members, { ...options, source: options.source ?? 'gitlab-team' });
}

const CSV_COLUMNS = ['platform', 'username', 'email', 'name', 'title', 'department', 'valid_from', 'valid_to', 'coach', 'capacity'] as const;
const PLATFORMS = ['gitlab', 'github', 'git', 'discord', 'discourse', 'reddit', 'crowdin', 'email', 'other'] as const;

/**
 * A roster as CSV: username (with platform, default gitlab) or email, name, title, department,
 * valid_from, valid_to, coach (a specialty: development, docs, quality, ux; empty when not a coach),
 * capacity. All rows or none.
 */
export async function importRosterCsv(db: Session, text: string, options: RosterImportOptions = {}): Promise<RosterImportStats> {
  const records = parseCsv(text, { known: CSV_COLUMNS });
  const members = records.map(({ line, values }): Member => {
    const platform = (values.platform || 'gitlab').toLowerCase();
    if (!(PLATFORMS as readonly string[]).includes(platform)) throw new InputError(line, 'platform', `must be one of ${PLATFORMS.join(', ')}`);
    const username = values.username ?? '';
    const email = values.email ?? '';
    if (!username && !email) throw new InputError(line, 'username', 'a username or an email is needed');
    if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new InputError(line, 'email', 'must be an e-mail address');
    for (const field of ['valid_from', 'valid_to'] as const) {
      if (values[field] && !isDay(values[field] as string)) throw new InputError(line, field, 'must be a date (YYYY-MM-DD)');
    }
    if (values.valid_from && values.valid_to && values.valid_to <= values.valid_from) throw new InputError(line, 'valid_to', 'must be after valid_from');
    const coach = (values.coach ?? '').toLowerCase();
    if (coach && !(COACH_SPECIALTIES as readonly string[]).includes(coach)) {
      throw new InputError(line, 'coach', `must be empty or one of ${COACH_SPECIALTIES.join(', ')}`);
    }
    const capacity = values.capacity ? Number(values.capacity) : null;
    if (capacity !== null && (!Number.isInteger(capacity) || capacity < 0)) throw new InputError(line, 'capacity', 'must be a whole number');
    const name = values.name || null;
    const emailSighting: IdentitySighting | undefined = email ? { platform: 'email', kind: 'email', value: email, displayName: name } : undefined;
    return {
      line,
      identity: username ? { platform: platform as IdentitySighting['platform'], kind: 'username', value: username, displayName: name } : (emailSighting as IdentitySighting),
      email: username ? emailSighting : undefined,
      name,
      validFrom: values.valid_from || null,
      validTo: values.valid_to || null,
      title: values.title || null,
      department: values.department || null,
      coach: (coach || null) as CoachSpecialty | null,
      capacity,
    };
  });
  return saveRoster(db, members, { ...options, source: options.source ?? 'roster' });
}

async function saveRoster(db: Session, members: Member[], options: RosterImportOptions & { source: string }): Promise<RosterImportStats> {
  const asOf = options.asOf ?? today();
  if (!isDay(asOf)) throw new PeopleError('invalid', `asOf must be a date (YYYY-MM-DD), got ${JSON.stringify(asOf)}`);
  const seen = new Map<string, number>();
  for (const m of members) {
    const key = `${personKeyOf(m.identity)}\u0001${m.validFrom ?? ''}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new InputError(m.line, m.identity.kind, `${m.identity.value} is already on line ${earlier}`);
    seen.set(key, m.line);
  }
  return inTransaction(db, async (tx) => {
    // People and identities through the sources' contract: a roster username is an identity like any other.
    const collector = new IdentityCollector();
    for (const m of members) {
      collector.see(m.identity);
      if (m.email) collector.see(m.email, m.identity);
    }
    await collector.save(tx);
    // The person each member is: whoever holds the identity now.
    const holders = await tx.query<{ platform: string; kind: string; value: string; id: bigint; key: string }>(
      `SELECT i.platform::text AS platform, i.kind::text AS kind, i.value_normalised AS value, p.id, p.key
         FROM unnest($1::text[], $2::text[], $3::text[]) AS u(platform, kind, value)
         JOIN identities i ON i.platform = u.platform::platform AND i.kind = u.kind::identity_kind AND i.value_normalised = u.value
         JOIN people p ON p.id = i.person_id`,
      [members.map((m) => m.identity.platform), members.map((m) => m.identity.kind), members.map((m) => m.identity.value.trim().toLowerCase())],
    );
    const holder = new Map(holders.map((h) => [`${h.platform}:${h.kind}:${h.value}`, h]));
    const rows = members.map((m) => {
      const person = holder.get(personKeyOf(m.identity));
      if (!person) throw new InputError(m.line, m.identity.kind, `could not store ${m.identity.value}`);
      return {
        id: idText('team_membership', person.key, m.validFrom ?? ''),
        personId: person.id.toString(),
        member: m,
      };
    });
    await tx.query(
      `UPDATE people p SET name = u.name FROM unnest($1::int8[], $2::text[]) AS u(id, name) WHERE p.id = u.id AND p.name IS NULL AND u.name IS NOT NULL`,
      [rows.map((r) => r.personId), rows.map((r) => r.member.name)],
    );
    const written = await tx.query<{ inserted: boolean }>(
      `INSERT INTO team_memberships (id, person_id, valid_from, valid_to, title, department, roles, source, capacity)
       SELECT id::int8, person_id::int8, nullif(valid_from, '')::date, nullif(valid_to, '')::date, title, department, roles::jsonb, $9, capacity
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
           AS u(id, person_id, valid_from, valid_to, title, department, roles, capacity)
       ON CONFLICT (id) DO UPDATE SET valid_to = excluded.valid_to, title = excluded.title, department = excluded.department,
         roles = excluded.roles, source = excluded.source, capacity = coalesce(excluded.capacity, team_memberships.capacity)
       RETURNING (xmax = 0) AS inserted`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.personId),
        rows.map((r) => r.member.validFrom ?? ''),
        rows.map((r) => r.member.validTo ?? ''),
        rows.map((r) => r.member.title),
        rows.map((r) => r.member.department),
        rows.map((r) => JSON.stringify(r.member.coach ? [{ role: 'coach', specialty: r.member.coach }] : [])),
        rows.map((r) => r.member.capacity),
        options.source,
      ],
    );
    let closed = 0;
    if (options.closeMissing ?? true) {
      const ended = await tx.query(
        `UPDATE team_memberships SET valid_to = $2::date
          WHERE source = $1 AND valid_to IS NULL AND NOT (id = ANY($3::int8[])) AND (valid_from IS NULL OR valid_from < $2::date)
          RETURNING id`,
        [options.source, asOf, rows.map((r) => r.id)],
      );
      closed = ended.length;
    }
    const created = written.filter((w) => w.inserted).length;
    return { members: rows.length, created, updated: rows.length - created, closed, coaches: members.filter((m) => m.coach).length };
  });
}

/** The roster as CSV, in the format importRosterCsv() reads; only memberships from `source` when given. */
export async function exportRosterCsv(session: Session, options: { source?: string } = {}): Promise<string> {
  const rows = await session.query<{
    platform: string | null;
    username: string | null;
    email: string | null;
    name: string | null;
    title: string | null;
    department: string | null;
    valid_from: string | null;
    valid_to: string | null;
    coach: string | null;
    capacity: number | null;
  }>(
    `SELECT u.platform::text AS platform, u.value AS username, e.value AS email, p.name, t.title, t.department, t.valid_from, t.valid_to,
            (SELECT r->>'specialty' FROM jsonb_array_elements(t.roles) r WHERE r->>'role' = 'coach' LIMIT 1) AS coach, t.capacity
       FROM team_memberships t JOIN people p ON p.id = t.person_id
       LEFT JOIN LATERAL (SELECT platform, value FROM identities i WHERE i.person_id = p.id AND i.kind = 'username' ORDER BY i.platform = 'gitlab' DESC, i.id LIMIT 1) u ON true
       LEFT JOIN LATERAL (SELECT value FROM identities i WHERE i.person_id = p.id AND i.kind = 'email' ORDER BY i.id LIMIT 1) e ON true
      WHERE $1::text IS NULL OR t.source = $1
      ORDER BY coalesce(u.value, e.value), t.valid_from NULLS FIRST`,
    [options.source ?? null],
  );
  let out = csvLine(CSV_COLUMNS);
  for (const r of rows) {
    out += csvLine([r.username ? r.platform : '', r.username, r.email, r.name, r.title, r.department, r.valid_from, r.valid_to, r.coach, r.capacity]);
  }
  return out;
}

/** A member of a forge group as the GitLab API lists it (GET /groups/:id/members). */
export interface GroupMemberPayload {
  id: number | string;
  username: string;
  name?: string | null;
  access_level?: number | null;
  email?: string | null;
  created_at?: string | null;
}

/**
 * Group membership from the GitLab source: the members listed now. New members open a membership on
 * their `created_at` day (else `at`); members no longer listed end theirs at `at`.
 */
export async function syncGroupMembers(
  db: Session,
  group: { platform?: 'gitlab' | 'github'; path: string },
  members: readonly GroupMemberPayload[],
  at: string = today(),
): Promise<{ opened: number; closed: number; members: number }> {
  if (!isDay(at)) throw new PeopleError('invalid', `at must be a date (YYYY-MM-DD), got ${JSON.stringify(at)}`);
  const platform = group.platform ?? 'gitlab';
  return inTransaction(db, async (tx) => {
    const collector = new IdentityCollector();
    const personKeys: string[] = [];
    for (const m of members) {
      const account: IdentitySighting = { platform, kind: 'user_id', value: String(m.id), displayName: m.name ?? null };
      collector.see(account);
      collector.see({ platform, kind: 'username', value: m.username, displayName: m.name ?? null }, account);
      if (m.email) collector.see({ platform, kind: 'email', value: m.email, displayName: m.name ?? null }, account);
      personKeys.push(personKeyOf(account));
    }
    await collector.save(tx);
    const people = new Map(
      (await tx.query<{ id: bigint; key: string }>('SELECT id, key FROM people WHERE key = ANY($1::text[])', [personKeys])).map((p) => [p.key, p.id]),
    );
    const open = await tx.query<{ id: bigint; person_id: bigint }>(
      'SELECT id, person_id FROM group_memberships WHERE platform = $1::platform AND group_path = $2 AND valid_to IS NULL',
      [platform, group.path],
    );
    const openByPerson = new Set(open.map((o) => o.person_id));
    const listed = new Set<bigint>();
    const fresh: { id: string; personId: string; from: string; level: number | null }[] = [];
    members.forEach((m, index) => {
      const key = personKeys[index] as string;
      const personId = people.get(key) as bigint;
      listed.add(personId);
      if (openByPerson.has(personId)) return;
      const from = m.created_at && !Number.isNaN(Date.parse(m.created_at)) ? new Date(m.created_at).toISOString().slice(0, 10) : at;
      fresh.push({ id: idText('group_membership', platform, group.path, key, from), personId: personId.toString(), from, level: m.access_level ?? null });
    });
    if (fresh.length > 0) {
      await tx.query(
        `INSERT INTO group_memberships (id, person_id, platform, group_path, access_level, valid_from, source)
         SELECT id::int8, person_id::int8, $5::platform, $6, level, valid_from::date, 'api'
           FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS u(id, person_id, valid_from, level)
         ON CONFLICT (id) DO UPDATE SET valid_to = NULL, access_level = excluded.access_level`,
        [fresh.map((f) => f.id), fresh.map((f) => f.personId), fresh.map((f) => f.from), fresh.map((f) => f.level), platform, group.path],
      );
    }
    const gone = open.filter((o) => !listed.has(o.person_id)).map((o) => o.id.toString());
    if (gone.length > 0) {
      await tx.query(`UPDATE group_memberships SET valid_to = greatest($2::date, coalesce(valid_from + 1, $2::date)) WHERE id = ANY($1::int8[])`, [gone, at]);
    }
    return { opened: fresh.length, closed: gone.length, members: members.length };
  });
}

/** A GitLab user profile (GET /users/:id): its identities, bot flag and organisation field. */
export interface UserProfilePayload {
  id: number | string;
  username: string;
  name?: string | null;
  bot?: boolean | null;
  public_email?: string | null;
  organization?: string | null;
}

/**
 * Saves profiles from the GitLab API: user id, username and public e-mail as identities of one
 * account (a public e-mail then links commit e-mails to it), `bot: true` as a declared bot, and the
 * organisation field as a 'profile' affiliation.
 */
export async function saveUserProfiles(db: Session, profiles: readonly UserProfilePayload[], platform: 'gitlab' | 'github' = 'gitlab'): Promise<number> {
  return inTransaction(db, async (tx) => {
    const collector = new IdentityCollector();
    for (const p of profiles) {
      const account: IdentitySighting = { platform, kind: 'user_id', value: String(p.id), displayName: p.name ?? null };
      collector.see(account);
      collector.see({ platform, kind: 'username', value: p.username, displayName: p.name ?? null }, account);
      if (p.public_email) collector.see({ platform, kind: 'email', value: p.public_email, displayName: p.name ?? null }, account);
    }
    await collector.save(tx);
    for (const p of profiles) {
      const key = personKeyOf({ platform, kind: 'user_id', value: String(p.id) });
      if (p.bot) await tx.query('UPDATE people SET is_bot = true WHERE key = $1', [key]);
      if (p.name) await tx.query('UPDATE people SET name = $2 WHERE key = $1 AND name IS NULL', [key, p.name]);
      if (p.organization) await affiliateFromProfile(tx, key, p.organization);
    }
    return profiles.length;
  });
}

/** Records an out-of-office period [from, to) for a team member. */
export async function setOutOfOffice(db: Session, person: PersonRef, from: string, to: string | null, note?: string): Promise<void> {
  if (!isDay(from)) throw new PeopleError('invalid', `from must be a date (YYYY-MM-DD), got ${JSON.stringify(from)}`);
  if (to !== null && (!isDay(to) || to <= from)) throw new PeopleError('invalid', `to must be a date after ${from}, got ${JSON.stringify(to)}`);
  await inTransaction(db, async (tx) => {
    const found = await findPerson(tx, person);
    await tx.query(
      `INSERT INTO out_of_office (id, person_id, valid_from, valid_to, note) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET valid_to = excluded.valid_to, note = excluded.note`,
      [idText('out_of_office', found.key, from), found.id.toString(), from, to, note ?? null],
    );
  });
}

/** Sets the capacity on `person`'s memberships open at `at`. */
export async function setCapacity(db: Session, person: PersonRef, capacity: number | null, at: string = today()): Promise<number> {
  if (capacity !== null && (!Number.isInteger(capacity) || capacity < 0)) throw new PeopleError('invalid', 'capacity must be a whole number');
  return inTransaction(db, async (tx) => {
    const found = await findPerson(tx, person);
    const rows = await tx.query(
      `UPDATE team_memberships SET capacity = $2 WHERE person_id = $1
          AND (valid_from IS NULL OR valid_from <= $3::date) AND (valid_to IS NULL OR $3::date < valid_to) RETURNING id`,
      [found.id.toString(), capacity, at],
    );
    if (rows.length === 0) throw new PeopleError('not_found', `${found.key} has no team membership on ${at}`);
    return rows.length;
  });
}

export interface Coach {
  personId: bigint;
  key: string;
  name: string | null;
  specialty: string;
  capacity: number | null;
  outOfOffice: boolean;
  /** Open MRs with this coach (any person of the group) as reviewer. */
  openReviews: number;
}

/** MR coaches on `at`: team members whose membership then has the coach role; `available` leaves out those away or at capacity. */
export async function coaches(session: Session, options: { at?: string; specialty?: string; available?: boolean } = {}): Promise<Coach[]> {
  const at = options.at ?? today();
  if (!isDay(at)) throw new PeopleError('invalid', `at must be a date (YYYY-MM-DD), got ${JSON.stringify(at)}`);
  const rows = await session.query<Coach>(
    `WITH canon AS MATERIALIZED (SELECT person_id, canonical_id FROM person_canonical),
     c AS (
       SELECT DISTINCT ON (coalesce(pc.canonical_id, t.person_id)) coalesce(pc.canonical_id, t.person_id) AS canonical_id, r->>'specialty' AS specialty, t.capacity
         FROM team_memberships t CROSS JOIN LATERAL jsonb_array_elements(t.roles) r
         LEFT JOIN canon pc ON pc.person_id = t.person_id
        WHERE r->>'role' = 'coach' AND (t.valid_from IS NULL OR t.valid_from <= $1::date) AND (t.valid_to IS NULL OR $1::date < t.valid_to)
        ORDER BY coalesce(pc.canonical_id, t.person_id), t.valid_from DESC NULLS LAST)
     SELECT p.id AS "personId", p.key, p.name, coalesce(c.specialty, 'development') AS specialty, c.capacity,
            EXISTS (SELECT 1 FROM out_of_office o JOIN canon g ON g.person_id = o.person_id
                     WHERE g.canonical_id = c.canonical_id AND o.valid_from <= $1::date AND (o.valid_to IS NULL OR $1::date < o.valid_to)) AS "outOfOffice",
            (SELECT count(*)::int FROM merge_requests m
              WHERE m.state = 'opened' AND m.reviewer_ids && ARRAY(SELECT g.person_id FROM canon g WHERE g.canonical_id = c.canonical_id)) AS "openReviews"
       FROM c JOIN people p ON p.id = c.canonical_id
      WHERE ($2::text IS NULL OR c.specialty = $2)
      ORDER BY p.key`,
    [at, options.specialty ?? null],
  );
  return options.available ? rows.filter((r) => !r.outOfOffice && (r.capacity === null || r.openReviews < r.capacity)) : rows;
}

/** Team memberships on `at` (default today), by canonical person. */
export async function rosterAt(session: Session, at: string = today()): Promise<{ key: string; name: string | null; title: string | null; department: string | null; roles: unknown; source: string }[]> {
  if (!isDay(at)) throw new PeopleError('invalid', `at must be a date (YYYY-MM-DD), got ${JSON.stringify(at)}`);
  return session.query(
    `SELECT p.key, p.name, t.title, t.department, t.roles, t.source, t.valid_from, t.valid_to
       FROM team_memberships t JOIN people p ON p.id = t.person_id
      WHERE (t.valid_from IS NULL OR t.valid_from <= $1::date) AND (t.valid_to IS NULL OR $1::date < t.valid_to)
      ORDER BY p.key`,
    [at],
  );
}

export interface RosterEntry {
  /** The canonical person. */
  personId: bigint;
  key: string;
  name: string | null;
  /** Their username on a forge (GitLab's first), if the group has one. */
  username: { platform: string; value: string } | null;
  title: string | null;
  department: string | null;
  validFrom: string | null;
  validTo: string | null;
  source: string;
  roles: { role: string; specialty?: string }[];
  /** The specialty when the membership has the coach role, else null. */
  coach: string | null;
  capacity: number | null;
  /** Open MRs with anyone of the person's group as reviewer; counted for coaches only (null otherwise). */
  openReviews: number | null;
  /** The out-of-office period covering `at`, if any. */
  outOfOffice: { validFrom: string; validTo: string | null; note: string | null } | null;
  /** Forge groups the person belongs to on `at`. */
  groups: { platform: string; group: string; accessLevel: number | null; validFrom: string | null }[];
  /** The sort key (lower-case name, else key), for keyset paging. */
  sort: string;
}

/**
 * The team on `at` (default today), one entry per canonical person (their latest membership open then),
 * with the coach role, capacity, the out-of-office period and the forge groups of that day, by name.
 * Canonical persons are found by walking `merged_into` up from the members and down again (both
 * indexed), so the cost follows the team's size, not the number of people. `after` is the (sort, id)
 * of the last entry of the previous page; `limit` entries at most come back (one more tells there is more).
 */
export async function listRoster(
  session: Session,
  options: { at?: string; q?: string; coaches?: boolean; after?: readonly [string, string]; limit?: number } = {},
): Promise<RosterEntry[]> {
  const at = options.at ?? today();
  if (!isDay(at)) throw new PeopleError('invalid', `at must be a date (YYYY-MM-DD), got ${JSON.stringify(at)}`);
  const rows = await session.query<Omit<RosterEntry, 'openReviews'> & { openReviews: number | null }>(
    `WITH RECURSIVE open AS MATERIALIZED (
       SELECT t.* FROM team_memberships t
        WHERE (t.valid_from IS NULL OR t.valid_from <= $1::date) AND (t.valid_to IS NULL OR $1::date < t.valid_to)),
     up(person_id, id, depth) AS (
       SELECT DISTINCT person_id, person_id, 0 FROM open
       UNION ALL
       SELECT up.person_id, p.merged_into, up.depth + 1 FROM up JOIN people p ON p.id = up.id WHERE p.merged_into IS NOT NULL AND up.depth < 64),
     canon AS MATERIALIZED (SELECT DISTINCT ON (person_id) person_id, id AS canonical_id FROM up ORDER BY person_id, depth DESC),
     members AS MATERIALIZED (
       SELECT DISTINCT ON (c.canonical_id) c.canonical_id, o.title, o.department, o.roles, o.capacity, o.valid_from, o.valid_to, o.source,
              (SELECT r->>'specialty' FROM jsonb_array_elements(o.roles) r WHERE r->>'role' = 'coach' LIMIT 1) AS coach,
              EXISTS (SELECT 1 FROM jsonb_array_elements(o.roles) r WHERE r->>'role' = 'coach') AS is_coach
         FROM open o JOIN canon c ON c.person_id = o.person_id
        ORDER BY c.canonical_id, o.valid_from DESC NULLS LAST, o.id),
     down(canonical_id, person_id) AS (
       SELECT canonical_id, canonical_id FROM members
       UNION ALL
       SELECT d.canonical_id, p.id FROM down d JOIN people p ON p.merged_into = d.person_id),
     listed AS (
       SELECT m.*, p.key, p.name, lower(coalesce(p.name, p.key)) AS sort
         FROM members m JOIN people p ON p.id = m.canonical_id
        WHERE ($2::text IS NULL OR lower(coalesce(p.name, '')) LIKE '%' || $2 || '%'
               OR EXISTS (SELECT 1 FROM down d JOIN identities i ON i.person_id = d.person_id
                           WHERE d.canonical_id = m.canonical_id AND i.kind = 'username' AND i.value_normalised LIKE '%' || $2 || '%'))
          AND (NOT $3 OR m.is_coach)
          AND ($4::text IS NULL OR (lower(coalesce(p.name, p.key)), p.id) > ($4, $5::int8))
        ORDER BY lower(coalesce(p.name, p.key)), p.id
        LIMIT $6)
     SELECT l.canonical_id AS "personId", l.key, l.name, l.sort, l.title, l.department, l.valid_from AS "validFrom", l.valid_to AS "validTo",
            l.source, l.roles, CASE WHEN l.is_coach THEN coalesce(l.coach, 'development') END AS coach, l.capacity,
            (SELECT json_build_object('platform', i.platform, 'value', i.value) FROM down d JOIN identities i ON i.person_id = d.person_id
              WHERE d.canonical_id = l.canonical_id AND i.kind = 'username' AND i.platform <> 'other'
              ORDER BY i.platform = 'gitlab' DESC, i.id LIMIT 1) AS username,
            CASE WHEN l.is_coach THEN (SELECT count(*)::int FROM merge_requests mr
              WHERE mr.state = 'opened' AND mr.reviewer_ids && ARRAY(SELECT d.person_id FROM down d WHERE d.canonical_id = l.canonical_id)) END AS "openReviews",
            (SELECT json_build_object('validFrom', o.valid_from, 'validTo', o.valid_to, 'note', o.note) FROM down d JOIN out_of_office o ON o.person_id = d.person_id
              WHERE d.canonical_id = l.canonical_id AND o.valid_from <= $1::date AND (o.valid_to IS NULL OR $1::date < o.valid_to)
              ORDER BY o.valid_from DESC LIMIT 1) AS "outOfOffice",
            coalesce((SELECT json_agg(json_build_object('platform', g.platform, 'group', g.group_path, 'accessLevel', g.access_level, 'validFrom', g.valid_from)
                                ORDER BY g.group_path)
                        FROM down d JOIN group_memberships g ON g.person_id = d.person_id
                       WHERE d.canonical_id = l.canonical_id AND (g.valid_from IS NULL OR g.valid_from <= $1::date) AND (g.valid_to IS NULL OR $1::date < g.valid_to)),
                     '[]'::json) AS groups
       FROM listed l
      ORDER BY l.sort, l.canonical_id`,
    [at, options.q?.trim().toLowerCase() || null, options.coaches ?? false, options.after?.[0] ?? null, options.after?.[1] ?? null, options.limit ?? 1000],
  );
  return rows;
}
