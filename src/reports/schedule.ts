import { zonedInstant } from '../cases/business-hours';
import { localDay } from '../scores/local-day';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The planning cycle: mailed on the first day of each month (the monthly business review) or quarter (the quarterly review). */
export const CYCLES = ['monthly', 'quarterly'] as const;
export type Cycle = (typeof CYCLES)[number];
export const isCycle = (w: unknown): w is Cycle => w === 'monthly' || w === 'quarterly';

/**
 * When a saved report is mailed, at a local hour: a weekday (0 = Sunday … 6 = Saturday), every
 * day, or on the planning cycle (the first day of each month or quarter).
 */
export type ReportSchedule = {
  weekday: number | 'daily' | Cycle;
  hour: number;
  timezone: string;
  recipients: string[];
};

/** Is the name an IANA time zone this runtime knows? */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first occurrence strictly after `after`: the schedule's hour:00 on its weekday (or any
 * day) as the wall clock reads in its zone, DST included. An hour the clocks skip (02:00 on
 * the spring change in Europe) happens at the moment after the gap.
 */
export function nextOccurrence(s: Pick<ReportSchedule, 'weekday' | 'hour' | 'timezone'>, after: number): number {
  if (isCycle(s.weekday)) {
    // The first day of this month (or quarter) where the report is, else of the next ones.
    const [y, m] = localDay(after, s.timezone).split('-').map(Number) as [number, number];
    const step = s.weekday === 'monthly' ? 1 : 3;
    const first = s.weekday === 'monthly' ? m - 1 : Math.floor((m - 1) / 3) * 3;
    for (let k = 0; k < 3; k++) {
      const at = zonedInstant(Date.UTC(y, first + k * step, 1) + s.hour * HOUR, s.timezone);
      if (at > after) return at;
    }
    throw new RangeError('no occurrence within three periods');
  }
  // Start a day early: the local date of `after` may be behind its UTC date.
  let day = Date.parse(`${localDay(after, s.timezone)}T00:00:00Z`) - DAY;
  for (let i = 0; i < 10; i++, day += DAY) {
    if (s.weekday !== 'daily' && new Date(day).getUTCDay() !== s.weekday) continue;
    const at = zonedInstant(day + s.hour * HOUR, s.timezone);
    if (at > after) return at;
  }
  throw new RangeError('no occurrence within ten days');
}

/** The local days a relative range covers at `now`: the last `rangeDays` complete days, ending yesterday. */
export function resolveRange(rangeDays: number, now: number, timeZone: string): { from: string; to: string } {
  const today = Date.parse(`${localDay(now, timeZone)}T00:00:00Z`);
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: iso(today - rangeDays * DAY), to: iso(today - DAY) };
}

/** The calendar month or quarter that ended before the local day of `now`: what a report mailed on the cycle covers. */
export function cycleRange(cycle: Cycle, now: number, timeZone: string): { from: string; to: string } {
  const [y, m] = localDay(now, timeZone).split('-').map(Number) as [number, number];
  const size = cycle === 'monthly' ? 1 : 3;
  const start = (cycle === 'monthly' ? m - 1 : Math.floor((m - 1) / 3) * 3) - size;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: iso(Date.UTC(y, start, 1)), to: iso(Date.UTC(y, start + size, 1) - DAY) };
}
