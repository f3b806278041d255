import { Cron } from 'croner';

/**
 * A wave's schedule: a five-part cron expression (minute hour day-of-month month day-of-week,
 * or a nickname such as `@monthly`) read in the tenant root's time zone, parsed by croner.
 * Minute precision matches the cron tick that starts waves.
 */
export function scheduleError(expression: string, timezone = 'UTC'): string | null {
  try {
    const cron = new Cron(expression, { timezone, mode: '5-part' });
    return cron.nextRun() ? null : 'the schedule never runs';
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern: /, '');
  }
}

/** The first time strictly after `after` that the schedule names (epoch ms), or null when none. */
export function nextRunAfter(expression: string, timezone: string, after: number): number | null {
  const next = new Cron(expression, { timezone, mode: '5-part' }).nextRun(new Date(after));
  return next ? next.getTime() : null;
}
