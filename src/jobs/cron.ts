import { and, isNotNull, lt, or } from 'drizzle-orm';
import { dataPlane, type DatabaseRun } from '../db/plane';
import { rateLimits, sessions, signInNetworks } from '../db/schema';
import { loadConfig, type Env } from '../env';
import { LOGIN_COUNTER_TTL_MS } from '../auth/rate-limit';
import { SIGN_IN_NETWORK_TTL_MS } from '../auth/network';
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
import { LEASE_MS as DELIVERY_LEASE_MS } from '../delivery/deliver';
import { lastClosedMonth } from '../scores/fold';
import { NOTICE_RETRY_MS } from '../cases/due-cases';
import {
  alertsDue,
  caseNotificationsDue,
  commentBackfillDue,
  churnScoringDue,
  churnTrainingDue,
  credentialsDue,
  deliveriesDue,
  digestsDue,
  dueJobs,
  escalationDue,
  foldDue,
  markFolded,
  type Probe,
  reportsDue,
  reviewsDue,
  retentionDue,
  targetsClosingDue,
  wavesDue,
  webhooksDue,
} from './due-work';
import { closeDueTargets } from '../targets/close';
import { reviewMailWindow, sendReviewPacks } from '../reviews/deliver';
import { backfillComments } from '../comments/backfill';
import { sendDueScorings, sendDueTrainings } from '../accounts/retrain';

/** The cron expressions of wrangler.toml, each with the jobs it runs. Every job is idempotent. */
export const SCHEDULES = {
  everyMinute: '* * * * *',
  hourly: '0 * * * *',
  daily: '0 3 * * *',
  everyFiveMinutes: '*/5 * * * *',
} as const;

type Job = (run: DatabaseRun, scheduledTime: number) => Promise<void>;

/** Daily: forget sessions past their expiry (or revoked over a day ago), stale login counters and sign-in networks not seen for 180 days. */
const purgeExpiredCredentials: Job = async ({ db }, now) => {
  await db.batch([
    db.delete(sessions).where(or(lt(sessions.expiresAt, now), and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, now - 86_400_000)))),
    db.delete(rateLimits).where(lt(rateLimits.windowStart, now - LOGIN_COUNTER_TTL_MS)),
    // Sign-in network fingerprints not seen for their retention period (docs/integrity.md).
    db.delete(signInNetworks).where(lt(signInNetworks.lastAt, now - SIGN_IN_NETWORK_TTL_MS)),
  ]);
};

/** Every minute: fold new answers into the rollups, tenant by tenant; then mark how far every answer is folded (the probe's mark). */
const foldRollups: Job = async ({ db }, now) => {
  await foldAll(db, now);
  await markFolded(db, now);
};

/** Every five minutes: late recovery cases escalate, once per breach (docs/cases.md). */
const escalateCases: Job = async (run, now) => {
  await escalateLateCases(run, now);
};

/** A job and its probe (src/jobs/due-work.ts): does a database have work for it at `now`? */
interface ScheduledJob {
  run: Job;
  due: (now: number) => Probe;
}

/** Each cron expression's jobs by name (the names a `cron.tick` lists), with their probes. */
export const SCHEDULED: Record<string, Record<string, ScheduledJob>> = {
  [SCHEDULES.everyMinute]: {
    waves: { run: runDueWaves, due: wavesDue },
    deliveries: { run: enqueueDueDeliveries, due: (now) => deliveriesDue(now, DELIVERY_LEASE_MS) },
    fold: { run: foldRollups, due: (now) => foldDue(lastClosedMonth(now)) },
    webhooks: { run: enqueueDueWebhooks, due: webhooksDue },
    caseNotifications: { run: notifyDueCases, due: caseNotificationsDue },
    commentBackfill: { run: backfillComments, due: commentBackfillDue },
  },
  [SCHEDULES.hourly]: {
    alerts: { run: evaluateAlerts, due: alertsDue },
    digests: { run: sendDigests, due: digestsDue },
    reports: { run: sendDueReports, due: reportsDue },
    reviews: { run: sendReviewPacks, due: (now) => reviewsDue(reviewMailWindow(now)) },
  },
  [SCHEDULES.daily]: {
    credentials: { run: purgeExpiredCredentials, due: (now) => credentialsDue(now, LOGIN_COUNTER_TTL_MS) },
    retention: { run: purgeExpiredPersonalData, due: retentionDue },
    targets: { run: closeDueTargets, due: targetsClosingDue },
    churn: { run: sendDueTrainings, due: churnTrainingDue },
    churnScoring: { run: sendDueScorings, due: churnScoringDue },
  },
  [SCHEDULES.everyFiveMinutes]: {
    escalation: { run: escalateCases, due: (now) => escalationDue(now, NOTICE_RETRY_MS) },
  },
};

export const JOBS: Record<string, Job[]> = Object.fromEntries(Object.entries(SCHEDULED).map(([cron, jobs]) => [cron, Object.values(jobs).map((j) => j.run)]));

/** The message that runs one cron expression's jobs on one data database. */
export interface CronTick {
  type: 'cron.tick';
  idempotencyKey: string;
  cron: string;
  databaseId: string;
  scheduledTime: number;
  /** The jobs whose probe said due (names of SCHEDULED); absent: every job of the expression. */
  jobs?: string[];
}

/**
 * Databases probed at once by the scheduled handler: a Worker keeps at most six connections
 * open at a time (each probe is one subrequest; the others would wait anyway).
 */
export const PROBE_CONCURRENCY = 6;

/** `work` over `items`, at most `limit` at a time, results in order. */
async function mapBounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The ticks of one cron expression: every data database of the catalog is asked, in one
 * statement, which of the expression's jobs have work (src/jobs/due-work.ts), at most
 * PROBE_CONCURRENCY at a time; a tick goes to each database where one has, naming those jobs.
 * A database that cannot be asked (down, or its schema behind this code's) gets a tick for
 * every job: its consumer then fails and is retried, or runs the jobs as before the probes.
 */
export async function planTicks(cron: string, env: Env, scheduledTime: number): Promise<CronTick[]> {
  const jobs = SCHEDULED[cron];
  if (!jobs) throw new Error(`no jobs for cron "${cron}"`);
  const plane = dataPlane(loadConfig(env));
  const databases = await plane.databases();
  const probes = Object.fromEntries(Object.entries(jobs).map(([name, job]) => [name, job.due(scheduledTime)]));
  const due = await mapBounded(databases, PROBE_CONCURRENCY, async (d) => {
    try {
      return await dueJobs(plane.open(d), probes);
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', cron, databaseId: d.id, job: 'probe', message: String(err), cause: String((err as Error).cause ?? '') }));
      return Object.keys(jobs);
    }
  });
  return databases.flatMap((d, i) =>
    due[i]!.length === 0 ? [] : [{ type: 'cron.tick' as const, idempotencyKey: `cron:${cron}:${d.id}:${scheduledTime}`, cron, databaseId: d.id, scheduledTime, jobs: due[i]! }],
  );
}

/**
 * A Cron Trigger fans out: one `cron.tick` message per data database that has work (planTicks)
 * on the workflow queue, so each database's jobs run in their own invocation (their own CPU and
 * subrequest budget) and a failing database is retried alone; an idle database costs its probe
 * only. An unknown expression is a configuration error.
 */
export async function runScheduled(cron: string, env: Env, scheduledTime: number): Promise<void> {
  if (!SCHEDULED[cron]) throw new Error(`no jobs for cron "${cron}"`);
  const queue = env.WORKFLOW_QUEUE;
  if (!queue) throw new Error('the WORKFLOW_QUEUE binding is missing');
  const ticks = await planTicks(cron, env, scheduledTime);
  for (let i = 0; i < ticks.length; i += 100) await queue.sendBatch(ticks.slice(i, i + 100).map((body) => ({ body })));
  if (cron === SCHEDULES.daily) await purgeDirectoryCounters(env, scheduledTime);
}

/**
 * Daily, with a directory: the sign-in counters it keeps (counted before a tenant is known) are
 * forgotten once stale for every limit, as each data database's are by purgeExpiredCredentials.
 */
async function purgeDirectoryCounters(env: Env, now: number): Promise<void> {
  const directory = dataPlane(loadConfig(env)).directory;
  if (!directory) return;
  await directory.$client.execute({ sql: 'delete from rate_limits where window_start < ?', args: [now - LOGIN_COUNTER_TTL_MS] });
}

/** Runs the jobs of one cron expression on one data database (those the tick names, or all); every job is idempotent. */
export async function runDatabaseJobs(tick: CronTick, env: Env): Promise<void> {
  const jobs = SCHEDULED[tick.cron];
  if (!jobs) throw new Error(`no jobs for cron "${tick.cron}"`);
  const plane = dataPlane(loadConfig(env));
  const run: DatabaseRun = { env, db: await plane.byId(tick.databaseId), databaseId: tick.databaseId };
  // Each job runs even when another failed; the message is retried if any did, so monitoring sees it.
  const failures: unknown[] = [];
  for (const [name, job] of Object.entries(jobs)) {
    if (tick.jobs && !tick.jobs.includes(name)) continue;
    try {
      await job.run(run, tick.scheduledTime);
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', cron: tick.cron, databaseId: tick.databaseId, job: name, message: String(err), cause: String((err as Error).cause ?? '') }));
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} jobs of cron "${tick.cron}" failed on ${tick.databaseId}`);
}
