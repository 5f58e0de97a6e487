import { type ComponentProps, lazy, Suspense } from 'react';

// ECharts is most of the app's weight: it is loaded in a chunk of its own, by the pages that draw a chart
// and only when they do, so signing in and the lists never fetch it.
const Chart = lazy(() => import('./chart.tsx').then((module) => ({ default: module.SeriesChart })));

export type SeriesChartProps = ComponentProps<typeof Chart>;

export function SeriesChart(props: SeriesChartProps) {
  return (
    <Suspense fallback={<div className="chart" style={{ height: props.height ?? 280 }} role="img" aria-label={props.label} aria-busy="true" />}>
      <Chart {...props} />
    </Suspense>
  );
}
