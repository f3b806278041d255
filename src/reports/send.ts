import { and, eq } from 'drizzle-orm';
import { sendStaffEmail } from '../alerts/email';
import type { DatabaseRun } from '../db/plane';
import { savedReports } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import { loadConfig } from '../env';
import { getSettings } from '../settings/settings';
import { dueReports } from './due-reports';
import { ownerActor, reportCsv } from './run';
import { nextOccurrence, type ReportSchedule } from './schedule';

/** Reports mailed per run; the rest are due still and go out with the next hourly run. */
const PER_RUN = 100;

/**
 * Hourly: each report whose next occurrence has come is mailed to its recipients with its CSV,
 * run as its owner with the owner's access of now. Moving `next_run_at` to the following local
 * occurrence with a guarded update (still the value read) is the claim: of two runs, one wins
 * and the other sends nothing. A run that was missed sends once, then waits for the next one.
 */
export async function sendDueReports({ env, db }: DatabaseRun, now: number): Promise<void> {
  const config = loadConfig(env);
  const due = await dueReports(db, now, PER_RUN);

  const failures: unknown[] = [];
  for (const { report, unit } of due) {
    try {
      const t = new TenantDb(db, report.tenantId);
      const schedule = report.schedule as ReportSchedule | null;
      const next = schedule ? nextOccurrence(schedule, now) : null;
      const [claimed] = await t
        .update(savedReports)
        .set({ nextRunAt: next, lastSentAt: now })
        .where(and(eq(savedReports.id, report.id), eq(savedReports.nextRunAt, report.nextRunAt!)))
        .returning({ id: savedReports.id });
      if (!claimed || !schedule) continue; // another run has it
      const actor = await ownerActor(t, report, now);
      if (!actor) {
        console.error(JSON.stringify({ level: 'error', job: 'reports', reportId: report.id, message: 'the owner no longer exists or is disabled: not sent' }));
        continue;
      }
      const { query, csv } = await reportCsv({ t, actor }, report, unit.timezone, now);
      const settings = await getSettings(t);
      const text = [
        `${report.name}: NPS of ${unit.name}, ${query.from} to ${query.to}.`,
        `Signed in, run it again at ${config.publicBaseUrl}/api/v1/reports/${report.id}/scores.csv`,
        '',
        'scores.csv:',
        csv.replace(/\r\n/g, '\n').trimEnd(),
      ].join('\n');
      for (const to of schedule.recipients) {
        const out = await sendStaffEmail(new TenantDb(db, report.tenantId), config, settings, {
          to,
          subject: `${report.name} (${query.from} to ${query.to})`,
          text,
          key: `report:${report.id}:${report.nextRunAt}:${to}`,
          now,
        });
        if (!out.sent) console.error(JSON.stringify({ level: 'error', job: 'reports', reportId: report.id, to, message: out.error }));
      }
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} saved reports failed`);
}
