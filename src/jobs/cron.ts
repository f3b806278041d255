import { and, isNotNull, lt, or } from 'drizzle-orm';
import { dataPlane, type DatabaseRun } from '../db/plane';
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
import { purgeExpiredPersonalData } from '../settings/retention-sweep';
import { closeDueTargets } from '../targets/close';

/** The cron expressions of wrangler.toml, each with the jobs it runs. Every job is idempotent. */
export const SCHEDULES = {
  everyMinute: '* * * * *',
  hourly: '0 * * * *',
  daily: '0 3 * * *',
  everyFiveMinutes: '*/5 * * * *',
} as const;

type Job = (run: DatabaseRun, scheduledTime: number) => Promise<void>;

/** Daily: forget sessions past their expiry (or revoked over a day ago) and stale login counters. */
const purgeExpiredCredentials: Job = async ({ db }, now) => {
  await db.batch([
    db.delete(sessions).where(or(lt(sessions.expiresAt, now), and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, now - 86_400_000)))),
    db.delete(rateLimits).where(lt(rateLimits.windowStart, now - LOGIN_COUNTER_TTL_MS)),
  ]);
};

/** Every minute: fold new answers into the rollups, tenant by tenant. */
const foldRollups: Job = async ({ db }, now) => {
  await foldAll(db, now);
};

/** Every five minutes: late recovery cases escalate, once per breach (docs/cases.md). */
const escalateCases: Job = async (run, now) => {
  await escalateLateCases(run, now);
};

export const JOBS: Record<string, Job[]> = {
  [SCHEDULES.everyMinute]: [runDueWaves, enqueueDueDeliveries, foldRollups, enqueueDueWebhooks, notifyDueCases],
  [SCHEDULES.hourly]: [evaluateAlerts, sendDigests, sendDueReports],
  [SCHEDULES.daily]: [purgeExpiredCredentials, purgeExpiredPersonalData, closeDueTargets],
  [SCHEDULES.everyFiveMinutes]: [escalateCases],
};

/** The message that runs one cron expression's jobs on one data database. */
export interface CronTick {
  type: 'cron.tick';
  idempotencyKey: string;
  cron: string;
  databaseId: string;
  scheduledTime: number;
}

/**
 * A Cron Trigger fans out: one `cron.tick` message per data database on the workflow queue, so
 * each database's jobs run in their own invocation (their own CPU and subrequest budget) and a
 * failing database is retried alone. An unknown expression is a configuration error.
 */
export async function runScheduled(cron: string, env: Env, scheduledTime: number): Promise<void> {
  if (!JOBS[cron]) throw new Error(`no jobs for cron "${cron}"`);
  const queue = env.WORKFLOW_QUEUE;
  if (!queue) throw new Error('the WORKFLOW_QUEUE binding is missing');
  const databases = await dataPlane(loadConfig(env)).databases();
  const ticks: CronTick[] = databases.map((d) => ({ type: 'cron.tick', idempotencyKey: `cron:${cron}:${d.id}:${scheduledTime}`, cron, databaseId: d.id, scheduledTime }));
  for (let i = 0; i < ticks.length; i += 100) await queue.sendBatch(ticks.slice(i, i + 100).map((body) => ({ body })));
}

/** Runs the jobs of one cron expression on one data database; every job is idempotent. */
export async function runDatabaseJobs(tick: CronTick, env: Env): Promise<void> {
  const jobs = JOBS[tick.cron];
  if (!jobs) throw new Error(`no jobs for cron "${tick.cron}"`);
  const plane = dataPlane(loadConfig(env));
  const run: DatabaseRun = { env, db: await plane.byId(tick.databaseId), databaseId: tick.databaseId };
  // Each job runs even when another failed; the message is retried if any did, so monitoring sees it.
  const failures: unknown[] = [];
  for (const job of jobs) {
    try {
      await job(run, tick.scheduledTime);
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', cron: tick.cron, databaseId: tick.databaseId, job: job.name, message: String(err), cause: String((err as Error).cause ?? '') }));
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} jobs of cron "${tick.cron}" failed on ${tick.databaseId}`);
}
