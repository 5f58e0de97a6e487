/**
 * One step of bench/git.ts, in a process of its own so its peak RSS is its own, as a user runs them:
 *   add   opens the database (creating it) and adds the source
 *   sync  syncs; with --append N first adds N MRs of four commits each to the repository
 */
import { openDatabase } from '../src/db/connection.ts';
import { appendMergeRequests } from '../src/sources/git/testing/history.ts';
import { addSource, syncSources } from '../src/sources/registry.ts';

const [step, dir, cacheDir, append, firstNumber] = process.argv.slice(2) as [string, string, string, string?, string?];
const context = { cacheDir, warn: (message: string) => console.error(message) };
if (append) appendMergeRequests(dir, Number(append), Number(firstNumber));
const openedAt = performance.now();
const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: process.env.TRIBUTARY_DATA_DIR });
const started = performance.now();
let stats: unknown = null;
if (step === 'add') {
  await addSource(db, 'git', { location: dir, projectPath: 'acme/widget' }, context);
} else {
  const [outcome] = await syncSources(db, undefined, context);
  if (!outcome?.ok) throw new Error(outcome?.error);
  stats = outcome.result?.stats;
}
const seconds = (performance.now() - started) / 1000;
await db.close();
console.log(JSON.stringify({ openSeconds: (started - openedAt) / 1000, seconds, stats, peakRss: process.resourceUsage().maxRSS * 1024 }));
