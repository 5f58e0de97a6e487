import { useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, type Kpi, type KpiPoint, type KpiSeries, type Query } from '../api.ts';
import { SeriesChart } from '../lazy-chart.tsx';
import { useSession } from '../session.ts';
import { ErrorNote, formatCell, formatNumber, PageTitle, Status, useLoad } from '../ui.tsx';

/** The KPIs the overview leads with: the wider community's size, its work, newcomers and speed. */
const MAIN_KPIS = ['uwcc', 'community-merged-mrs', 'first-time-contributors', 'returning-contributors', 'community-mr-percentage', 'ocma'];
const PERIODS = [
  { months: 6, label: 'Last 6 months' },
  { months: 12, label: 'Last 12 months' },
  { months: 24, label: 'Last 24 months' },
];

/** Period and project filters live in the address, so a view can be bookmarked, shared and reloaded. */
function useFilters() {
  const [params, setParams] = useSearchParams();
  const months = Number(params.get('months') ?? 12);
  const project = params.get('project') ?? '';
  const query: Query = { from: monthsBack(months), project: project || undefined };
  const set = (name: string, value: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    });
  return { months, project, query, params, set };
}

/** The first month of the last `months` complete months (the API's default `to` is the last complete month). */
function monthsBack(months: number): string {
  const now = new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1));
  return first.toISOString().slice(0, 7);
}

function Filters({ filters, projects }: { filters: ReturnType<typeof useFilters>; projects: string[] }) {
  return (
    <form className="filters" onSubmit={(event) => event.preventDefault()}>
      <label>
        Period
        <select value={filters.months} onChange={(event) => filters.set('months', event.target.value === '12' ? '' : event.target.value)}>
          {PERIODS.map((p) => (
            <option key={p.months} value={p.months}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Project
        <select value={filters.project} onChange={(event) => filters.set('project', event.target.value)}>
          <option value="">All monitored projects</option>
          {projects.map((p) => (
            <option key={p} value={p}>
              {p.replace(/^gitlab:/, '')}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

const lastValue = (points: KpiPoint[]) => [...points].reverse().find((p) => p.value !== null);

function trend(series: KpiSeries, higherIsBetter: boolean | null): { text: string; tone: string } {
  const known = series.points.filter((p) => p.value !== null);
  const last = known.at(-1)?.value;
  const previous = known.at(-2)?.value;
  if (last === undefined || last === null || previous === undefined || previous === null) return { text: 'no earlier value', tone: 'flat' };
  const change = last - previous;
  if (change === 0) return { text: `unchanged since ${known.at(-2)?.period}`, tone: 'flat' };
  const better = higherIsBetter === null ? null : change > 0 === higherIsBetter;
  return {
    text: `${change > 0 ? '▲' : '▼'} ${formatNumber(Math.abs(change))} since ${known.at(-2)?.period}`,
    tone: better === null ? 'flat' : better ? 'good' : 'bad',
  };
}

function KpiCard({ kpi, query }: { kpi: Kpi; query: Query }) {
  const loaded = useLoad(() => api.kpi(kpi.id, query), [kpi.id, JSON.stringify(query)]);
  const series = loaded.data;
  const last = series ? lastValue(series.points) : undefined;
  const change = series ? trend(series, kpi.higherIsBetter) : undefined;
  return (
    <article className="card" aria-labelledby={`kpi-${kpi.id}`}>
      <h2 id={`kpi-${kpi.id}`}>
        <Link to={{ pathname: `/kpis/${kpi.id}`, search: queryOf(query) }}>{kpi.title}</Link>
      </h2>
      {loaded.error && <ErrorNote error={loaded.error} />}
      {series && !series.available && <p className="muted">{series.reason ?? 'Not available for this data.'}</p>}
      {series?.available && (
        <>
          <p className="value" data-kpi={kpi.id}>
            <span className="number">{formatNumber(last?.value)}</span> <span className="unit">{series.unit}</span>
          </p>
          <p className="muted">
            {last ? `in ${last.period}` : 'no value yet'} · <span className={`trend ${change?.tone}`}>{change?.text}</span>
          </p>
        </>
      )}
      {!series && !loaded.error && <p aria-busy="true">Loading…</p>}
    </article>
  );
}

function queryOf(query: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (typeof v === 'string' && v && k !== 'from') params.set(k, v);
  return params.toString() ? `?${params}` : '';
}

export function OverviewPage() {
  const filters = useFilters();
  const catalogue = useLoad(() => api.kpis(), []);
  const trendQuery = filters.query;
  const first = useLoad(() => api.kpi('uwcc', {}), []);
  const community = useLoad(() => Promise.all(['uwcc', 'community-merged-mrs'].map((id) => api.kpi(id, trendQuery))), [JSON.stringify(trendQuery)]);
  const periods = useMemo(() => community.data?.[0]?.points.map((p) => p.period) ?? [], [community.data]);
  const chartSeries = useMemo(() => (community.data ?? []).map((s) => ({ name: s.title, values: s.points.map((p) => p.value) })), [community.data]);
  return (
    <>
      <PageTitle>Overview</PageTitle>
      <Filters filters={filters} projects={first.data?.projects ?? []} />
      <Status loaded={catalogue}>
        {(data) => (
          <>
            <section className="cards" aria-label="Main KPIs">
              {MAIN_KPIS.map((id) => data.items.find((k) => k.id === id))
                .filter((k): k is Kpi => k !== undefined)
                .map((kpi) => (
                  <KpiCard key={kpi.id} kpi={kpi} query={{ ...filters.query, months: filters.months === 12 ? undefined : String(filters.months) }} />
                ))}
            </section>
            <section aria-labelledby="trend-title">
              <h2 id="trend-title">Wider community over time</h2>
              <SeriesChart periods={periods} series={chartSeries} label="Unique wider-community contributors and their merged merge requests by month" />
            </section>
            <section aria-labelledby="all-title">
              <h2 id="all-title">Every KPI</h2>
              <ul className="kpi-list">
                {data.items.map((kpi) => (
                  <li key={kpi.id}>
                    <Link to={`/kpis/${kpi.id}`}>{kpi.title}</Link> <span className="muted">({kpi.unit})</span>
                  </li>
                ))}
              </ul>
            </section>
          </>
        )}
      </Status>
    </>
  );
}

export function KpiDetailPage() {
  const { id = '' } = useParams();
  const filters = useFilters();
  const session = useSession();
  const period = filters.params.get('period') ?? '';
  const loaded = useLoad(() => api.kpi(id, filters.query), [id, JSON.stringify(filters.query)]);
  const catalogue = useLoad(() => api.kpis(), []);
  const kpi = catalogue.data?.items.find((k) => k.id === id);
  const series = loaded.data;
  const periods = useMemo(() => series?.points.map((p) => p.period) ?? [], [series]);
  const chartSeries = useMemo(() => {
    if (!series) return [];
    const keys = [...new Set(series.points.flatMap((p) => Object.keys(p.values ?? {})))];
    if (keys.length > 0) return keys.map((key) => ({ name: key, values: series.points.map((p) => p.values?.[key] ?? null) }));
    return [{ name: series.title, values: series.points.map((p) => p.value) }];
  }, [series]);
  const select = (p: string) => filters.set('period', p);

  return (
    <>
      <p className="crumbs">
        <Link to="/">Overview</Link> ›
      </p>
      <PageTitle>{series?.title ?? kpi?.title ?? id}</PageTitle>
      {kpi && <p className="definition">{kpi.definition}</p>}
      <Filters filters={filters} projects={series?.projects ?? []} />
      <Status loaded={loaded}>
        {(data) =>
          !data.available ? (
            <p className="muted">{data.reason ?? 'Not available for this data.'}</p>
          ) : (
            <>
              <SeriesChart periods={periods} series={chartSeries} label={`${data.title} by ${data.grain}; the table below has the figures`} onSelect={select} />
              <div className="table-wrap">
                <table>
                  <caption>
                    {data.title} ({data.unit}), {data.from} to {data.to}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Period</th>
                      <th scope="col" className="num">
                        Value
                      </th>
                      <th scope="col">
                        <span className="visually-hidden">Rows</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.points.map((p) => (
                      <tr key={p.period} aria-current={p.period === period ? 'true' : undefined}>
                        <th scope="row">{p.period}</th>
                        <td className="num" data-period={p.period}>
                          {formatNumber(p.value)}
                        </td>
                        <td>
                          {session.can('read') && (
                            <button type="button" className="link" onClick={() => select(p.period)} aria-label={`Show the rows behind ${p.period}`}>
                              Rows
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {period && <Explanation id={id} period={period} query={filters.query} />}
            </>
          )
        }
      </Status>
    </>
  );
}

function Explanation({ id, period, query }: { id: string; period: string; query: Query }) {
  const loaded = useLoad(() => api.explain(id, period, query), [id, period, JSON.stringify(query)]);
  return (
    <section aria-labelledby="explain-title" className="explain">
      <h2 id="explain-title">Behind {period}</h2>
      <Status loaded={loaded}>
        {(data) => (
          <>
            <p>{data.summary}</p>
            <div className="table-wrap">
              <table>
                <caption>
                  {data.rows.length} {data.rows.length === 1 ? 'row' : 'rows'}
                </caption>
                <thead>
                  <tr>
                    {data.columns.map((c) => (
                      <th key={c} scope="col">
                        {c.replaceAll('_', ' ')}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {data.rows.map((row, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: rows have no id of their own
                    <tr key={index}>
                      {data.columns.map((c) => (
                        <td key={c}>
                          {(c === 'person' || c === 'author') && typeof row[c] === 'string' ? (
                            <Link to={`/contributors?q=${encodeURIComponent(row[c] as string)}`}>{row[c] as string}</Link>
                          ) : (
                            formatCell(row[c])
                          )}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Status>
    </section>
  );
}
