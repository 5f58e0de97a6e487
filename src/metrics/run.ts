import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { Session } from '../db/connection.ts';
import { toNumber } from '../db/connection.ts';
import { addDays, addMonths, isDay } from '../db/time.ts';
import { KPIS } from './catalogue.ts';
import {
  type AnyKpi,
  type Explanation,
  GRAINS,
  type Grain,
  type KpiContext,
  type Need,
  type Period,
  POPULATIONS,
  type Point,
  type ResolvedFilters,
} from './kpi.ts';
import { type Relations, ROLLED_UP } from './rollups.ts';

/** A KPI error the user can act on: unknown KPI, bad period, unknown project… The message names the field. */
export class KpiError extends Error {
  override name = 'KpiError';
}

const periodText = z
  .string()
  .regex(/^\d{4}(-\d{2}(-\d{2})?|-Q[1-4])?$/, 'must be YYYY, YYYY-MM, YYYY-MM-DD or YYYY-Qn')
  .refine((value) => !/^\d{4}-\d{2}/.test(value) || isDay(value.length === 7 ? `${value}-01` : value), 'is not a calendar date');

export const filtersSchema = z.strictObject({
  /** Inclusive: a month means from its first day; YYYY-MM-DD from that day. */
  from: periodText.optional(),
  /** Inclusive: a month means up to its last day. */
  to: periodText.optional(),
  grain: z.enum(GRAINS).optional(),
  /** Projects as "platform:path" or "path"; the monitored projects when absent. */
  projects: z.array(z.string().min(1)).optional(),
  /** An organisation's name: its people and its child organisations' people. */
  organisation: z.string().min(1).optional(),
  population: z.enum(POPULATIONS).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type FiltersInput = z.input<typeof filtersSchema>;

export interface KpiResult {
  kpi: string;
  title: string;
  unit: string;
  grain: Grain;
  population: string;
  from: string;
  to: string;
  projects: string[];
  organisation: string | null;
  /** False when the data cannot support a value; `reason` says why. Points are then empty. */
  available: boolean;
  reason?: string;
  points: Point[];
}

export function findKpi(id: string): AnyKpi {
  const kpi = KPIS.find((k) => k.id === id);
  if (!kpi) throw new KpiError(`unknown KPI "${id}"; \`tributary kpi list\` lists them: ${KPIS.map((k) => k.id).join(', ')}`);
  return kpi;
}

interface Prepared {
  kpi: AnyKpi;
  context: KpiContext<Record<string, unknown>>;
  projects: string[];
  organisation: string | null;
}

/**
 * Checks a request without the database: the KPI exists, the filters parse, the grain and population
 * suit the KPI, the parameters validate, and the range is sound. The CLI calls it before opening the
 * database, so a typo costs nothing.
 */
export function checkRequest(id: string, input: FiltersInput, today = new Date()) {
  const kpi = findKpi(id);
  const parsed = filtersSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KpiError(`${issue?.path.join('.') || 'filters'}: ${issue?.message}`);
  }
  const filters = parsed.data;
  const grain = filters.grain ?? kpi.defaultGrain;
  if (!kpi.grains.includes(grain)) throw new KpiError(`grain: ${kpi.id} is measured by ${kpi.grains.join(', ')}, not by ${grain}`);
  const population = filters.population ?? kpi.populations[0] ?? 'community';
  if (!kpi.populations.includes(population)) throw new KpiError(`population: ${kpi.id} is defined for ${kpi.populations.join(', ')}, not ${population}`);
  const parameterSchema = kpi.parameters ?? z.strictObject({});
  const parameters = parameterSchema.safeParse(filters.parameters ?? {});
  if (!parameters.success) {
    const issue = parameters.error.issues[0];
    throw new KpiError(`parameter ${issue?.path.join('.') || ''}: ${issue?.message}`);
  }
  const { from, to } = range(filters.from, filters.to, today);
  if (grain === 'day' && (Date.parse(to) - Date.parse(from)) / 86_400_000 > 3700) throw new KpiError('to: a daily series is limited to ten years');
  return { kpi, filters, grain, population, parameters: parameters.data as Record<string, unknown>, from, to };
}

async function prepare(session: Session, id: string, input: FiltersInput, relations: Relations, today: Date): Promise<Prepared> {
  const { kpi, filters, grain, population, parameters, from, to } = checkRequest(id, input, today);
  const project = await resolveProjects(session, filters.projects);
  const organisationIds = filters.organisation ? await resolveOrganisation(session, filters.organisation) : null;
  const periods = grain === 'release' ? await releasePeriods(session, from, to, project.ids) : calendarPeriods(grain, from, to);
  const resolved: ResolvedFilters = { projectIds: project.ids, projectsChosen: Boolean(filters.projects?.length), organisationIds, population, grain, periods, from, to };
  return {
    kpi,
    context: { session, relations, filters: resolved, parameters },
    projects: project.paths,
    organisation: filters.organisation ?? null,
  };
}

/** Runs one KPI over a period range: its series, or why the data cannot support it. */
export async function runKpi(
  session: Session,
  id: string,
  input: FiltersInput = {},
  options: { relations?: Relations; today?: Date } = {},
): Promise<KpiResult> {
  const { kpi, context, projects, organisation } = await prepare(session, id, input, options.relations ?? ROLLED_UP, options.today ?? new Date());
  const f = context.filters;
  const base = {
    kpi: kpi.id,
    title: kpi.title,
    unit: kpi.unit,
    grain: f.grain,
    population: f.population,
    from: f.from,
    to: f.to,
    projects,
    organisation,
  };
  const missing = await missingData(session, context, kpi.needs);
  if (missing) return { ...base, available: false, reason: missing, points: [] };
  return { ...base, available: true, points: await kpi.series(context) };
}

/** One KPI of a runKpis batch: its result, or the error the user can act on (an unknown project…), and how long it took. */
export interface KpiOutcome {
  id: string;
  result?: KpiResult;
  error?: KpiError;
  seconds: number;
}

/**
 * How many KPIs runKpis computes at once: on PostgreSQL, each on a connection of the pool, as many as the
 * machine has cores up to 4 (TRIBUTARY_KPI_CONCURRENCY to choose); on PGlite one, since its single
 * connection would only queue them.
 */
export function kpiConcurrency(session: Session): number {
  const configured = Number(process.env.TRIBUTARY_KPI_CONCURRENCY);
  if (Number.isInteger(configured) && configured > 0) return configured;
  return session.engine === 'postgres' ? Math.min(4, Math.max(2, availableParallelism())) : 1;
}

/**
 * Several KPIs, as a report or a dashboard asks for them: independent queries, run `concurrency` at a
 * time (kpiConcurrency by default). Outcomes come back in the order asked; a KpiError stays with its KPI,
 * any other error ends the batch.
 */
export async function runKpis(
  session: Session,
  requests: readonly { id: string; filters?: FiltersInput }[],
  options: { relations?: Relations; today?: Date; concurrency?: number } = {},
): Promise<KpiOutcome[]> {
  const outcomes: KpiOutcome[] = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      const request = requests[index] as { id: string; filters?: FiltersInput };
      const started = performance.now();
      try {
        const result = await runKpi(session, request.id, request.filters ?? {}, options);
        outcomes[index] = { id: request.id, result, seconds: (performance.now() - started) / 1000 };
      } catch (error) {
        if (!(error instanceof KpiError)) {
          // The other workers finish the KPI they are on and take no more.
          next = requests.length;
          throw error;
        }
        outcomes[index] = { id: request.id, error, seconds: (performance.now() - started) / 1000 };
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? kpiConcurrency(session), requests.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return outcomes;
}

/** The rows behind one value: `period` is a key as the series prints it (2024-05, 2024-Q2, a release title…). */
export async function explainKpi(
  session: Session,
  id: string,
  period: string,
  input: FiltersInput = {},
  options: { relations?: Relations; today?: Date } = {},
): Promise<Explanation & { kpi: string; period: Period; value: Point | undefined }> {
  const kpi = findKpi(id);
  // A YYYY-MM-DD key is a week for a KPI measured by weeks but not by days.
  const dayKey = kpi.grains.includes('week') && (kpi.defaultGrain === 'week' || !kpi.grains.includes('day')) ? 'week' : kpi.defaultGrain;
  const grain = input.grain ?? (kpi.grains.includes('release') && !/^\d{4}/.test(period) ? 'release' : grainOfKey(period, dayKey));
  // A release is found by its title among all milestones unless a range is given, not only those due in the last twelve months.
  const bounds = grain === 'release' ? { from: input.from ?? '1970', to: input.to ?? '2999' } : boundsOfKey(period, grain);
  const prepared = await prepare(session, id, { ...input, grain, ...bounds }, options.relations ?? ROLLED_UP, options.today ?? new Date());
  const found = prepared.context.filters.periods.find((p) => p.key === period);
  if (!found) throw new KpiError(`period: no ${grain} "${period}" ${grain === 'release' ? 'among the milestones of the chosen projects' : ''}`.trim());
  prepared.context.filters.periods = [found];
  const missing = await missingData(session, prepared.context, kpi.needs);
  if (missing) throw new KpiError(`${kpi.id} cannot be computed here: ${missing}`);
  const [value] = await kpi.series(prepared.context);
  const explanation = await kpi.explain(prepared.context, found);
  return { kpi: kpi.id, period: found, value, ...explanation };
}

// ——— periods ———

/** [start, end) of a period written as YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD. */
function spanOf(text: string): { start: string; end: string } {
  if (/^\d{4}$/.test(text)) return { start: `${text}-01-01`, end: `${Number(text) + 1}-01-01` };
  const quarter = /^(\d{4})-Q([1-4])$/.exec(text);
  if (quarter) {
    const start = `${quarter[1]}-${String((Number(quarter[2]) - 1) * 3 + 1).padStart(2, '0')}-01`;
    return { start, end: addMonths(start, 3) };
  }
  if (/^\d{4}-\d{2}$/.test(text)) return { start: `${text}-01`, end: addMonths(`${text}-01`, 1) };
  return { start: text, end: addDays(text, 1) };
}

/** The range asked for; by default the twelve complete months before `today`. */
function range(from: string | undefined, to: string | undefined, today: Date): { from: string; to: string } {
  const thisMonth = `${today.toISOString().slice(0, 7)}-01`;
  const end = to ? spanOf(to).end : thisMonth;
  const start = from ? spanOf(from).start : addMonths(`${end.slice(0, 7)}-01`, -12);
  if (start >= end) throw new KpiError(`from: ${from ?? start} is not before to: ${to ?? end}`);
  return { from: start, to: end };
}

function grainOfKey(key: string, fallback: Grain): Grain {
  if (/^\d{4}-W\d{2}$/.test(key)) return 'week';
  if (/^\d{4}-\d{2}-\d{2}$/.test(key)) return fallback === 'week' ? 'week' : 'day';
  if (/^\d{4}-Q[1-4]$/.test(key)) return 'quarter';
  if (/^\d{4}-\d{2}$/.test(key)) return 'month';
  if (/^\d{4}$/.test(key)) return 'year';
  return fallback;
}

function boundsOfKey(key: string, grain: Grain): { from: string; to: string } {
  if (grain === 'week') {
    const start = key;
    return { from: start, to: addDays(start, 6) };
  }
  return { from: key, to: key };
}

const FLOOR: Record<Exclude<Grain, 'release'>, (day: string) => string> = {
  day: (day) => day,
  week: (day) => {
    const date = new Date(`${day}T00:00:00Z`);
    return addDays(day, -((date.getUTCDay() + 6) % 7));
  },
  month: (day) => `${day.slice(0, 7)}-01`,
  quarter: (day) => `${day.slice(0, 4)}-${String(Math.floor((Number(day.slice(5, 7)) - 1) / 3) * 3 + 1).padStart(2, '0')}-01`,
  year: (day) => `${day.slice(0, 4)}-01-01`,
};

const NEXT: Record<Exclude<Grain, 'release'>, (day: string) => string> = {
  day: (day) => addDays(day, 1),
  week: (day) => addDays(day, 7),
  month: (day) => addMonths(day, 1),
  quarter: (day) => addMonths(day, 3),
  year: (day) => addMonths(day, 12),
};

const KEY: Record<Exclude<Grain, 'release'>, (start: string) => string> = {
  day: (start) => start,
  // Weeks start on Monday and are named by that day.
  week: (start) => start,
  month: (start) => start.slice(0, 7),
  quarter: (start) => `${start.slice(0, 4)}-Q${Math.floor((Number(start.slice(5, 7)) - 1) / 3) + 1}`,
  year: (start) => start.slice(0, 4),
};

/** Whole periods of `grain` covering [from, to), each clipped to neither end: a partial first month is the whole month. */
export function calendarPeriods(grain: Exclude<Grain, 'release'>, from: string, to: string): Period[] {
  const periods: Period[] = [];
  for (let start = FLOOR[grain](from); start < to; start = NEXT[grain](start)) {
    periods.push({ key: KEY[grain](start), start, end: NEXT[grain](start) });
  }
  return periods;
}

/** Releases due in [from, to): milestones of the chosen projects (or their groups), one period per title. */
async function releasePeriods(session: Session, from: string, to: string, projectIds: bigint[]): Promise<Period[]> {
  const rows = await session.query<{ title: string; start_date: string | null; due_date: string; ids: string[] }>(
    `SELECT ms.title, min(ms.start_date) AS start_date, max(ms.due_date) AS due_date, array_agg(ms.id::text ORDER BY ms.id) AS ids
       FROM milestones ms
      WHERE ms.due_date >= $1::date AND ms.due_date < $2::date
        AND EXISTS (SELECT 1 FROM projects p WHERE p.id = ANY($3::int8[]) AND (ms.scope = p.path OR p.path LIKE ms.scope || '/%'))
      GROUP BY ms.title ORDER BY max(ms.due_date), ms.title`,
    [from, to, projectIds.map(String)],
  );
  return rows.map((row) => ({
    key: row.title,
    start: row.start_date ?? row.due_date,
    end: addDays(row.due_date, 1),
    milestoneIds: row.ids.map((id) => BigInt(id)),
  }));
}

// ——— filters ———

async function resolveProjects(session: Session, wanted: string[] | undefined): Promise<{ ids: bigint[]; paths: string[] }> {
  if (!wanted?.length) {
    const rows = await session.query<{ id: bigint; name: string }>(
      `SELECT id, platform::text || ':' || path AS name FROM projects WHERE monitored ORDER BY path`,
    );
    return { ids: rows.map((r) => r.id), paths: rows.map((r) => r.name) };
  }
  const rows = await session.query<{ id: bigint; name: string; path: string }>(
    `SELECT id, platform::text || ':' || path AS name, path FROM projects WHERE platform::text || ':' || path = ANY($1::text[]) OR path = ANY($1::text[])`,
    [wanted],
  );
  const unknown = wanted.filter((w) => !rows.some((r) => r.name === w || r.path === w));
  if (unknown.length > 0) throw new KpiError(`projects: no project ${unknown.map((u) => JSON.stringify(u)).join(', ')}`);
  return { ids: rows.map((r) => r.id), paths: rows.map((r) => r.name) };
}

async function resolveOrganisation(session: Session, name: string): Promise<bigint[]> {
  const rows = await session.query<{ id: bigint }>(
    `WITH RECURSIVE down(id) AS (
       SELECT id FROM organisations WHERE lower(name) = lower($1)
       UNION SELECT c.id FROM organisations c JOIN down ON c.parent_id = down.id)
     SELECT id FROM down`,
    [name],
  );
  if (rows.length === 0) throw new KpiError(`organisation: no organisation named ${JSON.stringify(name)}`);
  return rows.map((r) => r.id);
}

// ——— what the data can support ———

const NEED_CHECKS: Record<Need, { sql: string; missing: string }> = {
  'merge requests': {
    sql: `EXISTS (SELECT 1 FROM merge_requests WHERE project_id = ANY($1::int8[]))`,
    missing: 'there are no merge requests in the chosen projects',
  },
  'open dates': {
    sql: `EXISTS (SELECT 1 FROM merge_requests WHERE project_id = ANY($1::int8[]) AND created_at IS NOT NULL)`,
    missing: 'no merge request in the chosen projects has an opening date (history read from git alone has only merges); add the forge as a source',
  },
  responses: {
    sql: `EXISTS (SELECT 1 FROM comments WHERE project_id = ANY($1::int8[]) AND target_type = 'merge_request')
          OR EXISTS (SELECT 1 FROM reviews r JOIN merge_requests m ON m.id = r.merge_request_id WHERE m.project_id = ANY($1::int8[]))
          OR EXISTS (SELECT 1 FROM merge_requests WHERE project_id = ANY($1::int8[]) AND first_review_at IS NOT NULL)`,
    missing: 'there are no notes, reviews or review dates on merge requests in the chosen projects (git history has none); add the forge as a source',
  },
  'review requests': {
    sql: `EXISTS (SELECT 1 FROM reviews r JOIN merge_requests m ON m.id = r.merge_request_id WHERE m.project_id = ANY($1::int8[]) AND r.kind = 'review_requested')`,
    missing: 'no review requests are recorded for the chosen projects; add the forge as a source',
  },
  milestones: {
    sql: `EXISTS (SELECT 1 FROM milestones ms JOIN projects p ON ms.scope = p.path OR p.path LIKE ms.scope || '/%' WHERE p.id = ANY($1::int8[]))`,
    missing: 'the chosen projects have no milestones',
  },
  arr: { sql: `EXISTS (SELECT 1 FROM organisations WHERE arr IS NOT NULL)`, missing: 'no organisation has an ARR; import organisations with `tributary orgs import`' },
  coaches: {
    sql: `EXISTS (SELECT 1 FROM team_memberships WHERE roles @> '[{"role": "coach"}]'::jsonb OR roles::text ILIKE '%coach%')`,
    missing: 'no team member holds the coach role; import the roster with `tributary roster import`',
  },
  activities: { sql: `EXISTS (SELECT 1 FROM activities)`, missing: 'there are no activities' },
  types: {
    sql: `EXISTS (SELECT 1 FROM merge_requests WHERE project_id = ANY($1::int8[]) AND merged_at IS NOT NULL AND (type IS NOT NULL OR EXISTS (SELECT 1 FROM unnest(labels) l WHERE l LIKE 'type::%')))`,
    missing: 'no merged merge request in the chosen projects has a type (type::feature, type::bug, type::maintenance labels)',
  },
};

async function missingData(session: Session, context: KpiContext<Record<string, unknown>>, needs: readonly Need[]): Promise<string | undefined> {
  const projectNeeds = needs.filter((n) => n !== 'activities' && n !== 'arr' && n !== 'coaches');
  if (context.filters.projectIds.length === 0 && projectNeeds.length > 0) return 'no projects are chosen, and none is monitored';
  if (context.filters.grain === 'release' && context.filters.periods.length === 0) return 'no release is due in the chosen range';
  const wanted = [...needs];
  if (wanted.length === 0) return undefined;
  const [row] = await session.query<Record<string, unknown>>(
    `SELECT ${wanted.map((need, index) => `(${NEED_CHECKS[need].sql}) AS n${index}`).join(', ')}`,
    wanted.some((need) => NEED_CHECKS[need].sql.includes('$1')) ? [context.filters.projectIds.map(String)] : [],
  );
  const index = wanted.findIndex((_need, i) => row?.[`n${i}`] !== true);
  return index === -1 ? undefined : NEED_CHECKS[wanted[index] as Need].missing;
}

/** How many changes wait for a rollup refresh. */
export async function pendingChanges(session: Session): Promise<number> {
  const [row] = await session.query<{ n: unknown; built: boolean }>('SELECT count(*) AS n, EXISTS (SELECT 1 FROM kpi_state) AS built FROM kpi_changes');
  return row?.built ? toNumber(row.n) : Number.POSITIVE_INFINITY;
}
