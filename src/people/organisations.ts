import providers from 'email-providers/all.json' with { type: 'json' };
import type { Session } from '../db/connection.ts';
import { idText } from '../db/ids.ts';
import { ids } from '../interchange/records.ts';
import { findPerson, InputError, inTransaction, isDay, normaliseName, PeopleError, type PersonRef } from './common.ts';
import { csvLine, parseCsv } from './csv.ts';

/**
 * Organisations and who belonged to them when. Affiliations come from three places, in this order of
 * precedence when several hold at the same time: manual enrollments with dates (source 'manual', and
 * 'import'/'roster' from files), profile organisation fields ('profile'), and e-mail domains
 * ('email_domain', derived by resolution from the organisation's domains; public mail providers never
 * make an affiliation). All periods are half-open [valid_from, valid_to), null meaning open.
 */

// email-providers (derhuerst/email-providers, from goware/emailproviders) ships its list inside the
// package: installs are reproducible and need no network, unlike lists fetched at install time.
const PUBLIC_MAIL = new Set<string>((providers as string[]).map((d) => d.toLowerCase()));
// Forge addresses that stand for a user's account, never for an employer.
const FORGE_MAIL = ['users.noreply.github.com', 'users.noreply.gitlab.com', 'noreply.github.com', 'github.com', 'gitlab.com'];

/** Whether mail at `domain` says nothing about an employer: a public mail provider or a forge's noreply domain. */
export function isPublicMailDomain(domain: string, extra: Iterable<string> = []): boolean {
  let candidate = domain.trim().toLowerCase();
  const more = new Set([...extra].map((d) => d.toLowerCase()));
  for (;;) {
    if (PUBLIC_MAIL.has(candidate) || FORGE_MAIL.includes(candidate) || more.has(candidate)) return true;
    const dot = candidate.indexOf('.');
    if (dot < 0 || candidate.indexOf('.', dot + 1) < 0) return false;
    candidate = candidate.slice(dot + 1);
  }
}

export const publicMailDomainCount = PUBLIC_MAIL.size;

/** Precedence of affiliation sources, lower first. Unknown sources rank with 'profile'. */
export const AFFILIATION_PRECEDENCE = `CASE a.source WHEN 'manual' THEN 0 WHEN 'import' THEN 1 WHEN 'roster' THEN 1 WHEN 'profile' THEN 2 WHEN 'email_domain' THEN 3 ELSE 2 END`;

export interface OrganisationInput {
  name: string;
  domains?: readonly string[];
  /** Annual recurring revenue, whole currency units (a decimal string keeps it exact). */
  arr?: string | number | null;
  parent?: string | null;
}

export interface Organisation {
  id: bigint;
  name: string;
  domains: string[];
  arr: string | null;
  parent: string | null;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/;

/**
 * Creates or updates organisations by name; a parent must be among them or already stored.
 * Affiliations from e-mail domains are brought up to date with the new domains.
 */
export async function saveOrganisations(db: Session, organisations: readonly OrganisationInput[]): Promise<number> {
  if (organisations.some((o) => o.parent === o.name)) throw new PeopleError('invalid', 'an organisation cannot be its own parent');
  return inTransaction(db, async (tx) => {
    const names = new Set(organisations.map((o) => o.name));
    const parents = [...new Set(organisations.flatMap((o) => (o.parent ? [o.parent] : [])))].filter((p) => !names.has(p));
    if (parents.length > 0) {
      const known = new Set((await tx.query<{ name: string }>('SELECT name FROM organisations WHERE name = ANY($1::text[])', [parents])).map((r) => r.name));
      const missing = parents.filter((p) => !known.has(p));
      if (missing.length > 0) throw new PeopleError('not_found', `unknown parent organisation ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
    }
    const before = new Map(
      (await tx.query<{ name: string; domains: string[] }>('SELECT name, domains FROM organisations WHERE name = ANY($1::text[])', [[...names]])).map((o) => [
        o.name,
        [...o.domains].sort().join(' '),
      ]),
    );
    const domainsChanged = organisations.some((o) => (before.get(o.name) ?? '') !== [...(o.domains ?? [])].map((d) => d.toLowerCase()).sort().join(' '));
    const rows = await tx.query(
      `INSERT INTO organisations (id, name, domains, arr, parent_id)
       SELECT id::int8, name, CASE WHEN domains = '' THEN '{}'::text[] ELSE string_to_array(domains, ' ') END, arr::numeric, parent::int8
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, name, domains, arr, parent)
       ON CONFLICT (id) DO UPDATE SET domains = excluded.domains, arr = excluded.arr, parent_id = excluded.parent_id
       RETURNING id`,
      [
        organisations.map((o) => ids.organisation(o.name)),
        organisations.map((o) => o.name),
        organisations.map((o) => (o.domains ?? []).map((d) => d.toLowerCase()).join(' ')),
        organisations.map((o) => (o.arr === null || o.arr === undefined || o.arr === '' ? null : String(o.arr))),
        organisations.map((o) => (o.parent ? ids.organisation(o.parent) : null)),
      ],
    );
    // Domains changed: affiliations from e-mail domains follow.
    if (domainsChanged) await deriveDomainAffiliations(tx);
    return rows.length;
  });
}

export async function listOrganisations(session: Session): Promise<(Organisation & { people: number })[]> {
  return session.query(
    `SELECT o.id, o.name, o.domains, o.arr, parent.name AS parent,
            (SELECT count(DISTINCT a.person_id) FROM affiliations a WHERE a.organisation_id = o.id)::int AS people
       FROM organisations o LEFT JOIN organisations parent ON parent.id = o.parent_id ORDER BY o.name`,
  );
}

export async function findOrganisation(session: Session, name: string): Promise<Organisation> {
  const [row] = await session.query<Organisation>(
    `SELECT o.id, o.name, o.domains, o.arr, parent.name AS parent FROM organisations o
       LEFT JOIN organisations parent ON parent.id = o.parent_id WHERE lower(o.name) = lower($1) ORDER BY o.name = $1 DESC LIMIT 1`,
    [name.trim()],
  );
  if (!row) throw new PeopleError('not_found', `no organisation named ${JSON.stringify(name)}`);
  return row;
}

const ORGANISATION_COLUMNS = ['name', 'domains', 'arr', 'parent'] as const;

/** Organisations from CSV (name, domains separated by spaces or semicolons, arr, parent): all rows or none. */
export async function importOrganisationsCsv(db: Session, text: string): Promise<number> {
  const records = parseCsv(text, { required: ['name'], known: ORGANISATION_COLUMNS });
  const seen = new Map<string, number>();
  const organisations = records.map(({ line, values }) => {
    const name = values.name ?? '';
    if (!name) throw new InputError(line, 'name', 'must not be empty');
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) throw new InputError(line, 'name', `${JSON.stringify(name)} is already on line ${earlier}`);
    seen.set(name.toLowerCase(), line);
    const domains = (values.domains ?? '').split(/[\s;]+/).filter(Boolean).map((d) => d.toLowerCase());
    for (const domain of domains) if (!DOMAIN.test(domain)) throw new InputError(line, 'domains', `${JSON.stringify(domain)} is not a domain name`);
    const arr = values.arr ?? '';
    if (arr && !/^\d+(\.\d+)?$/.test(arr)) throw new InputError(line, 'arr', 'must be a non-negative number (no separators or currency)');
    const parent = values.parent || null;
    if (parent && parent.toLowerCase() === name.toLowerCase()) throw new InputError(line, 'parent', 'an organisation cannot be its own parent');
    return { name, domains, arr: arr || null, parent };
  });
  return saveOrganisations(db, organisations);
}

export async function exportOrganisationsCsv(session: Session): Promise<string> {
  let out = csvLine(ORGANISATION_COLUMNS);
  for (const o of await listOrganisations(session)) out += csvLine([o.name, o.domains.join(' '), o.arr, o.parent]);
  return out;
}

export interface Enrollment {
  person: PersonRef;
  organisation: string;
  from?: string | null;
  to?: string | null;
  /** Default 'manual'. */
  source?: string;
}

/**
 * Records that a person belonged to an organisation over [from, to). Keyed like the NDJSON
 * `affiliation` (person, organisation, valid_from), so enrolling again with the same start updates the end.
 */
export async function enroll(db: Session, enrollments: readonly Enrollment[]): Promise<number> {
  return inTransaction(db, async (tx) => {
    const rows: string[][] = [];
    for (const e of enrollments) {
      if (e.from && !isDay(e.from)) throw new PeopleError('invalid', `valid_from must be a date (YYYY-MM-DD), got ${JSON.stringify(e.from)}`);
      if (e.to && !isDay(e.to)) throw new PeopleError('invalid', `valid_to must be a date (YYYY-MM-DD), got ${JSON.stringify(e.to)}`);
      if (e.from && e.to && e.to <= e.from) throw new PeopleError('invalid', `valid_to (${e.to}) must be after valid_from (${e.from})`);
      const person = await findPerson(tx, e.person);
      const organisation = await findOrganisation(tx, e.organisation);
      rows.push([
        idText('affiliation', person.key, organisation.name, e.from ?? ''),
        person.id.toString(),
        organisation.id.toString(),
        e.from ?? '',
        e.to ?? '',
        e.source ?? 'manual',
      ]);
    }
    const written = await tx.query(
      `INSERT INTO affiliations (id, person_id, organisation_id, valid_from, valid_to, source)
       SELECT id::int8, person_id::int8, organisation_id::int8, nullif(valid_from, '')::date, nullif(valid_to, '')::date, source
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(id, person_id, organisation_id, valid_from, valid_to, source)
       ON CONFLICT (id) DO UPDATE SET valid_to = excluded.valid_to, source = excluded.source
       RETURNING id`,
      [0, 1, 2, 3, 4, 5].map((column) => rows.map((r) => r[column] as string)),
    );
    return written.length;
  });
}

const ENROLLMENT_COLUMNS = ['person', 'organisation', 'valid_from', 'valid_to', 'source'] as const;

/** Enrollments from CSV (person, organisation, valid_from, valid_to[, source]): all rows or none. */
export async function importEnrollmentsCsv(db: Session, text: string): Promise<number> {
  const records = parseCsv(text, { required: ['person', 'organisation'], known: ENROLLMENT_COLUMNS });
  return inTransaction(db, async (tx) => {
    let written = 0;
    for (const { line, values } of records) {
      for (const field of ['valid_from', 'valid_to'] as const) {
        const value = values[field];
        if (value && !isDay(value)) throw new InputError(line, field, 'must be a date (YYYY-MM-DD)');
      }
      if (values.valid_from && values.valid_to && values.valid_to <= values.valid_from) throw new InputError(line, 'valid_to', 'must be after valid_from');
      if (!values.person) throw new InputError(line, 'person', 'must not be empty');
      if (!values.organisation) throw new InputError(line, 'organisation', 'must not be empty');
      try {
        written += await enroll(tx, [
          { person: values.person, organisation: values.organisation, from: values.valid_from || null, to: values.valid_to || null, source: values.source || 'manual' },
        ]);
      } catch (error) {
        if (error instanceof PeopleError && !(error instanceof InputError)) {
          throw new InputError(line, error.message.includes('organisation') ? 'organisation' : 'person', error.message);
        }
        throw error;
      }
    }
    return written;
  });
}

export async function exportEnrollmentsCsv(session: Session): Promise<string> {
  const rows = await session.query<{ person: string; organisation: string; valid_from: string | null; valid_to: string | null; source: string }>(
    `SELECT p.key AS person, o.name AS organisation, a.valid_from, a.valid_to, a.source
       FROM affiliations a JOIN people p ON p.id = a.person_id JOIN organisations o ON o.id = a.organisation_id
      WHERE a.source <> 'email_domain' ORDER BY p.key, a.valid_from NULLS FIRST, o.name`,
  );
  let out = csvLine(ENROLLMENT_COLUMNS);
  for (const r of rows) out += csvLine([r.person, r.organisation, r.valid_from, r.valid_to, r.source]);
  return out;
}

/**
 * Affiliations from e-mail domains: an e-mail identity at an organisation's domain (or a subdomain of
 * it; the most specific domain wins) affiliates its person, with no dates. Public mail providers never do, even when an organisation
 * lists one. `identityScope` is a SQL condition on `i` (the batch being resolved); all identities without it.
 */
export async function deriveDomainAffiliations(session: Session, identityScope = 'true'): Promise<number> {
  if (identityScope === 'true') {
    // A full pass also drops what no longer holds (a domain taken off an organisation).
    await session.query(
      `DELETE FROM affiliations a WHERE a.source = 'email_domain' AND NOT EXISTS (
         SELECT 1 FROM identities i JOIN organisations o ON o.id = a.organisation_id CROSS JOIN LATERAL unnest(o.domains) AS d(domain)
          WHERE i.person_id = a.person_id AND i.kind = 'email'
            AND (split_part(i.value_normalised, '@', 2) = d.domain OR split_part(i.value_normalised, '@', 2) LIKE '%.' || d.domain))`,
    );
  }
  const candidates = await session.query<{ person_key: string; person_id: bigint; organisation: string; organisation_id: bigint; domain: string }>(
    `WITH od AS (SELECT o.id, o.name, unnest(o.domains) AS domain FROM organisations o WHERE cardinality(o.domains) > 0),
          mail AS (SELECT i.id, i.person_id, split_part(i.value_normalised, '@', 2) AS domain FROM identities i WHERE i.kind = 'email' AND ${identityScope}),
          -- The most specific domain wins: ben@labs.globex.example is Globex Labs, not Globex.
          matched AS (
            SELECT DISTINCT ON (mail.id) mail.person_id, od.name, od.id AS organisation_id, od.domain
              FROM mail JOIN od ON mail.domain = od.domain OR mail.domain LIKE '%.' || od.domain
             ORDER BY mail.id, length(od.domain) DESC, od.name)
     SELECT DISTINCT p.key AS person_key, p.id AS person_id, m.name AS organisation, m.organisation_id, m.domain
       FROM matched m JOIN people p ON p.id = m.person_id`,
  );
  const rows = candidates.filter((c) => !isPublicMailDomain(c.domain));
  if (rows.length === 0) return 0;
  const written = await session.query(
    `INSERT INTO affiliations (id, person_id, organisation_id, source)
     SELECT id::int8, person_id::int8, organisation_id::int8, 'email_domain' FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, person_id, organisation_id)
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      rows.map((r) => idText('affiliation', r.person_key, r.organisation, '')),
      rows.map((r) => r.person_id.toString()),
      rows.map((r) => r.organisation_id.toString()),
    ],
  );
  return written.length;
}

/**
 * A profile's organisation field ("GitLab", "@gitlab", "GitLab Inc."): affiliates the person with the
 * organisation of that name (ignoring case, a leading @ and legal suffixes), created when `create` is
 * set and none matches. Returns the organisation's name, or null when the field is empty.
 */
export async function affiliateFromProfile(db: Session, person: PersonRef, organisationField: string | null | undefined, options: { create?: boolean } = {}): Promise<string | null> {
  const cleaned = (organisationField ?? '').trim().replace(/^@/, '');
  if (!cleaned) return null;
  const wanted = organisationKey(cleaned);
  if (!wanted) return null;
  return inTransaction(db, async (tx) => {
    const found = await findPerson(tx, person);
    const organisations = await tx.query<{ name: string }>('SELECT name FROM organisations');
    let name = organisations.find((o) => organisationKey(o.name) === wanted)?.name;
    if (!name) {
      if (!(options.create ?? true)) return null;
      name = cleaned;
      await saveOrganisations(tx, [{ name }]);
    }
    await tx.query(
      `INSERT INTO affiliations (id, person_id, organisation_id, source) VALUES ($1, $2, $3, 'profile') ON CONFLICT DO NOTHING`,
      [idText('affiliation', found.key, name, ''), found.id.toString(), ids.organisation(name)],
    );
    return name;
  });
}

function organisationKey(name: string): string {
  return normaliseName(name)
    .replace(/\b(inc|llc|ltd|limited|gmbh|ag|sa|sas|bv|b v|plc|corp|corporation|co|company|oy|ab|as|srl|pty|kk)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The organisation of each (person, at) pair, as SQL: rows (person_id, at, organisation_id, source)
 * for the pairs `pairs` yields (a SQL relation whose first two columns are a person id and a
 * timestamptz), one row per pair that has an organisation at that time. The person is taken at its
 * canonical person; among affiliations of the whole group valid on the UTC day of `at`, precedence
 * decides, then the latest start.
 */
export function affiliationAtSql(pairs: string): string {
  return `WITH canon AS MATERIALIZED (SELECT person_id, canonical_id FROM person_canonical),
    q AS MATERIALIZED (
      SELECT DISTINCT pr.person_id, pr.at, coalesce(c.canonical_id, pr.person_id) AS canonical_id, (pr.at AT TIME ZONE 'UTC')::date AS day
        FROM (${pairs}) AS pr(person_id, at) LEFT JOIN canon c ON c.person_id = pr.person_id),
    ranked AS (
      SELECT q.person_id, q.at, a.organisation_id, a.source,
             row_number() OVER (PARTITION BY q.person_id, q.at ORDER BY ${AFFILIATION_PRECEDENCE}, a.valid_from DESC NULLS LAST, a.organisation_id) AS rank
        FROM q JOIN canon g ON g.canonical_id = q.canonical_id
        JOIN affiliations a ON a.person_id = g.person_id
         AND (a.valid_from IS NULL OR a.valid_from <= q.day) AND (a.valid_to IS NULL OR q.day < a.valid_to))
    SELECT person_id, at, organisation_id, source FROM ranked WHERE rank = 1`;
}

/** Each organisation with its top-level parent (itself when it has none), as SQL rows (organisation_id, root_id). */
export const organisationRootSql = `WITH RECURSIVE up(organisation_id, id, parent_id, depth) AS (
    SELECT o.id, o.id, o.parent_id, 0 FROM organisations o
    UNION ALL
    SELECT up.organisation_id, o.id, o.parent_id, up.depth + 1 FROM up JOIN organisations o ON o.id = up.parent_id WHERE up.depth < 32
  ) SELECT organisation_id, id AS root_id FROM up WHERE parent_id IS NULL`;

/** The organisation of `person` at `at`, or null. */
export async function organisationAt(session: Session, person: PersonRef, at: Date): Promise<{ organisation: string; source: string } | null> {
  const found = await findPerson(session, person);
  const [row] = await session.query<{ organisation: string; source: string }>(
    `SELECT o.name AS organisation, x.source FROM (${affiliationAtSql('SELECT $1::int8, $2::timestamptz')}) x JOIN organisations o ON o.id = x.organisation_id`,
    [found.id.toString(), at.toISOString()],
  );
  return row ?? null;
}

/**
 * E-mail domains that might be organisations: used by at least `minPeople` canonical people, not a
 * public mail provider (the list, plus `publicDomains`), a noreply domain or an organisation's domain already.
 */
export async function domainCandidates(
  session: Session,
  options: { minPeople?: number; limit?: number; publicDomains?: readonly string[] } = {},
): Promise<{ domain: string; people: number }[]> {
  const rows = await session.query<{ domain: string; people: number }>(
    `WITH mail AS (
       SELECT split_part(i.value_normalised, '@', 2) AS domain, coalesce(pc.canonical_id, i.person_id) AS canonical_id
         FROM identities i LEFT JOIN person_canonical pc ON pc.person_id = i.person_id WHERE i.kind = 'email')
     SELECT domain, count(DISTINCT canonical_id)::int AS people FROM mail
      WHERE domain <> '' AND domain !~ '(^|\\.)(noreply|no-reply)\\.' AND domain NOT IN (SELECT unnest(domains) FROM organisations)
      GROUP BY domain HAVING count(DISTINCT canonical_id) >= $1 ORDER BY people DESC, domain`,
    [options.minPeople ?? 2],
  );
  return rows.filter((r) => !isPublicMailDomain(r.domain, options.publicDomains)).slice(0, options.limit ?? 50);
}

