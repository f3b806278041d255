import { zonedInstant } from '../cases/business-hours';
import { localDay } from '../scores/local-day';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** When a saved report is mailed: a weekday (0 = Sunday … 6 = Saturday) or every day, at a local hour. */
export type ReportSchedule = {
  weekday: number | 'daily';
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
