import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Database } from '../../src/db/connection.ts';
import { ImportError } from '../../src/interchange/errors.ts';
import { exportNdjson } from '../../src/interchange/export.ts';
import { importNdjson, importNdjsonFile } from '../../src/interchange/import.ts';
import { engineName, openTestDatabase, snapshot } from '../helpers/database.ts';

const fixture = fileURLToPath(new URL('../fixtures/every-kind.ndjson', import.meta.url));
const fixtureText = readFileSync(fixture, 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'tributary-import-'));

async function exportAll(db: Database, types: string[] = []): Promise<string> {
  let out = '';
  for await (const lines of exportNdjson(db, types)) out += lines;
  return out;
}

function fromText(text: string) {
  return Readable.from([Buffer.from(text)]);
}

describe(`NDJSON import and export on ${engineName}`, () => {
  let db: Database;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db.close();
  });

  test('loads every record kind, counting rows per table', async () => {
    const stats = await importNdjsonFile(db, fixture);
    assert.equal(stats.lines, 32);
    assert.deepEqual(stats.records, {
      project: 2, organisation: 2, person: 4, identity: 3, affiliation: 2, team_membership: 1, milestone: 1,
      merge_request: 3, issue: 1, comment: 3, review: 1, label_event: 1, commit: 1, activity: 6, raw_record: 1,
    });
    assert.ok(stats.tables.every((t) => t.method === 'bulk' && t.inserted === t.rows));
    const [mr] = await db.query<{ title: string; labels: string[]; merged_at: Date; reviewer_ids: bigint[] }>(
      'SELECT title, labels, merged_at, reviewer_ids FROM merge_requests WHERE number = 1',
    );
    assert.equal(mr?.title, 'Add "quotes" and émoji 🎉');
    assert.deepEqual(mr?.labels, ['Community contribution', 'type::feature', 'with,comma', 'with"quote']);
    assert.equal(mr?.merged_at.toISOString(), '2023-05-03T11:59:00.123Z');
    assert.equal(typeof mr?.reviewer_ids[0], 'bigint');
    const [bob] = await db.query<{ name: string }>(`SELECT name FROM people WHERE key = 'bob'`);
    assert.equal(bob?.name, 'Bob Tab\tNewline\\n');
  });

  test('importing the same file again changes nothing', async () => {
    const before = await snapshot(db);
    const stats = await importNdjsonFile(db, fixture);
    assert.ok(stats.tables.every((t) => t.method === 'merge' && t.inserted === 0 && t.updated === 0 && t.unchanged === t.rows));
    assert.deepEqual(await snapshot(db), before);
  });

  test('a changed record is updated, a new one inserted, the rest left alone', async () => {
    const changed = fixtureText
      .replace('"title":"Typo"', '"title":"Fix a typo"')
      .concat('{"type":"merge_request","project":"gitlab:acme/app","number":4,"title":"New","state":"opened","author":"alice"}\n');
    const stats = await importNdjson(db, fromText(changed));
    const mergeRequests = stats.tables.find((t) => t.table === 'merge_requests');
    assert.deepEqual({ ...mergeRequests }, { table: 'merge_requests', rows: 4, inserted: 1, updated: 1, unchanged: 2, method: 'merge' });
    const titles = await db.query<{ number: number; title: string }>('SELECT number, title FROM merge_requests ORDER BY number');
    assert.deepEqual(titles.map((t) => t.title), ['Add "quotes" and émoji 🎉', 'Bump deps', 'Fix a typo', 'New']);
  });

  test('an export imports into an empty database as the same data, and exports identically again', async () => {
    const first = await exportAll(db);
    const copy = await openTestDatabase();
    try {
      await importNdjson(copy, fromText(first));
      assert.deepEqual(await snapshot(copy), await snapshot(db));
      assert.equal(await exportAll(copy), first);
    } finally {
      await copy.close();
    }
  });

  test('export names references by natural key and adds MR authors from commits', async () => {
    const lines = (await exportAll(db, ['merge_request'])).trim().split('\n').map((l) => JSON.parse(l));
    const first = lines.find((l) => l.number === 1);
    assert.equal(first.project, 'gitlab:acme/app');
    assert.deepEqual(first.author, { key: 'bob', name: 'Bob Tab\tNewline\\n' });
    assert.deepEqual(first.merged_by, { key: 'alice', name: 'Alice Ng', email: 'Alice@Example.org' });
    assert.deepEqual(first.authors, [{ name: 'Bob', email: 'bob@umbrella.example' }]);
    assert.equal(first.commit_count, 1);
    assert.equal(first.milestone, '16.0');
    const docs = lines.find((l) => l.number === 3);
    assert.equal(docs.milestone_scope, 'acme/app');
  });

  test('a line just under the 16 MiB limit is accepted', async () => {
    const name = 'y'.repeat(15 * 1024 * 1024);
    await importNdjson(db, fromText(`{"type":"person","key":"long-name","name":"${name}"}\n`));
    const [row] = await db.query<{ length: number }>(`SELECT length(name) AS length FROM people WHERE key = 'long-name'`);
    assert.equal(row?.length, name.length);
    await db.query(`DELETE FROM people WHERE key = 'long-name'`);
  });

  test('an unknown type for export is refused by name', async () => {
    await assert.rejects(exportAll(db, ['pull_request']), /unknown record type "pull_request"/);
  });
});

describe(`malformed NDJSON is refused with line and field, and nothing is written (${engineName})`, () => {
  let db: Database;
  let baseline: Record<string, string>;
  before(async () => {
    db = await openTestDatabase();
    await importNdjsonFile(db, fixture);
    baseline = await snapshot(db);
  });
  after(async () => {
    await db.close();
  });

  const good = (n: number) =>
    `{"type":"activity","kind":"chat_message","person":"alice","occurred_at":"2024-01-01T00:00:00Z","object":{"type":"message","key":"m${n}"}}`;
  /** Many good lines around the bad one, so the failure comes after rows have already been copied. */
  const around = (bad: string, before = 20_000) => `${Array.from({ length: before }, (_, i) => good(i)).join('\n')}\n${bad}\n${good(-1)}\n`;

  const cases: { name: string; bad: string; line?: number; field?: string; message: RegExp }[] = [
    { name: 'bad JSON', bad: '{"type":"person","key":"x",', message: /not valid JSON/ },
    { name: 'a JSON value that is not an object', bad: '[1,2]', message: /must be a JSON object/ },
    { name: 'unknown type', bad: '{"type":"pull_request","number":1}', field: 'type', message: /unknown record type "pull_request"/ },
    { name: 'missing type', bad: '{"key":"x"}', field: 'type', message: /is required/ },
    {
      name: 'bad date',
      bad: '{"type":"activity","kind":"chat_message","person":"alice","occurred_at":"2024-02-30T00:00:00Z"}',
      field: 'occurred_at',
      message: /ISO 8601/,
    },
    {
      name: 'date without time zone',
      bad: '{"type":"activity","kind":"chat_message","person":"alice","occurred_at":"2024-02-03T00:00:00"}',
      field: 'occurred_at',
      message: /time zone/,
    },
    {
      name: 'missing field',
      bad: '{"type":"merge_request","project":"gitlab:acme/app","number":9,"state":"opened"}',
      field: 'title',
      message: /is required/,
    },
    {
      name: 'unknown field',
      bad: '{"type":"person","key":"carol","nmae":"Carol"}',
      field: 'nmae',
      message: /not a field/,
    },
    {
      name: 'wrong enum value',
      bad: '{"type":"merge_request","project":"gitlab:acme/app","number":9,"title":"x","state":"done"}',
      field: 'state',
      message: /opened/,
    },
    {
      name: 'nested field',
      bad: '{"type":"comment","project":"gitlab:acme/app","target":{"type":"commit","sha":"xyz"},"external_id":"n9","created_at":"2024-01-01T00:00:00Z"}',
      field: 'target.sha',
      message: /hex/,
    },
    {
      name: 'reference to a person who exists nowhere',
      bad: '{"type":"merge_request","project":"gitlab:acme/app","number":9,"title":"x","state":"opened","author":"nobody"}',
      field: 'author',
      message: /person "nobody", which is neither in the file nor in the database/,
    },
    {
      name: 'reference to an unknown project',
      bad: '{"type":"issue","project":"gitlab:acme/nope","number":9,"title":"x","state":"opened"}',
      field: 'project',
      message: /project "gitlab:acme\/nope"/,
    },
  ];

  for (const { name, bad, field, message } of cases) {
    test(name, async () => {
      const error = await importNdjson(db, fromText(around(bad))).then(
        () => assert.fail('the import should have failed'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ImportError, String(error));
      assert.equal(error.line, 20_001, error.message);
      if (field) assert.equal(error.field, field, error.message);
      assert.match(error.message, message);
      assert.match(error.message, /^line 20001/);
      assert.deepEqual(await snapshot(db), baseline);
    });
  }

  test('a 50 MB line', async () => {
    const huge = `{"type":"person","key":"big","name":"${'x'.repeat(50 * 1024 * 1024)}"}`;
    const error = await importNdjson(db, Readable.from([around('', 100), huge, '\n'].map((s) => Buffer.from(s)))).then(
      () => assert.fail('the import should have failed'),
      (e: unknown) => e as ImportError,
    );
    assert.ok(error instanceof ImportError);
    assert.equal(error.line, 103);
    assert.match(error.message, /line 103: longer than the limit of 16777216 bytes/);
    assert.deepEqual(await snapshot(db), baseline);
  });

  test('invalid UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from(around('', 10)), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a])]);
    await assert.rejects(importNdjson(db, Readable.from([bytes])), /UTF-8/);
    assert.deepEqual(await snapshot(db), baseline);
  });

  test('the same record twice in one file names both lines (file input)', async () => {
    const path = join(scratch, 'duplicate.ndjson');
    writeFileSync(path, `${fixtureText}${fixtureText.split('\n')[16]}\n`);
    const fresh = await openTestDatabase();
    try {
      await assert.rejects(importNdjsonFile(fresh, path), /^ImportError: line 33: the same merge_request record appears twice \(also on line 17\)/);
      assert.equal((await fresh.query('SELECT 1 FROM merge_requests')).length, 0);
    } finally {
      await fresh.close();
    }
    // Into a database that already has rows (merged through a staging table).
    await assert.rejects(importNdjsonFile(db, path), /line 33: the same merge_request record appears twice/);
    assert.deepEqual(await snapshot(db), baseline);
  });

  test('the same record twice from standard input is still refused', async () => {
    const text = `${fixtureText}${fixtureText.split('\n')[16]}\n`;
    await assert.rejects(importNdjson(db, fromText(text)), /the same merge_request record \(id \d+\) appears more than once/);
    assert.deepEqual(await snapshot(db), baseline);
  });

  test('an empty input imports nothing and succeeds', async () => {
    const stats = await importNdjson(db, fromText('\n\n'));
    assert.equal(stats.tables.length, 0);
    assert.deepEqual(await snapshot(db), baseline);
  });
});
