import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

// Only the parts we draw, so the bundle carries a fraction of ECharts.
echarts.use([LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, SVGRenderer]);

export interface ChartSeries {
  name: string;
  values: (number | null)[];
}

/** A time series: one line per series over the periods; `onSelect` gets the period clicked. */
export function SeriesChart({ periods, series, label, onSelect, height = 280 }: { periods: string[]; series: ChartSeries[]; label: string; onSelect?: (period: string) => void; height?: number }) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const select = useRef(onSelect);
  select.current = onSelect;

  useEffect(() => {
    if (!element.current) return;
    const instance = echarts.init(element.current, undefined, { renderer: 'svg' });
    chart.current = instance;
    instance.on('click', (event) => {
      if (typeof event.name === 'string') select.current?.(event.name);
    });
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(element.current);
    return () => {
      resize.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(
      {
        animation: false,
        grid: { left: 48, right: 16, top: series.length > 1 ? 40 : 16, bottom: 32 },
        tooltip: { trigger: 'axis' },
        legend: series.length > 1 ? { type: 'scroll', top: 0 } : { show: false },
        xAxis: { type: 'category', data: periods },
        yAxis: { type: 'value' },
        series: series.map((s) => ({ name: s.name, type: 'line', data: s.values, connectNulls: false, symbolSize: 8 })),
      },
      true,
    );
  }, [periods, series]);

  // The chart is a picture for sighted readers; the table next to it carries the same figures for everyone.
  return <div ref={element} className="chart" style={{ height }} role="img" aria-label={label} />;
}
