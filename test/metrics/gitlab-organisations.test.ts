import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { kpi, load, values } from './helpers.ts';

const project = 'gitlab:acme/app';
let number = 0;
/** `count` merged MRs by `author`, merged on `merged` (opened the day before). */
const merged = (author: string, count: number, mergedOn: string) =>
  Array.from({ length: count }, () => {
    number += 1;
    const at = new Date(`${mergedOn}T12:00:00Z`);
    return {
      type: 'merge_request',
      project,
      number,
      title: `MR ${number}`,
      state: 'merged',
      author,
      created_at: new Date(at.getTime() - 86_400_000).toISOString(),
      merged_at: at.toISOString(),
    };
  });

// Big (ARR 1000) has a child BigEU (ARR 50); Small has no ARR; ind is unaffiliated; tea is team.
// Community MRs merged: February ann (Big) 10, eu (BigEU) 10; March ind 20; April sam (Small) 3. Team: tea 5 in February.
const records = [
  { type: 'project', platform: 'gitlab', path: 'acme/app' },
  { type: 'organisation', name: 'Big', arr: 1000 },
  { type: 'organisation', name: 'BigEU', arr: 50, parent: 'Big' },
  { type: 'organisation', name: 'Small' },
  ...['ann', 'eu', 'sam', 'ind', 'tea', 'coach2', 'coach3'].map((key) => ({ type: 'person', key, name: key.toUpperCase() })),
  { type: 'person', key: 'coach3b', name: 'COACH3B', merged_into: 'coach3' },
  { type: 'affiliation', person: 'ann', organisation: 'Big', valid_from: '2023-01-01' },
  { type: 'affiliation', person: 'eu', organisation: 'BigEU', valid_from: '2023-01-01' },
  { type: 'affiliation', person: 'sam', organisation: 'Small', valid_from: '2023-01-01' },
  // Coaches: tea until 04-15 (then no role), coach2 from 04-10, coach3 under two identities 01-01..03-01 and 02-01..05-01.
  { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', valid_to: '2024-04-15', roles: [{ role: 'coach', specialty: 'frontend' }], source: 'roster' },
  { type: 'team_membership', person: 'tea', valid_from: '2024-04-15', source: 'roster' },
  { type: 'team_membership', person: 'coach2', valid_from: '2024-04-10', roles: [{ role: 'coach' }], source: 'roster' },
  { type: 'team_membership', person: 'coach3', valid_from: '2024-01-01', valid_to: '2024-03-01', roles: [{ role: 'coach' }], source: 'roster' },
  { type: 'team_membership', person: 'coach3b', valid_from: '2024-02-01', valid_to: '2024-05-01', roles: [{ role: 'coach' }], source: 'roster' },
  ...merged('ann', 10, '2024-02-10'),
  ...merged('eu', 10, '2024-02-20'),
  ...merged('tea', 5, '2024-02-21'),
  ...merged('ind', 20, '2024-03-15'),
  ...merged('sam', 3, '2024-04-05'),
];

test('MRARR, leading organisations and coaches', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, records);
    const months = { from: '2024-02', to: '2024-04' };
    // February, rolled up: ann 10 × 1000 + eu 10 × Big's 1000 = 20000; each at its own ARR: 10000 + 10 × 50 = 10500.
    // March: ind's 20 MRs are unaffiliated (0). April: Small has no ARR (0). tea's 5 are the team's.
    const rolled = await kpi(db, 'mrarr', months);
    assert.deepEqual(values(rolled), { '2024-02': 20000, '2024-03': 0, '2024-04': 0 });
    assert.deepEqual(
      rolled.points.map((p) => p.values),
      [
        { weightedMrs: 20, unweightedMrs: 0 },
        { weightedMrs: 0, unweightedMrs: 20 },
        { weightedMrs: 0, unweightedMrs: 3 },
      ],
    );
    assert.deepEqual(values(await kpi(db, 'mrarr', { ...months, parameters: { rollUpToParent: false } })), { '2024-02': 10500, '2024-03': 0, '2024-04': 0 });
    // BigEU alone: eu's 10 MRs at Big's ARR.
    assert.equal(values(await kpi(db, 'mrarr', { ...months, organisation: 'BigEU' }))['2024-02'], 10000);
    const explainedArr = await explainKpi(db, 'mrarr', '2024-03');
    assert.deepEqual(
      explainedArr.rows.map((r) => [r.person, r.merged, r.mr_dollars]),
      [['ind', 20, 0]],
    );

    // Leading on the 1st (from the three months before): 03-01 Big (20, rolled up); 04-01 Big and ind (20); 05-01 Big, ind
    // (sam's 3 fall short); 06-01 ind (March–May).
    const leadingRange = { from: '2024-03', to: '2024-06' };
    const leading = await kpi(db, 'leading-organisations', leadingRange);
    assert.deepEqual(values(leading), { '2024-03': 1, '2024-04': 2, '2024-05': 2, '2024-06': 1 });
    assert.deepEqual(leading.points[1]?.values, { organisations: 1, individuals: 1 });
    // Each organisation on its own with a threshold of 3: 03-01 Big 10, BigEU 10; 04-01 + ind; 05-01 + sam; 06-01 ind, sam.
    assert.deepEqual(values(await kpi(db, 'leading-organisations', { ...leadingRange, parameters: { threshold: 3, rollUpToParent: false } })), {
      '2024-03': 2,
      '2024-04': 3,
      '2024-05': 4,
      '2024-06': 2,
    });
    const explainedLeading = await explainKpi(db, 'leading-organisations', '2024-04');
    assert.deepEqual(
      explainedLeading.rows.map((r) => [r.organisation, r.person, r.merged]),
      [
        ['Big', null, 20],
        [null, 'ind', 20],
      ],
    );

    // Coaches: Feb tea, coach3 (both identities); Mar tea, coach3; Apr tea, coach2, coach3; May coach2; Jun coach2.
    assert.deepEqual(values(await kpi(db, 'coaches', { from: '2024-02', to: '2024-06', population: 'team' })), {
      '2024-02': 2,
      '2024-03': 2,
      '2024-04': 3,
      '2024-05': 1,
      '2024-06': 1,
    });
    const explainedCoaches = await explainKpi(db, 'coaches', '2024-04');
    assert.deepEqual(
      explainedCoaches.rows.map((r) => [r.person, r.specialty]),
      [
        ['coach2', null],
        ['coach3', null],
        ['tea', 'frontend'],
      ],
    );
  } finally {
    await db.close();
  }
});
