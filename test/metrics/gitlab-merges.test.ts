import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi, runKpi } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { kpi, load, values } from './helpers.ts';

const project = 'gitlab:acme/app';
const day = (d: string) => `${d}T12:00:00Z`;
const mr = (number: number, author: string, created: string, merged: string | null, extra: Record<string, unknown> = {}) => ({
  type: 'merge_request',
  project,
  number,
  title: `MR ${number}`,
  state: merged ? 'merged' : 'opened',
  author,
  created_at: day(created),
  ...(merged ? { merged_at: day(merged) } : {}),
  ...extra,
});
const feature = { labels: ['type::feature'] };

// Merged MRs, April–June 2024 (c = community, t = team, b = bot):
//   May:  #2 ann c feature (milestone 17.1 set), #3 bo c bug, #4 bo c untyped, #7 cy c feature, #9 tea t, #11 bot b
//   June: #5 bo c feature (milestone 17.1 set), #8 dee c untyped (as dee2, merged into dee), #10 tea t
// Before the range: #1 ann c (2024-03), #6 cy t (2023-06, cy was team until 2024-01-01).
// Open or closed: #12 ann opened 04-20, still open; #13 bo opened 05-25, closed 06-05. #8 was opened 05-31.
const records = [
  { type: 'project', platform: 'gitlab', path: 'acme/app' },
  { type: 'person', key: 'ann', name: 'Ann' },
  { type: 'person', key: 'bo', name: 'Bo' },
  { type: 'person', key: 'cy', name: 'Cy' },
  { type: 'person', key: 'dee', name: 'Dee' },
  { type: 'person', key: 'dee2', name: 'Dee (work)', merged_into: 'dee' },
  { type: 'person', key: 'tea', name: 'Tea' },
  { type: 'person', key: 'bot', name: 'Bot', bot: true },
  { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', source: 'roster' },
  { type: 'team_membership', person: 'cy', valid_from: '2023-01-01', valid_to: '2024-01-01', source: 'roster' },
  { type: 'milestone', scope: 'acme/app', title: '17.0', start_date: '2024-04-18', due_date: '2024-05-17' },
  { type: 'milestone', scope: 'acme', title: '17.1', start_date: '2024-05-18', due_date: '2024-06-17' },
  mr(1, 'ann', '2024-03-09', '2024-03-10'),
  mr(2, 'ann', '2024-04-28', '2024-05-02', { ...feature, milestone: '17.1', milestone_scope: 'acme' }),
  mr(3, 'bo', '2024-05-04', '2024-05-05', { labels: ['type::bug'] }),
  mr(4, 'bo', '2024-05-19', '2024-05-20'),
  mr(5, 'bo', '2024-05-30', '2024-06-03', { work_type: 'feature', milestone: '17.1', milestone_scope: 'acme' }),
  mr(6, 'cy', '2023-06-01', '2023-06-02'),
  mr(7, 'cy', '2024-05-10', '2024-05-12', feature),
  // Untyped and merged the month after it was opened: dee's June row has merged MRs only.
  mr(8, 'dee2', '2024-05-31', '2024-06-10'),
  mr(9, 'tea', '2024-05-14', '2024-05-15', feature),
  mr(10, 'tea', '2024-06-14', '2024-06-15'),
  mr(11, 'bot', '2024-05-14', '2024-05-15'),
  mr(12, 'ann', '2024-04-20', null),
  { ...mr(13, 'bo', '2024-05-25', null), state: 'closed', closed_at: day('2024-06-05') },
];
const range = { from: '2024-04', to: '2024-06' };

test('first-time and returning contributors', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, records);
    // May: ann (first 2024-03) and cy (first 2023-06, as team) return; bo is new. June: bo returns, dee is new.
    assert.deepEqual(values(await kpi(db, 'first-time-contributors', range)), { '2024-04': 0, '2024-05': 1, '2024-06': 1 });
    const returning = await kpi(db, 'returning-contributors', range);
    assert.deepEqual(
      returning.points.map((p) => p.values),
      [
        { new: 0, returning: 0 },
        { new: 1, returning: 2 },
        { new: 1, returning: 1 },
      ],
    );
    assert.deepEqual(values(returning), { '2024-04': 0, '2024-05': 2, '2024-06': 1 });
    // The first-ever MR is looked for before the range too: asked for May alone, ann is still returning.
    assert.deepEqual(values(await kpi(db, 'first-time-contributors', { from: '2024-05', to: '2024-05' })), { '2024-05': 1 });
    // The team: tea's first merged MR is #9 in May.
    assert.deepEqual(values(await kpi(db, 'first-time-contributors', { ...range, population: 'team' })), { '2024-04': 0, '2024-05': 1, '2024-06': 0 });
    // A quarter: ann and cy merged before April; bo and dee first merged in Q2.
    assert.deepEqual(returning.points.length, 3);
    assert.deepEqual((await kpi(db, 'returning-contributors', { ...range, grain: 'quarter' })).points[0]?.values, { new: 2, returning: 2 });

    const explained = await explainKpi(db, 'first-time-contributors', '2024-06');
    assert.deepEqual(
      explained.rows.map((r) => [r.person, r.first_merge_request, r.merged_in_period]),
      [['dee', 'acme/app!8', 1]],
    );
    const both = await explainKpi(db, 'returning-contributors', '2024-05');
    assert.deepEqual(
      both.rows.map((r) => [r.person, r.status, r.first_merge_request]),
      [
        ['bo', 'new', 'acme/app!3'],
        ['cy', 'returning', 'acme/app!6'],
        ['ann', 'returning', 'acme/app!1'],
      ],
    );
    // This data has no review requests, no ARR and no coaches: those KPIs say so instead of printing 0.
    for (const [id, reason] of [
      ['review-response-slo', /no review requests/],
      ['mrarr', /no organisation has an ARR/],
      ['coaches', /coach role/],
    ] as const) {
      const result = await runKpi(db, id, range);
      assert.equal(result.available, false, id);
      assert.match(result.reason ?? '', reason);
    }
  } finally {
    await db.close();
  }
});

test('community MR percentage, feature share, per-release counts and backlog', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, records);
    // May: community #2 #3 #4 #7 = 4 of 5 human merged MRs (with #9) = 80 %; with the bot #11, 4/6 = 66.67 %.
    // June: #5 #8 of #5 #8 #10 = 66.67 %. April: nothing merged, no value.
    assert.deepEqual(values(await kpi(db, 'community-mr-percentage', range)), { '2024-04': null, '2024-05': 80, '2024-06': 66.67 });
    assert.deepEqual(values(await kpi(db, 'community-mr-percentage', { ...range, parameters: { includeBots: true } })), {
      '2024-04': null,
      '2024-05': 66.67,
      '2024-06': 66.67,
    });
    // The team's share in May: #9 = 1 of 5 = 20 %.
    assert.equal(values(await kpi(db, 'community-mr-percentage', { ...range, population: 'team' }))['2024-05'], 20);

    // May: features #2 #7 of 4 community merged = 50 %; typed 3 (#2 #3 #7), features 2/3 of typed.
    // June: #5 (work type) of #5 #8 = 50 %; typed 1.
    const features = await kpi(db, 'feature-community-mrs', range);
    assert.deepEqual(values(features), { '2024-04': null, '2024-05': 50, '2024-06': 50 });
    assert.deepEqual(features.points[1]?.values, { feature: 2, typed: 3, merged: 4, featureShareOfTyped: 66.67 });
    assert.deepEqual(features.points[2]?.values, { feature: 1, typed: 1, merged: 2, featureShareOfTyped: 100 });

    // 17.0 (04-18..05-17): #3 (05-05) and #7 (05-12) inferred; #9 is the team's. 17.1 (group milestone, 05-18..06-17):
    // #2 set (merged 05-02, before the milestone began: its milestone still wins), #5 set, #4 (05-20) and #8 (06-10) inferred.
    const releases = await kpi(db, 'community-merged-mrs-per-release', { ...range, grain: 'release' });
    assert.deepEqual(values(releases), { '17.0': 2, '17.1': 4 });
    assert.deepEqual(releases.points[1]?.values, { milestoneSet: 2, milestoneInferred: 2 });
    const release = await explainKpi(db, 'community-merged-mrs-per-release', '17.1');
    assert.deepEqual(
      release.rows.map((r) => [r.merge_request, r.milestone_inferred]),
      [
        ['acme/app!2', false],
        ['acme/app!4', true],
        ['acme/app!5', false],
        ['acme/app!8', true],
      ],
    );

    // Open community MRs at the end of April: #2 (opened 04-28), #12. Of May: #5 (opened 05-30), #8 (05-31), #12, #13 (closed 06-05). Of June: #12.
    assert.deepEqual(values(await kpi(db, 'community-mr-backlog', range)), { '2024-04': 2, '2024-05': 4, '2024-06': 1 });
    // Days: at the end of 2024-06-04, #8 and #13 are still open (closed 06-05 12:00) and #5 merged (06-03).
    assert.deepEqual(values(await kpi(db, 'community-mr-backlog', { from: '2024-06-03', to: '2024-06-05', grain: 'day' })), {
      '2024-06-03': 3,
      '2024-06-04': 3,
      '2024-06-05': 2,
    });
  } finally {
    await db.close();
  }
});
