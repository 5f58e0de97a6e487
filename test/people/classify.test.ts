import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ZodError } from 'zod';
import type { Database } from '../../src/db/connection.ts';
import {
  botStatus,
  classificationRules,
  classify,
  classifyMany,
  classifyMergedMergeRequests,
  detectBots,
  findPerson,
  IdentityCollector,
  type IdentitySighting,
  mergePeople,
  resolveIdentities,
  saveUserProfiles,
  setBotOverride,
  syncGroupMembers,
} from '../../src/people/index.ts';
import { engineName, openTestDatabase } from '../helpers/database.ts';

const at = (day: string) => new Date(`${day}T12:00:00Z`);

describe(`classification (${engineName})`, () => {
  let db: Database;
  const see = async (...sightings: IdentitySighting[]) => {
    const collector = new IdentityCollector();
    for (const s of sightings) collector.see(s);
    await collector.save(db);
  };
  const id = async (ref: string) => (await findPerson(db, ref)).id.toString();

  before(async () => {
    db = await openTestDatabase();
    await see(
      { platform: 'gitlab', kind: 'username', value: 'tina', displayName: 'Tina Team' },
      { platform: 'git', kind: 'email', value: 'tina@home.example', displayName: 'Tina Team' },
      { platform: 'gitlab', kind: 'username', value: 'carl', displayName: 'Carl Community' },
      { platform: 'gitlab', kind: 'username', value: 'gwen', displayName: 'Gwen Group' },
      { platform: 'git', kind: 'email', value: 'dora@acme.example', displayName: 'Dora Domain' },
      { platform: 'gitlab', kind: 'username', value: 'lena', displayName: 'Lena Listed' },
    );
    // Tina: a team member from 2022-03-01 until 2023-06-01 (half-open), then again from 2024-01-01.
    await db.query(
      `INSERT INTO team_memberships (id, person_id, valid_from, valid_to, source) VALUES
         (1, $1, '2022-03-01', '2023-06-01', 'roster'), (2, $1, '2024-01-01', NULL, 'roster')`,
      [await id('gitlab:username:tina')],
    );
  });
  after(async () => {
    await db.close();
  });

  test('roster membership counts only inside its half-open period', async () => {
    const tina = 'gitlab:username:tina';
    assert.equal(await classify(db, tina, at('2022-02-28')), 'community');
    assert.equal(await classify(db, tina, new Date('2022-03-01T00:00:00Z')), 'team');
    assert.equal(await classify(db, tina, at('2023-05-31')), 'team');
    assert.equal(await classify(db, tina, new Date('2023-06-01T00:00:00Z')), 'community', 'valid_to is excluded');
    assert.equal(await classify(db, tina, at('2024-06-01')), 'team');
    assert.equal(await classify(db, tina, at('2024-06-01'), { roster: false }), 'community');
    assert.equal(await classify(db, tina, at('2024-06-01'), { rosterSources: ['gitlab-team'] }), 'community');
  });

  test('identities merged into a team member are team too (the canonical person is classified)', async () => {
    assert.equal(await classify(db, 'git:email:tina@home.example', at('2022-06-01')), 'community');
    const merge = await mergePeople(db, 'git:email:tina@home.example', 'gitlab:username:tina');
    assert.equal(await classify(db, 'git:email:tina@home.example', at('2022-06-01')), 'team');
    assert.equal(await classify(db, 'git:email:tina@home.example', at('2023-07-01')), 'community');
    assert.ok(merge.id > 0n);
  });

  test('group membership at the time, from the GitLab source', async () => {
    await syncGroupMembers(db, { path: 'acme-org' }, [{ id: 31, username: 'gwen', name: 'Gwen Group', access_level: 30, created_at: '2021-05-03T10:00:00Z' }], '2021-06-01');
    await syncGroupMembers(db, { path: 'acme-org' }, [], '2022-01-15');
    await resolveIdentities(db);
    const rules = { groups: ['acme-org'] };
    assert.equal(await classify(db, 'gitlab:username:gwen', at('2021-05-02'), rules), 'community');
    assert.equal(await classify(db, 'gitlab:username:gwen', at('2021-05-03'), rules), 'team');
    assert.equal(await classify(db, 'gitlab:username:gwen', at('2022-01-14'), rules), 'team');
    assert.equal(await classify(db, 'gitlab:username:gwen', at('2022-01-15'), rules), 'community', 'left the group when no longer listed');
    assert.equal(await classify(db, 'gitlab:username:gwen', at('2021-08-01')), 'community', 'groups count only when configured');
    assert.equal(await classify(db, 'gitlab:username:gwen', at('2021-08-01'), { groups: ['gitlab:other-org'] }), 'community');
  });

  test('the team e-mail domain rule is off unless asked for', async () => {
    assert.equal(await classify(db, 'git:email:dora@acme.example', at('2024-01-01'), { teamDomains: ['acme.example'] }), 'community');
    assert.equal(await classify(db, 'git:email:dora@acme.example', at('2024-01-01'), { teamDomains: ['acme.example'], domainRule: true }), 'team');
    assert.equal(await classify(db, 'git:email:dora@acme.example', at('2024-01-01'), { teamDomains: ['me.example'], domainRule: true }), 'community', 'a domain, not a suffix');
  });

  test('explicit lists: team by person key or identity', async () => {
    assert.equal(await classify(db, 'gitlab:username:lena', at('2020-01-01')), 'community');
    assert.equal(await classify(db, 'gitlab:username:lena', at('2020-01-01'), { team: ['gitlab:username:lena'] }), 'team');
    assert.equal(await classify(db, 'gitlab:username:lena', at('2020-01-01'), { team: ['gitlab:username:LENA '] }), 'team');
  });

  test('a bot wins over every team rule, and a manual override wins over detection', async () => {
    const rules = { team: ['gitlab:username:carl'] };
    assert.equal(await classify(db, 'gitlab:username:carl', at('2024-01-01'), rules), 'team');
    assert.equal(await classify(db, 'gitlab:username:carl', at('2024-01-01'), { ...rules, bots: ['gitlab:username:carl'] }), 'bot');
    await setBotOverride(db, 'gitlab:username:carl', true);
    assert.equal(await classify(db, 'gitlab:username:carl', at('2024-01-01'), rules), 'bot');
    assert.deepEqual(await botStatus(db, 'gitlab:username:carl'), { bot: true, source: 'override', rule: null });
    await setBotOverride(db, 'gitlab:username:carl', null);
    assert.equal(await classify(db, 'gitlab:username:carl', at('2024-01-01')), 'community');
  });

  test('bot detection: app logins, known bots, access tokens, -bot suffixes, noreply service addresses, names; overrides', async () => {
    const bots: [IdentitySighting, string][] = [
      [{ platform: 'github', kind: 'username', value: 'dependabot[bot]' }, 'app_bot'],
      [{ platform: 'git', kind: 'email', value: '29139614+renovate[bot]@users.noreply.github.com' }, 'app_bot'],
      [{ platform: 'gitlab', kind: 'username', value: 'renovate' }, 'known_bot'],
      [{ platform: 'git', kind: 'email', value: 'gitlab-release-tools-bot@example.org' }, 'known_bot'],
      [{ platform: 'gitlab', kind: 'username', value: 'project_278964_bot_3b8e6d' }, 'access_token_bot'],
      [{ platform: 'gitlab', kind: 'username', value: 'docs-lint-bot' }, 'bot_suffix'],
      [{ platform: 'git', kind: 'email', value: 'ci.bot@example.org' }, 'bot_suffix'],
      [{ platform: 'git', kind: 'email', value: 'noreply@github.com' }, 'noreply_service'],
      [{ platform: 'git', kind: 'email', value: 'builds@noreply.example.org' }, 'noreply_service'],
      [{ platform: 'gitlab', kind: 'username', value: 'helper42', displayName: 'Release Bot' }, 'bot_name'],
    ];
    const humans: IdentitySighting[] = [
      { platform: 'git', kind: 'email', value: '123+abbot@users.noreply.github.com', displayName: 'Sam Abbot' },
      { platform: 'gitlab', kind: 'username', value: 'botanist' },
      { platform: 'git', kind: 'email', value: 'robotics@uni.example', displayName: 'Robert Bott' },
      { platform: 'gitlab', kind: 'username', value: 'jane', displayName: 'Jane' },
    ];
    await see(...bots.map(([s]) => s), ...humans);
    await resolveIdentities(db);
    for (const [sighting, rule] of bots) {
      const status = await botStatus(db, `${sighting.platform}:${sighting.kind}:${sighting.value}`);
      assert.deepEqual(status, { bot: true, source: 'detected', rule }, sighting.value);
    }
    for (const sighting of humans) {
      assert.equal((await botStatus(db, `${sighting.platform}:${sighting.kind}:${sighting.value}`)).bot, false, sighting.value);
    }
    // A GitLab profile's bot flag is declared, not detected.
    await saveUserProfiles(db, [{ id: 777, username: 'service-account-x', bot: true }]);
    assert.deepEqual(await botStatus(db, 'gitlab:username:service-account-x'), { bot: true, source: 'declared', rule: null });
    // Someone says a detected "bot" is a person.
    await setBotOverride(db, 'gitlab:username:docs-lint-bot', false);
    assert.equal(await classify(db, 'gitlab:username:docs-lint-bot', at('2024-01-01')), 'community');
    // Configured patterns, recomputed for everyone.
    await detectBots(db, { rules: { patterns: ['^jane$'] } });
    assert.deepEqual(await botStatus(db, 'gitlab:username:jane'), { bot: true, source: 'detected', rule: 'configured' });
    await detectBots(db);
    assert.equal((await botStatus(db, 'gitlab:username:jane')).bot, false);
  });

  test('the set-based form agrees with classify() and classifies many pairs in one query', async () => {
    const people = ['gitlab:username:tina', 'gitlab:username:gwen', 'gitlab:username:carl', 'gitlab:username:renovate'];
    const days = ['2021-01-01', '2021-07-01', '2022-06-01', '2023-07-01', '2024-06-01'];
    const rules = classificationRules({ groups: ['acme-org'] });
    const pairs: { personId: bigint; at: Date }[] = [];
    for (const p of people) for (const d of days) pairs.push({ personId: (await findPerson(db, p)).id, at: at(d) });
    const many = await classifyMany(db, pairs, rules);
    assert.equal(many.length, pairs.length);
    for (const row of many) {
      assert.equal(row.class, await classify(db, row.personId, row.at, rules));
    }
    assert.deepEqual(
      many.filter((r) => r.class === 'bot').map((r) => r.personId),
      days.map(() => pairs.at(-1)?.personId),
    );
  });

  test('rules are validated', () => {
    assert.throws(() => classificationRules({ teamDomains: ['not a domain'] }), ZodError);
    assert.throws(() => classificationRules({ groups: 'gitlab-org' } as never), ZodError);
    assert.throws(() => classificationRules({ unknown: true } as never), ZodError);
    assert.deepEqual(classificationRules(), { roster: true, groups: [], teamDomains: [], domainRule: false, team: [], bots: [] });
  });

  test("merged MRs by their author's class at merged_at, with the team-domain and bot checks", async () => {
    await db.query(`INSERT INTO projects (id, platform, path) VALUES (1, 'gitlab', 'acme/app'), (2, 'gitlab', 'acme/other')`);
    const tina = await id('gitlab:username:tina');
    const carl = await id('gitlab:username:carl');
    const renovate = await id('gitlab:username:renovate');
    const dora = await id('git:email:dora@acme.example');
    await db.query(
      `INSERT INTO merge_requests (id, project_id, number, title, state, author_id, merged_at, origin) VALUES
         (1, 1, 1, 'team, personal mail', 'merged', $1, '2022-06-01T10:00:00Z', 'git'),
         (2, 1, 2, 'team, team mail on a commit', 'merged', $1, '2024-06-01T10:00:00Z', 'git'),
         (3, 1, 3, 'community', 'merged', $2, '2024-06-01T10:00:00Z', 'git'),
         (4, 1, 4, 'bot', 'merged', $3, '2024-06-01T10:00:00Z', 'git'),
         (5, 1, 5, 'team, team mail stated by the merge message', 'merged', $4, '2024-06-01T10:00:00Z', 'git'),
         (6, 1, 6, 'no author', 'merged', NULL, '2024-06-01T10:00:00Z', 'git'),
         (7, 1, 7, 'not merged', 'opened', $2, NULL, 'git'),
         (8, 2, 1, 'other project', 'merged', $2, '2024-06-01T10:00:00Z', 'git')`,
      [tina, carl, renovate, dora],
    );
    await db.query(`INSERT INTO commits (id, project_id, sha, author_email, merge_request_number) VALUES (1, 1, 'abc', 'Tina@Acme.Example', 2)`);
    // Git history states an MR's authors (its commits and the merge message's Co-authored-by).
    await db.query(`UPDATE merge_requests SET authors = '[{"name": "Dora", "email": "dora@acme.example"}]' WHERE id = 5`);
    const counts = await classifyMergedMergeRequests(db, { teamDomains: ['acme.example'], team: ['git:email:dora@acme.example'] }, { projects: ['gitlab:acme/app'] });
    assert.deepEqual(counts, {
      mergeRequests: 6,
      withoutAuthor: 1,
      team: 3,
      community: 1,
      bot: 1,
      teamWithoutTeamDomainEmail: 1,
      botsCountedAsCommunity: 0,
      authors: { team: 2, community: 1, bot: 1 },
    });
    const all = await classifyMergedMergeRequests(db, { teamDomains: ['acme.example'] });
    assert.equal(all.mergeRequests, 7);
    assert.equal(all.community, 3, 'dora is community without the list; carl twice');
    // A bot the stored flags missed is reported, not silently counted as community.
    await setBotOverride(db, 'gitlab:username:renovate', false);
    const missed = await classifyMergedMergeRequests(db, { teamDomains: ['acme.example'] });
    assert.equal(missed.botsCountedAsCommunity, 1);
  });
});
