// One timed import in a process of its own; prints its result as JSON for bench/import.ts.
import { databaseConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/connection.ts';
import { importNdjsonFile } from '../src/interchange/import.ts';

const file = process.argv[2] as string;
const db = await openDatabase(databaseConfig());
const started = performance.now();
const stats = await importNdjsonFile(db, file);
const seconds = (performance.now() - started) / 1000;
await db.close();
const rows = stats.tables.reduce((sum, table) => sum + table.rows, 0);
process.stdout.write(
  JSON.stringify({ seconds, rows, peakRssMiB: process.resourceUsage().maxRSS / 1024, tables: stats.tables.map(({ table, rows }) => ({ table, rows })) }),
);
