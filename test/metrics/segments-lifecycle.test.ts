import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { kpi, load } from './helpers.ts';

const app = 'gitlab:acme/app';
let number = 0;
/** `count` MRs by `author` opened and merged on `day` (YYYY-MM-DD), an hour apart, in `milestone` if given. */
const merged = (author: string, day: string, count = 1, milestone?: string) =>
  Array.from({ length: count }, (_, i) => {
    const at = `${day}T${String(i).padStart(2, '0')}:00:00Z`;
    return {
      type: 'merge_request',
      project: app,
      number: ++number,
      title: `MR ${number}`,
      state: 'merged',
      author,
      created_at: at,
      merged_at: at,
      ...(milestone ? { milestone } : {}),
    };
  });
const milestone = (title: string, start: string, due: string) => ({ type: 'milestone', scope: 'acme/app', title, start_date: start, due_date: due });

const records = [
  { type: 'project', platform: 'gitlab', path: 'acme/app' },
  ...['ann', 'bo', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal', 'tea'].map((key) => ({ type: 'person', key, name: key })),
  { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', source: 'roster' },
  milestone('16.8', '2024-01-01', '2024-01-31'),
  milestone('16.9', '2024-02-01', '2024-02-29'),
  milestone('16.10', '2024-03-01', '2024-03-31'),
  milestone('17.0', '2024-05-01', '2024-05-31'),
  ...merged('ann', '2024-03-10'),
  ...merged('bo', '2023-03-10'),
  ...merged('bo', '2024-04-10'),
  ...merged('cy', '2023-10-10'),
  ...merged('cy', '2024-02-10', 10, '16.9'),
  ...merged('dee', '2023-12-10'),
  ...merged('dee', '2024-01-10', 1, '16.8'),
  ...merged('dee', '2024-03-10', 1, '16.10'),
  // No milestone set: 17.0 is inferred from the merge date.
  ...merged('dee', '2024-05-10'),
  ...merged('eve', '2023-08-10'),
  ...merged('eve', '2024-02-11', 9, '16.9'),
  ...merged('eve', '2024-06-10'),
  ...merged('fay', '2023-05-10'),
  ...merged('gus', '2023-09-10'),
  ...merged('hal', '2024-08-10'),
  ...merged('tea', '2024-05-10'),
];

test('lifecycle segments on hand-made merge histories', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, records);
    const result = await kpi(db, 'lifecycle-segments', { from: '2024-01', to: '2024-06' });

    // End of January 2024: window August 2023 – January 2024, the one before it February – July 2023.
    // New: Cy (first 2023-10), Dee (2023-12), Eve (2023-08), Gus (2023-09). Inactive: Bo (2023-03), Fay (2023-05). Ann and Hal had merged nothing yet.
    assert.deepEqual(result.points[0]?.values, { new: 4, reactivated: 0, 'high-performing': 0, active: 0, inactive: 2 });
    assert.equal(result.points[0]?.value, 6);
    // End of June 2024: window January – June 2024, the one before it July – December 2023.
    // New: Ann (first ever 2024-03). Reactivated: Bo (2023-03, then nothing until 2024-04).
    // High-performing: Cy (10 in 16.9), Dee (16.8, 16.10 and 17.0 inferred: 3 milestones). Active: Eve (9 in 16.9 only).
    // Inactive: Fay (2023-05), Gus (2023-09). Hal merges only in August.
    assert.deepEqual(result.points[5]?.values, { new: 1, reactivated: 1, 'high-performing': 2, active: 1, inactive: 2 });
    assert.equal(result.points[5]?.value, 7);
    // The quarter ending with June judges the same window.
    const quarter = await kpi(db, 'lifecycle-segments', { from: '2024-Q2', to: '2024-Q2', grain: 'quarter' });
    assert.deepEqual(quarter.points[0]?.values, result.points[5]?.values);
    // Stricter: 11 in one milestone or 4 milestones: Cy and Dee become merely active.
    const strict = await kpi(db, 'lifecycle-segments', { from: '2024-06', to: '2024-06', parameters: { perMilestone: 11, milestones: 4 } });
    assert.deepEqual(strict.points[0]?.values, { new: 1, reactivated: 1, 'high-performing': 0, active: 3, inactive: 2 });
    // Team: Tea's first merge in May.
    const team = await kpi(db, 'lifecycle-segments', { from: '2024-06', to: '2024-06', population: 'team' });
    assert.deepEqual(team.points[0]?.values, { new: 1, reactivated: 0, 'high-performing': 0, active: 0, inactive: 0 });

    const explained = await explainKpi(db, 'lifecycle-segments', '2024-06');
    assert.deepEqual(
      explained.rows.map((r) => [r.person, r.segment, r.merged_in_window, r.most_in_one_milestone, r.milestones_in_window]),
      [
        // Ann's MR of 2024-03-10 is in 16.10 by its merge date.
        ['ann', 'new', 1, 1, 1],
        ['bo', 'reactivated', 1, 0, 0],
        ['cy', 'high-performing', 10, 10, 1],
        ['dee', 'high-performing', 3, 1, 3],
        ['eve', 'active', 10, 9, 1],
        ['fay', 'inactive', 0, 0, 0],
        ['gus', 'inactive', 0, 0, 0],
      ],
    );
  } finally {
    await db.close();
  }
});
