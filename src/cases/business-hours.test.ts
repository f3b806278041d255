import { describe, expect, it } from 'vitest';
import { addBusinessHours, zonedInstant } from './business-hours';
import { BusinessCalendarSchema } from './config';

/**
 * Expectations are worked out by hand from the calendar (the comments say how), never from
 * the function: e.g. Friday 16:00 + 8 business hours in a Mon–Fri 09–17 week is Friday's
 * last hour plus seven on Monday, 16:00.
 */
const H = 3_600_000;
const utc = (s: string) => Date.parse(`${s}Z`);
const week = (timezone = 'UTC', holidays: string[] = []) => BusinessCalendarSchema.parse({ timezone, days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', holidays });

describe('addBusinessHours', () => {
  it('without a calendar counts plain hours', () => {
    expect(addBusinessHours(utc('2026-03-06T16:00:00'), 48, null)).toBe(utc('2026-03-08T16:00:00'));
    expect(addBusinessHours(utc('2026-03-06T16:00:00'), 0)).toBe(utc('2026-03-06T16:00:00'));
  });

  it('Friday 16:00 + 8 business hours is Monday 16:00 (Mon–Fri 9–17)', () => {
    // 2026-03-06 is a Friday.
    expect(new Date(utc('2026-03-06T00:00:00')).getUTCDay()).toBe(5);
    expect(addBusinessHours(utc('2026-03-06T16:00:00'), 8, week())).toBe(utc('2026-03-09T16:00:00'));
  });

  it('within a day, at the close, and across a whole week', () => {
    expect(addBusinessHours(utc('2026-03-03T10:00:00'), 3, week())).toBe(utc('2026-03-03T13:00:00'));
    expect(addBusinessHours(utc('2026-03-03T10:00:00'), 7, week())).toBe(utc('2026-03-03T17:00:00')); // ends exactly at the close
    expect(addBusinessHours(utc('2026-03-03T10:00:00'), 7.5, week())).toBe(utc('2026-03-04T09:30:00'));
    // 40 h = one working week: Tuesday 10:00 → next Tuesday 10:00.
    expect(addBusinessHours(utc('2026-03-03T10:00:00'), 40, week())).toBe(utc('2026-03-10T10:00:00'));
  });

  it('a start outside working time waits for the next window', () => {
    expect(addBusinessHours(utc('2026-03-03T06:00:00'), 1, week())).toBe(utc('2026-03-03T10:00:00')); // before opening
    expect(addBusinessHours(utc('2026-03-03T18:00:00'), 1, week())).toBe(utc('2026-03-04T10:00:00')); // after closing
    expect(addBusinessHours(utc('2026-03-07T12:00:00'), 2, week())).toBe(utc('2026-03-09T11:00:00')); // Saturday
  });

  it('skips holidays', () => {
    // Monday 2026-03-09 off: Friday's last hour, then seven on Tuesday.
    expect(addBusinessHours(utc('2026-03-06T16:00:00'), 8, week('UTC', ['2026-03-09']))).toBe(utc('2026-03-10T16:00:00'));
  });

  it('reads the window in the calendar time zone', () => {
    // Berlin in winter is UTC+1: 09–17 local is 08–16 UTC. Friday 15:00 UTC (16:00 local) + 8 → Monday 16:00 local = 15:00 UTC.
    expect(addBusinessHours(utc('2026-01-09T15:00:00'), 8, week('Europe/Berlin'))).toBe(utc('2026-01-12T15:00:00'));
    // New York (UTC−5 in January): Tuesday 20:00 local = Wednesday 01:00 UTC; one hour → Wednesday 10:00 local = 15:00 UTC.
    expect(addBusinessHours(utc('2026-01-07T01:00:00'), 1, week('America/New_York'))).toBe(utc('2026-01-07T15:00:00'));
  });

  it('across a DST change: the window stays 09–17 local', () => {
    // Europe switches to summer time on Sunday 2026-03-29. Friday 27th 16:00 local (15:00 UTC)
    // + 8 h → Monday 30th 16:00 local, which is 14:00 UTC (UTC+2).
    expect(addBusinessHours(utc('2026-03-27T15:00:00'), 8, week('Europe/Berlin'))).toBe(utc('2026-03-30T14:00:00'));
  });

  it('a weekend-only calendar, and bad input', () => {
    const weekend = BusinessCalendarSchema.parse({ timezone: 'UTC', days: [6, 7], start: '10:00', end: '12:00' });
    // Monday → Saturday 10:00 + 2 h = 12:00, then Sunday 10:00 + 1 h.
    expect(addBusinessHours(utc('2026-03-02T08:00:00'), 3, weekend)).toBe(utc('2026-03-08T11:00:00'));
    expect(() => addBusinessHours(0, -1, week())).toThrow(RangeError);
    expect(BusinessCalendarSchema.safeParse({ timezone: 'Mars/Base', days: [1], start: '09:00', end: '17:00' }).success).toBe(false);
    expect(BusinessCalendarSchema.safeParse({ timezone: 'UTC', days: [1], start: '17:00', end: '09:00' }).success).toBe(false);
    expect(BusinessCalendarSchema.safeParse({ timezone: 'UTC', days: [], start: '09:00', end: '17:00' }).success).toBe(false);
  });

  it('zonedInstant maps local wall times to instants, DST gaps forward', () => {
    expect(zonedInstant(utc('2026-07-01T09:00:00'), 'Europe/Berlin')).toBe(utc('2026-07-01T07:00:00'));
    expect(zonedInstant(utc('2026-01-01T09:00:00'), 'Europe/Berlin')).toBe(utc('2026-01-01T08:00:00'));
    // 02:30 on 2026-03-29 does not exist in Berlin: 03:30 CEST = 01:30 UTC.
    expect(zonedInstant(utc('2026-03-29T02:30:00'), 'Europe/Berlin')).toBe(utc('2026-03-29T01:30:00'));
    expect(H).toBe(3_600_000);
  });
});
