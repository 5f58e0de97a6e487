import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCommunity } from '../src/generator/community.ts';

export const benchCacheDir = join(tmpdir(), 'tributary-bench');

/**
 * The generated community for a benchmark, as an NDJSON file kept between runs (same seed and sizes,
 * same bytes). Generation is never part of what a benchmark times.
 */
export async function communityFile(seed: string, mergeRequests: number, activities: number): Promise<string> {
  mkdirSync(benchCacheDir, { recursive: true });
  const file = join(benchCacheDir, `community-${seed}-${mergeRequests}-${activities}.ndjson`);
  if (existsSync(file)) return file;
  const started = performance.now();
  process.stdout.write(`generating ${file} … `);
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const { lines } = await writeCommunity({ seed, mergeRequests, activities }, out);
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  renameSync(partial, file);
  process.stdout.write(`${lines.toLocaleString('en-US')} lines in ${((performance.now() - started) / 1000).toFixed(1)} s (not timed)\n`);
  return file;
}
