import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { FOLD_MARK, heldFoldMark } from '../db/fold-mark';
import {
  alertRules,
  cases,
  commentBackfill,
  churnModels,
  cronMarks,
  invitations,
  RETENTION_SET,
  rateLimits,
  responses,
  roleGrants,
  rollupWatermarks,
  savedReports,
  sessions,
  targets,
  tenants,
  waves,
  webhookDeliveries,
} from '../db/schema';

/*
 * Does a data database have work for a cron expression? (docs/architecture.md, "Jobs per
 * database"). Each job has a probe: an SQL condition made of `exists (...)` terms, each an index
 * seek on exactly the condition under which the job does something, across the tenants of the
 * database. The scheduler asks each database all the probes of an expression in one statement
 * (one round trip) and sends a `cron.tick` only where one says due, naming the jobs that are.
 * When nothing is due, every seek finds no index entry: an idle database costs one statement
 * that reads (next to) nothing. A probe may say due when the job then finds nothing (a superset),
 * never idle when it has work; test/workers/due-work.test.ts checks each one.
 *
 * Literal values stay literal in the SQL: a partial index serves a query only when the query
 * names its condition. The indexes are those of migration 0017 (src/db/schema.ts).
 * This module imports the schema (and the fold's mark, src/db/fold-mark.ts) only: the jobs (src/jobs/cron.ts) give what their probes need
 * to know of them (leases, retry windows), so jobs and probes cannot drift apart silently.
 */

/** A job's condition at `now`: an SQL boolean made of `exists` terms. */
export type Probe = SQL;

const any = (...terms: SQL[]): SQL => sql`(${sql.join(terms, sql` or `)})`;

/** Every minute: a wave whose next run has come (waves_active_next). */
export const wavesDue = (now: number): Probe => sql`exists (select 1 from ${waves} where ${waves.active} = 1 and ${waves.nextRunAt} <= ${now})`;

/**
 * Every minute, src/delivery/scan.ts: an open invitation past its expiry, a scheduled one due, a
 * `sending` one untouched for the lease, a reminder due (sent, unanswered, not reminded, not expired).
 */
export const deliveriesDue = (now: number, leaseMs: number): Probe =>
  any(
    sql`exists (select 1 from ${invitations} where ${invitations.status} in ('scheduled', 'sending', 'sent') and ${invitations.expiresAt} <= ${now})`,
    sql`exists (select 1 from ${invitations} where ${invitations.status} = 'scheduled' and ${invitations.dueAt} <= ${now})`,
    sql`exists (select 1 from ${invitations} where ${invitations.status} = 'sending' and ${invitations.updatedAt} <= ${now - leaseMs})`,
    sql`exists (select 1 from ${invitations} where ${invitations.status} = 'sent' and ${invitations.remindedAt} is null and ${invitations.reminderDueAt} <= ${now} and ${invitations.expiresAt} > ${now})`,
  );

/**
 * Every minute, src/scores/fold.ts `foldAll`: an answer past its tenant's watermark, a tenant
 * with months to close (`closedThrough`: lastClosedMonth(now)) or contact totals to rebuild. The first needs a walk over the
 * tenants (each one's watermark), so the database keeps a mark instead (`markFolded`, after each
 * fold): every answer up to rowid `seq` is folded. Due when an answer lies past the mark (rowids
 * grow), or when the answer the mark names is gone or another (a rowid reused after the newest
 * answers were deleted: what comes next may lie under the mark).
 */
export const foldDue = (closedThrough: string): Probe =>
  any(
    sql`exists (select 1 from ${responses} where ${responses}.rowid > coalesce((select ${cronMarks.seq} from ${cronMarks} where ${cronMarks.job} = ${FOLD_MARK}), 0))`,
    sql`exists (select 1 from ${cronMarks} where ${cronMarks.job} = ${FOLD_MARK} and ${cronMarks.seq} > 0
      and not exists (select 1 from ${responses} where ${responses}.rowid = ${cronMarks.seq} and ${responses.id} = ${cronMarks.ref}))`,
    sql`exists (select 1 from ${rollupWatermarks} where ${rollupWatermarks.monthsClosedThrough} < ${closedThrough})`,
    // Contact dimension totals being rebuilt (src/scores/fold.ts): one row per tenant to look at.
    sql`exists (select 1 from ${rollupWatermarks} where (contact_dims_seq < response_seq) = 1)`,
  );

/**
 * After a fold: marks the newest answer folded when every answer up to it is at or under its
 * tenant's watermark, checked in the same statement (so answers that came in during the fold,
 * or a fold cut short by its per-tick budget, leave the mark where it was). While the mark holds
 * only the answers past it are checked; without one, every tenant's (a walk over the tenants).
 * A CROSS JOIN keeps its empty left side the outer loop, so the branch not taken reads no row.
 */
export async function markFolded(db: Db, now: number): Promise<void> {
  const unfolded = (p: string) => sql.raw(`p.rowid <= x.top and p.rowid > coalesce((select w.response_seq from rollup_watermarks w where w.tenant_id = ${p}), 0)`);
  await db.run(sql`insert into ${cronMarks} (job, seq, ref, at)
    select ${FOLD_MARK}, coalesce(r.rowid, 0), coalesce(r.id, ''), ${now}
    from (select max(rowid) as top from ${responses}) x left join ${responses} r on r.rowid = x.top
    where not exists (select 1 from (${heldFoldMark}) k cross join ${responses} p where p.rowid > k.seq and ${unfolded('p.tenant_id')})
      and not exists (
        select 1 from (select 1 where not exists (${heldFoldMark})) g cross join ${tenants} t
        where exists (select 1 from ${responses} p where p.tenant_id = t.id and ${unfolded('t.id')}))
    on conflict (job) do update set seq = excluded.seq, ref = excluded.ref, at = excluded.at`);
}

/** Every minute, src/webhooks/dispatch.ts: a pending delivery whose attempt is due. */
export const webhooksDue = (now: number): Probe => sql`exists (select 1 from ${webhookDeliveries} where ${webhookDeliveries.status} = 'pending' and ${webhookDeliveries.nextAttemptAt} <= ${now})`;

/** Every minute, src/cases/notify-due.ts: a case whose owner is to be told. */
export const caseNotificationsDue = (now: number): Probe => sql`exists (select 1 from ${cases} where ${cases.notifyDueAt} <= ${now})`;

/**
 * Every five minutes, src/cases/escalation.ts: a case late for first contact or resolution and
 * not yet escalated for that breach (`escalated` holds breach names, so a substring test is the
 * membership test the job makes with json_each, and partial indexes can hold it); or a case
 * escalated within `noticeRetryMs` whose latest escalation's email step is missing. The first
 * two name their partial index: the planner would take the (status, due) indexes of the job
 * itself, which also hold the cases escalated already. That last
 * one cannot be a single seek (the step is in job_steps): it reads the cases escalated (or
 * changed after an escalation) within the window, each with one seek of its step.
 */
export const escalationDue = (now: number, noticeRetryMs: number): Probe =>
  any(
    sql`exists (select 1 from ${cases} indexed by cases_first_contact_late where ${cases.status} = 'open' and ${cases.firstContactAt} is null and instr(${cases.escalated}, '"first_contact"') = 0 and ${cases.firstContactDueAt} <= ${now})`,
    sql`exists (select 1 from ${cases} indexed by cases_resolution_late where ${cases.status} in ('open', 'contacted') and instr(${cases.escalated}, '"resolution"') = 0 and ${cases.resolutionDueAt} <= ${now})`,
    sql`exists (select 1 from ${cases} where ${cases.status} in ('open', 'contacted') and ${cases.escalationLevel} > 0
      and ${cases.updatedAt} > ${now - noticeRetryMs} and ${cases.updatedAt} < ${now}
      and not exists (select 1 from job_steps s where s.tenant_id = ${cases.tenantId}
        and s.key = 'case.escalated:' || ${cases.id} || ':' || json_extract(${cases.escalated}, '$[#-1]') || ':' || ${cases.escalationLevel} || ':email'))`,
  );

/** Hourly, src/alerts/evaluate.ts: an active rule (each is evaluated every hour). */
export const alertsDue = (): Probe => sql`exists (select 1 from ${alertRules} where ${alertRules.active} = 1)`;

/**
 * True from Sunday 17:00 to Tuesday 13:00 UTC: when it is Monday 08:00 or later somewhere
 * (local times run from UTC−12 to UTC+14; an hour of margin each side), the only time a digest
 * can be due (src/digests/run.ts `isDigestTime`).
 */
export function digestWindow(now: number): boolean {
  const WEEK = 7 * 86_400_000;
  const HOUR = 3_600_000;
  // 1970-01-05 was a Monday: the time since the last Monday 00:00 UTC.
  const sinceMonday = (((now - 4 * 86_400_000) % WEEK) + WEEK) % WEEK;
  return sinceMonday < 37 * HOUR || sinceMonday >= WEEK - 7 * HOUR;
}

/**
 * Hourly, src/digests/run.ts: a manager, while it is Monday morning somewhere. Whether this
 * week's digest is sent depends on each manager's time zone, which no index holds: inside the
 * window the job runs where there are managers (and sends each digest once).
 */
export const digestsDue = (now: number): Probe => (digestWindow(now) ? sql`exists (select 1 from ${roleGrants} where ${roleGrants.role} = 'manager')` : sql`0`);

/** Hourly, src/reports/send.ts: a saved report whose next run has come. */
/**
 * Hourly, src/reviews/deliver.ts: a manager, while a quarter's review mailing window is open
 * (`open`, from reviewMailWindow: the 30 days after a quarter closes). Whether a manager's pack is
 * due depends on their units' time zones and the deliveries already made: inside the window the
 * job runs where there are managers (and mails each pack once).
 */
export const reviewsDue = (open: boolean): Probe => (open ? sql`exists (select 1 from ${roleGrants} where ${roleGrants.role} = 'manager')` : sql`0`);

export const reportsDue = (now: number): Probe => sql`exists (select 1 from ${savedReports} where ${savedReports.nextRunAt} <= ${now})`;

/** Daily: sessions past their expiry or revoked over a day ago, login counters past their window. */
export const credentialsDue = (now: number, counterTtlMs: number): Probe =>
  any(
    sql`exists (select 1 from ${sessions} where ${sessions.expiresAt} < ${now})`,
    sql`exists (select 1 from ${sessions} where ${sessions.revokedAt} is not null and ${sessions.revokedAt} < ${now - 86_400_000})`,
    sql`exists (select 1 from ${rateLimits} where ${rateLimits.windowStart} < ${now - counterTtlMs})`,
  );

/**
 * Daily, src/settings/retention.ts: a tenant with a retention period. What is past it depends on
 * each tenant's period and rows, which one seek cannot tell: where a period is set, the daily
 * job runs (and erases nothing when nothing is past it).
 */
export const retentionDue = (): Probe => sql`exists (select 1 from ${tenants} where ${sql.raw(RETENTION_SET)} = 1)`;

/** Daily, src/accounts/retrain.ts: a churn model due for training (churn_models_due). */
export const churnTrainingDue = (now: number): Probe => sql`exists (select 1 from ${churnModels} where ${churnModels.dueAt} is not null and ${churnModels.dueAt} <= ${now})`;

/** Daily, src/accounts/retrain.ts `sendDueScorings`: a tenant whose accounts are due for their daily re-scoring (churn_models_score_due). */
export const churnScoringDue = (now: number): Probe => sql`exists (select 1 from ${churnModels} where ${churnModels.scoreDueAt} is not null and ${churnModels.scoreDueAt} <= ${now})`;

/** Daily, src/targets/close.ts: a target period past its close, its attainment not yet frozen (targets_closing). */
export const targetsClosingDue = (now: number): Probe => sql`exists (select 1 from ${targets} where ${targets.closesAt} is not null and ${targets.closesAt} <= ${now})`;

/** Every minute, src/comments/backfill.ts: a tenant with answers left in its backfill range (comment_backfill_due). */
export const commentBackfillDue = (now: number): Probe => sql`exists (select 1 from ${commentBackfill} where ${commentBackfill.dueAt} <= ${now})`;

/** The one statement that asks a database every probe of an expression: a row of 0/1 by job name. */
export function dueWorkStatement(probes: Record<string, Probe>): SQL {
  return sql`select ${sql.join(
    Object.entries(probes).map(([name, probe]) => sql`${probe} as ${sql.identifier(name)}`),
    sql`, `,
  )}`;
}

/** The jobs of `probes` that have work in this database, by name: one round trip. */
export async function dueJobs(db: Db, probes: Record<string, Probe>): Promise<string[]> {
  const [row] = await db.all<Record<string, unknown>>(dueWorkStatement(probes));
  return Object.keys(probes).filter((name) => Number(row?.[name] ?? 1) !== 0);
}
