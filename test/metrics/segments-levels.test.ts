import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { kpi, load, values } from './helpers.ts';

const app = 'gitlab:acme/app';
let number = 0;
/** `count` MRs by `author` opened and merged in `month` (YYYY-MM), spread over its first 28 days. */
const merged = (author: string, count: number, month: string) =>
  Array.from({ length: count }, (_, i) => {
    const at = `${month}-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00Z`;
    return { type: 'merge_request', project: app, number: ++number, title: `MR ${number}`, state: 'merged', author, created_at: at, merged_at: at };
  });
let objectKey = 0;
const activity = (person: string, kind: string, at: string, project: string | null = app) => ({
  type: 'activity',
  kind,
  person,
  occurred_at: at,
  ...(project ? { project } : {}),
  object: { type: 'other', key: `o${++objectKey}` },
});

const records = [
  { type: 'project', platform: 'gitlab', path: 'acme/app' },
  ...['ann', 'bo', 'cy', 'dee', 'eve', 'fay', 'gus', 'tea'].map((key) => ({ type: 'person', key, name: key })),
  { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', source: 'roster' },
  ...merged('ann', 80, '2023-11'),
  ...merged('ann', 1, '2024-05'),
  ...merged('bo', 3, '2023-12'),
  ...merged('dee', 24, '2023-09'),
  ...merged('dee', 1, '2024-05'),
  ...merged('eve', 75, '2023-06'),
  ...merged('gus', 12, '2024-03'),
  ...merged('tea', 5, '2024-05'),
  { type: 'merge_request', project: app, number: ++number, title: 'Open', state: 'opened', author: 'eve', created_at: '2024-05-10T00:00:00Z' },
  activity('ann', 'mr_commented', '2024-04-03T00:00:00Z'),
  activity('bo', 'mr_commented', '2024-04-04T00:00:00Z'),
  activity('bo', 'mr_commented', '2024-05-04T00:00:00Z'),
  activity('cy', 'issue_opened', '2024-05-05T00:00:00Z'),
  activity('fay', 'chat_message', '2024-05-06T00:00:00Z', null),
];

test('experience levels, contributor status and yearly tiers on hand-made merge requests', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, records);
    const range = { from: '2024-04', to: '2024-05' };

    // April's contributors: Ann (comment; 80 merged by then → 76+) and Bo (comment; 3 → 1-3).
    // May's: Ann (MR; 81 → 76+), Bo (comment; 3 → 1-3), Cy (issue, none merged → 0), Dee (MR; 25 → 4-25),
    // Eve (MR opened; 75 → 26-75, 75 is not 76+), Fay (chat outside any project; 0). Gus merged only in March.
    const levels = await kpi(db, 'experience-levels', range);
    assert.deepEqual(values(levels), { '2024-04': 2, '2024-05': 6 });
    assert.deepEqual(levels.points[0]?.values, { '0': 0, '1-3': 1, '4-25': 0, '26-75': 0, '76+': 1 });
    assert.deepEqual(levels.points[1]?.values, { '0': 2, '1-3': 1, '4-25': 1, '26-75': 1, '76+': 1 });
    // acme/app chosen: Fay's chat no longer counts.
    const inApp = await kpi(db, 'experience-levels', { ...range, projects: [app] });
    assert.deepEqual(inApp.points[1]?.values, { '0': 1, '1-3': 1, '4-25': 1, '26-75': 1, '76+': 1 });
    // Team in May: Tea, 5 merged.
    const team = await kpi(db, 'experience-levels', { ...range, population: 'team' });
    assert.deepEqual(team.points[1]?.values, { '0': 0, '1-3': 0, '4-25': 1, '26-75': 0, '76+': 0 });
    const explained = await explainKpi(db, 'experience-levels', '2024-05');
    assert.deepEqual(
      explained.rows.map((r) => [r.person, r.merged_all_time, r.level]),
      [
        ['ann', 81, '76+'],
        ['eve', 75, '26-75'],
        ['dee', 25, '4-25'],
        ['bo', 3, '1-3'],
        ['cy', 0, '0'],
        ['fay', 0, '0'],
      ],
    );

    // Status at the end of May (merged December 2023 – May 2024): Ann 1, Bo 3, Dee 1 casual; Gus 12 regular. Eve's are from June 2023.
    // At the end of December 2023 (July – December): Ann 80 and Dee 24 leading, Bo 3 casual.
    const status = await kpi(db, 'contributor-status', { from: '2023-12', to: '2024-05' });
    assert.deepEqual(status.points[0]?.values, { casual: 1, regular: 0, leading: 2 });
    assert.deepEqual(status.points.at(-1)?.values, { casual: 3, regular: 1, leading: 0 });
    assert.equal(status.points.at(-1)?.value, 4);
    // A 12-month window ending with May (June 2023 – May 2024): Ann 81, Dee 25, Eve 75 leading; Gus regular; Bo casual.
    const year = await kpi(db, 'contributor-status', { from: '2024-05', to: '2024-05', parameters: { windowMonths: 12 } });
    assert.deepEqual(year.points[0]?.values, { casual: 1, regular: 1, leading: 3 });
    // The quarter ending with June has the same window end-of-June: Ann 1, Dee 1 casual (Bo's December is out), Gus regular.
    const quarter = await kpi(db, 'contributor-status', { from: '2024-Q2', to: '2024-Q2', grain: 'quarter' });
    assert.deepEqual(quarter.points[0]?.values, { casual: 2, regular: 1, leading: 0 });

    // 2023: Ann 80 (76+), Eve 75 and Dee 24 (11-75), Bo 3 (no tier). 2024: Gus 12 (11-75); Ann 1 and Dee 1 no tier.
    const tiers = await kpi(db, 'yearly-tiers', { from: '2023', to: '2024' });
    assert.deepEqual(values(tiers), { '2023': 3, '2024': 1 });
    assert.deepEqual(
      tiers.points.map((p) => [p.values, p.basis]),
      [
        [{ '5-10': 0, '11-75': 2, '76+': 1 }, 4],
        [{ '5-10': 0, '11-75': 1, '76+': 0 }, 3],
      ],
    );
    const tiered = await explainKpi(db, 'yearly-tiers', '2023');
    assert.deepEqual(
      tiered.rows.map((r) => [r.person, r.merged_in_year, r.tier]),
      [
        ['ann', 80, '76+'],
        ['eve', 75, '11-75'],
        ['dee', 24, '11-75'],
        ['bo', 3, null],
      ],
    );
    const statuses = await explainKpi(db, 'contributor-status', '2024-05');
    assert.deepEqual(
      statuses.rows.map((r) => [r.person, r.merged_in_window, r.status]),
      [
        ['gus', 12, 'regular'],
        ['bo', 3, 'casual'],
        ['ann', 1, 'casual'],
        ['dee', 1, 'casual'],
      ],
    );
    const teamTiers = await kpi(db, 'yearly-tiers', { from: '2024', to: '2024', population: 'team' });
    assert.deepEqual(teamTiers.points[0]?.values, { '5-10': 1, '11-75': 0, '76+': 0 });
  } finally {
    await db.close();
  }
});
