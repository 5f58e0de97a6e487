import Holidays from 'date-holidays';

/**
 * Business time in SQL: weekdays (Monday to Friday, UTC days) less the public holidays given. An instant's
 * business time is the number of business days before its day (counted from a Monday in 1970) plus the
 * elapsed fraction of its day when that day is a business day, so the difference of two instants is the
 * business days between them: Friday 17:00 → Monday 09:00 is 0.67, a request on Saturday starts Monday.
 * `holidays` is a SQL expression of type date[] holding weekday holidays only, or null for none (the
 * cheaper form: no per-row look-up).
 */
export function businessTimeSql(instant: string, holidays: string | null): string {
  const day = `(${instant} AT TIME ZONE 'UTC')::date`;
  const n = `(${day} - DATE '1970-01-05')`;
  const fraction = `date_part('epoch', ${instant} - (${day}::timestamp AT TIME ZONE 'UTC')) / 86400`;
  if (holidays === null) return `(((${n} / 7) * 5 + least(${n} % 7, 5))::float8 + CASE WHEN ${n} % 7 < 5 THEN ${fraction} ELSE 0 END)`;
  return `(((${n} / 7) * 5 + least(${n} % 7, 5))::float8
    - (SELECT count(*) FROM unnest(${holidays}) h WHERE h < ${day})::float8
    + CASE WHEN ${n} % 7 < 5 AND NOT (${day} = ANY(${holidays})) THEN ${fraction} ELSE 0 END)`;
}

/** A country (or country-state, e.g. "DE-BY") date-holidays knows. */
export function isHolidayRegion(region: string): boolean {
  const [country, state] = region.split('-');
  if (!country) return false;
  const countries = new Holidays().getCountries();
  if (!(country in countries)) return false;
  return !state || state in (new Holidays().getStates(country) ?? {});
}

/** The public holidays of `region` (e.g. "US", "DE-BY") that fall on weekdays, as YYYY-MM-DD, for the years given. */
export function weekdayHolidays(region: string | undefined, fromYear: number, toYear: number): string[] {
  if (!region) return [];
  const [country, state] = region.split('-');
  const calendar = state ? new Holidays(country as string, state) : new Holidays(country as string);
  const days = new Set<string>();
  for (let year = fromYear; year <= toYear; year += 1) {
    for (const holiday of calendar.getHolidays(year)) {
      if (holiday.type !== 'public') continue;
      const day = holiday.date.slice(0, 10);
      const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
      if (weekday !== 0 && weekday !== 6) days.add(day);
    }
  }
  return [...days].sort();
}
