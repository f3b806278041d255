import { describe, expect, it } from 'vitest';
import { lastClosedMonth } from './fold';
import { monthSpan } from './query';

describe('a range as whole months and leftover days', () => {
  it('whole months only when the range starts on a 1st and ends on a month end', () => {
    expect(monthSpan('2026-01-01', '2026-03-31')).toEqual({ months: ['2026-01', '2026-03'], days: [] });
    expect(monthSpan('2024-02-01', '2024-02-29')).toEqual({ months: ['2024-02', '2024-02'], days: [] });
  });
  it('leftover days at either end', () => {
    expect(monthSpan('2025-12-15', '2026-03-10')).toEqual({
      months: ['2026-01', '2026-02'],
      days: [
        ['2025-12-15', '2025-12-31'],
        ['2026-03-01', '2026-03-10'],
      ],
    });
    expect(monthSpan('2026-02-02', '2026-02-28')).toEqual({ days: [['2026-02-02', '2026-02-28']] });
    expect(monthSpan('2026-01-31', '2026-03-01')).toEqual({
      months: ['2026-02', '2026-02'],
      days: [
        ['2026-01-31', '2026-01-31'],
        ['2026-03-01', '2026-03-01'],
      ],
    });
  });
  it('no whole month inside', () => {
    expect(monthSpan('2026-03-05', '2026-03-20')).toEqual({ days: [['2026-03-05', '2026-03-20']] });
    expect(monthSpan('2026-03-05', '2026-04-20')).toEqual({ days: [['2026-03-05', '2026-04-20']] });
  });
});

describe('the months closed', () => {
  it('the last closed month is the one before the month 14 hours ago', () => {
    expect(lastClosedMonth(Date.parse('2026-03-01T13:59:00Z'))).toBe('2026-01');
    expect(lastClosedMonth(Date.parse('2026-03-01T14:00:00Z'))).toBe('2026-02');
    expect(lastClosedMonth(Date.parse('2026-01-15T00:00:00Z'))).toBe('2025-12');
  });
});
