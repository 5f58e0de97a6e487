import type { Session } from '../db/connection.ts';
import { findPerson, inTransaction, membersOf, PeopleError, type PersonRef, type PersonRow, rootsOf } from './common.ts';

/**
 * Merges and unmerges, audited. A merge points one canonical person (a root: `merged_into` is null) at
 * another and writes one person_merges row; nothing else changes, so activities, identities and
 * affiliations keep their person ids and KPIs see the merge through person_canonical. An unmerge
 * clears exactly that pointer, which restores the state before the merge: later merges only ever
 * touch roots, so they never rewrite a pointer an earlier merge set.
 */

export interface MergeRecord {
  id: bigint;
  fromPersonId: bigint;
  intoPersonId: bigint;
  reason: string;
  rule: string | null;
  score: number | null;
  evidence: Record<string, unknown> | null;
  actor: string;
  mergedAt: Date;
  undoneAt: Date | null;
  undoneBy: string | null;
}

export interface MergeOptions {
  actor?: string;
  /** 'manual' (default) or 'suggestion' when accepting a scored suggestion. */
  reason?: 'manual' | 'suggestion';
  rule?: string;
  score?: number;
  evidence?: Record<string, unknown>;
  /** Merge even though someone decided these two are different people; that decision is removed. */
  overrideSeparation?: boolean;
}

const MERGE_COLUMNS = `id, from_person_id AS "fromPersonId", into_person_id AS "intoPersonId", reason, rule, score, evidence, actor,
  merged_at AS "mergedAt", undone_at AS "undoneAt", undone_by AS "undoneBy"`;

/**
 * Merges the person `from` belongs to into the person `into` belongs to (both taken at their canonical
 * person). Refuses when they already are one person, or when a separation keeps them apart.
 */
export async function mergePeople(db: Session, from: PersonRef, into: PersonRef, options: MergeOptions = {}): Promise<MergeRecord> {
  return inTransaction(db, async (tx) => {
    const [source, target] = [await findPerson(tx, from), await findPerson(tx, into)];
    const roots = await rootsOf(tx, [source.id, target.id]);
    const fromRoot = roots.get(source.id) as bigint;
    const intoRoot = roots.get(target.id) as bigint;
    if (fromRoot === intoRoot) throw new PeopleError('conflict', `${source.key} and ${target.key} are already the same person`);
    // Lock both roots so a concurrent merge cannot interleave.
    await tx.query('SELECT id FROM people WHERE id = ANY($1::int8[]) ORDER BY id FOR UPDATE', [[fromRoot.toString(), intoRoot.toString()]]);
    const separations = await separationsBetween(tx, fromRoot, intoRoot);
    if (separations.length > 0) {
      if (!options.overrideSeparation) {
        throw new PeopleError('conflict', `${source.key} and ${target.key} were marked as different people; merge with the override to lift that decision`);
      }
      for (const s of separations) await tx.query('DELETE FROM person_separations WHERE person_a = $1 AND person_b = $2', [s.a.toString(), s.b.toString()]);
    }
    const updated = await tx.query('UPDATE people SET merged_into = $2 WHERE id = $1 AND merged_into IS NULL RETURNING id', [fromRoot.toString(), intoRoot.toString()]);
    if (updated.length !== 1) throw new PeopleError('conflict', `${source.key} changed while merging; try again`);
    const [record] = await tx.query<MergeRecord>(
      `INSERT INTO person_merges (from_person_id, into_person_id, reason, rule, score, evidence, actor)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING ${MERGE_COLUMNS}`,
      [
        fromRoot.toString(),
        intoRoot.toString(),
        options.reason ?? 'manual',
        options.rule ?? null,
        options.score ?? null,
        JSON.stringify(options.evidence ?? { from: source.key, into: target.key }),
        options.actor ?? 'cli',
      ],
    );
    return record as MergeRecord;
  });
}

export interface UnmergeOptions {
  actor?: string;
  /** Record that the two are different people, so automatic resolution never merges them again (default true). */
  keepApart?: boolean;
}

/**
 * Undoes one merge: by its id, or the merge that made `person` part of another person (the person
 * whose `merged_into` it set). A merge that came in without an audit row (an NDJSON import's
 * `merged_into`) is undone all the same and the unmerge is audited.
 */
export async function unmergePeople(db: Session, target: { mergeId: bigint } | { person: PersonRef }, options: UnmergeOptions = {}): Promise<MergeRecord> {
  return inTransaction(db, async (tx) => {
    const actor = options.actor ?? 'cli';
    let merge: MergeRecord | undefined;
    if ('mergeId' in target) {
      [merge] = await tx.query<MergeRecord>(`SELECT ${MERGE_COLUMNS} FROM person_merges WHERE id = $1`, [target.mergeId.toString()]);
      if (!merge) throw new PeopleError('not_found', `no merge with id ${target.mergeId}`);
      if (merge.undoneAt) throw new PeopleError('conflict', `merge ${merge.id} was already undone at ${merge.undoneAt.toISOString()}`);
    } else {
      const person = await findPerson(tx, target.person);
      const [row] = await tx.query<{ merged_into: bigint | null }>('SELECT merged_into FROM people WHERE id = $1 FOR UPDATE', [person.id.toString()]);
      if (!row?.merged_into) throw new PeopleError('conflict', `${person.key} is not merged into anyone`);
      [merge] = await tx.query<MergeRecord>(
        `SELECT ${MERGE_COLUMNS} FROM person_merges WHERE from_person_id = $1 AND into_person_id = $2 AND undone_at IS NULL ORDER BY id DESC LIMIT 1`,
        [person.id.toString(), row.merged_into.toString()],
      );
      if (!merge) {
        [merge] = await tx.query<MergeRecord>(
          `INSERT INTO person_merges (from_person_id, into_person_id, reason, actor, merged_at) VALUES ($1, $2, 'unaudited', 'unknown', now())
           RETURNING ${MERGE_COLUMNS}`,
          [person.id.toString(), row.merged_into.toString()],
        );
      }
    }
    const merged = merge as MergeRecord;
    const cleared = await tx.query('UPDATE people SET merged_into = NULL WHERE id = $1 AND merged_into = $2 RETURNING id', [
      merged.fromPersonId.toString(),
      merged.intoPersonId.toString(),
    ]);
    if (cleared.length !== 1) throw new PeopleError('conflict', `merge ${merged.id} no longer holds (the person was moved by other means); nothing was changed`);
    const [undone] = await tx.query<MergeRecord>(`UPDATE person_merges SET undone_at = now(), undone_by = $2 WHERE id = $1 RETURNING ${MERGE_COLUMNS}`, [
      merged.id.toString(),
      actor,
    ]);
    if (options.keepApart ?? true) await addSeparation(tx, merged.fromPersonId, merged.intoPersonId, actor, `unmerge of merge ${merged.id}`);
    return undone as MergeRecord;
  });
}

/** "Never merge these two." Refused when they are one person now: unmerge first. */
export async function separatePeople(db: Session, a: PersonRef, b: PersonRef, options: { actor?: string; note?: string } = {}): Promise<void> {
  await inTransaction(db, async (tx) => {
    const [first, second] = [await findPerson(tx, a), await findPerson(tx, b)];
    if (first.id === second.id) throw new PeopleError('invalid', 'a person cannot be kept apart from itself');
    const roots = await rootsOf(tx, [first.id, second.id]);
    if (roots.get(first.id) === roots.get(second.id)) {
      throw new PeopleError('conflict', `${first.key} and ${second.key} are one person now; unmerge them first`);
    }
    await addSeparation(tx, first.id, second.id, options.actor ?? 'cli', options.note ?? null);
  });
}

/** Lifts a "never merge" decision; returns whether there was one. */
export async function unseparatePeople(db: Session, a: PersonRef, b: PersonRef): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const [first, second] = [await findPerson(tx, a), await findPerson(tx, b)];
    const [low, high] = first.id < second.id ? [first.id, second.id] : [second.id, first.id];
    const rows = await tx.query('DELETE FROM person_separations WHERE person_a = $1 AND person_b = $2 RETURNING 1', [low.toString(), high.toString()]);
    return rows.length > 0;
  });
}

async function addSeparation(tx: Session, a: bigint, b: bigint, actor: string, note: string | null) {
  const [low, high] = a < b ? [a, b] : [b, a];
  await tx.query('INSERT INTO person_separations (person_a, person_b, actor, note) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
    low.toString(),
    high.toString(),
    actor,
    note,
  ]);
}

/** Separations with one person in each of the two canonical groups. */
async function separationsBetween(tx: Session, rootA: bigint, rootB: bigint): Promise<{ a: bigint; b: bigint }[]> {
  const [groupA, groupB] = [await membersOf(tx, rootA), await membersOf(tx, rootB)];
  return tx.query<{ a: bigint; b: bigint }>(
    `SELECT person_a AS a, person_b AS b FROM person_separations
      WHERE (person_a = ANY($1::int8[]) AND person_b = ANY($2::int8[])) OR (person_a = ANY($2::int8[]) AND person_b = ANY($1::int8[]))`,
    [groupA.map(String), groupB.map(String)],
  );
}

/** The merges that involve anyone in `person`'s canonical group, newest first, undone ones included. */
export async function mergeHistory(session: Session, person?: PersonRef, limit = 100): Promise<MergeRecord[]> {
  if (person === undefined) {
    return session.query<MergeRecord>(`SELECT ${MERGE_COLUMNS} FROM person_merges ORDER BY id DESC LIMIT $1`, [limit]);
  }
  const found: PersonRow = await findPerson(session, person);
  const root = (await rootsOf(session, [found.id])).get(found.id) as bigint;
  const members = await membersOf(session, root);
  return session.query<MergeRecord>(
    `SELECT ${MERGE_COLUMNS} FROM person_merges WHERE from_person_id = ANY($1::int8[]) OR into_person_id = ANY($1::int8[]) ORDER BY id DESC LIMIT $2`,
    [members.map(String), limit],
  );
}
