import { and, isNotNull, lt, or } from 'drizzle-orm';
import { openDb } from '../db/client';
import { rateLimits, sessions } from '../db/schema';
import { loadConfig, type Env } from '../env';
import { LOGIN_COUNTER_TTL_MS } from '../auth/rate-limit';
import { enqueueDueDeliveries } from '../delivery/scan';
import { foldAll } from '../scores/fold';
import { runDueWaves } from '../waves/run';
import { evaluateAlerts } from '../alerts/evaluate';
import { sendDigests } from '../digests/run';
import { enqueueDueWebhooks } from '../webhooks/dispatch';
import { escalateLateCases } from '../cases/escalation';
import { notifyDueCases } from '../cases/notify-due';
import { sendDueReports } from '../reports/send';
import { purgeExpiredPersonalData } from '../settings/retention';

/** The cron expressions of wrangler.toml, each with the jobs it runs. Every job is idempotent. */
export const SCHEDULES = {
  everyMinute: '* * * * *',
  hourly: '0 * * * *',
  daily: '0 3 * * *',
  everyFiveMinutes: '*/5 * * * *',
} as const;

type Job = (env: Env, scheduledTime: number) => Promise<void>;

/** Daily: forget sessions past their expiry (or revoked over a day ago) and stale login counters. */
const purgeExpiredCredentials: Job = async (env, now) => {
  const config = loadConfig(env);
  const db = openDb(config.libsqlUrl, config.libsqlAuthToken);
  await db.batch([
    db.delete(sessions).where(or(lt(sessions.expiresAt, now), and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, now - 86_400_000)))),
    db.delete(rateLimits).where(lt(rateLimits.windowStart, now - LOGIN_COUNTER_TTL_MS)),
  ]);
};

/** Every minute: fold new answers into the rollups, tenant by tenant. */
const foldRollups: Job = async (env, now) => {
  const config = loadConfig(env);
  await foldAll(openDb(config.libsqlUrl, config.libsqlAuthToken), now);
};

/** Every five minutes: late recovery cases escalate, once per breach (docs/cases.md). */
const escalateCases: Job = async (env, now) => {
  await escalateLateCases(env, now);
};

export const JOBS: Record<string, Job[]> = {
  [SCHEDULES.everyMinute]: [runDueWaves, enqueueDueDeliveries, foldRollups, enqueueDueWebhooks, notifyDueCases],
  [SCHEDULES.hourly]: [evaluateAlerts, sendDigests, sendDueReports],
  [SCHEDULES.daily]: [purgeExpiredCredentials, purgeExpiredPersonalData],
  [SCHEDULES.everyFiveMinutes]: [escalateCases],
};

/** Runs the jobs of one cron expression; an unknown expression is a configuration error. */
export async function runScheduled(cron: string, env: Env, scheduledTime: number): Promise<void> {
  const jobs = JOBS[cron];
  if (!jobs) throw new Error(`no jobs for cron "${cron}"`);
  // Each job runs even when another failed; the event fails if any did, so monitoring sees it.
  const failures: unknown[] = [];
  for (const job of jobs) {
    try {
      await job(env, scheduledTime);
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', cron, job: job.name, message: String(err), cause: String((err as Error).cause ?? '') }));
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} jobs of cron "${cron}" failed`);
}
