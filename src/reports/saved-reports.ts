import { and, desc, eq, gte, lt, or } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can, reach } from '../auth/policy';
import { commit } from '../db/client';
import { savedReports, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { getUnit, type Unit } from '../org/units';
import { getSettings } from '../settings/settings';
import { reportCsv, type ReportFilters, type SavedReport } from './run';
import { nextOccurrence, type ReportSchedule } from './schedule';

/*
 * Saved reports: who sees and changes which, the stored schedule, and the CSV run by hand
 * (docs/reports.md). Mailing them is src/reports/send.ts.
 */

/** A schedule as given: the time zone defaults to the unit's. */
export type ScheduleInput = Omit<ReportSchedule, 'timezone'> & { timezone?: string };

export interface ReportInput {
  name: string;
  unitId: string;
  filters: ReportFilters;
  schedule?: ScheduleInput | null;
}

/** What an update changes: at least one field (checked by the route). */
export type ReportPatch = Partial<ReportInput>;

export interface ReportOnUnit {
  report: SavedReport;
  unit: Unit;
}

const isOwner = (actor: Deps['actor'], r: SavedReport) => r.ownerType === actor.type && r.ownerId === actor.id;

/** A unit a report may be on: in the caller's reach (else 404) and its scores readable (else 403). */
async function reportableUnit({ t, actor }: Pick<Deps, 't' | 'actor'>, unitId: string): Promise<Unit> {
  const unit = await getUnit(t, unitId);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this unit');
  return unit;
}

/** A report the caller may see: its unit in reach (else 404), and theirs or overseen by them as admin (else 403). */
async function visibleReport({ t, actor }: Pick<Deps, 't' | 'actor'>, reportId: string): Promise<ReportOnUnit> {
  const [row] = await t.select({ report: savedReports, unit: units }).from(savedReports).innerJoin(units, eq(units.id, savedReports.unitId)).where(eq(savedReports.id, reportId));
  if (!row || !can(actor, 'unit.read', row.unit.path)) throw notFound('report');
  if (!isOwner(actor, row.report) && !can(actor, 'report.oversee', row.unit.path)) throw forbidden('a saved report is for its owner (and admins over its unit)');
  return row;
}

/** Post-stratified reports need the population shares, as the scores API does. */
async function checkWeight(t: TenantDb, filters: ReportFilters) {
  if (filters.weight !== 'poststrat') return;
  const settings = await getSettings(t);
  if (!settings.populationShares) throw new ApiError('UNPROCESSABLE', 'post-stratification needs population shares per segment in the settings');
}

/** The stored schedule: the time zone made explicit (the unit's by default), and its next occurrence. */
function scheduleOf(s: ScheduleInput | null | undefined, unit: Unit, now: number) {
  if (!s) return { schedule: null, nextRunAt: null };
  const schedule: ReportSchedule = { weekday: s.weekday, hour: s.hour, timezone: s.timezone ?? unit.timezone, recipients: [...new Set(s.recipients.map((r) => r.toLowerCase()))] };
  return { schedule, nextRunAt: nextOccurrence(schedule, now) };
}

/**
 * The caller's reports and, with `all`, those on units they oversee, newest first (at most
 * 500). An owner who lost the unit no longer sees the report (nor is it mailed: src/reports/send.ts).
 */
export async function listReports({ t, actor }: Pick<Deps, 't' | 'actor'>, scope: 'mine' | 'all'): Promise<ReportOnUnit[]> {
  const mine = and(eq(savedReports.ownerType, actor.type), eq(savedReports.ownerId, actor.id))!;
  const overseen = scope === 'all' ? reach(actor, 'report.oversee').map((p) => and(gte(units.path, p), lt(units.path, `${p.slice(0, -1)}0`))!) : [];
  const rows = await t
    .select({ report: savedReports, unit: units })
    .from(savedReports)
    .innerJoin(units, eq(units.id, savedReports.unitId))
    .where(or(mine, ...overseen)!)
    .orderBy(desc(savedReports.createdAt), desc(savedReports.id))
    .limit(500);
  return rows.filter((r) => can(actor, 'unit.read', r.unit.path));
}

/** Saves a report owned by the caller on a unit whose scores they read; audited. */
export async function createReport(d: Deps, input: ReportInput, now: number): Promise<ReportOnUnit> {
  const { t, actor } = d;
  const unit = await reportableUnit(d, input.unitId);
  await checkWeight(t, input.filters);
  const report: SavedReport = {
    id: newId('rpt'),
    tenantId: actor.tenantId,
    ownerType: actor.type,
    ownerId: actor.id,
    unitId: unit.id,
    name: input.name,
    filters: input.filters,
    ...scheduleOf(input.schedule, unit, now),
    lastSentAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await commit(t, [t.insert(savedReports).values(report), ...(await audit(d, { action: 'report.create', targetType: 'saved_report', targetId: report.id, after: report }))]);
  return { report, unit };
}

/** A report the caller may see. */
export const getReport = (d: Pick<Deps, 't' | 'actor'>, reportId: string) => visibleReport(d, reportId);

/** Changes name, unit, filters or schedule (`null` stops mailing): needs the scores of its unit (and of the new one, when moved); audited. */
export async function updateReport(d: Deps, reportId: string, patch: ReportPatch, now: number): Promise<ReportOnUnit> {
  const { t } = d;
  const { report, unit: oldUnit } = await visibleReport(d, reportId);
  const unit = await reportableUnit(d, patch.unitId ?? oldUnit.id);
  if (patch.filters) await checkWeight(t, patch.filters);
  const after: SavedReport = {
    ...report,
    name: patch.name ?? report.name,
    unitId: unit.id,
    filters: patch.filters ?? report.filters,
    updatedAt: now,
  };
  if (patch.schedule !== undefined) Object.assign(after, scheduleOf(patch.schedule, unit, now));
  await commit(t, [
    t
      .update(savedReports)
      .set({ name: after.name, unitId: after.unitId, filters: after.filters, schedule: after.schedule, nextRunAt: after.nextRunAt, updatedAt: now })
      .where(eq(savedReports.id, report.id)),
    ...(await audit(d, { action: 'report.update', targetType: 'saved_report', targetId: report.id, before: report, after, details: { changed: Object.keys(patch) } })),
  ]);
  return { report: after, unit };
}

/** Deletes a report the caller may see and whose unit's scores they read; audited. */
export async function deleteReport(d: Deps, reportId: string): Promise<void> {
  const { t, actor } = d;
  const { report, unit } = await visibleReport(d, reportId);
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this unit');
  await commit(t, [t.delete(savedReports).where(eq(savedReports.id, report.id)), ...(await audit(d, { action: 'report.delete', targetType: 'saved_report', targetId: report.id, before: report }))]);
}

/** Runs a report the caller may see now: its CSV for the range resolved at `now`. */
export async function runReport(d: Pick<Deps, 't' | 'actor'>, reportId: string, now: number) {
  const { report, unit } = await visibleReport(d, reportId);
  return { report, ...(await reportCsv(d, report, unit.timezone, now)) };
}
