import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type AppEnv, canSeeEmails, defineRoute, jsonContent, maskEmailsDeep, newRouter, PROBLEM_TYPE, ProblemError, problemSchema } from '../server/http.ts';
import { KPIS } from './catalogue.ts';
import { GRAINS, POPULATIONS, type Point } from './kpi.ts';
import { explainKpi, type FiltersInput, findKpi, runKpi } from './run.ts';

/**
 * The KPIs over HTTP, with the filters of `tributary kpi show`. Series are aggregates and public;
 * explanations name people and need the read permission. Both read the rollups: refreshing them is the
 * background worker's job (and sync's and import's), never a request's.
 */

const kpiSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    definition: z.string(),
    source: z.object({ name: z.string(), url: z.string().optional(), choices: z.string().optional() }),
    unit: z.string(),
    grains: z.array(z.enum(GRAINS)),
    defaultGrain: z.enum(GRAINS),
    populations: z.array(z.enum(POPULATIONS)),
    needs: z.array(z.string()),
    target: z.string().nullable(),
    higherIsBetter: z.boolean().nullable(),
  })
  .openapi('Kpi');

const pointSchema = z
  .object({
    period: z.string(),
    start: z.string(),
    end: z.string(),
    value: z.number().nullable(),
    values: z.record(z.string(), z.number().nullable()).optional(),
    basis: z.number().optional(),
  })
  .openapi('KpiPoint');

const seriesSchema = z
  .object({
    kpi: z.string(),
    title: z.string(),
    unit: z.string(),
    grain: z.enum(GRAINS),
    population: z.string(),
    from: z.string(),
    to: z.string(),
    projects: z.array(z.string()),
    organisation: z.string().nullable(),
    available: z.boolean(),
    reason: z.string().optional(),
    points: z.array(pointSchema),
  })
  .openapi('KpiSeries');

const explanationSchema = z
  .object({
    kpi: z.string(),
    period: z.object({ key: z.string(), start: z.string(), end: z.string() }),
    value: pointSchema.nullable(),
    summary: z.string(),
    columns: z.array(z.string()),
    rows: z.array(z.record(z.string(), z.unknown())),
  })
  .openapi('KpiExplanation');

const filtersQuery = z.object({
  from: z.string().optional().openapi({ description: 'First period: YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD (default: twelve months before `to`)' }),
  to: z.string().optional().openapi({ description: 'Last period, inclusive (default: the last complete month)' }),
  grain: z.enum(GRAINS).optional(),
  project: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .openapi({ description: 'Only these projects ("gitlab:group/project" or "group/project"); repeat for several. Default: the monitored ones' }),
  organisation: z.string().optional().openapi({ description: 'Only people of this organisation (and its child organisations) at the time' }),
  population: z.enum(POPULATIONS).optional(),
  parameters: z.string().optional().openapi({ description: 'KPI parameters as a JSON object, e.g. {"days":7}' }),
});

const kpiIdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'The KPI id (see GET /kpis)' }) });
const notFound = { description: 'No such KPI', content: { [PROBLEM_TYPE]: { schema: problemSchema } } };

const list = defineRoute('public', {
  method: 'get',
  path: '/kpis',
  tags: ['kpis'],
  summary: 'The KPI catalogue',
  responses: { 200: jsonContent(z.object({ items: z.array(kpiSchema) }), 'Every KPI') },
});

const series = defineRoute('public', {
  method: 'get',
  path: '/kpis/{id}',
  tags: ['kpis'],
  summary: 'A KPI’s values over a range of periods (the filters of `tributary kpi show`)',
  request: { params: kpiIdParam, query: filtersQuery },
  responses: { 200: jsonContent(seriesSchema, 'The series, or why the data cannot support it (`available: false`)'), 404: notFound },
});

const explain = defineRoute('read', {
  method: 'get',
  path: '/kpis/{id}/explain/{period}',
  tags: ['kpis'],
  summary: 'The rows behind one value: the people, merge requests or organisations counted',
  request: {
    params: kpiIdParam.extend({
      period: z.string().min(1).openapi({ param: { name: 'period', in: 'path' }, description: 'As the series names it: 2024-05, 2024-Q2, 2024, 2024-05-13 or a release title' }),
    }),
    query: filtersQuery,
  },
  responses: { 200: jsonContent(explanationSchema, 'The value and its rows'), 404: notFound },
});

function filtersOf(query: z.infer<typeof filtersQuery>): FiltersInput {
  let parameters: Record<string, unknown> | undefined;
  if (query.parameters !== undefined) {
    try {
      parameters = JSON.parse(query.parameters);
    } catch {}
    if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) {
      throw new ProblemError(400, 'parameters: must be a JSON object', { errors: [{ field: 'parameters', in: 'query', message: 'must be a JSON object' }] });
    }
  }
  return {
    from: query.from,
    to: query.to,
    grain: query.grain,
    projects: query.project === undefined ? undefined : [query.project].flat(),
    organisation: query.organisation,
    population: query.population,
    parameters,
  };
}

function known(id: string) {
  if (!KPIS.some((k) => k.id === id)) throw new ProblemError(404, `no KPI "${id}"; GET /api/v1/kpis lists them`);
  return findKpi(id);
}

/** Explanation rows hold whatever SQL returned: bigints and dates become JSON. */
function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  return value;
}

const privacy = <T>(c: Context<AppEnv>, body: T): T => (canSeeEmails(c) ? body : maskEmailsDeep(body));

export function kpiRoutes() {
  return newRouter()
    .openapi(list, (c) =>
      c.json(
        {
          items: KPIS.map((k) => ({
            id: k.id,
            title: k.title,
            definition: k.definition,
            source: k.source,
            unit: k.unit,
            grains: [...k.grains],
            defaultGrain: k.defaultGrain,
            populations: [...k.populations],
            needs: [...k.needs],
            target: k.target ?? null,
            higherIsBetter: k.higherIsBetter ?? null,
          })),
        },
        200,
      ),
    )
    .openapi(series, async (c) => {
      const { id } = c.req.valid('param');
      known(id);
      const result = await runKpi(c.get('db'), id, filtersOf(c.req.valid('query')));
      return c.json(privacy(c, result), 200);
    })
    .openapi(explain, async (c) => {
      const { id, period } = c.req.valid('param');
      known(id);
      const explained = await explainKpi(c.get('db'), id, period, filtersOf(c.req.valid('query')));
      const body = {
        kpi: explained.kpi,
        period: { key: explained.period.key, start: explained.period.start, end: explained.period.end },
        value: (explained.value ?? null) as Point | null,
        summary: explained.summary,
        columns: explained.columns,
        rows: explained.rows.map((row) => jsonValue(row) as Record<string, unknown>),
      };
      return c.json(privacy(c, body), 200);
    });
}
