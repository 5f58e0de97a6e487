import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabasePlace, engineName } from '../helpers/database.ts';

const bin = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url));

/** Runs `tributary worker`; once it says it runs, sends SIGTERM at once and gives how it ended and what it printed. */
function runAndStop(env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const { DATABASE_URL: _ignored, TRIBUTARY_DATA_DIR: _alsoIgnored, ...inherited } = process.env;
  const child = spawn(process.execPath, [bin, 'worker'], { env: { ...inherited, ...env, LOG_LEVEL: 'warn' } });
  let output = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.stdout.on('data', (chunk) => {
    output += chunk;
    if (/worker running/.test(output)) child.kill('SIGTERM');
  });
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    }),
  );
}

describe(`tributary worker, the worker alone (${engineName})`, () => {
  let place: Awaited<ReturnType<typeof createTestDatabasePlace>>;
  before(async () => {
    place = await createTestDatabasePlace();
  });
  after(() => place.remove());

  test('runs on PostgreSQL and stops cleanly on SIGTERM sent the moment it says it runs; refuses the embedded database', async () => {
    const ended = await runAndStop(place.env);
    if (engineName === 'PGlite') {
      assert.notEqual(ended.code, 0);
      assert.match(ended.output, /tributary worker needs PostgreSQL \(DATABASE_URL or --database-url\)/);
      return;
    }
    assert.deepEqual({ code: ended.code, signal: ended.signal }, { code: 0, signal: null }, ended.output);
    assert.match(ended.output, /Tributary worker running/);
  });
});
