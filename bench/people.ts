/**
 * Benchmark: identity resolution of 100,000 identities (default) as the sources would write them, one
 * person per identity, on PGlite (file-backed, as users run it) and on PostgreSQL. The people come from
 * the generator (src/generator/community.ts); their identities are seen the way sources see them:
 * a GitLab account (user id, username, public e-mail for most), commit e-mails, for some a GitHub
 * account with a noreply commit address, a forum e-mail, a username first seen alone in a webhook.
 * Then an incremental batch of 1,000 more identities. Loading is not timed.
 *
 *   npm run bench -- people [--identities N] [--engine pglite|postgres|both] [--keep (the PostgreSQL database)]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../src/db/connection.ts';
import { generateCommunity } from '../src/generator/community.ts';
import type { IdentityRecord, PersonRecord } from '../src/interchange/records.ts';
import { IdentityCollector, type IdentitySighting, resolveIdentities, suggestMerges } from '../src/people/index.ts';

const { values } = parseArgs({
  options: {
    identities: { type: 'string', default: '100000' },
    engine: { type: 'string', default: 'both' },
    seed: { type: 'string', default: 'bench' },
    keep: { type: 'boolean', default: false },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
  strict: false,
});
const target = Number(values.identities);

interface Human {
  key: string;
  name: string;
  bot: boolean;
  emails: string[];
}

/** Sightings in three waves: webhooks seen first, the main sync, and a later incremental batch. */
function sightings(): { early: IdentityCollector; main: IdentityCollector; later: IdentityCollector; counts: { main: number; later: number } } {
  const people = new Map<string, Human>();
  for (const record of generateCommunity({ seed: String(values.seed), mergeRequests: 0, activities: 0, people: Math.ceil(target / 3.8) })) {
    if (record.type === 'person') {
      const p = record as PersonRecord;
      if (!p.merged_into) people.set(p.key, { key: p.key, name: p.name ?? p.key, bot: p.bot, emails: [] });
    } else if (record.type === 'identity') {
      const i = record as IdentityRecord;
      const person = people.get(typeof i.person === 'string' ? i.person : i.person.key);
      if (person && i.kind === 'email') person.emails.push(i.value);
    }
  }
  const early = new IdentityCollector();
  const main = new IdentityCollector();
  const later = new IdentityCollector();
  let index = 0;
  let laterTarget = 1_000;
  for (const person of people.values()) {
    const collector = main.size < target ? main : later.size < laterTarget ? later : undefined;
    if (!collector) break;
    index++;
    const name = person.name;
    const username = person.key;
    const account: IdentitySighting = { platform: 'gitlab', kind: 'user_id', value: String(100_000 + index), displayName: name };
    if (index % 7 === 0 && collector === main) early.see({ platform: 'gitlab', kind: 'username', value: username, displayName: name });
    collector.see(account);
    collector.see({ platform: 'gitlab', kind: 'username', value: username, displayName: name }, account);
    const [first, second] = person.emails;
    if (first && index % 10 < 7) collector.see({ platform: 'gitlab', kind: 'email', value: first, displayName: name }, account);
    if (first) collector.see({ platform: 'git', kind: 'email', value: first, displayName: name });
    if (second) collector.see({ platform: 'git', kind: 'email', value: second, displayName: name });
    if (person.bot) collector.see({ platform: 'git', kind: 'email', value: `${username}@noreply.acme.com`, displayName: name });
    if (index % 4 === 0) {
      const githubId = String(5_000_000 + index);
      const login: IdentitySighting = { platform: 'github', kind: 'username', value: username, displayName: name };
      collector.see(login);
      collector.see({ platform: 'github', kind: 'user_id', value: githubId }, login);
      collector.see({ platform: 'git', kind: 'email', value: `${githubId}+${username}@users.noreply.github.com`, displayName: name });
    }
    if (first && index % 10 === 3) collector.see({ platform: 'discourse', kind: 'email', value: first, displayName: name });
    if (collector === later) laterTarget = 1_000;
  }
  return { early, main, later, counts: { main: main.size + early.size, later: later.size } };
}

const started = performance.now();
const { early, main, later, counts } = sightings();
console.log(
  `input: ${counts.main.toLocaleString('en-US')} sightings (the same username seen twice, as a webhook and a sync would), then ${counts.later.toLocaleString('en-US')} more ` +
    `(made in ${((performance.now() - started) / 1000).toFixed(1)} s, not timed)`,
);

const engines = values.engine === 'both' ? ['pglite', 'postgres'] : [String(values.engine)];
for (const engine of engines) {
  let cleanup = async () => {};
  let options: Parameters<typeof openDatabase>[0];
  if (engine === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-people-'));
    options = { dataDir: dir };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const admin = new pg.Client({ connectionString: String(values['database-url']) });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS tributary_bench_people WITH (FORCE)');
    await admin.query('CREATE DATABASE tributary_bench_people');
    await admin.end();
    const url = new URL(String(values['database-url']));
    url.pathname = '/tributary_bench_people';
    options = { databaseUrl: url.toString() };
    cleanup = async () => {
      if (values.keep) return console.log(`kept ${url}`);
      const drop = new pg.Client({ connectionString: String(values['database-url']) });
      await drop.connect();
      await drop.query('DROP DATABASE IF EXISTS tributary_bench_people WITH (FORCE)');
      await drop.end();
    };
  }
  const db = await openDatabase(options);
  try {
    await db.transaction(async (tx) => {
      await early.save(tx);
    });
    await db.transaction(async (tx) => {
      await main.save(tx);
    });
    const full = await resolveIdentities(db);
    await db.transaction(async (tx) => {
      await later.save(tx);
    });
    const incremental = await resolveIdentities(db);
    const suggestStarted = performance.now();
    const suggestions = await suggestMerges(db, { limit: 1000 });
    const suggestSeconds = (performance.now() - suggestStarted) / 1000;
    const [people] = await db.query<{ people: bigint; canonical: bigint }>(
      'SELECT count(*) AS people, count(*) FILTER (WHERE merged_into IS NULL) AS canonical FROM people',
    );
    const verdict = full.seconds < 10 ? 'ok' : 'OVER TARGET';
    console.log(
      `${engine.padEnd(8)} full ${full.seconds.toFixed(2).padStart(6)} s for ${full.identities.toLocaleString('en-US')} identities ` +
        `(${full.merges.toLocaleString('en-US')} merges: ${Object.entries(full.links)
          .map(([rule, n]) => `${rule} ${n}`)
          .join(', ')}; ${full.botsDetected} bots)  (target < 10 s: ${verdict})`,
    );
    console.log(`${''.padEnd(8)} phases: ${Object.entries(full.phases).map(([name, seconds]) => `${name} ${seconds.toFixed(2)}`).join(', ')}`);
    console.log(
      `${''.padEnd(8)} incremental ${incremental.seconds.toFixed(2)} s for ${incremental.identities.toLocaleString('en-US')} identities (${incremental.merges} merges); ` +
        `${Number(people?.people).toLocaleString('en-US')} people → ${Number(people?.canonical).toLocaleString('en-US')} canonical; ` +
        `suggestions ${suggestSeconds.toFixed(2)} s (${suggestions.length} shown)`,
    );
  } finally {
    await db.close();
    await cleanup();
  }
}
