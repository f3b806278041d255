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

/**
 * A time zone's offsets over [from, to): the first interval starts at `from`, each next one at a
 * change of offset (daylight saving time), found to the minute. Sampled every 12 hours: zones
 * change their offset at most a few times a year.
 */
export function offsetsOver(timeZone: string, from: number, to: number): { start: number; offset: number }[] {
  const STEP = 12 * 3600_000;
  const out = [{ start: from, offset: offsetAt(from, timeZone) }];
  for (let t = from; t < to; t += STEP) {
    const next = Math.min(t + STEP, to);
    const offset = offsetAt(next, timeZone);
    if (offset === out[out.length - 1]!.offset) continue;
    // The first minute of the new offset lies in (t, next].
    let lo = t;
    let hi = next;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offsetAt(mid, timeZone) === offset) hi = mid;
      else lo = mid;
    }
    out.push({ start: hi, offset });
  }
  return out;
}
