import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../../src/db/connection.ts';
import { runTributary } from '../helpers/cli.ts';

test('an embedded data directory serves one process at a time; a lock left by a dead process is taken over', async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tributary-lock-')), 'data');
  const db = await openDatabase({ dataDir });
  try {
    const second = await runTributary(['db', 'info'], { TRIBUTARY_DATA_DIR: dataDir });
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`in use by process ${process.pid}`));
    await assert.rejects(openDatabase({ dataDir }), /already open in this process/);
  } finally {
    await db.close();
  }
  assert.ok(!existsSync(join(dataDir, 'tributary.lock')), 'closing releases the lock');

  // A process that died holding the lock (pid 2^22 + 1 is above Linux's pid_max default).
  writeFileSync(join(dataDir, 'tributary.lock'), `${2 ** 22 + 1}\n`);
  const after = await runTributary(['db', 'info', '--json'], { TRIBUTARY_DATA_DIR: dataDir });
  assert.equal(after.code, 0, after.stderr);
  assert.ok(!existsSync(join(dataDir, 'tributary.lock')));
});
