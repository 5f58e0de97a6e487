import { type Explanation, inOrganisation, inPopulation, inProjects, type KpiContext, type Period, Query, } from '../kpi.ts';

/**
 * The merge requests behind a value, as rows a person can check against the forge: project!number,
 * title, author (canonical person), class and organisation then, and the instants that matter.
 * `where` is a condition over the kpi_merge_requests relation `f` and the period `p`.
 */
export async function mergeRequestRows(
  context: KpiContext<unknown>,
  period: Period,
  where: (q: Query) => string,
  extraColumns: Record<string, string> = {},
  options: { population?: boolean; organisation?: boolean; order?: string } = {},
): Promise<Record<string, unknown>[]> {
  const q = new Query();
  const f = context.filters;
  const extras = Object.entries(extraColumns)
    .map(([name, expression]) => `, ${expression} AS "${name}"`)
    .join('');
  const p = `(SELECT ${q.param(period.start)}::date AS start_date, ${q.param(period.end)}::date AS end_date,
               (${q.param(period.start)}::date::timestamp AT TIME ZONE 'UTC') AS start_at, (${q.param(period.end)}::date::timestamp AT TIME ZONE 'UTC') AS end_at)`;
  return context.session.query(
    `SELECT pr.path || '!' || m.number AS merge_request, m.title, coalesce(person.name, person.key) AS author, person.key AS person,
            f.class, o.name AS organisation, f.created_at, f.merged_at${extras}
       FROM ${context.relations.mergeRequests} f CROSS JOIN ${p} p
       JOIN merge_requests m ON m.id = f.merge_request_id
       JOIN projects pr ON pr.id = f.project_id
       LEFT JOIN people person ON person.id = f.canonical_id
       LEFT JOIN organisations o ON o.id = f.organisation_id
      WHERE ${inProjects(q, f, 'f')} AND ${options.population === false ? 'true' : inPopulation(f, 'f')} AND ${options.organisation === false ? 'true' : inOrganisation(q, f, 'f')}
        AND ${where(q)}
      ORDER BY ${options.order ?? 'f.merged_at, pr.path, m.number'}`,
    q.params,
  );
}

export function explanation(summary: string, rows: Record<string, unknown>[]): Explanation {
  return { summary, columns: rows[0] ? Object.keys(rows[0]) : [], rows };
}

