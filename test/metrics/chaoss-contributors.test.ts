import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { kpi, load, values } from './helpers.ts';

const app = 'gitlab:acme/app';
const lib = 'gitlab:acme/lib';
let objectKey = 0;
// project null: a community channel (chat, forum), outside any project.
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
  { type: 'project', platform: 'gitlab', path: 'acme/lib' },
  { type: 'organisation', name: 'Acme' },
  { type: 'organisation', name: 'Acme Labs', parent: 'Acme' },
  ...['ann', 'bo', 'cy', 'tea', 'dee', 'eve', 'fay', 'gus', 'hal'].map((key) => ({ type: 'person', key, name: key })),
  { type: 'person', key: 'bot', name: 'Bot', bot: true },
  { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', source: 'roster' },
  // Dee was on the team until March 2024, community afterwards.
  { type: 'team_membership', person: 'dee', valid_from: '2020-01-01', valid_to: '2024-03-01', source: 'roster' },
  { type: 'affiliation', person: 'cy', organisation: 'Acme', valid_from: '2024-01-01' },
  { type: 'affiliation', person: 'fay', organisation: 'Acme Labs', valid_from: '2024-01-01' },
  activity('ann', 'issue_opened', '2023-10-15T10:00:00Z'),
  activity('ann', 'mr_opened', '2024-05-03T10:00:00Z'),
  activity('bo', 'chat_message', '2024-04-20T10:00:00Z', null),
  activity('bo', 'mr_opened', '2024-05-10T10:00:00Z'),
  activity('cy', 'mr_opened', '2024-05-25T10:00:00Z'),
  activity('cy', 'mr_commented', '2024-06-02T10:00:00Z'),
  activity('tea', 'mr_opened', '2024-05-02T10:00:00Z'),
  activity('bot', 'mr_commented', '2024-05-01T10:00:00Z'),
  activity('dee', 'mr_opened', '2024-02-10T10:00:00Z'),
  activity('dee', 'mr_opened', '2024-05-12T10:00:00Z'),
  activity('eve', 'forum_post', '2024-06-03T10:00:00Z', null),
  activity('fay', 'mr_opened', '2024-05-05T10:00:00Z', lib),
  activity('gus', 'issue_commented', '2023-11-20T10:00:00Z'),
  activity('hal', 'chat_message', '2023-01-05T10:00:00Z', null),
];

test('new and inactive contributors on hand-made activities', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, records);
    const range = { from: '2024-04', to: '2024-06' };

    // Community, every kind, monitored projects and community channels:
    // April: Bo (chat). May: Fay (lib, 05-05) and Cy (05-25); Ann began in 2023, Dee began as a team member, Tea is team, the bot never counts.
    // June: Eve (forum).
    assert.deepEqual(values(await kpi(db, 'new-contributors', range)), { '2024-04': 1, '2024-05': 2, '2024-06': 1 });
    // First MR opened: Ann (05-03), Fay (05-05), Bo (05-10) and Cy (05-25) in May; Dee's first was February, as team.
    assert.deepEqual(values(await kpi(db, 'new-contributors', { ...range, parameters: { kinds: ['mr_opened'] } })), {
      '2024-04': 0,
      '2024-05': 4,
      '2024-06': 0,
    });
    // acme/app chosen: channels no longer count. May: Bo (first in app 05-10) and Cy. June: Eve's forum post is outside.
    assert.deepEqual(values(await kpi(db, 'new-contributors', { ...range, projects: [app] })), { '2024-04': 0, '2024-05': 2, '2024-06': 0 });
    assert.deepEqual(values(await kpi(db, 'new-contributors', { ...range, population: 'team' })), { '2024-04': 0, '2024-05': 1, '2024-06': 0 });
    assert.deepEqual(values(await kpi(db, 'new-contributors', { ...range, population: 'all' })), { '2024-04': 1, '2024-05': 3, '2024-06': 1 });
    // Acme with its child Acme Labs: Cy and Fay.
    assert.deepEqual(values(await kpi(db, 'new-contributors', { ...range, organisation: 'Acme' })), { '2024-04': 0, '2024-05': 2, '2024-06': 0 });
    // A week: Fay's first (Sunday 2024-05-05) is in the week of Monday 2024-04-29.
    assert.deepEqual(values(await kpi(db, 'new-contributors', { from: '2024-04-29', to: '2024-05-05', grain: 'week' })), { '2024-04-29': 1 });
    const explained = await explainKpi(db, 'new-contributors', '2024-05');
    assert.deepEqual(
      explained.rows.map((r) => [r.person, r.first_kind, r.project, r.organisation]),
      [
        ['fay', 'mr_opened', 'acme/lib', 'Acme Labs'],
        ['cy', 'mr_opened', 'acme/app', 'Acme'],
      ],
    );

    // Inactive at the end of a month: contributed before, nothing in the 6 months before that end.
    // Ann: Oct 2023 then May 2024 → at 2024-05-01 nothing since 2023-11-01: inactive at the end of April (and became so in April); back in May.
    // Gus: Nov 2023 only → inactive from the end of May (became so in May). Hal: Jan 2023 only → inactive throughout.
    const inactive = await kpi(db, 'inactive-contributors', range);
    assert.deepEqual(values(inactive), { '2024-04': 2, '2024-05': 2, '2024-06': 2 });
    assert.deepEqual(
      inactive.points.map((p) => p.values?.['became inactive']),
      [1, 1, 0],
    );
    // 12 months: only Hal (silent since January 2023) is inactive by then.
    assert.deepEqual(values(await kpi(db, 'inactive-contributors', { ...range, parameters: { intervalMonths: 12 } })), {
      '2024-04': 1,
      '2024-05': 1,
      '2024-06': 1,
    });
    // acme/app chosen: Hal's chat does not count. April: Ann; May and June: Gus.
    assert.deepEqual(values(await kpi(db, 'inactive-contributors', { ...range, projects: [app] })), { '2024-04': 1, '2024-05': 1, '2024-06': 1 });
    // Team: Dee's team contributions (February 2024) are recent; Tea's in May.
    assert.deepEqual(values(await kpi(db, 'inactive-contributors', { ...range, population: 'team' })), { '2024-04': 0, '2024-05': 0, '2024-06': 0 });
    // The quarter ends with June: Gus and Hal; Gus became inactive within it (at the end of May).
    const quarter = await kpi(db, 'inactive-contributors', { ...range, grain: 'quarter' });
    assert.deepEqual(values(quarter), { '2024-Q2': 2 });
    assert.deepEqual(quarter.points[0]?.values, { 'became inactive': 1 });
    const lost = await explainKpi(db, 'inactive-contributors', '2024-05');
    assert.deepEqual(
      lost.rows.map((r) => [r.person, r.became_inactive_in_period]),
      [
        ['gus', true],
        ['hal', false],
      ],
    );
  } finally {
    await db.close();
  }
});
