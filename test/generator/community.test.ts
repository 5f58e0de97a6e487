import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import {
  type CommunityOptions,
  generateCommunity,
  generateNdjsonLines,
  isoInstant,
  writeCommunity,
} from '../../src/generator/community.ts';
import { Random, WeightedPicker } from '../../src/generator/random.ts';
import type { AnyRecord, CommentRecord, MergeRequestRecord, Reference } from '../../src/interchange/records.ts';
import { KINDS_BY_TYPE } from '../../src/interchange/records.ts';

function countByType(options: CommunityOptions): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of generateCommunity(options)) counts[record.type] = (counts[record.type] ?? 0) + 1;
  return counts;
}

function hashOf(options: CommunityOptions): string {
  const hash = createHash('sha256');
  for (const chunk of generateNdjsonLines(options)) hash.update(chunk);
  return hash.digest('hex');
}

const FILLER_KINDS = new Set(['chat_message', 'chat_reply', 'forum_post', 'forum_reply', 'issue_commented', 'translation', 'event_talk']);

describe('Random', () => {
  test('the same seed gives the same sequence, another seed another', () => {
    const draw = (seed: string | number) => {
      const random = new Random(seed);
      return Array.from({ length: 20 }, () => random.uint32());
    };
    assert.deepEqual(draw('a'), draw('a'));
    assert.deepEqual(draw(7), draw('7'));
    assert.notDeepEqual(draw('a'), draw('b'));
    assert.notDeepEqual(new Random('a').fork('x').uint32(), new Random('a').fork('y').uint32());
  });

  test('helpers stay in their ranges', () => {
    const random = new Random('ranges');
    for (let i = 0; i < 10_000; i++) {
      const n = random.int(-3, 5);
      assert.ok(Number.isInteger(n) && n >= -3 && n <= 5);
      const x = random.next();
      assert.ok(x >= 0 && x < 1);
      const z = random.zipf(50, 1.1);
      assert.ok(Number.isInteger(z) && z >= 0 && z < 50);
      assert.ok(random.pareto(2, 1.2) >= 2);
      assert.ok(random.logNormal(10, 1) > 0);
    }
    assert.match(random.hex(32), /^[0-9a-f]{32}$/);
    assert.deepEqual(random.shuffle([1, 2, 3, 4, 5, 6]).sort(), [1, 2, 3, 4, 5, 6]);
    const picker = new WeightedPicker(['rare', 'common'], [1, 99]);
    let common = 0;
    for (let i = 0; i < 10_000; i++) if (picker.pick(random) === 'common') common++;
    assert.ok(common > 9_700 && common < 10_000, `common picked ${common} times`);
    assert.equal(random.weighted(['only'], [1]), 'only');
  });

  test('the heavy-tailed samplers are heavy-tailed', () => {
    const random = new Random('tails');
    const draws = Array.from({ length: 10_000 }, () => random.pareto(1, 1.1)).sort((a, b) => b - a);
    const total = draws.reduce((sum, value) => sum + value, 0);
    const top = draws.slice(0, 100).reduce((sum, value) => sum + value, 0);
    assert.ok(top / total > 0.2, `top 1% hold ${top / total}`);
    let zeros = 0;
    for (let i = 0; i < 10_000; i++) if (random.zipf(1000, 1.2) === 0) zeros++;
    assert.ok(zeros > 1_000, `index 0 drawn ${zeros} times`);
  });

  test('hexOfCounter is collision-free', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(Random.hexOfCounter(i));
    assert.equal(seen.size, 100_000);
    assert.match(Random.hexOfCounter(0), /^[0-9a-f]{8}$/);
    assert.notEqual(Random.hexOfCounter(0), '00000000');
  });
});

describe('isoInstant', () => {
  test('matches Date#toISOString, with offsets for local time', () => {
    const random = new Random('iso');
    for (let i = 0; i < 5_000; i++) {
      const ms = Math.floor(random.float(Date.UTC(2015, 0, 1), Date.UTC(2030, 0, 1)));
      assert.equal(isoInstant(ms), new Date(ms).toISOString());
      const withOffset = isoInstant(ms, 330);
      assert.equal(Date.parse(withOffset), ms);
      assert.match(withOffset, /\+05:30$/);
      assert.equal(Date.parse(isoInstant(ms, -480)), ms);
    }
  });
});

describe('generateCommunity', () => {
  test('writes exactly the merge requests and activities asked for', () => {
    const sizes: [number, number][] = [
      [0, 0],
      [0, 37],
      [1, 0],
      [1, 1],
      [10, 3],
      [100, 50],
      [100, 5_000],
      [500, 1_700],
      [250, 200_000 / 100],
    ];
    for (const [mergeRequests, activities] of sizes) {
      const counts = countByType({ seed: `sizes-${mergeRequests}-${activities}`, mergeRequests, activities });
      assert.equal(counts.merge_request ?? 0, mergeRequests, `merge requests for ${mergeRequests}/${activities}`);
      assert.equal(counts.activity ?? 0, activities, `activities for ${mergeRequests}/${activities}`);
      const extras = ['comment', 'review', 'label_event', 'issue', 'commit'].reduce((sum, type) => sum + (counts[type] ?? 0), 0);
      if (mergeRequests >= 100) assert.ok(extras <= 1.7 * mergeRequests, `${extras} extra records for ${mergeRequests} MRs`);
    }
  });

  test('thins derived activities when fewer are asked for, and fills with chatter when more are', () => {
    const kinds = (activities: number) => {
      const byKind: Record<string, number> = {};
      for (const record of generateCommunity({ seed: 'fill', mergeRequests: 300, activities })) {
        if (record.type === 'activity') byKind[record.kind] = (byKind[record.kind] ?? 0) + 1;
      }
      return byKind;
    };
    const few = kinds(120);
    assert.equal(Object.values(few).reduce((sum, n) => sum + n, 0), 120);
    for (const kind of FILLER_KINDS) assert.equal(few[kind], undefined, `no ${kind} when derived activities are thinned`);
    assert.ok((few.mr_opened ?? 0) > 0 && (few.mr_opened ?? 0) < 300);

    const many = kinds(6_000);
    assert.equal(many.mr_opened, 300, 'every MR opening is kept when there is room');
    for (const kind of ['chat_message', 'forum_post', 'issue_commented', 'commit_authored']) assert.ok((many[kind] ?? 0) > 0, `some ${kind}`);
  });

  test('the same seed gives the same bytes, another seed other bytes', () => {
    const options = { mergeRequests: 300, activities: 2_000 };
    assert.equal(hashOf({ ...options, seed: 'alpha' }), hashOf({ ...options, seed: 'alpha' }));
    assert.notEqual(hashOf({ ...options, seed: 'alpha' }), hashOf({ ...options, seed: 'beta' }));
    assert.notEqual(hashOf({ ...options, seed: 1 }), hashOf({ ...options, seed: 2 }));
  });

  test('rejects impossible options', () => {
    assert.throws(() => countByType({ mergeRequests: -1, activities: 0 }), RangeError);
    assert.throws(() => countByType({ mergeRequests: 1.5, activities: 0 }), RangeError);
    assert.throws(() => countByType({ mergeRequests: 1, activities: 1, start: 'yesterday' }), RangeError);
    assert.throws(() => countByType({ mergeRequests: 1, activities: 1, start: '2024-01-01', end: '2023-01-01' }), RangeError);
  });

  describe('a mid-sized community (2,000 MRs, 20,000 activities)', () => {
    const options: CommunityOptions = { seed: 'validation', mergeRequests: 2_000, activities: 20_000 };
    const records: AnyRecord[] = [...generateCommunity(options)];

    test('every record is valid, no natural key repeats, every reference points back', () => {
      const ids = new Map<string, Set<string>>();
      const defined = new Set<string>();
      for (const [line, record] of records.entries()) {
        const kind = KINDS_BY_TYPE.get(record.type);
        assert.ok(kind, `line ${line + 1}: unknown type ${record.type}`);
        const parsed = kind.schema.safeParse(record);
        assert.ok(parsed.success, `line ${line + 1} (${record.type}): ${parsed.success ? '' : parsed.error.message}`);
        const refs: Reference[] = [];
        const id = kind.toCopy(parsed.data, refs).split('\t')[0] as string;
        let seen = ids.get(kind.table);
        if (!seen) ids.set(kind.table, (seen = new Set()));
        assert.ok(!seen.has(id), `line ${line + 1}: duplicate ${kind.describe(parsed.data)}`);
        seen.add(id);
        for (const ref of refs) assert.ok(defined.has(`${ref.kind}:${ref.id}`), `line ${line + 1}: ${ref.field} ${ref.key} is not defined earlier`);
        if (kind.referable && kind.idOf) defined.add(`${kind.referable}:${kind.idOf(parsed.data)}`);
      }
    });

    test('records come in dependency order', () => {
      const order = ['project', 'organisation', 'person', 'identity', 'affiliation', 'team_membership', 'milestone'];
      const firstOf = (type: string) => records.findIndex((record) => record.type === type);
      const lastOf = (type: string) => records.findLastIndex((record) => record.type === type);
      for (let i = 1; i < order.length; i++) {
        assert.ok(lastOf(order[i - 1] as string) < firstOf(order[i] as string), `${order[i - 1]} before ${order[i]}`);
      }
      for (const type of ['merge_request', 'issue', 'comment', 'review', 'label_event', 'commit']) {
        assert.ok(firstOf(type) > lastOf('milestone'), `${type} after the milestones`);
        assert.ok(lastOf(type) < firstOf('activity'), `${type} before the activities`);
      }
    });

    test('the NDJSON text is JSON.stringify of each record, one per line', () => {
      const text = [...generateNdjsonLines(options)].join('');
      assert.ok(text.endsWith('\n'));
      const lines = text.slice(0, -1).split('\n');
      assert.equal(lines.length, records.length);
      for (const [index, record] of records.entries()) assert.equal(lines[index], JSON.stringify(record));
    });

    test('activities derived from merge requests agree with them', () => {
      const mergeRequests = new Map<string, MergeRequestRecord>();
      const comments = new Map<string, CommentRecord>();
      for (const record of records) {
        if (record.type === 'merge_request') mergeRequests.set(`${record.project}!${record.number}`, record);
        if (record.type === 'comment') comments.set(`${record.project}#${record.external_id}`, record);
      }
      let checked = 0;
      for (const record of records) {
        if (record.type !== 'activity' || !record.object) continue;
        const object = record.object;
        if (record.kind.startsWith('mr_') && object.type === 'merge_request') {
          const mergeRequest = mergeRequests.get(`${object.project}!${object.number}`);
          assert.ok(mergeRequest, `${record.kind} of a missing MR`);
          if (record.kind === 'mr_opened') assert.deepEqual([record.person, record.occurred_at], [mergeRequest.author, mergeRequest.created_at]);
          if (record.kind === 'mr_merged') assert.deepEqual([record.person, record.occurred_at], [mergeRequest.author, mergeRequest.merged_at]);
          if (record.kind === 'mr_closed') assert.deepEqual([record.person, record.occurred_at], [mergeRequest.author, mergeRequest.closed_at]);
          checked++;
        }
        if (record.kind === 'mr_commented' && object.type === 'comment') {
          const comment = comments.get(`${object.project}#${object.external_id}`);
          assert.ok(comment, 'mr_commented of a missing comment');
          assert.deepEqual([record.person, record.occurred_at], [comment.author, comment.created_at]);
          checked++;
        }
      }
      assert.ok(checked > 2_000, `${checked} derived activities checked`);
    });

    test('looks like a community: states, labels, team, bots, organisations, time', () => {
      const teamDays = new Map<string, [string, string][]>();
      const bots = new Set<string>();
      const people = records.filter((record) => record.type === 'person');
      for (const record of records) {
        if (record.type === 'person' && record.bot) bots.add(record.key);
        if (record.type === 'team_membership') {
          const key = record.person as string;
          teamDays.set(key, [...(teamDays.get(key) ?? []), [record.valid_from ?? '0000', record.valid_to ?? '9999']]);
        }
      }
      const isTeam = (key: string, at: string) => (teamDays.get(key) ?? []).some(([from, to]) => at.slice(0, 10) >= from && at.slice(0, 10) < to);
      assert.ok(teamDays.size >= people.length * 0.1 && teamDays.size <= people.length * 0.2, `${teamDays.size} team members`);
      assert.ok(bots.has('renovate-bot') && bots.has('release-tools-bot'));
      for (const record of records) {
        if (record.type === 'identity' && bots.has(record.person as string)) assert.equal(record.kind, 'username');
      }
      assert.ok(records.some((record) => record.type === 'team_membership' && record.roles.some((role) => role.role === 'coach')));
      assert.ok(records.some((record) => record.type === 'team_membership' && record.valid_to));
      const organisations = records.filter((record) => record.type === 'organisation');
      assert.ok(organisations.some((record) => record.arr));
      assert.ok(organisations.some((record) => record.parent));

      const mergeRequests = records.filter((record) => record.type === 'merge_request');
      const states: Record<string, number> = {};
      for (const mergeRequest of mergeRequests) states[mergeRequest.state] = (states[mergeRequest.state] ?? 0) + 1;
      assert.ok((states.merged ?? 0) > 1_200 && (states.merged ?? 0) < 1_600, `states ${JSON.stringify(states)}`);
      assert.ok((states.closed ?? 0) > 150 && (states.opened ?? 0) > 150, `states ${JSON.stringify(states)}`);

      const communityAuthors = new Map<string, number>();
      for (const mergeRequest of mergeRequests) {
        const author = mergeRequest.author as string;
        const created = mergeRequest.created_at as string;
        const community = !bots.has(author) && !isTeam(author, created);
        assert.equal(mergeRequest.labels.includes('Community contribution'), community, `${mergeRequest.project}!${mergeRequest.number} by ${author}`);
        if (community) communityAuthors.set(author, (communityAuthors.get(author) ?? 0) + 1);
        if (mergeRequest.merged_at) assert.ok(mergeRequest.merged_at > created);
        if (mergeRequest.closed_at) assert.ok(mergeRequest.closed_at > created);
        if (mergeRequest.ready_for_review_at) assert.ok(mergeRequest.ready_for_review_at >= created);
        if (mergeRequest.first_review_at) assert.ok(mergeRequest.first_review_at >= (mergeRequest.ready_for_review_at as string));
        assert.equal(mergeRequest.draft, !mergeRequest.ready_for_review_at);
        if (mergeRequest.state === 'merged') assert.ok(mergeRequest.merged_by && isTeam(mergeRequest.merged_by as string, mergeRequest.merged_at as string));
        for (const reviewer of mergeRequest.reviewers) assert.ok(isTeam(reviewer as string, created), `reviewer ${reviewer} not on the team`);
        assert.ok(mergeRequest.labels.filter((label) => label.startsWith('type::')).length <= 1);
      }

      const counts = [...communityAuthors.values()].sort((a, b) => b - a);
      const total = counts.reduce((sum, n) => sum + n, 0);
      const topTenth = counts.slice(0, Math.ceil(counts.length / 10)).reduce((sum, n) => sum + n, 0);
      assert.ok(total > 400, `${total} community MRs`);
      assert.ok(topTenth / total > 0.3, `the top tenth of community authors make ${topTenth / total} of community MRs`);
      assert.ok(counts.filter((n) => n <= 3).length > counts.length / 2, 'most community authors have one to three MRs');

      const byYear = (year: string) => mergeRequests.filter((mergeRequest) => mergeRequest.created_at?.startsWith(year)).length;
      assert.ok(byYear('2025') > byYear('2019') * 1.8, 'the community grows');
      const open = mergeRequests.filter((mergeRequest) => mergeRequest.state === 'opened');
      const recentOpen = open.filter((mergeRequest) => (mergeRequest.created_at as string) >= '2026-05-01').length;
      assert.ok(recentOpen > open.length * 0.25, 'open MRs concentrate in the last months');
    });
  });
});

describe('writeCommunity', () => {
  test('waits for a slow stream and writes the same bytes as generateNdjsonLines', async () => {
    const options: CommunityOptions = { seed: 'stream', mergeRequests: 400, activities: 3_000 };
    const hash = createHash('sha256');
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        writes++;
        setImmediate(done);
      },
    });
    const summary = await writeCommunity(options, slow);
    await new Promise<void>((resolve) => slow.end(resolve));
    assert.equal(hash.digest('hex'), hashOf(options));
    assert.equal(summary.counts.merge_request, 400);
    assert.equal(summary.counts.activity, 3_000);
    assert.equal(summary.lines, Object.values(countByType(options)).reduce((sum, n) => sum + n, 0));
    assert.ok(writes > 1);
  });

  test('rejects when the stream fails', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, done) {
        done(new Error('disk full'));
      },
    });
    await assert.rejects(writeCommunity({ mergeRequests: 2_000, activities: 20_000 }, failing), /disk full/);
  });
});
