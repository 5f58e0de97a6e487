import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { count } from 'drizzle-orm';
import { type Database, toNumber } from '../../src/db/connection.ts';
import { people } from '../../src/db/schema.ts';
import { engineName, openTestDatabase } from '../helpers/database.ts';

let db: Database;
before(async () => {
  db = await openTestDatabase();
});
after(async () => {
  await db.close();
});

test(`result types are the same on every engine (${engineName})`, async () => {
  const [row] = await db.query<Record<string, unknown>>(
    `SELECT count(*) AS n, 9007199254740993::int8 AS big, DATE '2024-02-29' AS day, 12.50::numeric AS money,
            TIMESTAMPTZ '2024-01-01T00:00:00Z' AS at, ARRAY[1, 2]::int8[] AS ids, '{}'::int8[] AS none`,
  );
  assert.equal(row?.n, 1n);
  assert.equal(row?.big, 9007199254740993n);
  assert.equal(row?.day, '2024-02-29');
  assert.equal(row?.money, '12.50');
  assert.ok(row?.at instanceof Date);
  assert.deepEqual(row?.ids, [1n, 2n]);
  assert.deepEqual(row?.none, []);
  assert.equal(toNumber(row?.n), 1);
});

test('drizzle queries share the same types', async () => {
  const [row] = await db.orm.select({ n: count() }).from(people);
  assert.equal(toNumber(row?.n), 0);
});

test('COPY loads rows, escapes included, and a transaction that fails leaves nothing', async () => {
  const copied = await db.copyFrom('people', ['id', 'key', 'name'], ['1\talice\tA\\tB\n', '2\tbob\t\\N\n']);
  assert.equal(copied, 2);
  const rows = await db.query<{ key: string; name: string | null }>('SELECT key, name FROM people ORDER BY id');
  assert.deepEqual(rows, [
    { key: 'alice', name: 'A\tB' },
    { key: 'bob', name: null },
  ]);
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.copyFrom('people', ['id', 'key'], ['3\tcarol\n']);
      await tx.query('SELECT 1/0');
    }),
    /division by zero/,
  );
  assert.equal((await db.query('SELECT 1 FROM people')).length, 2);
});
