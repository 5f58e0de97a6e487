import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { kpi, load, values } from './helpers.ts';

const project = 'gitlab:acme/app';
const mr = (number: number, author: string, created: string | null, ended: { merged?: string; closed?: string } = {}) => ({
  type: 'merge_request',
  project,
  number,
  title: `MR ${number}`,
  state: ended.merged ? 'merged' : ended.closed ? 'closed' : 'opened',
  author,
  ...(created ? { created_at: created } : {}),
  ...(ended.merged ? { merged_at: ended.merged } : {}),
  ...(ended.closed ? { closed_at: ended.closed } : {}),
});
let commentId = 0;
const comment = (number: number, author: string, at: string, system = false) => ({
  type: 'comment',
  project,
  target: { type: 'merge_request', number },
  external_id: `c${++commentId}`,
  created_at: at,
  author,
  system,
});

const records = [
  { type: 'project', platform: 'gitlab', path: 'acme/app' },
  { type: 'project', platform: 'gitlab', path: 'acme/git-only' },
  { type: 'person', key: 'ann', name: 'Ann' },
  { type: 'person', key: 'ann2', name: 'Ann (work)', merged_into: 'ann' },
  { type: 'person', key: 'bo', name: 'Bo' },
  { type: 'person', key: 'tea', name: 'Tea' },
  { type: 'person', key: 'bot', name: 'Bot', bot: true },
  { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', source: 'roster' },
  mr(1, 'ann', '2024-05-01T00:00:00Z', { merged: '2024-05-03T00:00:00Z' }),
  mr(2, 'bo', '2024-05-02T00:00:00Z', { closed: '2024-06-05T00:00:00Z' }),
  mr(3, 'bo', '2024-04-10T00:00:00Z', { merged: '2024-05-10T00:00:00Z' }),
  mr(4, 'ann', '2024-05-20T00:00:00Z'),
  mr(5, 'tea', '2024-05-05T00:00:00Z', { merged: '2024-05-06T00:00:00Z' }),
  // Read from git alone: merged, never opened as far as the data knows.
  mr(6, 'ann', null, { merged: '2024-05-15T00:00:00Z' }),
  mr(7, 'ann', '2024-06-01T00:00:00Z', { merged: '2024-06-02T00:00:00Z' }),
  { ...mr(1, 'ann', null, { merged: '2024-05-15T00:00:00Z' }), project: 'gitlab:acme/git-only' },
  // MR 1: Ann's other account and a bot answer first; neither is a response. Tea at 10:00 is: 10 h.
  comment(1, 'ann2', '2024-05-01T01:00:00Z'),
  comment(1, 'bot', '2024-05-01T02:00:00Z'),
  comment(1, 'tea', '2024-05-01T10:00:00Z'),
  // MR 2: Ann's review two days and two hours after opening: 50 h.
  { type: 'review', project, merge_request: 2, reviewer: 'ann', kind: 'reviewed', occurred_at: '2024-05-04T02:00:00Z' },
  // MR 4: a system note only, so unanswered.
  comment(4, 'tea', '2024-05-20T01:00:00Z', true),
  // MR 3: the author's own note first, then Tea after 6 h.
  comment(3, 'bo', '2024-04-10T01:00:00Z'),
  comment(3, 'tea', '2024-04-10T06:00:00Z'),
  // MR 7: Bo after 12 h.
  comment(7, 'bo', '2024-06-01T12:00:00Z'),
];

test('closure ratio and time to first response on hand-made merge requests', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, records);
    const range = { from: '2024-04', to: '2024-06', projects: [project] };

    // Community. April: opened 3; closed none → 0 %.
    // May: opened 1, 2, 4 (6 has no opening date and is left out); closed 1 and 3 (merged) → 2 ÷ 3 = 66.67 %.
    // June: opened 7; closed 2 (unmerged) and 7 (merged) → 2 ÷ 1 = 200 %.
    const closure = await kpi(db, 'closure-ratio', range);
    assert.deepEqual(values(closure), { '2024-04': 0, '2024-05': 66.67, '2024-06': 200 });
    assert.deepEqual(closure.points[1]?.values, { opened: 3, closed: 2, merged: 2, 'closed unmerged': 0 });
    assert.deepEqual(closure.points[2]?.values, { opened: 1, closed: 2, merged: 1, 'closed unmerged': 1 });
    // Team in May: MR 5 opened and merged → 100 %; nothing in April or June → no value.
    assert.deepEqual(values(await kpi(db, 'closure-ratio', { ...range, population: 'team' })), { '2024-04': null, '2024-05': 100, '2024-06': null });
    // Quarter Q2 (community): opened 3, 1, 2, 4, 7 = 5; closed 1, 3, 2, 7 = 4 → 80 %.
    assert.deepEqual(values(await kpi(db, 'closure-ratio', { ...range, grain: 'quarter' })), { '2024-Q2': 80 });

    // Community, opened in April: MR 3 → 6 h. May: MRs 1 (10 h), 2 (50 h), 4 (unanswered) → median 30. June: MR 7 → 12 h.
    const response = await kpi(db, 'time-to-first-response', range);
    assert.deepEqual(values(response), { '2024-04': 6, '2024-05': 30, '2024-06': 12 });
    assert.deepEqual(response.points[1]?.values, { opened: 3, answered: 2, unanswered: 1 });
    // Team: MR 5 has no response: no median, one unanswered.
    const team = await kpi(db, 'time-to-first-response', { ...range, population: 'team' });
    assert.deepEqual(values(team), { '2024-04': null, '2024-05': null, '2024-06': null });
    assert.deepEqual(team.points[1]?.values, { opened: 1, answered: 0, unanswered: 1 });

    const explained = await explainKpi(db, 'time-to-first-response', '2024-05', { projects: [project] });
    assert.deepEqual(
      explained.rows.map((r) => [r.merge_request, r.response_hours === null ? null : Number(r.response_hours)]),
      [
        ['acme/app!1', 10],
        ['acme/app!2', 50],
        ['acme/app!4', null],
      ],
    );
    const closed = await explainKpi(db, 'closure-ratio', '2024-06', { projects: [project] });
    assert.deepEqual(
      closed.rows.map((r) => [r.merge_request, r.opened_in_period, r.closed_in_period]),
      [
        ['acme/app!2', false, true],
        ['acme/app!7', true, true],
      ],
    );

    // A project read from git alone has no opening dates and no responses: the KPIs say so instead of printing 0.
    const gitOnly = await kpi(db, 'closure-ratio', { ...range, projects: ['gitlab:acme/git-only'] });
    assert.equal(gitOnly.available, false);
    assert.match(gitOnly.reason ?? '', /opening date/);
    assert.equal((await kpi(db, 'time-to-first-response', { ...range, projects: ['gitlab:acme/git-only'] })).available, false);
  } finally {
    await db.close();
  }
});
