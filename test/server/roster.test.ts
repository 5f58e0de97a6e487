import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { importRosterCsv, mergePeople, setOutOfOffice, syncGroupMembers } from '../../src/people/index.ts';
import { experienceLevelOf } from '../../src/people/routes.ts';
import { engineName } from '../helpers/database.ts';
import { startTestServer, type TestServer } from './helpers.ts';

const EMAIL = /[^\s@"]+@[^\s@"]+\.[a-z]{2,}/i;

interface Entry {
  personId: string;
  name: string | null;
  key: string | null;
  username: { platform: string; value: string } | null;
  title: string | null;
  coach: string | null;
  capacity: number | null;
  openReviews: number | null;
  outOfOffice: { validFrom: string; validTo: string | null; note: string | null } | null;
  groups: { group: string; accessLevel: number | null }[];
}

describe(`the team roster and the contributor's experience level over HTTP (${engineName})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await importRosterCsv(
      server.db,
      [
        'username,email,name,title,department,valid_from,valid_to,coach,capacity',
        'zed-coach,zed@team.example,Zed Coach,Senior Technical Writer,Docs,2024-01-01,,docs,3',
        'amy-dev,amy@team.example,Amy Dev,Backend Engineer,Create,2024-03-01,,,',
        'gone-bob,,Gone Bob,Engineer,Plan,2023-01-01,2024-02-01,,',
      ].join('\n'),
      { asOf: '2024-06-01' },
    );
    await setOutOfOffice(server.db, 'gitlab:username:zed-coach', '2024-05-20', '2024-06-10', 'parental leave, ask amy@team.example');
    await syncGroupMembers(server.db, { path: 'gitlab-org' }, [{ id: 901, username: 'amy-dev', name: 'Amy Dev', access_level: 30, created_at: '2024-03-02T00:00:00Z' }], '2024-03-02');
    // The group's account is a person of its own until resolved: merged into Amy's roster person, the roster shows her group.
    await mergePeople(server.db, 'gitlab:user_id:901', 'gitlab:username:amy-dev', { actor: 'test' });
  });
  after(() => server.close());

  const roster = async (query: string, as: 'viewer' | 'coach' | 'manager' = 'coach') => {
    const response = await server.request('GET', `/api/v1/people/roster?${query}`, { as });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return { text, body: JSON.parse(text) as { items: Entry[]; nextCursor: string | null } };
  };

  test('lists the team on a day: roles, coach specialty, capacity, out of office and groups', async () => {
    const { body } = await roster('at=2024-06-01&q=team.example&limit=200');
    assert.deepEqual(body.items, [], 'e-mails are no search term for the roster');
    const { body: day } = await roster('at=2024-06-01&limit=200');
    const zed = day.items.find((e) => e.username?.value === 'zed-coach');
    const amy = day.items.find((e) => e.username?.value === 'amy-dev');
    assert.ok(zed && amy, 'both are on the team on 2024-06-01');
    assert.ok(!day.items.some((e) => e.username?.value === 'gone-bob'), 'a membership ended before the day is not listed');
    assert.equal(zed.coach, 'docs');
    assert.equal(zed.capacity, 3);
    assert.equal(typeof zed.openReviews, 'number');
    assert.deepEqual(zed.outOfOffice, { validFrom: '2024-05-20', validTo: '2024-06-10', note: 'parental leave, ask amy@team.example' });
    assert.equal(amy.coach, null);
    assert.equal(amy.openReviews, null);
    assert.equal(amy.outOfOffice, null);
    assert.deepEqual(
      amy.groups.map((g) => [g.group, g.accessLevel]),
      [['gitlab-org', 30]],
    );
    assert.equal(amy.title, 'Backend Engineer');
    assert.ok(amy.key, 'a coach sees person keys');

    const { body: earlier } = await roster('at=2023-06-01&limit=200');
    assert.ok(earlier.items.some((e) => e.username?.value === 'gone-bob'));
    assert.ok(!earlier.items.some((e) => e.username?.value === 'amy-dev'));
    const { body: coaches } = await roster('at=2024-06-01&coaches=true&limit=200');
    assert.ok(coaches.items.length >= 1 && coaches.items.every((e) => e.coach !== null));
    const { body: found } = await roster('at=2024-06-01&q=AMY');
    assert.deepEqual(
      found.items.map((e) => e.username?.value),
      ['amy-dev'],
    );
  });

  test('a viewer sees no e-mail address and no person key', async () => {
    const { text, body } = await roster('at=2024-06-01&limit=200', 'viewer');
    assert.ok(body.items.length > 0);
    assert.ok(!EMAIL.test(text), `no e-mail: ${text.match(EMAIL)?.[0]}`);
    assert.ok(body.items.every((e) => e.key === null));
    assert.equal(body.items.find((e) => e.username?.value === 'zed-coach')?.outOfOffice?.note, 'parental leave, ask [e-mail hidden]');
  });

  test('one entry per person, merged people included; pages walk every member once', async () => {
    const { body: merged } = await roster('at=2024-06-01&limit=200');
    assert.equal(merged.items.filter((e) => e.name === 'Amy Dev').length, 1);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const { body } = await roster(`at=2024-06-01&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      ids.push(...body.items.map((e) => e.personId));
      cursor = body.nextCursor;
    } while (cursor);
    assert.deepEqual(ids, merged.items.map((e) => e.personId));
    assert.equal(new Set(ids).size, ids.length);
    const bad = await server.request('GET', '/api/v1/people/roster?at=2024-13-01', { as: 'coach' });
    assert.equal(bad.status, 400);
  });

  test("a contributor's level is the experience-levels KPI's bucket of their merged MRs of all time", async () => {
    const cases: [number, string][] = [
      [0, '0'],
      [1, '1-3'],
      [3, '1-3'],
      [4, '4-25'],
      [25, '4-25'],
      [26, '26-75'],
      [75, '26-75'],
      [76, '76+'],
      [500, '76+'],
    ];
    for (const [merged, level] of cases) assert.equal(experienceLevelOf(merged), level, `${merged} merged MRs`);

    const people = await server.db.query<{ id: bigint; merged: number }>(
      `SELECT canonical_id AS id, count(*) FILTER (WHERE merged_at IS NOT NULL AND class <> 'bot')::int AS merged
         FROM kpi_merge_requests WHERE canonical_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 3`,
    );
    assert.ok(people.length > 0 && (people[0]?.merged ?? 0) > 0);
    for (const person of people) {
      const profile = JSON.parse(await (await server.request('GET', `/api/v1/contributors/${person.id}`, { as: 'viewer' })).text());
      assert.deepEqual(profile.experience, { mergedMrs: person.merged, level: experienceLevelOf(person.merged) });
    }
  });
});
