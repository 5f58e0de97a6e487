import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { assertEveryKpiAgrees, kpi, load } from './helpers.ts';

const app = 'gitlab:acme/app';
let objectKey = 0;
const activity = (person: string, kind: string, day: string, project: string | null = app) => ({
  type: 'activity',
  kind,
  person,
  occurred_at: `${day}T00:00:00Z`,
  ...(project ? { project } : {}),
  object: { type: 'other', key: `o${++objectKey}` },
});
let number = 0;
const merged = (author: string, day: string) => ({
  type: 'merge_request',
  project: app,
  number: ++number,
  title: `MR ${number}`,
  state: 'merged',
  author,
  created_at: `${day}T00:00:00Z`,
  merged_at: `${day}T00:00:00Z`,
});

const records = [
  { type: 'project', platform: 'gitlab', path: 'acme/app' },
  ...['ann', 'bo', 'cy', 'dee', 'eve', 'gus', 'tea'].map((key) => ({ type: 'person', key, name: key })),
  { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', source: 'roster' },
  // Ann: chat (D0) 04-02, a comment (D1) 04-20, a merged MR (D2) 05-10: 38 days after D0, 20 after D1.
  activity('ann', 'chat_message', '2024-04-02', null),
  activity('ann', 'mr_commented', '2024-04-20'),
  merged('ann', '2024-05-10'),
  // Bo: an issue 04-05 reaches D0 and D1 at once; no merge.
  activity('bo', 'issue_opened', '2024-04-05'),
  // Cy: a merged MR 04-15 and nothing else: D0, D1 and D2 at once.
  merged('cy', '2024-04-15'),
  // Dee: forum (D0) in December 2023, a comment (D1) 05-03, a merge 09-01: 121 days after D1.
  activity('dee', 'forum_post', '2023-12-01', null),
  activity('dee', 'issue_commented', '2024-05-03'),
  merged('dee', '2024-09-01'),
  // Eve: chat (D0) 05-05, an MR opened (D1) 09-01: 119 days later.
  activity('eve', 'chat_message', '2024-05-05', null),
  activity('eve', 'mr_opened', '2024-09-01'),
  // Gus reached D0 and D1 in 2023; his first merge in April puts him in no cohort.
  activity('gus', 'mr_commented', '2023-01-01'),
  merged('gus', '2024-04-20'),
  activity('tea', 'mr_commented', '2024-04-10'),
];

test('conversion rate on hand-made journeys', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, records);
    const range = { from: '2024-04', to: '2024-05' };

    // April: D0 cohort Ann, Bo, Cy; all reach D1 within 90 days (18, 0, 0 days) → 100 %; D2: Ann (38) and Cy (0) → 66.67 %.
    // D1 cohort Ann (04-20), Bo, Cy; D2 within 90 days: Ann (20) and Cy → 66.67 %.
    // May: D0 cohort Eve (D1 after 119 days: no) → 0 %; D1 cohort Dee (D2 after 121 days: no) → 0 %.
    const result = await kpi(db, 'conversion-rate', range);
    assert.deepEqual(
      result.points.map((p) => [p.value, p.values]),
      [
        [66.67, { 'D0 cohort': 3, 'D0→D1 %': 100, 'D1 cohort': 3, 'D1→D2 %': 66.67, 'D0→D2 %': 66.67 }],
        [0, { 'D0 cohort': 1, 'D0→D1 %': 0, 'D1 cohort': 1, 'D1→D2 %': 0, 'D0→D2 %': 0 }],
      ],
    );
    // 150 days: Dee's merge (121) and Eve's MR (119) now convert.
    const longer = await kpi(db, 'conversion-rate', { ...range, parameters: { windowDays: 150 } });
    assert.deepEqual(longer.points[1]?.values, { 'D0 cohort': 1, 'D0→D1 %': 100, 'D1 cohort': 1, 'D1→D2 %': 100, 'D0→D2 %': 0 });
    // acme/app chosen: chat and forum drop out. Ann's D0 is her comment (04-20), merged 20 days later.
    // May: Dee's D0 is now her comment 05-03 (D0 and D1 cohorts); Eve's first is September.
    const inApp = await kpi(db, 'conversion-rate', { ...range, projects: [app] });
    assert.deepEqual(
      inApp.points.map((p) => p.values),
      [
        { 'D0 cohort': 3, 'D0→D1 %': 100, 'D1 cohort': 3, 'D1→D2 %': 66.67, 'D0→D2 %': 66.67 },
        { 'D0 cohort': 1, 'D0→D1 %': 100, 'D1 cohort': 1, 'D1→D2 %': 0, 'D0→D2 %': 0 },
      ],
    );
    // Team: Tea, D0 and D1 in April, no merge.
    const team = await kpi(db, 'conversion-rate', { ...range, population: 'team' });
    assert.deepEqual(team.points[0]?.values, { 'D0 cohort': 1, 'D0→D1 %': 100, 'D1 cohort': 1, 'D1→D2 %': 0, 'D0→D2 %': 0 });
    assert.equal(team.points[1]?.value, null);

    // Every KPI of the catalogue gives the same on the rollups and on the raw tables, here and for acme/app alone.
    await assertEveryKpiAgrees(db, { from: '2024-01', to: '2024-09' });
    await assertEveryKpiAgrees(db, { from: '2024-01', to: '2024-09', projects: [app], population: 'all' });

    const explained = await explainKpi(db, 'conversion-rate', '2024-04');
    assert.deepEqual(
      explained.rows.map((r) => [r.person, r.d0_cohort, r.d1_cohort, r.d0_to_d2]),
      [
        ['ann', true, true, true],
        ['bo', true, true, false],
        ['cy', true, true, true],
      ],
    );
  } finally {
    await db.close();
  }
});
