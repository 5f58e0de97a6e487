/**
 * `npm run bench` runs every benchmark; `npm run bench -- NAME [options]` runs one. Each prints its
 * numbers and its targets; none is a test (timings belong here, never in the test suite).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const available = readdirSync(new URL('.', import.meta.url))
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts' && !file.includes('-child') && file !== 'community-file.ts')
  .map((file) => file.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (name && !available.includes(name)) {
  console.error(`unknown benchmark ${JSON.stringify(name)}; available: ${available.join(', ')}`);
  process.exit(2);
}
for (const bench of name ? [name] : available) {
  console.log(`\n== ${bench} ==`);
  const result = spawnSync(process.execPath, [new URL(`./${bench}.ts`, import.meta.url).pathname, ...rest], { stdio: 'inherit' });
  if (result.status !== 0) process.exitCode = 1;
}
