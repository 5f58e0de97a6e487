import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { Database } from '../../src/db/connection.ts';
import {
  classify,
  coaches,
  coachSpecialtyOf,
  exportRosterCsv,
  findPerson,
  IdentityCollector,
  InputError,
  importGitlabTeam,
  importRosterCsv,
  mergePeople,
  resolveIdentities,
  rosterAt,
  setCapacity,
  setOutOfOffice,
  suggestMerges,
} from '../../src/people/index.ts';
import { engineName, openTestDatabase, sharedPath, snapshot } from '../helpers/database.ts';

const roster = sharedPath('fixtures/roster/gitlab-team-2022-11.ndjson.gz');
const at = (day: string) => new Date(`${day}T12:00:00Z`);

describe(`the team roster (${engineName})`, () => {
  let db: Database;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db.close();
  });

  test("GitLab's team-member file: every member, coaches with a specialty; again changes nothing", { skip: roster.skip }, async () => {
    const text = gunzipSync(readFileSync(roster.path as string)).toString('utf8');
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { gitlab: string; departments: string[]; start_date: string | null });
    const expectedCoaches = lines.filter((l) => l.departments.includes('Merge Request Coach')).length;
    const stats = await importGitlabTeam(db, text, { asOf: '2022-11-30' });
    assert.deepEqual(stats, { members: 1336, created: 1336, updated: 0, closed: 0, coaches: expectedCoaches });
    assert.equal(expectedCoaches, 34);
    const before = await snapshot(db);
    const again = await importGitlabTeam(db, text, { asOf: '2022-11-30' });
    assert.deepEqual([again.created, again.updated, again.closed], [0, 1336, 0]);
    assert.deepEqual(await snapshot(db), before, 'a second import changes nothing');

    const now = await coaches(db, { at: '2022-11-30' });
    assert.equal(now.length, 34);
    assert.deepEqual(
      now.filter((c) => c.specialty === 'quality').map((c) => c.key),
      ['gitlab:username:alinamihaila', 'gitlab:username:godfat-gitlab'],
    );
    // The one member with a start date is not team before it; the others have open-ended membership.
    assert.equal(await classify(db, 'gitlab:username:zzhang7', at('2022-02-13')), 'community');
    assert.equal(await classify(db, 'gitlab:username:zzhang7', at('2022-02-14')), 'team');
    assert.equal(await classify(db, 'gitlab:username:rymai', at('2015-01-01')), 'team');
    // A later snapshot without someone ends their membership on its day.
    const without = lines.filter((l) => l.gitlab !== 'rymai').map((l) => JSON.stringify(l)).join('\n');
    const later = await importGitlabTeam(db, without, { asOf: '2023-03-01' });
    assert.equal(later.closed, 1);
    assert.equal(await classify(db, 'gitlab:username:rymai', at('2023-02-28')), 'team');
    assert.equal(await classify(db, 'gitlab:username:rymai', at('2023-03-01')), 'community');
    assert.equal((await rosterAt(db, '2023-03-01')).length, 1335);
  });

  test('roster people meet their other identities through resolution and suggestions', { skip: roster.skip }, async () => {
    const collector = new IdentityCollector();
    // A personal address under the roster name, and the same login on GitHub.
    collector.see({ platform: 'git', kind: 'email', value: 'robert.speicher@home.example', displayName: 'Robert Speicher' });
    collector.see({ platform: 'github', kind: 'username', value: 'rymai', displayName: 'Rémy Coutable' });
    await collector.save(db);
    await resolveIdentities(db);
    const [rymai] = await db.query<{ name: string }>(`SELECT name FROM people WHERE key = 'gitlab:username:rymai'`);
    const suggestions = await suggestMerges(db, { person: 'gitlab:username:rymai' });
    assert.ok(
      suggestions.some((s) => s.rules.includes('roster_username') && [s.a.key, s.b.key].includes('github:username:rymai')),
      `${rymai?.name}: ${JSON.stringify(suggestions.map((s) => [s.a.key, s.b.key, s.rules]))}`,
    );
  });

  test('bad roster lines name the line and the field, and nothing is written', async () => {
    const before = await snapshot(db);
    const good = JSON.stringify({ slug: 'a', name: 'A', gitlab: 'a-user', departments: [] });
    const cases: [string, RegExp][] = [
      [`${good}\n{"slug": "b", "gitlab": "b", "start_date": "2022-02-30"}\n`, /^Error: line 2, field "start_date": must be a date/],
      [`${good}\n\n{"slug": "", "gitlab": "c"}\n`, /^Error: line 3, field "slug": must not be empty/],
      [`${good}\n{"slug": "d", "departments": "Engineering"}\n`, /^Error: line 2, field "departments"/],
      [`${good}\nnot json\n`, /^Error: line 2: not JSON/],
      [`${good}\n${good}\n`, /^Error: line 2, field "username": a-user is already on line 1/],
    ];
    for (const [text, message] of cases) await assert.rejects(importGitlabTeam(db, text), message);
    await assert.rejects(importRosterCsv(db, 'username,coach\nx,teaching\n'), (e: unknown) => e instanceof InputError && e.line === 2 && e.field === 'coach');
    await assert.rejects(importRosterCsv(db, 'username,valid_from,valid_to\nx,2022-01-01,2021-01-01\n'), /^Error: line 2, field "valid_to": must be after valid_from/);
    await assert.rejects(importRosterCsv(db, 'name\nNobody\n'), /^Error: line 2, field "username": a username or an email is needed/);
    await assert.rejects(importRosterCsv(db, 'username,capacity\nx,-1\n'), /^Error: line 2, field "capacity"/);
    assert.deepEqual(await snapshot(db), before);
  });

  test('a CSV roster with dates, coach specialty and capacity; out of office; export round trip', async () => {
    const csv = [
      'platform,username,email,name,title,department,valid_from,valid_to,coach,capacity',
      'gitlab,wanda,wanda@corp.example,Wanda Writer,Technical Writer,Product,2020-01-01,,docs,3',
      'gitlab,quinn,,Quinn Quality,Software Engineer in Test,Engineering,2021-06-01,2023-01-01,quality,',
      'gitlab,uma,,Uma UX,Product Designer,Product,2022-01-01,,ux,1',
      'github,devon,,Devon Dev,Backend Engineer,Engineering,,,,',
    ].join('\n');
    const stats = await importRosterCsv(db, csv, { asOf: '2024-01-01', source: 'csv-roster' });
    assert.deepEqual(stats, { members: 4, created: 4, updated: 0, closed: 0, coaches: 3 });
    assert.equal(await classify(db, 'gitlab:username:quinn', at('2022-12-31')), 'team');
    assert.equal(await classify(db, 'gitlab:username:quinn', at('2023-01-01')), 'community');
    assert.equal(await classify(db, 'github:username:devon', at('2001-01-01')), 'team');
    assert.equal(await classify(db, 'email:email:wanda@corp.example', at('2021-01-01')), 'team', 'the e-mail is an identity of the same person');

    const specialties = (await coaches(db, { at: '2022-06-01' })).filter((c) => ['wanda', 'quinn', 'uma'].some((u) => c.key.endsWith(`:${u}`)));
    assert.deepEqual(specialties.map((c) => [c.key, c.specialty, c.capacity]), [
      ['gitlab:username:quinn', 'quality', null],
      ['gitlab:username:uma', 'ux', 1],
      ['gitlab:username:wanda', 'docs', 3],
    ]);
    await setOutOfOffice(db, 'gitlab:username:wanda', '2022-06-01', '2022-06-15', 'holiday');
    await setCapacity(db, 'gitlab:username:uma', 0, '2022-06-01');
    const available = await coaches(db, { at: '2022-06-01', available: true });
    assert.equal(available.some((c) => c.key.endsWith(':wanda') || c.key.endsWith(':uma')), false);
    assert.equal((await coaches(db, { at: '2022-06-15', available: true, specialty: 'docs' })).some((c) => c.key.endsWith(':wanda')), true);
    // A coach's merged identities belong to the coach.
    const collector = new IdentityCollector();
    collector.see({ platform: 'git', kind: 'email', value: 'wanda@home.example' });
    await collector.save(db);
    await mergePeople(db, 'git:email:wanda@home.example', 'gitlab:username:wanda');
    assert.equal(await classify(db, 'git:email:wanda@home.example', at('2021-01-01')), 'team');
    assert.ok((await findPerson(db, 'wanda@corp.example')).key);

    const exported = await exportRosterCsv(db, { source: 'csv-roster' });
    assert.match(exported, /\ngitlab,wanda,wanda@corp\.example,Wanda Writer,Technical Writer,Product,2020-01-01,,docs,3\n/);
    assert.match(exported, /\ngitlab,quinn,,Quinn Quality,Software Engineer in Test,Engineering,2021-06-01,2023-01-01,quality,\n/);
    const before = await snapshot(db);
    await importRosterCsv(db, exported, { asOf: '2024-01-01', source: 'csv-roster', closeMissing: false });
    assert.deepEqual(await snapshot(db), before, 'the export imports as the same data');
  });

  test('coach specialties from roles', () => {
    assert.equal(coachSpecialtyOf('Senior Technical Writer, Create'), 'docs');
    assert.equal(coachSpecialtyOf('Software Engineer in Test, Verify'), 'quality');
    assert.equal(coachSpecialtyOf('Senior Product Designer'), 'ux');
    assert.equal(coachSpecialtyOf('Fullstack Engineer, Contributor Success', ['Quality Department']), 'development');
  });
});
