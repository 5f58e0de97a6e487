import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/connection.ts';
import { generateNdjsonLines } from '../../src/generator/community.ts';
import { importNdjson } from '../../src/interchange/import.ts';
import {
  affiliationAtSql,
  classificationSql,
  findPerson,
  mergeHistory,
  mergePeople,
  PeopleError,
  resolveIdentities,
  rootsOf,
  separatePeople,
  unmergePeople,
  unseparatePeople,
} from '../../src/people/index.ts';
import { engineName, openTestDatabase, snapshot } from '../helpers/database.ts';

const AUDIT_TABLES = new Set(['person_merges', 'person_separations']);

/** Everything a KPI reads about people: the canonical mapping, classes and organisations at each activity and merge, the stored rows. */
async function kpiInputs(db: Database): Promise<Record<string, string>> {
  const digest = async (sql: string) => {
    const [row] = await db.query<{ n: bigint; digest: string }>(
      `SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM (${sql}) t`,
    );
    return `${row?.n} ${row?.digest}`;
  };
  const pairs = `SELECT person_id, occurred_at FROM activities UNION ALL SELECT author_id, merged_at FROM merge_requests WHERE merged_at IS NOT NULL`;
  const tables = Object.fromEntries(Object.entries(await snapshot(db)).filter(([table]) => !AUDIT_TABLES.has(table)));
  return {
    ...tables,
    canonical: await digest('SELECT person_id, canonical_id FROM person_canonical'),
    classification: await digest(classificationSql({ groups: ['acme'] }, pairs)),
    organisation: await digest(affiliationAtSql(pairs)),
  };
}

describe(`merges and unmerges (${engineName})`, () => {
  let db: Database;
  before(async () => {
    db = await openTestDatabase();
    await importNdjson(db, Readable.from(generateNdjsonLines({ seed: 'merge-test', mergeRequests: 600, activities: 4000 })));
    await resolveIdentities(db);
  });
  after(async () => {
    await db.close();
  });

  async function rootKey(ref: string): Promise<string> {
    const person = await findPerson(db, ref);
    const root = (await rootsOf(db, [person.id])).get(person.id) as bigint;
    const [row] = await db.query<{ key: string }>('SELECT key FROM people WHERE id = $1', [root.toString()]);
    return row?.key as string;
  }

  async function pick(sql: string): Promise<string[]> {
    return (await db.query<{ key: string }>(sql)).map((r) => r.key);
  }

  test('a merge followed by an unmerge restores every KPI input exactly', async () => {
    const before = await kpiInputs(db);
    const [community1, community2] = await pick(
      `SELECT p.key FROM people p WHERE p.merged_into IS NULL AND NOT p.is_bot AND NOT EXISTS (SELECT 1 FROM team_memberships t WHERE t.person_id = p.id)
          AND EXISTS (SELECT 1 FROM activities a WHERE a.person_id = p.id) AND EXISTS (SELECT 1 FROM affiliations f WHERE f.person_id = p.id)
        ORDER BY p.key LIMIT 2`,
    );
    const [team] = await pick(`SELECT p.key FROM people p JOIN team_memberships t ON t.person_id = p.id WHERE p.merged_into IS NULL ORDER BY p.key LIMIT 1`);
    const [bot] = await pick(`SELECT key FROM people WHERE is_bot AND merged_into IS NULL ORDER BY key LIMIT 1`);
    assert.ok(community1 && community2 && team && bot, 'the generated community has people of every kind');

    const first = await mergePeople(db, community1, team, { actor: 'test' });
    await mergePeople(db, community2, bot, { actor: 'test' });
    // The merges are seen by every input: the test would notice a lasting change.
    const merged = await kpiInputs(db);
    assert.notEqual(merged.canonical, before.canonical);
    assert.notEqual(merged.classification, before.classification);
    assert.notEqual(merged.organisation, before.organisation);

    // Undone in the order they were made (the harder order: the first is not the latest).
    await unmergePeople(db, { mergeId: first.id }, { actor: 'test' });
    await unmergePeople(db, { person: community2 }, { actor: 'test' });
    assert.deepEqual(await kpiInputs(db), before);
    const history = await mergeHistory(db, team);
    assert.equal(history[0]?.id, first.id);
    assert.ok(history[0]?.undoneAt instanceof Date);
    assert.equal(history[0]?.undoneBy, 'test');
  });

  test('an unmerge undoes exactly one merge; later merges into the same person stay', async () => {
    const [a, b, c] = await pick(`SELECT key FROM people WHERE merged_into IS NULL AND NOT is_bot ORDER BY key DESC LIMIT 3`);
    assert.ok(a && b && c);
    const ab = await mergePeople(db, a, b);
    await mergePeople(db, c, b);
    assert.equal(await rootKey(a), b);
    await unmergePeople(db, { mergeId: ab.id }, { keepApart: false });
    assert.equal(await rootKey(a), a);
    assert.equal(await rootKey(c), b, 'the other merge into the same person stays');
    // Merging a person merged into another merges its canonical person.
    const d = await mergePeople(db, a, c);
    assert.equal(d.intoPersonId, (await findPerson(db, b)).id);
    assert.equal(await rootKey(a), b);
    await assert.rejects(mergePeople(db, a, c), (error: unknown) => error instanceof PeopleError && error.code === 'conflict');
    await assert.rejects(unmergePeople(db, { mergeId: ab.id }), /already undone/);
  });

  test('"never merge these two" refuses a manual merge until overridden, and an unmerge keeps them apart by default', async () => {
    const [x, y] = await pick(`SELECT key FROM people WHERE merged_into IS NULL AND NOT is_bot ORDER BY key LIMIT 2 OFFSET 10`);
    assert.ok(x && y);
    await separatePeople(db, x, y, { note: 'namesakes' });
    await assert.rejects(mergePeople(db, x, y), /marked as different people/);
    const forced = await mergePeople(db, x, y, { overrideSeparation: true });
    assert.equal(await rootKey(x), y);
    await assert.rejects(separatePeople(db, x, y), /one person now/);
    await unmergePeople(db, { mergeId: forced.id });
    await assert.rejects(mergePeople(db, y, x), /marked as different people/);
    assert.equal(await unseparatePeople(db, x, y), true);
    await mergePeople(db, y, x);
    assert.equal(await rootKey(y), x);
  });

  test('a merge that came in with an import (no audit row) can be undone too, and is audited', async () => {
    const [alias] = await pick(`SELECT key FROM people WHERE merged_into IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person_merges m WHERE m.from_person_id = people.id) ORDER BY key LIMIT 1`);
    assert.ok(alias, 'the generator merges a few second accounts');
    const undone = await unmergePeople(db, { person: alias });
    assert.equal(undone.reason, 'unaudited');
    assert.equal(await rootKey(alias), alias);
    await assert.rejects(unmergePeople(db, { person: alias }), /not merged/);
  });

  test('people are found by key, id or identity, and unknown ones are named in the error', async () => {
    const [row] = await db.query<{ id: bigint; key: string; value: string }>(
      `SELECT p.id, p.key, i.value FROM people p JOIN identities i ON i.person_id = p.id AND i.kind = 'username' ORDER BY p.key LIMIT 1`,
    );
    assert.ok(row);
    assert.equal((await findPerson(db, row.key)).id, row.id);
    assert.equal((await findPerson(db, row.id)).id, row.id);
    assert.equal((await findPerson(db, String(row.id))).id, row.id);
    assert.equal((await findPerson(db, `gitlab:username:${row.value.toUpperCase()}`)).id, row.id);
    await assert.rejects(findPerson(db, 'nobody-at-all'), /no person with key, id or identity "nobody-at-all"/);
  });
});
