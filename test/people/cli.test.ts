import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Run, runTributary } from '../helpers/cli.ts';
import { createTestDatabasePlace, engineName } from '../helpers/database.ts';

const scratch = mkdtempSync(join(tmpdir(), 'tributary-people-cli-'));


describe(`tributary people, orgs and roster (${engineName})`, () => {
  let place: Awaited<ReturnType<typeof createTestDatabasePlace>>;
  before(async () => {
    place = await createTestDatabasePlace();
  });
  after(async () => {
    await place.remove();
  });

  function tributary(args: string[], stdin = ''): Promise<Run> {
    return runTributary(args, place.env, { stdin });
  }

  test('import people, resolve, merge, show, unmerge', async () => {
    const people = [
      { type: 'person', key: 'alice', name: 'Alice Ng' },
      { type: 'identity', platform: 'gitlab', kind: 'username', value: 'alice', person: 'alice' },
      { type: 'person', key: 'git:email:alice@home.example', name: 'Alice Ng' },
      { type: 'identity', platform: 'git', kind: 'email', value: 'alice@home.example', person: 'git:email:alice@home.example' },
      { type: 'person', key: 'gitlab:email:alice@home.example', name: 'Alice Ng' },
      { type: 'identity', platform: 'gitlab', kind: 'email', value: 'alice@home.example', person: 'gitlab:email:alice@home.example' },
      { type: 'person', key: 'renovate', name: 'Renovate Bot' },
      { type: 'identity', platform: 'gitlab', kind: 'username', value: 'renovate-bot', person: 'renovate' },
    ];
    const imported = await tributary(['import', '-'], people.map((p) => JSON.stringify(p)).join('\n'));
    assert.equal(imported.code, 0, imported.stderr);
    const resolved = await tributary(['people', 'resolve', '--json']);
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.deepEqual(JSON.parse(resolved.stdout).links, { commit_email_account_email: 1 });
    const list = JSON.parse((await tributary(['people', 'list', '--json'])).stdout) as { key: string; bot: boolean; merged: number }[];
    // The two e-mail people are one now; which of them survives is up to their ids.
    assert.deepEqual(
      list.map((p) => [p.key.replace(/^gitlab?:email:/, 'mail:'), p.bot, p.merged]),
      [
        ['alice', false, 0],
        ['mail:alice@home.example', false, 1],
        ['renovate', true, 0],
      ],
    );
    const merge = await tributary(['people', 'merge', 'alice@home.example', 'alice', '--json', '--actor', 'tester']);
    assert.equal(merge.code, 0, merge.stderr);
    const made = JSON.parse(merge.stdout);
    assert.equal(made.actor, 'tester');
    const shown = JSON.parse((await tributary(['people', 'show', 'gitlab:email:alice@home.example', '--json'])).stdout);
    assert.equal(shown.canonical.key, 'alice');
    assert.equal(shown.identities.length, 3);
    assert.equal(shown.merges.length, 2);
    const unmerge = await tributary(['people', 'unmerge', '--merge', String(made.id)]);
    assert.equal(unmerge.code, 0, unmerge.stderr);
    assert.match(unmerge.stdout, /undid merge/);
    const again = await tributary(['people', 'merge', 'alice@home.example', 'alice']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /marked as different people/);
    const bot = await tributary(['people', 'bot', 'renovate', 'no']);
    assert.match(bot.stdout, /not a bot \(override\)/);
    assert.equal((await tributary(['people', 'classify', 'renovate', '--at', '2024-01-01'])).stdout, 'community\n');
  });

  test('usage errors exit 2, unknown people and bad files exit 1 naming the problem', async () => {
    const usage = await tributary(['people', 'unmerge']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /give either a person or --merge ID/);
    assert.equal((await tributary(['people', 'classify', 'alice', '--at', 'yesterday'])).code, 2);
    assert.equal((await tributary(['people', 'bot', 'alice', 'maybe'])).code, 2);
    const rules = join(scratch, 'rules.json');
    writeFileSync(rules, JSON.stringify({ team: 'alice' }));
    const badRules = await tributary(['people', 'classify', 'alice', '--rules', rules]);
    assert.equal(badRules.code, 2);
    assert.match(badRules.stderr, /rules file .*rules\.json, field "team"/);
    const unknown = await tributary(['people', 'show', 'nobody']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no person with key, id or identity "nobody"/);
    const roster = join(scratch, 'roster.csv');
    writeFileSync(roster, 'username,name,valid_from\nzoe,Zoe,2022-01-01\nyann,Yann,2022-13-01\n');
    const bad = await tributary(['roster', 'import', roster]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /nothing was written: line 3, field "valid_from": must be a date/);
    assert.equal((await tributary(['roster', 'list', '--json'])).stdout.trim(), '[]');
  });

  test('organisations and a roster in and out as CSV; coaches', async () => {
    const orgs = join(scratch, 'orgs.csv');
    writeFileSync(orgs, 'name,domains,arr,parent\nHome Corp,home.example,250000,\n');
    const imported = await tributary(['orgs', 'import', orgs]);
    assert.equal(imported.code, 0, imported.stderr);
    const enrollments = join(scratch, 'enrollments.csv');
    writeFileSync(enrollments, 'person,organisation,valid_from,valid_to\nalice,Home Corp,2020-01-01,2021-01-01\n');
    assert.match((await tributary(['orgs', 'import', enrollments])).stdout, /Imported 1 enrollments/);
    const exported = join(scratch, 'out.csv');
    assert.equal((await tributary(['orgs', 'export', '-o', exported])).code, 0);
    assert.equal(readFileSync(exported, 'utf8'), 'name,domains,arr,parent\nHome Corp,home.example,250000,\n');
    assert.match((await tributary(['orgs', 'export', '--enrollments'])).stdout, /alice,Home Corp,2020-01-01,2021-01-01,manual/);

    const roster = join(scratch, 'team.csv');
    writeFileSync(roster, 'username,name,title,coach,capacity\nalice,Alice Ng,Technical Writer,docs,2\n');
    const team = await tributary(['roster', 'import', roster, '--json']);
    assert.equal(team.code, 0, team.stderr);
    assert.deepEqual(JSON.parse(team.stdout), { members: 1, created: 1, updated: 0, closed: 0, coaches: 1 });
    assert.equal((await tributary(['roster', 'ooo', 'alice', '2030-01-01', '2030-01-10'])).code, 0);
    const coaches = JSON.parse((await tributary(['roster', 'coaches', '--at', '2030-01-05', '--json'])).stdout);
    assert.deepEqual(
      coaches.map((c: { key: string; specialty: string; outOfOffice: boolean }) => [c.key, c.specialty, c.outOfOffice]),
      [['alice', 'docs', true]],
    );
    assert.equal((await tributary(['people', 'classify', 'alice'])).stdout, 'team\n');
  });
});
