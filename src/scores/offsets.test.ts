import { describe, expect, it } from 'vitest';
import { offsetAt, offsetsOver } from './local-day';

/*
 * offsetsOver against the runtime itself: for zones with daylight saving on either hemisphere, a
 * half-hour zone with a half-hour shift (Lord Howe), one that suspends it for Ramadan (Casablanca)
 * and one without changes, every instant sampled every 17 minutes over ranges that start and end
 * mid-year and cross year ends, plus the minute before and the minute of each change, has the
 * offset of the last interval that starts at or before it.
 */
const ZONES = ['Europe/Berlin', 'America/Sao_Paulo', 'Australia/Lord_Howe', 'Africa/Casablanca', 'America/New_York', 'Asia/Tokyo'];
const RANGES: [string, string][] = [
  ['2024-03-15T07:13:00Z', '2026-11-02T19:41:00Z'],
  ['2025-12-31T23:59:00Z', '2026-01-01T00:01:00Z'],
  ['2026-03-29T00:00:00Z', '2026-03-29T02:00:00Z'],
];

function offsetFrom(list: { start: number; offset: number }[], t: number) {
  let found = list[0]!;
  for (const x of list) if (x.start <= t) found = x;
  return found.offset;
}

describe('offsetsOver', () => {
  it('gives the offset the runtime gives at every instant of the range, changes to the minute', () => {
    for (const zone of ZONES)
      for (const [a, b] of RANGES) {
        const from = Date.parse(a);
        const to = Date.parse(b);
        // Twice: the second from the per-year cache.
        for (const list of [offsetsOver(zone, from, to), offsetsOver(zone, from, to)]) {
          expect(list[0]!.start).toBe(from);
          for (let t = from; t < to; t += 17 * 60_000) expect(offsetFrom(list, t), `${zone} ${new Date(t).toISOString()}`).toBe(offsetAt(t, zone));
          for (const change of list.slice(1)) {
            expect(offsetAt(change.start, zone)).toBe(change.offset);
            expect(offsetAt(change.start - 60_000, zone)).not.toBe(change.offset);
            expect(change.start).toBeGreaterThan(from);
            expect(change.start).toBeLessThanOrEqual(to);
          }
        }
      }
    // Berlin over the long range: two changes a year (last Sundays of March and October).
    expect(offsetsOver('Europe/Berlin', Date.parse(RANGES[0]![0]), Date.parse(RANGES[0]![1])).length).toBe(1 + 6);
  });
});
