import { z } from '@hono/zod-openapi';

/**
 * The periods a governance review covers: a quarter (`2026-Q3`) or a month (`2026-07`), as local
 * days of the reviewed unit's hierarchy (each answer and invitation by its own unit's local day,
 * as the scores count them).
 */
export const GovernancePeriod = z
  .string()
  .regex(/^\d{4}-(Q[1-4]|(0[1-9]|1[0-2]))$/, 'a quarter YYYY-Qn or a month YYYY-MM')
  .openapi({ description: 'A quarter `YYYY-Qn` or a month `YYYY-MM`', example: '2026-Q3' });

const lastDay = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);

/** The first and last local day of a period (validated by `GovernancePeriod`). */
export function periodDays(period: string): { from: string; to: string } {
  const year = Number(period.slice(0, 4));
  if (period[5] === 'Q') {
    const q = Number(period[6]);
    const first = 3 * (q - 1) + 1;
    return { from: `${year}-${String(first).padStart(2, '0')}-01`, to: lastDay(year, first + 2) };
  }
  const month = Number(period.slice(5, 7));
  return { from: `${period}-01`, to: lastDay(year, month) };
}
