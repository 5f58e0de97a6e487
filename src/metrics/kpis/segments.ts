import type { Period, Point } from '../kpi.ts';
import { pointsFrom, toNumber } from '../kpi.ts';

/**
 * Shared by the segmentation KPIs: people counted per (period, bucket) become points whose value is the
 * people in any bucket and whose values give every bucket, 0 included, in the order the KPI lists them.
 */
export function bucketPoints(periods: readonly Period[], rows: readonly { key: string; bucket: string; people: unknown }[], buckets: readonly string[]): Point[] {
  const byPeriod = new Map<string, { key: string; counts: Map<string, number> }>();
  for (const row of rows) {
    const entry = byPeriod.get(row.key) ?? { key: row.key, counts: new Map<string, number>() };
    entry.counts.set(row.bucket, (entry.counts.get(row.bucket) ?? 0) + toNumber(row.people));
    byPeriod.set(row.key, entry);
  }
  return pointsFrom(periods, [...byPeriod.values()], (entry) => {
    const values = Object.fromEntries(buckets.map((bucket) => [bucket, entry?.counts.get(bucket) ?? 0]));
    return { value: Object.values(values).reduce((sum, n) => sum + n, 0), values };
  });
}

/** A SQL CASE naming the bucket of `count` from (label, lowest count) pairs, highest first. */
export function bucketCase(count: string, thresholds: readonly (readonly [string, number])[]): string {
  return `CASE ${thresholds.map(([label, lowest]) => `WHEN ${count} >= ${lowest} THEN '${label}'`).join(' ')} END`;
}
