import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idOf, idText } from '../../src/db/ids.ts';

/** The same hash with BigInt arithmetic: what idText computes without it. */
function reference(table: string, ...parts: (string | number)[]): bigint {
  const text = [table, ...parts].join('\u0001');
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const id = (BigInt(h2 & 0x7fffffff) << 32n) | BigInt(h1 >>> 0);
  return id === 0n ? 1n : id;
}

test('idText spells the 63-bit hash exactly, for many keys', () => {
  for (let i = 0; i < 200_000; i++) {
    const parts = [`gitlab:group-${i % 97}/project`, i, `é${i}🎉`];
    assert.equal(idText('merge_request', ...parts), reference('merge_request', ...parts).toString());
  }
});

test('ids are positive, fit a bigint column, and differ by table and by key', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100_000; i++) {
    const id = idOf('person', `person-${i}`);
    assert.ok(id > 0n && id < 2n ** 63n);
    seen.add(id.toString());
  }
  assert.equal(seen.size, 100_000);
  assert.notEqual(idText('person', 'alice'), idText('project', 'alice'));
  assert.notEqual(idText('x', 'a', 'bc'), idText('x', 'ab', 'c'));
});
