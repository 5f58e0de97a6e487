import type { Session } from '../db/connection.ts';
import { type BotRules, detectBots } from './bots.ts';
import { findPerson, inTransaction, normaliseNameSql, PeopleError, type PersonRef, type PersonRow, rootsOf } from './common.ts';
import { mergePeople } from './merge.ts';
import { deriveDomainAffiliations } from './organisations.ts';

/**
 * Identity resolution: which people are one person.
 *
 * Certain links merge automatically (rules, strongest first):
 * - same_user_id / same_account: a source saw an identity on an account (a GitLab user id) while
 *   another person held it (identity_claims), e.g. a username first seen in a webhook;
 * - same_identity: a person keyed by an identity (`gitlab:username:alice`, the sources' contract) that
 *   another person holds, e.g. a username imported with a curated person;
 * - noreply_login: a GitHub or GitLab noreply address (`123+login@users.noreply.github.com`) and the
 *   account's login or user id;
 * - commit_email_account_email: a commit e-mail (platform git) equal to an account's public e-mail;
 * - same_email: the same e-mail address on two platforms.
 * Shared service addresses (noreply@…, notifications@…) link nobody, and neither do names: two
 * people may share one.
 *
 * Resolution is incremental: it looks at the identities, people and claims not yet resolved (not in
 * resolved_identities / resolved_people; claims with no resolved_at), finds their links against everything stored, merges, and stamps them. Each
 * step is a handful of set-based statements, whatever the batch size; the union of linked groups is
 * computed in memory from the links found. A separation ("never merge these two") keeps two groups
 * apart. Merges go through person_merges like manual ones (reason 'auto'), so each can be undone.
 *
 * Probable links are only suggested (suggestMerges), scored: same normalised name and a shared e-mail
 * local part or username (0.9), same name and a shared organisation (0.8), a roster member's username
 * used elsewhere (0.75), a roster member's name on someone else (0.7).
 */

export interface ResolveOptions {
  actor?: string;
  bots?: BotRules;
}

export interface ResolveStats {
  identities: number;
  people: number;
  claims: number;
  /** Links found between different canonical people, by rule. */
  links: Record<string, number>;
  merges: number;
  /** Links not followed because a separation keeps the two apart. */
  keptApart: number;
  botsDetected: number;
  affiliations: number;
  seconds: number;
  /** Seconds spent in each phase, for benchmarks. */
  phases: Record<string, number>;
}

const RULE_ORDER = ['same_user_id', 'same_account', 'same_identity', 'noreply_login', 'commit_email_account_email', 'same_email'];

/** Generic sender addresses shared by many people: never evidence that two people are one. */
export const SERVICE_LOCAL_PART = '^(no-?reply|do-?not-?reply|donotreply|notifications?|mailer-daemon|postmaster|root|admin|info|support|git|user|me|test)$';

interface Link {
  a: bigint;
  b: bigint;
  rule: string;
  via_a: bigint | null;
  via_b: bigint | null;
  root_a: bigint;
  root_b: bigint;
}

interface RootInfo {
  id: bigint;
  key: string;
  established: boolean;
}

export async function resolveIdentities(db: Session, options: ResolveOptions = {}): Promise<ResolveStats> {
  const started = performance.now();
  return inTransaction(db, async (tx) => {
    for (const statement of [
      // One resolution at a time: a second waits for the first to commit, then sees its stamps.
      'SELECT pg_advisory_xact_lock(7270696275746173)',
      'DROP TABLE IF EXISTS resolve_identities, resolve_people, resolve_claims',
      `CREATE TEMP TABLE resolve_identities ON COMMIT DROP AS
         SELECT id, person_id, platform, kind, value_normalised FROM identities i
          WHERE NOT EXISTS (SELECT 1 FROM resolved_identities r WHERE r.identity_id = i.id)`,
      `CREATE TEMP TABLE resolve_people ON COMMIT DROP AS
         SELECT id, key FROM people p WHERE NOT EXISTS (SELECT 1 FROM resolved_people r WHERE r.person_id = p.id)`,
      'CREATE TEMP TABLE resolve_claims ON COMMIT DROP AS SELECT identity_id, person_id FROM identity_claims WHERE resolved_at IS NULL',
      'ANALYZE resolve_identities',
      'ANALYZE resolve_people',
    ]) {
      await tx.query(statement);
    }
    const [counts] = await tx.query<{ identities: bigint; people: bigint; claims: bigint; accounts: boolean }>(
      `SELECT (SELECT count(*) FROM resolve_identities) AS identities, (SELECT count(*) FROM resolve_people) AS people,
              (SELECT count(*) FROM resolve_claims) AS claims,
              EXISTS (SELECT 1 FROM resolve_identities WHERE platform IN ('github', 'gitlab') AND kind IN ('username', 'user_id')) AS accounts`,
    );
    const stats: ResolveStats = {
      identities: Number(counts?.identities ?? 0),
      people: Number(counts?.people ?? 0),
      claims: Number(counts?.claims ?? 0),
      links: {},
      merges: 0,
      keptApart: 0,
      botsDetected: 0,
      affiliations: 0,
      seconds: 0,
      phases: {},
    };
    let mark = started;
    const phase = (name: string) => {
      const now = performance.now();
      stats.phases[name] = (now - mark) / 1000;
      mark = now;
    };
    phase('select');
    if (stats.identities + stats.people + stats.claims > 0) {
      const { links, roots } = await findLinks(tx, Boolean(counts?.accounts));
      phase('links');
      const merges = await planMerges(tx, links, roots, stats);
      phase('plan');
      stats.merges = await writeMerges(tx, merges, options.actor ?? 'resolution');
      phase('merge');
      const batch = 'i.id IN (SELECT id FROM resolve_identities)';
      stats.botsDetected = await detectBots(tx, { identityScope: batch, ...(options.bots ? { rules: options.bots } : {}) });
      phase('bots');
      stats.affiliations = await deriveDomainAffiliations(tx, batch);
      phase('affiliations');
      // In key order: the primary-key B-tree then fills page by page.
      await tx.query('INSERT INTO resolved_identities (identity_id) SELECT id FROM resolve_identities ORDER BY id');
      await tx.query('INSERT INTO resolved_people (person_id) SELECT id FROM resolve_people ORDER BY id');
      await tx.query(
        'UPDATE identity_claims c SET resolved_at = now() FROM resolve_claims r WHERE c.identity_id = r.identity_id AND c.person_id = r.person_id',
      );
      phase('stamp');
    }
    stats.seconds = (performance.now() - started) / 1000;
    return stats;
  });
}

/**
 * Every certain link that involves something in the batch, between people, with the canonical person
 * of each end; and the key of each such canonical person. Kept in temporary tables, so no list of ids
 * travels back and forth.
 */
async function findLinks(tx: Session, batchHasAccounts: boolean): Promise<{ links: Link[]; roots: Map<bigint, RootInfo> }> {
  const service = `split_part(n.value_normalised, '@', 1) ~ '${SERVICE_LOCAL_PART}' OR split_part(n.value_normalised, '@', 2) ~ '^(noreply|no-reply)\\.'`;
  // Noreply addresses of the batch, or all of them when the batch brings accounts they may point at.
  const noreplyScope = batchHasAccounts ? 'identities' : 'resolve_identities';
  await tx.query('DROP TABLE IF EXISTS resolve_links, resolve_roots');
  await tx.query(
    `CREATE TEMP TABLE resolve_links ON COMMIT DROP AS
     WITH batch_keys AS MATERIALIZED (
       SELECT id AS person_id, split_part(key, ':', 1)::platform AS platform, split_part(key, ':', 2)::identity_kind AS kind,
              substr(key, length(split_part(key, ':', 1)) + length(split_part(key, ':', 2)) + 3) AS value
         FROM resolve_people WHERE key ~ '^(gitlab|github|git|discord|discourse|reddit|crowdin|email|other):(username|email|user_id):.'
     ),
     noreply AS MATERIALIZED (
       SELECT id, person_id, CASE WHEN domain = 'users.noreply.github.com' THEN 'github' ELSE 'gitlab' END::platform AS platform,
              local, regexp_replace(local, '^[0-9]+[+-]', '') AS login, substring(local from '^([0-9]+)[+-]') AS uid
         FROM (SELECT i.id, i.person_id, split_part(i.value_normalised, '@', 1) AS local, split_part(i.value_normalised, '@', 2) AS domain
                 FROM ${noreplyScope} i WHERE i.kind = 'email' AND i.value_normalised LIKE '%@users.noreply.%') x
        WHERE domain IN ('users.noreply.github.com', 'users.noreply.gitlab.com')
     )
     SELECT k.person_id AS a, i.person_id AS b, CASE WHEN k.kind = 'user_id' THEN 'same_user_id' ELSE 'same_identity' END AS rule, NULL::int8 AS via_a, i.id AS via_b
       FROM batch_keys k JOIN identities i ON i.platform = k.platform AND i.kind = k.kind AND i.value_normalised = k.value
      WHERE i.person_id <> k.person_id
     UNION ALL
     SELECT p.id, n.person_id, CASE WHEN n.kind = 'user_id' THEN 'same_user_id' ELSE 'same_identity' END, NULL, n.id
       FROM resolve_identities n JOIN people p ON p.key = n.platform::text || ':' || n.kind::text || ':' || n.value_normalised
      WHERE n.kind <> 'name' AND p.id <> n.person_id
     UNION ALL
     SELECT c.person_id, i.person_id, CASE WHEN p.key ~ '^[a-z]+:user_id:' THEN 'same_user_id' ELSE 'same_account' END, NULL, i.id
       FROM resolve_claims c JOIN identities i ON i.id = c.identity_id JOIN people p ON p.id = c.person_id
      WHERE i.person_id <> c.person_id AND i.kind <> 'name'
     UNION ALL
     SELECT n.person_id, t.person_id, 'noreply_login', n.id, t.id
       FROM (SELECT id, person_id, platform, login AS value FROM noreply UNION SELECT id, person_id, platform, local FROM noreply) n
       JOIN identities t ON t.platform = n.platform AND t.kind = 'username' AND t.value_normalised = n.value
      WHERE t.person_id <> n.person_id
        AND (n.id IN (SELECT id FROM resolve_identities) OR t.id IN (SELECT id FROM resolve_identities))
     UNION ALL
     SELECT n.person_id, t.person_id, 'noreply_login', n.id, t.id
       FROM noreply n JOIN identities t ON t.platform = n.platform AND t.kind = 'user_id' AND t.value_normalised = n.uid
      WHERE t.person_id <> n.person_id
        AND (n.id IN (SELECT id FROM resolve_identities) OR t.id IN (SELECT id FROM resolve_identities))
     UNION ALL
     SELECT n.person_id, e.person_id,
            CASE WHEN (n.platform = 'git') <> (e.platform = 'git') THEN 'commit_email_account_email' ELSE 'same_email' END, n.id, e.id
       FROM resolve_identities n JOIN identities e ON e.kind = 'email' AND e.value_normalised = n.value_normalised AND e.id <> n.id
      WHERE n.kind = 'email' AND e.person_id <> n.person_id AND NOT (${service})`,
  );
  await tx.query(
    `CREATE TEMP TABLE resolve_roots ON COMMIT DROP AS
     WITH RECURSIVE up(start, id, merged_into, depth) AS (
       SELECT p.id, p.id, p.merged_into, 0 FROM (SELECT a AS id FROM resolve_links UNION SELECT b FROM resolve_links) s JOIN people p ON p.id = s.id
       UNION ALL
       SELECT up.start, p.id, p.merged_into, up.depth + 1 FROM up JOIN people p ON p.id = up.merged_into WHERE up.depth < 64
     ) SELECT start, id AS root FROM up WHERE merged_into IS NULL`,
  );
  const links = await tx.query<Link>(
    `SELECT l.a, l.b, l.rule, l.via_a, l.via_b, coalesce(ra.root, l.a) AS root_a, coalesce(rb.root, l.b) AS root_b
       FROM resolve_links l LEFT JOIN resolve_roots ra ON ra.start = l.a LEFT JOIN resolve_roots rb ON rb.start = l.b
      WHERE coalesce(ra.root, l.a) <> coalesce(rb.root, l.b)`,
  );
  const roots = new Map<bigint, RootInfo>();
  if (links.length > 0) {
    const rows = await tx.query<RootInfo>(
      `SELECT p.id, p.key, r.id IS NULL AS established
         FROM (SELECT DISTINCT coalesce(x.root, s.id) AS id FROM (SELECT a AS id FROM resolve_links UNION SELECT b FROM resolve_links) s
                 LEFT JOIN resolve_roots x ON x.start = s.id) ids
         JOIN people p ON p.id = ids.id LEFT JOIN resolve_people r ON r.id = p.id`,
    );
    for (const row of rows) roots.set(row.id, row);
  }
  return { links, roots };
}

interface PlannedMerge {
  from: bigint;
  into: bigint;
  rule: string;
  evidence: Record<string, unknown>;
}

/**
 * Groups the links into canonical groups (union-find over roots), honouring separations, and picks each
 * group's survivor: a curated person (a key that is not an identity, e.g. from an import) first, then
 * one resolved before (so existing canonical ids stay put), then the smallest id.
 */
async function planMerges(tx: Session, links: Link[], info: Map<bigint, RootInfo>, stats: ResolveStats): Promise<PlannedMerge[]> {
  if (links.length === 0) return [];
  const separations = await tx.query<{ a: bigint; b: bigint }>('SELECT person_a AS a, person_b AS b FROM person_separations');
  const separationRoots = await rootsOf(tx, [...new Set(separations.flatMap((s) => [s.a, s.b]))]);
  const anyRoot = (id: bigint) => separationRoots.get(id) ?? id;

  const parent = new Map<bigint, bigint>();
  const find = (x: bigint): bigint => {
    let root = x;
    for (let next = parent.get(root); next !== undefined && next !== root; next = parent.get(root)) root = next;
    for (let node = x, next = parent.get(node); next !== undefined && next !== root; node = next, next = parent.get(node)) parent.set(node, root);
    return root;
  };
  const apart = new Map<bigint, Set<bigint>>();
  for (const s of separations) {
    const [ra, rb] = [anyRoot(s.a), anyRoot(s.b)];
    if (ra === rb) continue;
    if (!apart.has(ra)) apart.set(ra, new Set());
    if (!apart.has(rb)) apart.set(rb, new Set());
    apart.get(ra)?.add(rb);
    apart.get(rb)?.add(ra);
  }

  // A link found from both ends (two new identities) counts once.
  const unique = new Map<string, Link>();
  for (const link of links) {
    const key = link.a < link.b ? `${link.a} ${link.b} ${link.rule}` : `${link.b} ${link.a} ${link.rule}`;
    if (!unique.has(key)) unique.set(key, link);
  }
  const ordered = [...unique.values()].sort(
    (x, y) => RULE_ORDER.indexOf(x.rule) - RULE_ORDER.indexOf(y.rule) || (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : x.b > y.b ? 1 : 0),
  );
  const firstLink = new Map<bigint, Link>();
  for (const link of ordered) {
    const [ra, rb] = [link.root_a, link.root_b];
    stats.links[link.rule] = (stats.links[link.rule] ?? 0) + 1;
    const [ca, cb] = [find(ra), find(rb)];
    if (ca === cb) continue;
    if (apart.get(ca)?.has(cb)) {
      stats.keptApart++;
      continue;
    }
    parent.set(cb, ca);
    const moved = apart.get(cb);
    if (moved) {
      const kept = apart.get(ca) ?? new Set<bigint>();
      for (const other of moved) {
        kept.add(other);
        const back = apart.get(other);
        back?.delete(cb);
        back?.add(ca);
      }
      apart.set(ca, kept);
      apart.delete(cb);
    }
    if (!firstLink.has(ra)) firstLink.set(ra, link);
    if (!firstLink.has(rb)) firstLink.set(rb, link);
  }

  const components = new Map<bigint, bigint[]>();
  for (const node of parent.keys()) {
    const root = find(node);
    if (!components.has(root)) components.set(root, [root]);
    if (node !== root) components.get(root)?.push(node);
  }
  const curated = (id: bigint) => !/^[a-z]+:(username|email|user_id|name):/.test(info.get(id)?.key ?? '');
  const better = (x: bigint, y: bigint) => {
    const [ix, iy] = [info.get(x), info.get(y)];
    if (curated(x) !== curated(y)) return curated(x);
    if (ix?.established !== iy?.established) return Boolean(ix?.established);
    return x < y;
  };
  const merges: PlannedMerge[] = [];
  for (const group of components.values()) {
    const survivor = group.reduce((best, id) => (better(id, best) ? id : best));
    for (const id of group) {
      if (id === survivor) continue;
      const link = firstLink.get(id) as Link;
      merges.push({
        from: id,
        into: survivor,
        rule: link.rule,
        // The link that joined this person's group: the two people it was found between and the identities behind it.
        evidence: { a: link.a.toString(), b: link.b.toString(), identities: [link.via_a?.toString() ?? null, link.via_b?.toString() ?? null] },
      });
    }
  }
  return merges;
}

async function writeMerges(tx: Session, merges: PlannedMerge[], actor: string): Promise<number> {
  if (merges.length === 0) return 0;
  const rows = await tx.query(
    `WITH m AS MATERIALIZED (SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[]) AS u(from_id, into_id, rule, evidence) ORDER BY from_id),
          moved AS (UPDATE people p SET merged_into = m.into_id FROM m WHERE p.id = m.from_id AND p.merged_into IS NULL RETURNING p.id)
     INSERT INTO person_merges (from_person_id, into_person_id, reason, rule, score, evidence, actor)
     SELECT m.from_id, m.into_id, 'auto', m.rule, 1, m.evidence::jsonb, $5 FROM m JOIN moved ON moved.id = m.from_id
     RETURNING id`,
    [
      merges.map((m) => m.from.toString()),
      merges.map((m) => m.into.toString()),
      merges.map((m) => m.rule),
      merges.map((m) => JSON.stringify(m.evidence)),
      actor,
    ],
  );
  return rows.length;
}

export interface Suggestion {
  a: PersonRow;
  b: PersonRow;
  score: number;
  rules: string[];
  /** The normalised name or handle they share. */
  shared: string;
}

/**
 * Probable links between canonical people, best first. Names shared by more than `maxNameGroup`
 * people (default 5) are too common to suggest anything. Separated pairs are left out.
 */
export async function suggestMerges(
  session: Session,
  options: { limit?: number; minScore?: number; person?: PersonRef; maxNameGroup?: number } = {},
): Promise<Suggestion[]> {
  let focus: bigint | null = null;
  if (options.person !== undefined) {
    const found = await findPerson(session, options.person);
    focus = (await rootsOf(session, [found.id])).get(found.id) as bigint;
  }
  const limit = options.limit ?? 50;
  const separations = await session.query<{ a: bigint; b: bigint }>('SELECT person_a AS a, person_b AS b FROM person_separations');
  const handle = `CASE WHEN i.kind = 'email' THEN regexp_replace(split_part(i.value_normalised, '@', 1), '^[0-9]+[+-]', '') ELSE i.value_normalised END`;
  const candidates = await session.query<{ a: bigint; b: bigint; score: number; rules: string[]; shared: string }>(
    `WITH canon AS MATERIALIZED (SELECT person_id, canonical_id FROM person_canonical),
     raw_names AS MATERIALIZED (
       SELECT DISTINCT c.canonical_id, n.name
         FROM canon c JOIN (
           SELECT id AS person_id, name FROM people WHERE name IS NOT NULL
           UNION ALL SELECT person_id, display_name FROM identities WHERE display_name IS NOT NULL) n ON n.person_id = c.person_id),
     normalised AS MATERIALIZED (SELECT name, ${normaliseNameSql('name')} AS normal FROM (SELECT DISTINCT name FROM raw_names) d),
     names AS MATERIALIZED (SELECT DISTINCT r.canonical_id, n.normal AS name FROM raw_names r JOIN normalised n ON n.name = r.name),
     named AS MATERIALIZED (
       SELECT canonical_id, name FROM names
        WHERE name LIKE '% %' AND length(name) >= 5
          AND name IN (SELECT name FROM names GROUP BY name HAVING count(*) BETWEEN 2 AND $1)),
     pairs AS MATERIALIZED (
       SELECT DISTINCT x.canonical_id AS a, y.canonical_id AS b, x.name AS shared
         FROM named x JOIN named y ON x.name = y.name AND x.canonical_id < y.canonical_id),
     involved AS MATERIALIZED (SELECT a AS canonical_id FROM pairs UNION SELECT b FROM pairs),
     handles AS MATERIALIZED (
       SELECT DISTINCT c.canonical_id, ${handle} AS handle
         FROM canon c JOIN identities i ON i.person_id = c.person_id
        WHERE i.kind IN ('email', 'username') AND c.canonical_id IN (SELECT canonical_id FROM involved)
          AND split_part(i.value_normalised, '@', 1) !~ '${SERVICE_LOCAL_PART}'),
     orgs AS MATERIALIZED (
       SELECT DISTINCT c.canonical_id, a.organisation_id FROM canon c JOIN affiliations a ON a.person_id = c.person_id
        WHERE c.canonical_id IN (SELECT canonical_id FROM involved)),
     roster AS MATERIALIZED (SELECT DISTINCT c.canonical_id FROM canon c JOIN team_memberships t ON t.person_id = c.person_id),
     roster_handles AS MATERIALIZED (
       SELECT DISTINCT r.canonical_id, i.value_normalised AS handle
         FROM roster r JOIN canon c ON c.canonical_id = r.canonical_id JOIN identities i ON i.person_id = c.person_id
        WHERE i.kind = 'username' AND length(i.value_normalised) >= 4),
     scored AS (
       SELECT DISTINCT p.a, p.b, p.shared, 'name_email_local' AS rule, 0.9::float8 AS score
         FROM pairs p JOIN handles x ON x.canonical_id = p.a JOIN handles y ON y.canonical_id = p.b AND y.handle = x.handle
       UNION ALL
       SELECT DISTINCT p.a, p.b, p.shared, 'name_organisation', 0.8
         FROM pairs p JOIN orgs x ON x.canonical_id = p.a JOIN orgs y ON y.canonical_id = p.b AND y.organisation_id = x.organisation_id
       UNION ALL
       SELECT p.a, p.b, p.shared, 'roster_name', 0.7 FROM pairs p
        WHERE (p.a IN (SELECT canonical_id FROM roster)) <> (p.b IN (SELECT canonical_id FROM roster))
       UNION ALL
       SELECT least(r.canonical_id, c.canonical_id), greatest(r.canonical_id, c.canonical_id), r.handle, 'roster_username', 0.75
         FROM roster_handles r
         JOIN identities i ON i.kind IN ('username', 'email') AND ${handle} = r.handle
         JOIN canon c ON c.person_id = i.person_id
        WHERE c.canonical_id <> r.canonical_id AND c.canonical_id NOT IN (SELECT canonical_id FROM roster)
     )
     SELECT s.a, s.b, max(s.score) AS score, array_agg(DISTINCT s.rule ORDER BY s.rule) AS rules, min(s.shared) AS shared
       FROM scored s
      WHERE $2::int8 IS NULL OR s.a = $2::int8 OR s.b = $2::int8
      GROUP BY s.a, s.b
     HAVING max(s.score) >= $3
      ORDER BY max(s.score) DESC, s.a, s.b
      LIMIT $4`,
    [options.maxNameGroup ?? 5, focus?.toString() ?? null, options.minScore ?? 0, limit + separations.length],
  );
  // Separated pairs are left out here: they are few, and a join in SQL on the canonical view's row
  // estimate (the recursive view is guessed far too large) makes PostgreSQL plan a huge hash.
  const apart = new Set<string>();
  if (separations.length > 0) {
    const roots = await rootsOf(session, separations.flatMap((s) => [s.a, s.b]));
    for (const s of separations) {
      const [a, b] = [roots.get(s.a) as bigint, roots.get(s.b) as bigint];
      apart.add(a < b ? `${a} ${b}` : `${b} ${a}`);
    }
  }
  const rows = candidates.filter((r) => !apart.has(`${r.a} ${r.b}`)).slice(0, limit);
  if (rows.length === 0) return [];
  const people = new Map(
    (
      await session.query<PersonRow>('SELECT id, key, name FROM people WHERE id = ANY($1::int8[])', [[...new Set(rows.flatMap((r) => [r.a, r.b]))].map(String)])
    ).map((p) => [p.id, p]),
  );
  return rows.map((r) => ({
    a: people.get(r.a) as PersonRow,
    b: people.get(r.b) as PersonRow,
    score: Number(r.score),
    rules: r.rules,
    shared: r.shared,
  }));
}

/**
 * Accepts every suggestion scoring at least `minScore` (no default: a caller decides how sure is sure
 * enough), as audited merges with reason 'suggestion', the rule and the score. Pairs that became one
 * person through an earlier acceptance are skipped. Each merge can be undone like any other.
 */
export async function acceptSuggestions(
  db: Session,
  options: { minScore: number; limit?: number; actor?: string; maxNameGroup?: number },
): Promise<{ accepted: number; skipped: number }> {
  return inTransaction(db, async (tx) => {
    const suggestions = await suggestMerges(tx, {
      minScore: options.minScore,
      limit: options.limit ?? 100_000,
      ...(options.maxNameGroup ? { maxNameGroup: options.maxNameGroup } : {}),
    });
    let accepted = 0;
    let skipped = 0;
    for (const s of suggestions) {
      const roots = await rootsOf(tx, [s.a.id, s.b.id]);
      if (roots.get(s.a.id) === roots.get(s.b.id)) {
        skipped++;
        continue;
      }
      // A curated person (not keyed by an identity) survives when there is one, as in resolution.
      const [from, into] = /^[a-z]+:(username|email|user_id|name):/.test(s.b.key) && !/^[a-z]+:(username|email|user_id|name):/.test(s.a.key) ? [s.b, s.a] : [s.a, s.b];
      try {
        await mergePeople(tx, from.id, into.id, {
          reason: 'suggestion',
          rule: s.rules.join(','),
          score: s.score,
          evidence: { from: from.key, into: into.key, shared: s.shared },
          actor: options.actor ?? 'suggestions',
        });
        accepted++;
      } catch (error) {
        if (!(error instanceof PeopleError && error.code === 'conflict')) throw error;
        skipped++;
      }
    }
    return { accepted, skipped };
  });
}
