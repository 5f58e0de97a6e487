import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { kpi, load, values } from './helpers.ts';

const app = 'gitlab:acme/app';
let number = 0;
/** `count` MRs by `author`, opened and merged in May 2024. */
const merged = (author: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    type: 'merge_request',
    project: app,
    number: ++number,
    title: `MR ${number}`,
    state: 'merged',
    author,
    created_at: `2024-05-${String(i + 1).padStart(2, '0')}T00:00:00Z`,
    merged_at: `2024-05-${String(i + 1).padStart(2, '0')}T12:00:00Z`,
  }));
let objectKey = 0;
const activities = (person: string, kind: string, count: number, project: string | null = app) =>
  Array.from({ length: count }, (_, i) => ({
    type: 'activity',
    kind,
    person,
    occurred_at: `2024-05-${String(i + 1).padStart(2, '0')}T08:00:00Z`,
    ...(project ? { project } : {}),
    object: { type: 'other', key: `o${++objectKey}` },
  }));

const records = [
  { type: 'project', platform: 'gitlab', path: 'acme/app' },
  { type: 'organisation', name: 'Acme' },
  { type: 'organisation', name: 'Acme Labs', parent: 'Acme' },
  { type: 'organisation', name: 'Globex' },
  ...['ann', 'bo', 'cy', 'dee', 'eve', 'tea'].map((key) => ({ type: 'person', key, name: key })),
  { type: 'person', key: 'bot', name: 'Bot', bot: true },
  { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', source: 'roster' },
  { type: 'affiliation', person: 'ann', organisation: 'Acme', valid_from: '2024-01-01' },
  { type: 'affiliation', person: 'bo', organisation: 'Acme Labs', valid_from: '2024-01-01' },
  { type: 'affiliation', person: 'tea', organisation: 'Acme', valid_from: '2020-01-01' },
  { type: 'affiliation', person: 'cy', organisation: 'Globex', valid_from: '2024-01-01' },
  // Merged in May: Ann 4, Bo 2, Cy 3, Dee 2, Eve 1 (community), Tea 3 (team), the bot 5 (never counted). All: 15; community: 12.
  ...merged('ann', 4),
  ...merged('bo', 2),
  ...merged('cy', 3),
  ...merged('dee', 2),
  ...merged('eve', 1),
  ...merged('tea', 3),
  ...merged('bot', 5),
  // Comments and chat in May: Dee 5 comments, Eve 4 chat messages (no project), Ann 2 comments.
  ...activities('dee', 'mr_commented', 5),
  ...activities('eve', 'chat_message', 4, null),
  ...activities('ann', 'mr_commented', 2),
];

test('absence factor, elephant factor and organisational diversity on hand-made contributions', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, records);
    const range = { from: '2024-04', to: '2024-05' };

    // All, by merged MRs: Ann 4, Cy 3, Tea 3, Bo 2, Dee 2, Eve 1 = 15; half is 7.5: 4, 7 (< 7.5), 10 → 3 people. April: nothing.
    const all = await kpi(db, 'absence-factor', range);
    assert.deepEqual(values(all), { '2024-04': null, '2024-05': 3 });
    assert.equal(all.points[1]?.basis, 6);
    // Community: Ann 4, Cy 3, Bo 2, Dee 2, Eve 1 = 12; half 6: 4, 7 → 2.
    assert.deepEqual(values(await kpi(db, 'absence-factor', { ...range, population: 'community' })), { '2024-04': null, '2024-05': 2 });
    // Acme and its child: Ann 4, Tea 3, Bo 2 = 9; half 4.5: 4, 7 → 2.
    assert.deepEqual(values(await kpi(db, 'absence-factor', { ...range, organisation: 'Acme' })), { '2024-04': null, '2024-05': 2 });
    // Comments and chat: Dee 5, Eve 4, Ann 2 = 11; half 5.5: 5, 9 → 2. With acme/app chosen the chat drops out: Dee 5, Ann 2 = 7 → 1.
    const talk = { contributions: 'activities', kinds: ['mr_commented', 'chat_message'] };
    assert.deepEqual(values(await kpi(db, 'absence-factor', { ...range, parameters: talk })), { '2024-04': null, '2024-05': 2 });
    assert.deepEqual(values(await kpi(db, 'absence-factor', { ...range, parameters: talk, projects: [app] })), { '2024-04': null, '2024-05': 1 });
    const people = await explainKpi(db, 'absence-factor', '2024-05');
    assert.deepEqual(
      people.rows.map((r) => [r.name, r.contributions, r.share_percent, r.in_half]),
      [
        ['ann', 4, 26.67, true],
        ['cy', 3, 20, true],
        ['tea', 3, 20, true],
        ['bo', 2, 13.33, false],
        ['dee', 2, 13.33, false],
        ['eve', 1, 6.67, false],
      ],
    );

    // Organisations, all: Acme (Ann 4 + Bo 2 through Acme Labs + Tea 3) 9, Globex 3, Dee 2 and Eve 1 on their own. Half 7.5: Acme alone.
    assert.deepEqual(values(await kpi(db, 'elephant-factor', range)), { '2024-04': null, '2024-05': 1 });
    // Comments and chat: Dee 5 and Eve 4 (unaffiliated, each their own), Acme 2; half 5.5 → 2.
    assert.deepEqual(values(await kpi(db, 'elephant-factor', { ...range, parameters: talk })), { '2024-04': null, '2024-05': 2 });
    const elephants = await explainKpi(db, 'elephant-factor', '2024-05');
    assert.deepEqual(
      elephants.rows.map((r) => [r.name, r.affiliated, r.contributions, r.in_half]),
      [
        ['Acme', true, 9, true],
        ['Globex', true, 3, false],
        ['dee', false, 2, false],
        ['eve', false, 1, false],
      ],
    );

    // Two organisations; shares of 15: Acme 9 = 60 %, Globex 3 = 20 %, unaffiliated 3 = 20 %. April: none.
    const diversity = await kpi(db, 'organisational-diversity', range);
    assert.deepEqual(values(diversity), { '2024-04': 0, '2024-05': 2 });
    assert.deepEqual(diversity.points[1]?.values, { Acme: 60, Globex: 20, unaffiliated: 20 });
    // Community, of 12: Acme 6 = 50 %, Globex 25 %, unaffiliated 25 %.
    const community = await kpi(db, 'organisational-diversity', { ...range, population: 'community' });
    assert.deepEqual(community.points[1]?.values, { Acme: 50, Globex: 25, unaffiliated: 25 });
    const shares = await explainKpi(db, 'organisational-diversity', '2024-05');
    assert.deepEqual(
      shares.rows.map((r) => [r.organisation, r.share_percent]),
      [
        ['Acme', 60],
        ['Globex', 20],
        ['unaffiliated (2 people)', 20],
      ],
    );
  } finally {
    await db.close();
  }
});
