const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** Indexed by days since 1970; a plain array is a good deal faster here than a Map. */
const dayPrefixes: string[] = [];
const CACHED_DAYS = 80_000;

/**
 * `new Date(ms).toISOString()` without a Date per call: the `YYYY-MM-DDT` part is cached per day. With an
 * offset, the same instant written in that local time (`…+05:30`).
 */
export function isoInstant(ms: number, offsetMinutes = 0): string {
  const local = Math.floor(ms) + offsetMinutes * MINUTE;
  const day = Math.floor(local / DAY);
  let prefix = dayPrefixes[day];
  if (!prefix) {
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    if (day >= 0 && day < CACHED_DAYS) {
      while (dayPrefixes.length <= day) dayPrefixes.push('');
      dayPrefixes[day] = prefix;
    }
  }
  let rest = local - day * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  const seconds = Math.floor(rest / SECOND);
  const millis = rest - seconds * SECOND;
  return `${prefix}${PAD2[hours]}:${PAD2[minutes]}:${PAD2[seconds]}.${PAD3[millis]}${offsetSuffix(offsetMinutes)}`;
}

function offsetSuffix(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'Z';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const size = Math.abs(offsetMinutes);
  return `${sign}${PAD2[Math.floor(size / 60)]}:${PAD2[size % 60]}`;
}


/** A git zone (`+0200`, `-0530`) as minutes east of UTC, or null when it is not a possible zone (`+51800`). */
export function zoneMinutes(zone: unknown): number | null {
  if (typeof zone !== 'string') return null;
  const match = /^([+-])(\d\d)(\d\d)$/.exec(zone);
  if (!match) return null;
  const hours = Number(match[2]);
  const minutes = Number(match[3]);
  if (hours > 14 || minutes >= 60) return null;
  const total = hours * 60 + minutes;
  return match[1] === '-' ? -total : total;
}

const ISO_OFFSET = /([+-])(\d\d):?(\d\d)$/;

/** Minutes east of UTC that an ISO 8601 instant was written in (`Z` → 0). */
export function offsetMinutes(value: string): number {
  const match = ISO_OFFSET.exec(value);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** A git zone (`+0200`) for an offset in minutes: the inverse of zoneMinutes. */
export function zoneOf(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const size = Math.abs(minutes);
  return `${sign}${PAD2[Math.floor(size / 60)]}${PAD2[size % 60]}`;
}

/** A real calendar day written YYYY-MM-DD (2024-02-30 is not). */
export function isDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** The day `months` calendar months after `day` (YYYY-MM-DD, UTC); negative goes back. */
export function addMonths(day: string, months: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

/** The day `days` days after `day` (YYYY-MM-DD, UTC); negative goes back. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
