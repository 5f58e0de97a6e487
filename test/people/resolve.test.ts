import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/connection.ts';
import {
  acceptSuggestions,
  findPerson,
  IdentityCollector,
  type IdentitySighting,
  mergeHistory,
  resolveIdentities,
  rootsOf,
  saveUserProfiles,
  separatePeople,
  suggestMerges,
  unmergePeople,
} from '../../src/people/index.ts';
import { engineName, openTestDatabase } from '../helpers/database.ts';

async function see(db: Database, ...sightings: (IdentitySighting | [IdentitySighting, IdentitySighting])[]) {
  const collector = new IdentityCollector();
  for (const s of sightings) {
    if (Array.isArray(s)) collector.see(s[0], s[1]);
    else collector.see(s);
  }
  await collector.save(db);
}

async function canonicalKey(db: Database, ref: string): Promise<string> {
  const person = await findPerson(db, ref);
  const root = (await rootsOf(db, [person.id])).get(person.id) as bigint;
  const [row] = await db.query<{ key: string }>('SELECT key FROM people WHERE id = $1', [root.toString()]);
  return row?.key as string;
}

async function samePerson(db: Database, a: string, b: string): Promise<boolean> {
  return (await canonicalKey(db, a)) === (await canonicalKey(db, b));
}

describe(`identity resolution (${engineName})`, () => {
  let db: Database;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db.close();
  });

  test('a person keyed by an identity someone else holds joins them (same_identity)', async () => {
    await db.query(`INSERT INTO people (id, key, name) VALUES (1, 'alice', 'Alice Ng')`);
    await db.query(`INSERT INTO identities (id, platform, kind, value, value_normalised, person_id) VALUES (1, 'gitlab', 'username', 'Alice', 'alice', 1)`);
    // A source sees the username and computes the person id from it, without a lookup.
    await see(db, { platform: 'gitlab', kind: 'username', value: 'alice' });
    assert.equal(await canonicalKey(db, 'gitlab:username:alice'), 'gitlab:username:alice', 'two people until resolution');
    const stats = await resolveIdentities(db);
    assert.equal(stats.merges, 1);
    assert.equal(stats.links.same_identity, 1);
    const [merged] = await db.query<{ merged_into: bigint }>(`SELECT merged_into FROM people WHERE key = 'gitlab:username:alice'`);
    assert.equal(merged?.merged_into, 1n);
    const [audit] = await mergeHistory(db, 'alice');
    assert.equal(audit?.reason, 'auto');
    assert.equal(audit?.rule, 'same_identity');
  });

  test('a username first seen alone, then on a user id, joins that account (same_user_id)', async () => {
    await see(db, { platform: 'gitlab', kind: 'username', value: 'bob' });
    await resolveIdentities(db);
    const account: IdentitySighting = { platform: 'gitlab', kind: 'user_id', value: '4242' };
    await see(db, account, [{ platform: 'gitlab', kind: 'username', value: 'bob' }, account]);
    const stats = await resolveIdentities(db);
    assert.equal(stats.links.same_user_id, 1);
    assert.ok(await samePerson(db, 'gitlab:user_id:4242', 'gitlab:username:bob'));
  });

  test('a GitHub noreply address and the login it carries, whichever comes first (noreply_login)', async () => {
    await see(db, { platform: 'git', kind: 'email', value: '583231+Carol@users.noreply.github.com' });
    await resolveIdentities(db);
    await see(db, { platform: 'github', kind: 'username', value: 'carol' });
    const stats = await resolveIdentities(db);
    assert.equal(stats.identities, 1, 'only the new identity is looked at');
    assert.equal(stats.links.noreply_login, 1);
    assert.ok(await samePerson(db, 'git:email:583231+carol@users.noreply.github.com', 'github:username:carol'));
    // and the other order, with the user id, in one batch
    await see(db, { platform: 'github', kind: 'user_id', value: '99' }, { platform: 'git', kind: 'email', value: '99+dave@users.noreply.github.com' });
    await resolveIdentities(db);
    assert.ok(await samePerson(db, 'github:user_id:99', 'git:email:99+dave@users.noreply.github.com'));
  });

  test("a commit e-mail equal to an account's public e-mail (commit_email_account_email)", async () => {
    await saveUserProfiles(db, [{ id: 1, username: 'john_smith', name: 'John Smith', public_email: 'john@example.com', bot: false, organization: '' }]);
    await see(db, { platform: 'git', kind: 'email', value: 'John@Example.com', displayName: 'John Smith' });
    const stats = await resolveIdentities(db);
    assert.equal(stats.links.commit_email_account_email, 1);
    assert.ok(await samePerson(db, 'git:email:john@example.com', 'gitlab:user_id:1'));
    assert.ok(await samePerson(db, 'gitlab:username:john_smith', 'gitlab:user_id:1'));
  });

  test('the same e-mail on two platforms (same_email); shared service addresses link nobody', async () => {
    await see(db, { platform: 'discourse', kind: 'email', value: 'erin@corp.example' }, { platform: 'crowdin', kind: 'email', value: 'erin@corp.example' });
    await see(db, { platform: 'git', kind: 'email', value: 'noreply@corp.example' }, { platform: 'gitlab', kind: 'email', value: 'noreply@corp.example' });
    const stats = await resolveIdentities(db);
    assert.equal(stats.links.same_email, 1);
    assert.ok(await samePerson(db, 'discourse:email:erin@corp.example', 'crowdin:email:erin@corp.example'));
    assert.equal(await samePerson(db, 'git:email:noreply@corp.example', 'gitlab:email:noreply@corp.example'), false);
  });

  test('a name seen on two accounts links nobody', async () => {
    await see(db, [{ platform: 'git', kind: 'name', value: 'John Smith' }, { platform: 'git', kind: 'email', value: 'js1@one.example' }]);
    await see(db, [{ platform: 'git', kind: 'name', value: 'John Smith' }, { platform: 'git', kind: 'email', value: 'js2@two.example' }]);
    const [claims] = await db.query<{ n: bigint }>('SELECT count(*) AS n FROM identity_claims WHERE resolved_at IS NULL');
    assert.equal(claims?.n, 1n, 'the claim is kept as evidence');
    const stats = await resolveIdentities(db);
    assert.equal(stats.merges, 0);
    assert.equal(await samePerson(db, 'git:email:js1@one.example', 'git:email:js2@two.example'), false);
  });

  test('resolution is incremental: nothing new, nothing done', async () => {
    const stats = await resolveIdentities(db);
    assert.deepEqual([stats.identities, stats.people, stats.claims, stats.merges], [0, 0, 0, 0]);
  });

  test('chains of links end in one person, and every merge points at a root', async () => {
    await see(
      db,
      { platform: 'gitlab', kind: 'email', value: 'frank@frank.example' },
      { platform: 'git', kind: 'email', value: 'frank@frank.example' },
      { platform: 'github', kind: 'username', value: 'frankie' },
      { platform: 'git', kind: 'email', value: 'frankie@users.noreply.github.com' },
    );
    await see(db, { platform: 'discord', kind: 'email', value: 'frankie@users.noreply.github.com' });
    await see(db, [{ platform: 'discord', kind: 'email', value: 'frank@frank.example' }, { platform: 'discord', kind: 'email', value: 'frankie@users.noreply.github.com' }]);
    await resolveIdentities(db);
    const keys = ['gitlab:email:frank@frank.example', 'git:email:frank@frank.example', 'github:username:frankie', 'git:email:frankie@users.noreply.github.com'];
    const roots = new Set(await Promise.all(keys.map((k) => canonicalKey(db, k))));
    assert.equal(roots.size, 1);
    const [deep] = await db.query<{ depth: number }>('SELECT max(depth) AS depth FROM person_canonical');
    assert.ok(Number(deep?.depth) <= 2);
  });

  test('an unmerge keeps the two apart: resolution does not merge them again', async () => {
    await see(db, { platform: 'gitlab', kind: 'email', value: 'gina@gina.example' }, { platform: 'git', kind: 'email', value: 'gina@gina.example' });
    await resolveIdentities(db);
    assert.ok(await samePerson(db, 'git:email:gina@gina.example', 'gitlab:email:gina@gina.example'));
    const merged = await findPerson(db, 'git:email:gina@gina.example');
    const [row] = await db.query<{ merged_into: bigint | null }>('SELECT merged_into FROM people WHERE id = $1', [merged.id.toString()]);
    const loser = row?.merged_into ? merged.key : 'gitlab:email:gina@gina.example';
    await unmergePeople(db, { person: loser });
    assert.equal(await samePerson(db, 'git:email:gina@gina.example', 'gitlab:email:gina@gina.example'), false);
    // New evidence for the same link arrives: still apart.
    await see(db, { platform: 'discourse', kind: 'email', value: 'gina@gina.example' });
    const stats = await resolveIdentities(db);
    assert.equal(stats.keptApart, 1);
    assert.equal(await samePerson(db, 'git:email:gina@gina.example', 'gitlab:email:gina@gina.example'), false);
  });

  test('a separation made by hand stops automatic resolution', async () => {
    await see(db, { platform: 'gitlab', kind: 'email', value: 'hal@hal.example' });
    await resolveIdentities(db);
    await see(db, { platform: 'git', kind: 'email', value: 'hal@hal.example' });
    await separatePeople(db, 'gitlab:email:hal@hal.example', 'git:email:hal@hal.example', { note: 'two Hals share a mailbox' });
    const stats = await resolveIdentities(db);
    assert.equal(stats.keptApart, 1);
    assert.equal(stats.merges, 0);
  });

  test('probable links are suggested with scores, never merged', async () => {
    await see(
      db,
      { platform: 'git', kind: 'email', value: 'jane.doe@gmail.com', displayName: 'Jane Doe' },
      { platform: 'gitlab', kind: 'email', value: 'jane.doe@acme.example', displayName: 'Jané  Doe' },
      { platform: 'git', kind: 'email', value: 'kim@k.example', displayName: 'Kim Lee' },
      { platform: 'git', kind: 'email', value: 'klee@other.example', displayName: 'kim lee' },
    );
    await resolveIdentities(db);
    await db.query(`INSERT INTO organisations (id, name) VALUES (77, 'Acme')`);
    await db.query(
      `INSERT INTO affiliations (id, person_id, organisation_id, source) SELECT 700 + row_number() OVER (ORDER BY id), id, 77, 'manual' FROM people WHERE key IN ('git:email:kim@k.example', 'git:email:klee@other.example')`,
    );
    const suggestions = await suggestMerges(db);
    const jane = suggestions.find((s) => s.shared === 'jane doe');
    assert.ok(jane, 'jane doe is suggested');
    assert.equal(jane.score, 0.9);
    assert.deepEqual(jane.rules, ['name_email_local']);
    const kim = suggestions.find((s) => s.shared === 'kim lee');
    assert.ok(kim);
    assert.equal(kim.score, 0.8);
    assert.ok(await samePerson(db, 'git:email:jane.doe@gmail.com', 'git:email:jane.doe@gmail.com'));
    assert.equal(await samePerson(db, 'git:email:jane.doe@gmail.com', 'gitlab:email:jane.doe@acme.example'), false);
    // A separated pair is not suggested again.
    await separatePeople(db, jane.a.key, jane.b.key);
    assert.equal((await suggestMerges(db)).some((s) => s.shared === 'jane doe'), false);
    // A roster member's name on someone else's commits.
    await see(db, { platform: 'gitlab', kind: 'username', value: 'lmartin', displayName: 'Luc Martin' }, { platform: 'git', kind: 'email', value: 'luc@home.example', displayName: 'Luc Martin' });
    const luc = await findPerson(db, 'gitlab:username:lmartin');
    await db.query(`INSERT INTO team_memberships (id, person_id, source) VALUES (900, $1, 'roster')`, [luc.id.toString()]);
    const forLuc = await suggestMerges(db, { person: 'gitlab:username:lmartin' });
    assert.equal(forLuc.length, 1);
    assert.deepEqual(forLuc[0]?.rules, ['roster_name']);
    // Accepting what scores at least 0.7 merges Luc and Kim, not the separated Jane.
    const accepted = await acceptSuggestions(db, { minScore: 0.7, actor: 'test' });
    assert.deepEqual(accepted, { accepted: 2, skipped: 0 });
    assert.ok(await samePerson(db, 'gitlab:username:lmartin', 'git:email:luc@home.example'));
    assert.ok(await samePerson(db, 'git:email:kim@k.example', 'git:email:klee@other.example'));
    assert.equal(await samePerson(db, 'git:email:jane.doe@gmail.com', 'gitlab:email:jane.doe@acme.example'), false);
    const [audit] = await mergeHistory(db, 'gitlab:username:lmartin');
    assert.deepEqual([audit?.reason, audit?.rule, audit?.score, audit?.actor], ['suggestion', 'roster_name', 0.7, 'test']);
    assert.deepEqual(await suggestMerges(db, { minScore: 0.7 }), []);
  });
});
