import type { Session } from '../../db/connection.ts';
import { idText } from '../../db/ids.ts';
import {
  activityRecordKind,
  commentKind,
  ids,
  issueKind,
  labelEventKind,
  mergeRequestKind,
  type RecordKind,
  type Reference,
  reviewKind,
} from '../../interchange/records.ts';
import type { DerivedRows } from './normalise.ts';

/**
 * What GitLab said, kept in raw_records beside the rows derived from it: one record per MR, per MR's
 * notes, per MR's label events, per issue, per issue's notes, per user, per group's members, per
 * project, per milestone and release. Keyed by (source, endpoint, external id), so storing again
 * replaces; the stored MR's `updated_at` is what tells a sync whether an MR changed.
 */

export type RawEndpoint =
  | 'merge_requests'
  | 'merge_request_notes'
  | 'merge_request_label_events'
  | 'issues'
  | 'issue_notes'
  | 'users'
  | 'group_members'
  | 'projects'
  | 'milestones'
  | 'releases';

export const mergeRequestKey = (projectId: number, iid: number) => `${projectId}!${iid}`;
export const issueKey = (projectId: number, iid: number) => `${projectId}#${iid}`;

export async function storeRaw(session: Session, source: string, endpoint: RawEndpoint, entries: readonly { key: string; payload: unknown }[]): Promise<void> {
  if (entries.length === 0) return;
  await session.query(
    `INSERT INTO raw_records (id, source, endpoint, external_id, payload, fetched_at)
     SELECT id::int8, $2, $3, key, payload::jsonb, now() FROM unnest($1::text[], $4::text[], $5::text[]) AS u(id, key, payload)
     ON CONFLICT (id) DO UPDATE SET payload = EXCLUDED.payload, fetched_at = EXCLUDED.fetched_at
       WHERE raw_records.payload IS DISTINCT FROM EXCLUDED.payload`,
    [
      entries.map((e) => idText('raw_record', source, endpoint, e.key)),
      source,
      endpoint,
      entries.map((e) => e.key),
      entries.map((e) => JSON.stringify(e.payload)),
    ],
  );
}

/** The `updated_at` of the stored payloads under these keys (absent: never stored). */
export async function storedUpdatedAt(session: Session, source: string, endpoint: 'merge_requests' | 'issues', keys: readonly string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await session.query<{ key: string; updated_at: string }>(
    `SELECT external_id AS key, payload->>'updated_at' AS updated_at FROM raw_records WHERE id = ANY($1::int8[])`,
    [keys.map((key) => idText('raw_record', source, endpoint, key))],
  );
  return new Map(rows.map((r) => [r.key, r.updated_at]));
}

/** Which of these keys have a stored payload. */
export async function storedKeys(session: Session, source: string, endpoint: RawEndpoint, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await session.query<{ key: string }>(`SELECT external_id AS key FROM raw_records WHERE id = ANY($1::int8[])`, [
    keys.map((key) => idText('raw_record', source, endpoint, key)),
  ]);
  return new Set(rows.map((r) => r.key));
}

export async function readRaw(session: Session, source: string, endpoint: RawEndpoint, keys?: readonly string[]): Promise<Map<string, unknown>> {
  const rows = keys
    ? await session.query<{ key: string; payload: unknown }>(`SELECT external_id AS key, payload FROM raw_records WHERE id = ANY($1::int8[])`, [
        keys.map((key) => idText('raw_record', source, endpoint, key)),
      ])
    : await session.query<{ key: string; payload: unknown }>(`SELECT external_id AS key, payload FROM raw_records WHERE source = $1 AND endpoint = $2`, [source, endpoint]);
  return new Map(rows.map((r) => [r.key, r.payload]));
}

export async function forgetRaw(session: Session, source: string, endpoint: RawEndpoint, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await session.query('DELETE FROM raw_records WHERE id = ANY($1::int8[])', [keys.map((key) => idText('raw_record', source, endpoint, key))]);
}

/**
 * Deletes what was derived from these MRs or issues (comments, reviews, label events, activities),
 * before they are derived again: a deleted note, a withdrawn approval or a reopened MR must leave no
 * trace that a fresh sync would not write.
 */
export async function forgetDerived(session: Session, target: 'merge_request' | 'issue', items: readonly { project: string; number: number }[]): Promise<void> {
  if (items.length === 0) return;
  const projectIds = items.map((i) => ids.project(i.project));
  const refs = items.map((i) => String(i.number));
  await session.query(
    `WITH gone AS (
       DELETE FROM comments c USING unnest($1::int8[], $2::text[]) AS u(project_id, ref)
        WHERE c.project_id = u.project_id AND c.target_type = $3::target_type AND c.target_ref = u.ref RETURNING c.id)
     DELETE FROM activities a USING gone WHERE a.object_type = 'comment' AND a.object_id = gone.id`,
    [projectIds, refs, target],
  );
  const objectIds = items.map((i) => (target === 'merge_request' ? ids.mergeRequest(i.project, i.number) : ids.issue(i.project, i.number)));
  await session.query(`DELETE FROM activities WHERE object_type = $2::object_type AND object_id = ANY($1::int8[])`, [objectIds, target]);
  if (target === 'merge_request') {
    await session.query('DELETE FROM reviews WHERE merge_request_id = ANY($1::int8[])', [objectIds]);
    await session.query(
      `DELETE FROM label_events l USING unnest($1::int8[], $2::text[]) AS u(project_id, ref)
        WHERE l.project_id = u.project_id AND l.target_type = 'merge_request' AND l.target_ref = u.ref`,
      [projectIds, refs],
    );
  }
}

/** Deletes MRs or issues themselves (gone from GitLab), with everything derived from them. */
export async function forgetItems(session: Session, target: 'merge_request' | 'issue', items: readonly { project: string; number: number }[]): Promise<void> {
  await forgetDerived(session, target, items);
  const objectIds = items.map((i) => (target === 'merge_request' ? ids.mergeRequest(i.project, i.number) : ids.issue(i.project, i.number)));
  await session.query(`DELETE FROM ${target === 'merge_request' ? 'merge_requests' : 'issues'} WHERE id = ANY($1::int8[])`, [objectIds]);
}

const NO_REFS: Reference[] = [];

/**
 * Upserts records of one kind: COPY into a staging table, then insert or update by id (ids are
 * hashes of natural keys, so a record written again lands on its own row). Unchanged rows are left
 * untouched.
 */
// biome-ignore lint/suspicious/noExplicitAny: each kind is typed where it is defined.
export async function upsertRecords(session: Session, kind: RecordKind<any>, records: readonly unknown[]): Promise<number> {
  if (records.length === 0) return 0;
  const byId = new Map<string, string>();
  for (const record of records) {
    const line = kind.toCopy(record, NO_REFS);
    NO_REFS.length = 0;
    byId.set(line.slice(0, line.indexOf('\t')), line);
  }
  const stage = `gitlab_stage_${kind.table}`;
  await session.query(`CREATE TEMP TABLE IF NOT EXISTS ${stage} (LIKE ${kind.table} INCLUDING DEFAULTS)`);
  await session.query(`TRUNCATE ${stage}`);
  await session.copyFrom(stage, kind.columns, [[...byId.values()].join('')]);
  const columns = kind.columns.join(', ');
  const updatable = kind.columns.filter((c) => c !== 'id');
  await session.query(
    `INSERT INTO ${kind.table} (${columns}) SELECT ${columns} FROM ${stage}
     ON CONFLICT (id) DO UPDATE SET ${updatable.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
     WHERE (${updatable.map((c) => `${kind.table}.${c}`).join(', ')}) IS DISTINCT FROM (${updatable.map((c) => `EXCLUDED.${c}`).join(', ')})`,
  );
  return byId.size;
}

/** Writes derived rows; milestones first, as MRs and issues refer to them. */
export async function writeDerived(session: Session, rows: DerivedRows): Promise<void> {
  await upsertRecords(session, mergeRequestKind, rows.mergeRequests);
  await upsertRecords(session, issueKind, rows.issues);
  await upsertRecords(session, commentKind, rows.comments);
  await upsertRecords(session, reviewKind, rows.reviews);
  await upsertRecords(session, labelEventKind, rows.labelEvents);
  await upsertRecords(session, activityRecordKind, rows.activities);
}

