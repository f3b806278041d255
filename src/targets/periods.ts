/*
 * Target periods: a year `2027`, a quarter `2027-Q1`, a month `2027-03`, each a range of local
 * days of the unit. Pure.
 */

export type Granularity = 'year' | 'quarter' | 'month';
export interface Period {
  key: string;
  granularity: Granularity;
  /** First and last local day, YYYY-MM-DD. */
  from: string;
  to: string;
}

export const PERIOD_PATTERN = /^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$/;

const lastDayOf = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
const pad = (m: number) => String(m).padStart(2, '0');

/** The period a key names, or null when it does not parse (years 2000–2100). */
export function parsePeriod(key: string): Period | null {
  const m = PERIOD_PATTERN.exec(key);
  if (!m) return null;
  const year = Number(m[1]);
  if (year < 2000 || year > 2100) return null;
  if (m[2]) {
    const q = Number(m[2]);
    return { key, granularity: 'quarter', from: `${year}-${pad(3 * q - 2)}-01`, to: lastDayOf(year, 3 * q) };
  }
  if (m[3]) {
    const month = Number(m[3]);
    return { key, granularity: 'month', from: `${year}-${pad(month)}-01`, to: lastDayOf(year, month) };
  }
  return { key, granularity: 'year', from: `${year}-01-01`, to: `${year}-12-31` };
}

/** The period `steps` before (negative: after) one of the same granularity. */
export function shiftPeriod(p: Period, steps: number): Period {
  const year = Number(p.key.slice(0, 4));
  if (p.granularity === 'year') return parsePeriod(String(year - steps))!;
  const size = p.granularity === 'quarter' ? 4 : 12;
  const index = p.granularity === 'quarter' ? Number(p.key.slice(6)) - 1 : Number(p.key.slice(5, 7)) - 1;
  const total = year * size + index - steps;
  const y = Math.floor(total / size);
  const i = total - y * size;
  return parsePeriod(p.granularity === 'quarter' ? `${y}-Q${i + 1}` : `${y}-${pad(i + 1)}`)!;
}

/** The key of the period of this granularity a local day falls in. */
export function periodKeyOf(day: string, granularity: Granularity): string {
  if (granularity === 'year') return day.slice(0, 4);
  if (granularity === 'month') return day.slice(0, 7);
  return `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) + 2) / 3)}`;
}
