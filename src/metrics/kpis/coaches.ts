import { defineKpi, periodsRelation, pointsFrom, Query, toNumber } from '../kpi.ts';
import { explanation } from './explain-helpers.ts';

// A roster membership with the coach role, in force on some day of period p (validity is half-open [from, to)).
const coachDuring = `t.roles @> '[{"role": "coach"}]'::jsonb
  AND (t.valid_from IS NULL OR t.valid_from < p.end_date) AND (t.valid_to IS NULL OR t.valid_to > p.start_date)`;

/** Community MR coaches: team members holding the coach role in the period. */
export const coaches = defineKpi({
  id: 'coaches',
  title: 'Community MR coaches',
  definition: 'Distinct team members whose roster membership carries the coach role on at least one day of the period.',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices:
      'A coach who held the role on any day of the month counts for the month (a mid-month change counts both people). A person counts once however many identities or memberships they have. Read from the roster (team_memberships), not from coaching activity; projects and organisation filters do not apply.',
  },
  unit: 'people',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['team'],
  needs: ['coaches'],
  target: '> 50 per month',
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; coaches: unknown }>(
      `SELECT p.key, count(DISTINCT coalesce(pc.canonical_id, t.person_id)) AS coaches
         FROM ${periodsRelation(f.periods)} p
         JOIN team_memberships t ON ${coachDuring}
         LEFT JOIN person_canonical pc ON pc.person_id = t.person_id
        GROUP BY p.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => ({ value: toNumber(row?.coaches) }));
  },
  async explain(context, period) {
    const q = new Query();
    const rows = await context.session.query(
      `SELECT person.key AS person, coalesce(person.name, person.key) AS name, t.title, t.department,
              (SELECT string_agg(r->>'specialty', ', ' ORDER BY r->>'specialty') FROM jsonb_array_elements(t.roles) r WHERE r->>'role' = 'coach') AS specialty,
              t.valid_from, t.valid_to
         FROM ${periodsRelation([period])} p
         JOIN team_memberships t ON ${coachDuring}
         LEFT JOIN person_canonical pc ON pc.person_id = t.person_id
         JOIN people person ON person.id = coalesce(pc.canonical_id, t.person_id)
        ORDER BY person.key, t.valid_from NULLS FIRST`,
      q.params,
    );
    const people = new Set(rows.map((r) => r.person));
    return explanation(`${people.size} people held the coach role during ${period.key} (one row per membership)`, rows);
  },
});
