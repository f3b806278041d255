import { minutesOf, type BusinessCalendar } from './config';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Twenty years of days: a target never needs more, and a bad calendar cannot loop forever. */
const MAX_DAYS = 7305;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock of an instant in a time zone, as if it were UTC (ms). */
function wallClock(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour) % 24, Number(parts.minute), Number(parts.second));
}

/** The instant a wall-clock time (given as UTC ms of its fields) happens in the zone; in a DST gap, the moment after it. */
export function zonedInstant(wall: number, timeZone: string): number {
  const offset1 = wallClock(wall, timeZone) - wall;
  const guess = wall - offset1;
  const offset2 = wallClock(guess, timeZone) - guess;
  if (offset2 === offset1) return guess;
  const second = wall - offset2;
  // In a gap neither guess maps back to `wall`: take the later one (clocks jumped past it).
  return wallClock(second, timeZone) - second === offset2 ? second : Math.max(guess, second);
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a UTC-midnight day. */
const isoWeekday = (dayStart: number) => ((new Date(dayStart).getUTCDay() + 6) % 7) + 1;

/**
 * `start` plus `hours` of working time. Without a calendar, plain hours. With one, only the
 * calendar's daily window on its working days counts, holidays excluded, all read in its time
 * zone (DST included): a start outside working time waits for the next window, and a target
 * that ends exactly at a window's close ends there. Pure: no clock, no I/O.
 */
export function addBusinessHours(start: number, hours: number, calendar?: BusinessCalendar | null): number {
  if (!(hours >= 0) || !Number.isFinite(hours)) throw new RangeError(`hours must be a finite number >= 0, got ${hours}`);
  if (!calendar) return start + hours * HOUR;
  let remaining = Math.round(hours * HOUR);
  if (remaining === 0) return start;
  const { timezone, days, holidays } = calendar;
  const open = minutesOf(calendar.start) * 60_000;
  const close = minutesOf(calendar.end) * 60_000;
  const working = new Set(days);
  const off = new Set(holidays);
  const startWall = wallClock(start, timezone);
  let day = startWall - (((startWall % DAY) + DAY) % DAY);
  let cursor = start;
  for (let i = 0; i < MAX_DAYS; i++, day += DAY) {
    if (!working.has(isoWeekday(day)) || off.has(new Date(day).toISOString().slice(0, 10))) continue;
    const from = Math.max(cursor, zonedInstant(day + open, timezone));
    const to = zonedInstant(day + close, timezone);
    if (from >= to) continue;
    if (remaining <= to - from) return from + remaining;
    remaining -= to - from;
    cursor = to;
  }
  throw new RangeError('the calendar has no working time within twenty years');
}
