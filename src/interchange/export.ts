import type { Session } from '../db/connection.ts';
import { toNumber } from '../db/connection.ts';
import { isoInstant, zoneMinutes } from '../db/time.ts';
import { KINDS_BY_TYPE, RECORD_KINDS } from './records.ts';

/**
 * Writes the database back out in the NDJSON interchange format (docs/ndjson.md), kinds in
 * dependency order so the output imports as it stands. Ids never appear: every reference is the
 * natural key (a person's key, a project's "platform:path", …), so an export loads into any instance.
 * People are written as {key, name, email} wherever they are referred to, for readers of the file.
 */

type Row = Record<string, unknown>;
interface PersonOut {
  key: string;
  name?: string;
  email?: string;
}

interface Lookups {
  people: Map<string, PersonOut>;
  projects: Map<string, { ref: string; path: string }>;
  organisations: Map<string, string>;
  milestones: Map<string, { scope: string; title: string }>;
}

const PAGE = 5_000;

export const EXPORT_TYPES = RECORD_KINDS.map((kind) => kind.type);

/** NDJSON lines ('\n'-terminated), `types` limiting the kinds (all when empty). */
export async function* exportNdjson(session: Session, types: readonly string[] = []): AsyncGenerator<string> {
  for (const type of types) {
    if (!KINDS_BY_TYPE.has(type)) throw new Error(`unknown record type ${JSON.stringify(type)} (known: ${EXPORT_TYPES.join(', ')})`);
  }
  const lookups = await loadLookups(session);
  for (const kind of RECORD_KINDS) {
    if (types.length > 0 && !types.includes(kind.type)) continue;
    const write = WRITERS[kind.type] as Writer;
    let after = -(2n ** 63n);
    for (;;) {
      const rows = await session.query<Row>(`SELECT * FROM ${kind.table} WHERE id > $1::bigint ORDER BY id LIMIT ${PAGE}`, [after.toString()]);
      if (rows.length === 0) break;
      const extra = write.prepare ? await write.prepare(session, rows, lookups) : undefined;
      let out = '';
      for (const row of rows) out += `${JSON.stringify(withoutEmpty(write.record(row, lookups, extra)))}\n`;
      yield out;
      after = (rows[rows.length - 1] as Row).id as bigint;
      if (rows.length < PAGE) break;
    }
  }
}

async function loadLookups(session: Session): Promise<Lookups> {
  const people = new Map<string, PersonOut>();
  for (const row of await session.query<{ id: bigint; key: string; name: string | null; email: string | null }>(
    `SELECT p.id, p.key, p.name,
            (SELECT i.value FROM identities i WHERE i.person_id = p.id AND i.kind = 'email'
              ORDER BY i.verified DESC, i.id LIMIT 1) AS email
       FROM people p`,
  )) {
    const person: PersonOut = { key: row.key };
    if (row.name) person.name = row.name;
    if (row.email) person.email = row.email;
    people.set(String(row.id), person);
  }
  const projects = new Map<string, { ref: string; path: string }>();
  for (const row of await session.query<{ id: bigint; platform: string; path: string }>('SELECT id, platform, path FROM projects')) {
    projects.set(String(row.id), { ref: `${row.platform}:${row.path}`, path: row.path });
  }
  const organisations = new Map<string, string>();
  for (const row of await session.query<{ id: bigint; name: string }>('SELECT id, name FROM organisations')) {
    organisations.set(String(row.id), row.name);
  }
  const milestones = new Map<string, { scope: string; title: string }>();
  for (const row of await session.query<{ id: bigint; scope: string; title: string }>('SELECT id, scope, title FROM milestones')) {
    milestones.set(String(row.id), { scope: row.scope, title: row.title });
  }
  return { people, projects, organisations, milestones };
}

interface Writer {
  prepare?(session: Session, rows: Row[], lookups: Lookups): Promise<unknown>;
  record(row: Row, lookups: Lookups, extra: unknown): Row;
}

/** An instant as ISO 8601: in UTC, or in the zone it was recorded in where that is known. */
const iso = (value: unknown, offset?: unknown) => {
  if (!(value instanceof Date)) return value as string | null;
  if (typeof offset !== 'number') return value.toISOString();
  // A zone that was recorded is written as an offset, +00:00 included; `Z` means none was known.
  return offset === 0 ? value.toISOString().replace('Z', '+00:00') : isoInstant(value.getTime(), offset);
};

function person(lookups: Lookups, id: unknown): PersonOut | null {
  if (id === null || id === undefined) return null;
  const found = lookups.people.get(String(id));
  if (!found) throw new Error(`person ${String(id)} is referred to but missing`);
  return found;
}

function project(lookups: Lookups, id: unknown): string {
  const found = lookups.projects.get(String(id));
  if (!found) throw new Error(`project ${String(id)} is referred to but missing`);
  return found.ref;
}

/** A milestone outside the MR's own project carries its scope. */
function milestone(lookups: Lookups, id: unknown, projectId: unknown): Row {
  if (id === null || id === undefined) return {};
  const found = lookups.milestones.get(String(id));
  if (!found) return {};
  const ownScope = lookups.projects.get(String(projectId))?.path;
  return found.scope === ownScope ? { milestone: found.title } : { milestone: found.title, milestone_scope: found.scope };
}

const people = (lookups: Lookups, list: unknown) => ((list as unknown[] | null) ?? []).map((id) => person(lookups, id));

function target(type: unknown, ref: unknown): Row {
  return type === 'commit' ? { type, sha: ref } : { type, number: Number(ref) };
}

/** Omits null and empty values so a line says only what is known; import fills the same defaults. */
function withoutEmpty(record: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value) && value.length === 0 && key !== 'domains') continue;
    out[key] = value;
  }
  return out;
}

const WRITERS: Record<string, Writer> = {
  project: {
    record: (r) => ({
      type: 'project',
      platform: r.platform,
      path: r.path,
      external_id: r.external_id,
      name: r.name,
      web_url: r.web_url,
      default_branch: r.default_branch,
      monitored: r.monitored,
    }),
  },
  organisation: {
    record: (r, l) => ({
      type: 'organisation',
      name: r.name,
      domains: r.domains,
      // Exact: a number where that spells the same value, else the numeric text ("35000.50").
      arr: r.arr === null ? null : String(Number(r.arr)) === r.arr ? Number(r.arr) : r.arr,
      parent: r.parent_id === null ? null : (l.organisations.get(String(r.parent_id)) ?? null),
    }),
  },
  person: {
    record: (r, l) => ({
      type: 'person',
      key: r.key,
      name: r.name,
      bot: r.is_bot,
      country: r.country,
      timezone: r.timezone,
      merged_into: r.merged_into === null ? null : person(l, r.merged_into)?.key,
    }),
  },
  identity: {
    record: (r, l) => ({
      type: 'identity',
      platform: r.platform,
      kind: r.kind,
      value: r.value,
      person: person(l, r.person_id)?.key,
      verified: r.verified,
      display_name: r.display_name,
    }),
  },
  affiliation: {
    record: (r, l) => ({
      type: 'affiliation',
      person: person(l, r.person_id)?.key,
      organisation: l.organisations.get(String(r.organisation_id)),
      valid_from: r.valid_from,
      valid_to: r.valid_to,
      source: r.source,
    }),
  },
  team_membership: {
    record: (r, l) => ({
      type: 'team_membership',
      person: person(l, r.person_id)?.key,
      valid_from: r.valid_from,
      valid_to: r.valid_to,
      title: r.title,
      department: r.department,
      roles: r.roles,
      source: r.source,
    }),
  },
  milestone: {
    record: (r) => ({
      type: 'milestone',
      scope: r.scope,
      title: r.title,
      start_date: r.start_date,
      due_date: r.due_date,
      released_at: iso(r.released_at),
      state: r.state,
      external_id: r.external_id,
    }),
  },
  merge_request: {
    // Authors and commit count come from the commits that arrived with each MR.
    async prepare(session, rows) {
      const found = await session.query<{ project_id: bigint; number: number; authors: { name: string; email: string }[] | null; commits: unknown }>(
        `SELECT c.project_id, c.merge_request_number AS number, count(*) AS commits,
                jsonb_agg(DISTINCT jsonb_build_object('name', c.author_name, 'email', c.author_email))
                  FILTER (WHERE c.author_name IS NOT NULL OR c.author_email IS NOT NULL) AS authors
           FROM commits c
           JOIN unnest($1::bigint[], $2::int[]) AS wanted(project_id, number)
             ON c.project_id = wanted.project_id AND c.merge_request_number = wanted.number
          GROUP BY 1, 2`,
        [rows.map((r) => String(r.project_id)), rows.map((r) => r.number)],
      );
      return new Map(found.map((f) => [`${f.project_id}/${f.number}`, { authors: f.authors ?? [], commits: toNumber(f.commits) }]));
    },
    record: (r, l, extra) => {
      const commits = (extra as Map<string, { authors: unknown[]; commits: number }>).get(`${r.project_id}/${r.number}`);
      return {
        type: 'merge_request',
        project: project(l, r.project_id),
        number: r.number,
        title: r.title,
        state: r.state,
        author: person(l, r.author_id),
        created_at: iso(r.created_at),
        updated_at: iso(r.updated_at),
        merged_at: iso(r.merged_at, r.merged_at_offset),
        closed_at: iso(r.closed_at),
        merged_by: person(l, r.merged_by_id),
        labels: r.labels,
        ...milestone(l, r.milestone_id, r.project_id),
        work_type: r.type,
        draft: r.draft,
        ready_for_review_at: iso(r.ready_for_review_at),
        first_review_at: iso(r.first_review_at),
        reviewers: people(l, r.reviewer_ids),
        assignees: people(l, r.assignee_ids),
        linked_issues: r.linked_issues,
        source_branch: r.source_branch,
        target_branch: r.target_branch,
        on_default_branch: r.on_default_branch,
        web_url: r.web_url,
        external_id: r.external_id,
        origin: r.origin,
        authors: r.authors ?? commits?.authors ?? [],
        commit_count: r.commit_count ?? commits?.commits ?? 0,
        merge_commit_sha: r.merge_commit_sha,
      };
    },
  },
  issue: {
    record: (r, l) => ({
      type: 'issue',
      project: project(l, r.project_id),
      number: r.number,
      title: r.title,
      state: r.state,
      author: person(l, r.author_id),
      created_at: iso(r.created_at),
      updated_at: iso(r.updated_at),
      closed_at: iso(r.closed_at),
      labels: r.labels,
      ...milestone(l, r.milestone_id, r.project_id),
      assignees: people(l, r.assignee_ids),
      weight: r.weight,
      web_url: r.web_url,
      external_id: r.external_id,
      origin: r.origin,
    }),
  },
  comment: {
    record: (r, l) => ({
      type: 'comment',
      project: project(l, r.project_id),
      target: target(r.target_type, r.target_ref),
      external_id: r.external_id,
      author: person(l, r.author_id),
      created_at: iso(r.created_at),
      system: r.system,
      body: r.body,
    }),
  },
  review: {
    async prepare(session, rows) {
      const found = await session.query<{ id: bigint; project_id: bigint; number: number }>(
        'SELECT id, project_id, number FROM merge_requests WHERE id = ANY($1::bigint[])',
        [[...new Set(rows.map((r) => String(r.merge_request_id)))]],
      );
      return new Map(found.map((f) => [String(f.id), f]));
    },
    record: (r, l, extra) => {
      const mergeRequest = (extra as Map<string, { project_id: bigint; number: number }>).get(String(r.merge_request_id));
      if (!mergeRequest) throw new Error(`review ${String(r.id)} is on merge request ${String(r.merge_request_id)}, which is missing`);
      return {
        type: 'review',
        project: project(l, mergeRequest.project_id),
        merge_request: mergeRequest.number,
        reviewer: person(l, r.reviewer_id),
        kind: r.kind,
        occurred_at: iso(r.occurred_at),
      };
    },
  },
  label_event: {
    record: (r, l) => ({
      type: 'label_event',
      project: project(l, r.project_id),
      target: target(r.target_type, r.target_ref),
      label: r.label,
      action: r.action,
      actor: person(l, r.actor_id),
      occurred_at: iso(r.occurred_at),
    }),
  },
  commit: {
    // The MR a commit arrived with may live in another project: name it by its own natural key.
    async prepare(session, rows) {
      const wanted = [...new Set(rows.map((r) => r.merge_request_id).filter((id) => id !== null).map(String))];
      if (wanted.length === 0) return new Map();
      const found = await session.query<{ id: bigint; project_id: bigint; number: number }>(
        'SELECT id, project_id, number FROM merge_requests WHERE id = ANY($1::int8[])',
        [wanted],
      );
      return new Map(found.map((m) => [String(m.id), m]));
    },
    record: (r, l, extra) => {
      const mergeRequest = (extra as Map<string, { project_id: bigint; number: number }>).get(String(r.merge_request_id));
      const otherProject = mergeRequest && String(mergeRequest.project_id) !== String(r.project_id);
      const authoredOffset = zoneMinutes(r.authored_zone);
      const committedOffset = zoneMinutes(r.committed_zone);
      return {
        type: 'commit',
        project: project(l, r.project_id),
        sha: r.sha,
        author_name: r.author_name,
        author_email: r.author_email,
        authored_at: iso(r.authored_at, authoredOffset),
        committer_name: r.committer_name,
        committer_email: r.committer_email,
        committed_at: iso(r.committed_at, committedOffset),
        co_authors: r.co_authors,
        author: person(l, r.author_id),
        merge_request: mergeRequest ? mergeRequest.number : r.merge_request_number,
        merge_request_project: otherProject ? project(l, mergeRequest.project_id) : null,
        subject: r.subject,
        parents: r.parents,
        message: r.message,
        authored_zone: r.authored_zone !== null && authoredOffset === null ? r.authored_zone : null,
        committed_zone: r.committed_zone !== null && committedOffset === null ? r.committed_zone : null,
      };
    },
  },
  activity: {
    record: (r, l) => {
      let object: Row | null = null;
      if (r.object_type !== null) {
        const ref = r.object_ref as string;
        const objectProject = r.object_project_id === null ? {} : { project: project(l, r.object_project_id) };
        switch (r.object_type) {
          case 'merge_request':
          case 'issue':
            object = { type: r.object_type, ...objectProject, number: Number(ref) };
            break;
          case 'commit':
            object = { type: 'commit', ...objectProject, sha: ref };
            break;
          case 'comment':
            object = { type: 'comment', ...objectProject, external_id: ref };
            break;
          default:
            object = { type: r.object_type, key: ref };
        }
      }
      return {
        type: 'activity',
        kind: r.kind,
        person: person(l, r.person_id)?.key,
        project: r.project_id === null ? null : project(l, r.project_id),
        occurred_at: iso(r.occurred_at),
        object,
        attributes: r.attributes,
      };
    },
  },
  raw_record: {
    record: (r) => ({
      type: 'raw_record',
      source: r.source,
      endpoint: r.endpoint,
      external_id: r.external_id,
      payload: r.payload,
      fetched_at: iso(r.fetched_at),
    }),
  },
};
