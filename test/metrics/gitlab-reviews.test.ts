import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { kpi, load, values } from './helpers.ts';

const project = 'gitlab:acme/app';
const mr = (number: number, author: string, created: string, extra: Record<string, unknown> = {}) => ({
  type: 'merge_request',
  project,
  number,
  title: `MR ${number}`,
  state: 'opened',
  author,
  created_at: created,
  ...extra,
});
let note = 0;
const comment = (number: number, author: string, at: string) => {
  note += 1;
  return { type: 'comment', project, target: { type: 'merge_request', number }, external_id: `n${note}`, created_at: at, author };
};

test('time to first review', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, [
      { type: 'project', platform: 'gitlab', path: 'acme/app' },
      { type: 'person', key: 'ann', name: 'Ann' },
      { type: 'person', key: 'bo', name: 'Bo' },
      { type: 'person', key: 'tea', name: 'Tea' },
      { type: 'person', key: 'bot', name: 'Bot', bot: true },
      { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', source: 'roster' },
      // Ready in May: #1 6 h; #2 a draft tea commented on before it was ready: 0 h; #3 reviewed after 48 h (ann's own
      // note and the bot's do not count); #4 only a community note: unreviewed. #5 ready in April, answered after 24 h.
      mr(1, 'ann', '2024-05-01T10:00:00Z'),
      comment(1, 'tea', '2024-05-01T16:00:00Z'),
      mr(2, 'ann', '2024-05-02T00:00:00Z', { draft: true, ready_for_review_at: '2024-05-03T00:00:00Z' }),
      comment(2, 'tea', '2024-05-02T12:00:00Z'),
      mr(3, 'ann', '2024-05-10T00:00:00Z'),
      comment(3, 'ann', '2024-05-10T01:00:00Z'),
      comment(3, 'bot', '2024-05-10T02:00:00Z'),
      { type: 'review', project, merge_request: 3, reviewer: 'tea', kind: 'reviewed', occurred_at: '2024-05-12T00:00:00Z' },
      mr(4, 'ann', '2024-05-20T00:00:00Z'),
      comment(4, 'bo', '2024-05-20T05:00:00Z'),
      mr(5, 'ann', '2024-04-30T00:00:00Z'),
      comment(5, 'tea', '2024-05-01T00:00:00Z'),
    ]);
    // May: [0, 6, 48] → 6; April: [24]; June: nothing ready.
    const result = await kpi(db, 'time-to-first-review', { from: '2024-04', to: '2024-06' });
    assert.deepEqual(values(result), { '2024-04': 24, '2024-05': 6, '2024-06': null });
    assert.deepEqual(result.points[1]?.values, { reviewed: 3, unreviewed: 1 });
    const explained = await explainKpi(db, 'time-to-first-review', '2024-05');
    assert.deepEqual(
      explained.rows.map((r) => [r.merge_request, r.hours === null ? null : Number(r.hours)]),
      [
        ['acme/app!1', 6],
        ['acme/app!2', 0],
        ['acme/app!3', 48],
        ['acme/app!4', null],
      ],
    );
    // A week is named by its Monday: 2024-04-29 holds #5 (ready 04-30), #1 (05-01) and #2 (ready 05-03): [0, 6, 24] → 6.
    const week = await explainKpi(db, 'time-to-first-review', '2024-04-29');
    assert.deepEqual(
      week.rows.map((r) => r.merge_request),
      ['acme/app!5', 'acme/app!1', 'acme/app!2'],
    );
    assert.equal(week.value?.value, 6);
  } finally {
    await db.close();
  }
});

test('review-response SLO by segment, in business days', async () => {
  const db = await openTestDatabase();
  try {
    const request = (number: number, reviewer: string, at: string) => ({ type: 'review', project, merge_request: number, reviewer, kind: 'review_requested', occurred_at: at });
    await load(db, [
      { type: 'project', platform: 'gitlab', path: 'acme/app' },
      { type: 'organisation', name: 'Lead' },
      ...['lee', 'ole', 'tea', 'rev', 'rev2'].map((key) => ({ type: 'person', key, name: key })),
      { type: 'person', key: 'bot', name: 'bot', bot: true },
      { type: 'affiliation', person: 'lee', organisation: 'Lead', valid_from: '2023-01-01' },
      ...['tea', 'rev', 'rev2'].map((person) => ({ type: 'team_membership', person, valid_from: '2020-01-01', source: 'roster' })),
      // With a threshold of 2, lee's two March MRs make Lead leading on 1 April, 1 May and 1 June.
      mr(1, 'lee', '2024-03-09T00:00:00Z', { state: 'merged', merged_at: '2024-03-10T00:00:00Z' }),
      mr(2, 'lee', '2024-03-10T00:00:00Z', { state: 'merged', merged_at: '2024-03-11T00:00:00Z' }),
      // #10 Lead, opened in April (leading, SLO 4): rev Fri 05-03 12:00 → Wed 05-08 12:00 = 3 business days, met;
      // rev2 → note Fri 05-10 00:00 = 4.5, missed.
      mr(10, 'lee', '2024-04-20T00:00:00Z'),
      request(10, 'rev', '2024-05-03T12:00:00Z'),
      request(10, 'rev2', '2024-05-03T12:00:00Z'),
      { type: 'review', project, merge_request: 10, reviewer: 'rev', kind: 'reviewed', occurred_at: '2024-05-08T12:00:00Z' },
      comment(10, 'rev2', '2024-05-10T00:00:00Z'),
      // #11 team (SLO 2): rev Mon 09:00 → approval Wed 10:00 = 2.04, missed; rev2 → note Tue 09:00 = 1, met; the bot is left out.
      mr(11, 'tea', '2024-05-06T00:00:00Z'),
      request(11, 'rev', '2024-05-06T09:00:00Z'),
      request(11, 'rev2', '2024-05-06T09:00:00Z'),
      request(11, 'bot', '2024-05-06T09:00:00Z'),
      { type: 'review', project, merge_request: 11, reviewer: 'rev', kind: 'approved', occurred_at: '2024-05-08T10:00:00Z' },
      comment(11, 'rev2', '2024-05-07T09:00:00Z'),
      // #12 unaffiliated and not leading: no SLO.
      mr(12, 'ole', '2024-05-02T00:00:00Z'),
      request(12, 'rev', '2024-05-02T00:00:00Z'),
      // #13 Lead (leading in May): Fri 05-24 12:00 → Thu 05-30 18:00 = 4.25, missed; 3.25 and met with US holidays
      // (Memorial Day, Monday 05-27).
      mr(13, 'lee', '2024-05-24T00:00:00Z'),
      request(13, 'rev', '2024-05-24T12:00:00Z'),
      comment(13, 'rev', '2024-05-30T18:00:00Z'),
      // #14 team, never answered, still open: missed. #15 team, merged 12 hours after the request, unanswered: pending.
      mr(14, 'tea', '2024-05-28T00:00:00Z'),
      request(14, 'rev', '2024-05-29T00:00:00Z'),
      mr(15, 'tea', '2024-05-28T00:00:00Z', { state: 'merged', merged_at: '2024-05-29T12:00:00Z' }),
      request(15, 'rev', '2024-05-29T00:00:00Z'),
    ]);
    const may = { from: '2024-05', to: '2024-05', parameters: { threshold: 2 } };
    // Leading: met #10 rev; missed #10 rev2, #13 → 33.33. Team: met #11 rev2; missed #11 rev, #14 → 33.33. All: 2 of 6.
    const slo = await kpi(db, 'review-response-slo', may);
    assert.deepEqual(values(slo), { '2024-05': 33.33 });
    assert.deepEqual(slo.points[0]?.values, { leading: 33.33, team: 33.33, met: 2, missed: 4, pending: 1 });
    // With US public holidays #13 is met: leading 2 of 3, all 3 of 6.
    const us = await kpi(db, 'review-response-slo', { ...may, parameters: { threshold: 2, holidays: 'US' } });
    assert.deepEqual(us.points[0]?.values, { leading: 66.67, team: 33.33, met: 3, missed: 3, pending: 1 });
    // The wider community alone: the leading segment.
    assert.deepEqual(values(await kpi(db, 'review-response-slo', { ...may, population: 'community' })), { '2024-05': 33.33 });
    // At the default threshold (20) nobody leads: only the team's requests have an SLO.
    assert.deepEqual(values(await kpi(db, 'review-response-slo', { from: '2024-05', to: '2024-05' })), { '2024-05': 33.33 });
    assert.deepEqual((await kpi(db, 'review-response-slo', { from: '2024-05', to: '2024-05' })).points[0]?.values?.leading, null);

    // Unanswered requests on open MRs (#12, #14) have waited until now: their business days are left out of the comparison.
    const explained = await explainKpi(db, 'review-response-slo', '2024-05', { parameters: { threshold: 2 } });
    const stillWaiting = new Set(['acme/app!12', 'acme/app!14']);
    assert.deepEqual(
      explained.rows.map((r) => [r.merge_request, r.reviewer, r.segment, r.status, stillWaiting.has(String(r.merge_request)) ? null : r.business_days]),
      [
        ['acme/app!12', 'rev', 'other', 'none', null],
        ['acme/app!10', 'rev', 'leading', 'met', 3],
        ['acme/app!10', 'rev2', 'leading', 'missed', 4.5],
        ['acme/app!11', 'rev', 'team', 'missed', 2.04],
        ['acme/app!11', 'rev2', 'team', 'met', 1],
        ['acme/app!13', 'rev', 'leading', 'missed', 4.25],
        ['acme/app!14', 'rev', 'team', 'missed', null],
        ['acme/app!15', 'rev', 'team', 'pending', 0.5],
      ],
    );
    await assert.rejects(kpi(db, 'review-response-slo', { ...may, parameters: { holidays: 'XX' } }), /holidays/);

    // Incremental refresh: rev answers #14 on Thursday 05-30 00:00 (1 business day, met) under a second identity
    // merged into rev. Team: met 2, missed 1; all: 3 of 6.
    await load(db, [{ type: 'person', key: 'rev-alt', name: 'rev (alt)', merged_into: 'rev' }, comment(14, 'rev-alt', '2024-05-30T00:00:00Z')]);
    const later = await kpi(db, 'review-response-slo', may);
    assert.deepEqual(later.points[0]?.values, { leading: 33.33, team: 66.67, met: 3, missed: 3, pending: 1 });
    // rev2 turns out to be a bot: its requests (#10 missed, #11 met) leave. Leading: #10 rev met, #13 missed; team: #14 met, #11 rev missed.
    await load(db, [{ type: 'person', key: 'rev2', name: 'rev2', bot: true }]);
    const withoutBot = await kpi(db, 'review-response-slo', may);
    assert.deepEqual(withoutBot.points[0]?.values, { leading: 50, team: 50, met: 2, missed: 2, pending: 1 });
  } finally {
    await db.close();
  }
});
