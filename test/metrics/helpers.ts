import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { Database } from '../../src/db/connection.ts';
import { importNdjson } from '../../src/interchange/import.ts';
import { KPIS } from '../../src/metrics/catalogue.ts';
import { readClassificationRules, refreshRollups, unrolledRelations } from '../../src/metrics/rollups.ts';
import { type FiltersInput, type KpiResult, runKpi } from '../../src/metrics/run.ts';

/** Loads NDJSON records (objects) in one import. */
export async function load(db: Database, records: readonly Record<string, unknown>[]) {
  await importNdjson(db, Readable.from(records.map((r) => `${JSON.stringify(r)}\n`)));
}

/** The value of each period, e.g. { '2024-05': 3 }. */
export function values(result: KpiResult): Record<string, number | null> {
  assert.ok(result.available, `${result.kpi} is unavailable: ${result.reason}`);
  return Object.fromEntries(result.points.map((p) => [p.period, p.value]));
}

/** Runs a KPI on the rollups (refreshing them first) and on the raw tables, asserts both agree, and returns the result. */
export async function kpi(db: Database, id: string, filters: FiltersInput = {}): Promise<KpiResult> {
  await refreshRollups(db);
  const rolled = await runKpi(db, id, filters);
  const unrolled = await runKpi(db, id, filters, { relations: unrolledRelations(await readClassificationRules(db)) });
  assert.deepEqual(rolled, unrolled, `${id}: the rollups and the raw tables disagree`);
  return rolled;
}

/** Every KPI in the catalogue, both ways, over the given filters: rollups and raw tables agree. */
export async function assertEveryKpiAgrees(db: Database, filters: FiltersInput) {
  const rules = await readClassificationRules(db);
  const relations = unrolledRelations(rules);
  for (const definition of KPIS) {
    const grain = definition.grains.includes(filters.grain ?? 'month') ? filters.grain : definition.defaultGrain;
    const population = filters.population && definition.populations.includes(filters.population) ? filters.population : undefined;
    const asked = { ...filters, grain, population };
    const rolled = await runKpi(db, definition.id, asked);
    const unrolled = await runKpi(db, definition.id, asked, { relations });
    assert.deepEqual(rolled, unrolled, `${definition.id}: the rollups and the raw tables disagree`);
  }
}
