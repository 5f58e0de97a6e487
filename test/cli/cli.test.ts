import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Run, runTributary } from '../helpers/cli.ts';
import { createTestDatabasePlace, engineName } from '../helpers/database.ts';

const fixture = fileURLToPath(new URL('../fixtures/every-kind.ndjson', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'tributary-cli-'));


describe(`the tributary command (${engineName})`, () => {
  let place: Awaited<ReturnType<typeof createTestDatabasePlace>>;
  before(async () => {
    place = await createTestDatabasePlace();
  });
  after(async () => {
    await place.remove();
  });

  function tributary(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
    return runTributary(args, place.env, options);
  }

  test('start loads the demo community into an empty database once, then only reports', async () => {
    const demo = await createTestDatabasePlace();
    try {
      const first = await tributary(['start'], { env: demo.env });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /Loaded a demo community \(seed "demo"\)/);
      assert.match(first.stdout, /merge_requests\s+20,000\n/);
      assert.match(first.stdout, /activities\s+200,000\n/);
      const again = await tributary(['start', '--json'], { env: demo.env });
      const summary = JSON.parse(again.stdout);
      assert.equal(summary.demoLoaded, false);
      assert.equal(summary.counts.find((c: { table: string }) => c.table === 'merge_requests').rows, 20_000);
    } finally {
      await demo.remove();
    }
  });

  test('--help on the program and on every command exits 0', async () => {
    const top = await tributary(['--help']);
    assert.equal(top.code, 0);
    for (const command of ['start', 'import', 'export', 'generate', 'db']) assert.match(top.stdout, new RegExp(`\\n  ${command}`));
    for (const command of [['start'], ['import'], ['export'], ['generate'], ['db', 'info']]) {
      const run = await tributary([...command, '--help']);
      assert.equal(run.code, 0, command.join(' '));
      assert.match(run.stdout, /^Usage: tributary /);
    }
  });

  test('usage errors exit 2 and say what was wrong', async () => {
    const unknown = await tributary(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const missing = await tributary(['import']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'file'/);
    const badType = await tributary(['export', '--type', 'pull_request']);
    assert.equal(badType.code, 2);
    assert.match(badType.stderr, /Allowed choices are project, organisation/);
    const badCount = await tributary(['generate', '--merge-requests', 'many']);
    assert.equal(badCount.code, 2);
    assert.match(badCount.stderr, /expected a whole number, got "many"/);
    const noFile = await tributary(['import', join(scratch, 'nope.ndjson')]);
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /cannot read .*nope\.ndjson: no such file/);
  });

  test('import from a file prints a summary; --json prints the same as JSON; no colour codes with NO_COLOR', async () => {
    const run = await tributary(['import', fixture]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Imported 32 lines/);
    assert.match(run.stdout, /merge_requests\s+3\s+3\s+0\s+0/);
    assert.ok(!(run.stdout + run.stderr).includes('\u001b['), 'no ANSI escape codes');
    const again = await tributary(['import', fixture, '--json']);
    assert.equal(again.code, 0);
    const stats = JSON.parse(again.stdout);
    assert.equal(stats.lines, 32);
    assert.ok(stats.tables.every((t: { inserted: number; updated: number }) => t.inserted === 0 && t.updated === 0));
  });

  test('import from standard input; a bad line exits 1 naming line and field, and writes nothing', async () => {
    const good = '{"type":"person","key":"stdin-person"}\n';
    const bad = '{"type":"person","key":"another","bot":"yes"}\n';
    const run = await tributary(['import', '-'], { stdin: good + bad });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /import failed, nothing was written: line 2, field "bot": /);
    const info = JSON.parse((await tributary(['db', 'info', '--json'])).stdout);
    assert.equal(info.counts.find((c: { table: string }) => c.table === 'people').rows, 4);
    const ok = await tributary(['import', '-', '--json'], { stdin: good });
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('export writes NDJSON to stdout or a file; --type limits it', async () => {
    const all = await tributary(['export']);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(lines.length, 33);
    assert.equal(lines[0].type, 'project');
    const output = join(scratch, 'mrs.ndjson');
    const mrs = await tributary(['export', '--type', 'merge_request', 'person', '-o', output]);
    assert.equal(mrs.code, 0, mrs.stderr);
    const types = readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line).type);
    assert.deepEqual([...new Set(types)], ['person', 'merge_request']);
  });

  test('a bad DATABASE_URL is a clear failure', async () => {
    const run = await tributary(['db', 'info'], { env: { DATABASE_URL: 'mysql://localhost/x' } });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /DATABASE_URL must start with postgres:\/\//);
  });

  test('generate is deterministic for a seed', async () => {
    const one = await tributary(['generate', '--seed', 'cli', '--merge-requests', '50', '--activities', '400']);
    const two = await tributary(['generate', '--seed', 'cli', '--merge-requests', '50', '--activities', '400']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, two.stdout);
    const types = one.stdout.trim().split('\n').map((line) => JSON.parse(line).type);
    assert.equal(types.filter((t) => t === 'merge_request').length, 50);
    assert.equal(types.filter((t) => t === 'activity').length, 400);
    writeFileSync(join(scratch, 'generated.ndjson'), one.stdout);
  });
});
