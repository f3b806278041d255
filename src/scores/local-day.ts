const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (YYYY-MM-DD) of an instant in a time zone: a unit's scores count by its local day. */
export function localDay(ms: number, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    // en-CA formats dates as YYYY-MM-DD.
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f.format(ms);
}

/** The period a day belongs to: the day itself, the Monday of its week, its month or its quarter. */
export function periodOf(day: string, period: 'day' | 'week' | 'month' | 'quarter'): string {
  if (period === 'day') return day;
  if (period === 'month') return day.slice(0, 7);
  if (period === 'quarter') return `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) + 2) / 3)}`;
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** A time zone's offset from UTC at an instant, in ms (whole minutes). */
export function offsetAt(ms: number, timeZone: string): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    offsetFormatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, Number(x.value)]));
  const minute = Math.floor(ms / 60_000) * 60_000;
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!) - minute;
}

/** A change of a zone's offset: its first minute and the new offset. */
type Change = { start: number; offset: number };
const yearChanges = new Map<string, Change[]>();

/**
 * The offset changes of a time zone within a UTC year, (1 January, next 1 January], found to the
 * minute by sampling every 12 hours (zones change their offset at most a few times a year) and
 * bisecting where the offset differs. Kept per isolate: the time-zone data does not change while
 * it runs, and long ranges ask for the same years again.
 */
function changesIn(timeZone: string, year: number): Change[] {
  const key = `${timeZone}|${year}`;
  const known = yearChanges.get(key);
  if (known) return known;
  const STEP = 12 * 3600_000;
  const end = Date.UTC(year + 1, 0, 1);
  const changes: Change[] = [];
  let offset = offsetAt(Date.UTC(year, 0, 1), timeZone);
  for (let t = Date.UTC(year, 0, 1); t < end; t += STEP) {
    const next = Math.min(t + STEP, end);
    const at = offsetAt(next, timeZone);
    if (at === offset) continue;
    // The first minute of the new offset lies in (t, next].
    let lo = t;
    let hi = next;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offsetAt(mid, timeZone) === at) hi = mid;
      else lo = mid;
    }
    changes.push({ start: hi, offset: at });
    offset = at;
  }
  yearChanges.set(key, changes);
  return changes;
}

/**
 * A time zone's offsets over [from, to): the first interval starts at `from`, each next one at a
 * change of offset (daylight saving time), to the minute (`changesIn`, per year).
 */
export function offsetsOver(timeZone: string, from: number, to: number): { start: number; offset: number }[] {
  const out = [{ start: from, offset: offsetAt(from, timeZone) }];
  for (let year = new Date(from).getUTCFullYear(); year <= new Date(to).getUTCFullYear(); year++)
    for (const c of changesIn(timeZone, year)) if (c.start > from && c.start <= to && c.offset !== out[out.length - 1]!.offset) out.push(c);
  return out;
}
