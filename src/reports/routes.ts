import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { can, reach } from '../auth/policy';
import { commit } from '../db/client';
import { savedReports, units } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { getUnit, type Unit } from '../org/units';
import { CONTACT_GROUPS, ROLLUP_GROUPS } from '../scores/query';
import { getSettings } from '../settings/settings';
import { reportCsv, reportQuery, type SavedReport } from './run';
import { isTimeZone, nextOccurrence, type ReportSchedule } from './schedule';

const tags = ['reports'];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const Filters = z
  .strictObject({
    rangeDays: z.number().int().min(1).max(1096).openapi({ description: 'The last N complete local days of the unit (ending yesterday), e.g. 28, 90, 365' }),
    period: z.enum(['day', 'week', 'month', 'quarter']).optional(),
    groupBy: z.enum([...ROLLUP_GROUPS, ...CONTACT_GROUPS]).optional(),
    weight: z.enum(['none', 'ltv', 'poststrat']).default('none'),
    compare: z.enum(['previous']).optional().openapi({ description: 'Each item gets its change against the same number of days just before' }),
    confidence: z.number().gt(0).lt(1).default(0.95),
  })
  .openapi('ReportFilters', { description: 'The filters of GET /api/v1/scores, with a relative range instead of dates' });

const Schedule = z
  .strictObject({
    weekday: z.union([z.number().int().min(0).max(6), z.literal('daily')]).openapi({ description: '0 = Sunday … 6 = Saturday, or `daily`' }),
    hour: z.number().int().min(0).max(23).openapi({ description: 'Local hour the report is mailed' }),
    timezone: z.string().min(1).max(64).refine(isTimeZone, 'not an IANA time zone').optional().openapi({ description: "IANA time zone; default the unit's" }),
    recipients: z.array(z.email().max(254)).min(1).max(20),
  })
  .openapi('ReportSchedule');

// Names go into email subjects (case, alert and report mail): no line breaks, which would start another header.
const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\r\n]*$/, 'no line breaks');
const id = z.string().min(1).max(64);

const CreateReport = z.strictObject({ name, unitId: id, filters: Filters, schedule: Schedule.nullable().optional() }).openapi('CreateReport');
const UpdateReport = z
  .strictObject({ name: name.optional(), unitId: id.optional(), filters: Filters.optional(), schedule: Schedule.nullable().optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .openapi('UpdateReport');

const ReportSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    unitId: z.string(),
    unitName: z.string(),
    owner: z.object({ type: z.enum(['user', 'api_key']), id: z.string() }),
    filters: Filters,
    schedule: Schedule.extend({ timezone: z.string() }).nullable(),
    range: z.object({ from: z.string(), to: z.string() }).openapi({ description: "The range resolved now, in the unit's local days: pass it to GET /api/v1/scores with the filters" }),
    nextRunAt: z.string().nullable(),
    lastSentAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('SavedReport');

function present(r: SavedReport, unit: Pick<Unit, 'name' | 'timezone'>, now: number) {
  const q = reportQuery(r, unit.timezone, now);
  return {
    id: r.id,
    name: r.name,
    unitId: r.unitId,
    unitName: unit.name,
    owner: { type: r.ownerType, id: r.ownerId },
    filters: r.filters as z.infer<typeof Filters>,
    schedule: r.schedule as (ReportSchedule & { timezone: string }) | null,
    range: { from: q.from, to: q.to },
    nextRunAt: iso(r.nextRunAt),
    lastSentAt: iso(r.lastSentAt),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
  };
}

const isOwner = (c: AppContext, r: SavedReport) => {
  const actor = c.get('actor');
  return r.ownerType === actor.type && r.ownerId === actor.id;
};

/** A unit a report may be on: in the caller's reach (else 404) and its scores readable (else 403). */
async function reportableUnit(c: AppContext, unitId: string): Promise<Unit> {
  const actor = c.get('actor');
  const unit = await getUnit(c.get('tdb'), unitId);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this unit');
  return unit;
}

/** A report the caller may see: its unit in reach (else 404), and theirs or overseen by them as admin (else 403). */
async function visibleReport(c: AppContext, reportId: string) {
  const actor = c.get('actor');
  const [row] = await c
    .get('db')
    .select({ report: savedReports, unit: units })
    .from(savedReports)
    .innerJoin(units, and(eq(units.tenantId, savedReports.tenantId), eq(units.id, savedReports.unitId)))
    .where(and(eq(savedReports.tenantId, actor.tenantId), eq(savedReports.id, reportId)));
  if (!row || !can(actor, 'unit.read', row.unit.path)) throw notFound('report');
  if (!isOwner(c, row.report) && !can(actor, 'report.oversee', row.unit.path)) throw forbidden('a saved report is for its owner (and admins over its unit)');
  return row;
}

/** Post-stratified reports need the population shares, as the scores API does. */
async function checkWeight(c: AppContext, filters: z.infer<typeof Filters>) {
  if (filters.weight !== 'poststrat') return;
  const settings = await getSettings(c.get('tdb'));
  if (!settings.populationShares) throw new ApiError('UNPROCESSABLE', 'post-stratification needs population shares per segment in the settings');
}

/** The stored schedule: the time zone made explicit (the unit's by default), and its next occurrence. */
function scheduleOf(s: z.infer<typeof Schedule> | null | undefined, unit: Unit, now: number) {
  if (!s) return { schedule: null, nextRunAt: null };
  const schedule: ReportSchedule = { weekday: s.weekday, hour: s.hour, timezone: s.timezone ?? unit.timezone, recipients: [...new Set(s.recipients.map((r) => r.toLowerCase()))] };
  return { schedule, nextRunAt: nextOccurrence(schedule, now) };
}

const routes = {
  list: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/reports',
    summary: "Saved reports: mine, and for admins everyone's on units in their reach",
    request: { query: z.strictObject({ scope: z.enum(['mine', 'all']).default('all').openapi({ description: '`mine`: only reports I own' }) }) },
    responses: { 200: json(z.object({ items: z.array(ReportSchema) }), 'Reports, newest first'), ...errors(...AUTHED) },
  }),
  create: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/reports',
    summary: 'Save a scores report on a unit in reach (score.read): filters, a relative range, optionally a mail schedule',
    request: { body: jsonBody(CreateReport) },
    responses: { 201: json(ReportSchema, 'Created'), ...errors(...AUTHED, 422) },
  }),
  get: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/reports/{id}',
    summary: 'One saved report, with its range resolved now',
    request: { params: IdParam },
    responses: { 200: json(ReportSchema, 'The report'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'patch',
    path: '/api/v1/reports/{id}',
    summary: 'Change name, unit, filters or schedule (`null` stops mailing); audited',
    request: { params: IdParam, body: jsonBody(UpdateReport) },
    responses: { 200: json(ReportSchema, 'Updated'), ...errors(...AUTHED, 422) },
  }),
  remove: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'delete',
    path: '/api/v1/reports/{id}',
    summary: 'Delete a saved report; audited',
    request: { params: IdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(...AUTHED) },
  }),
  csv: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/reports/{id}/scores.csv',
    summary: 'Run the report now: the CSV of GET /api/v1/exports/scores.csv for its filters and resolved range',
    request: { params: IdParam },
    responses: { 200: { description: 'CSV (RFC 4180, UTF-8)', content: { 'text/csv': { schema: z.string() } } }, ...errors(...AUTHED, 422) },
  }),
};

export const reportRoutes = createRouter()
  .openapi(routes.list, async (c) => {
    const actor = c.get('actor');
    const now = Date.now();
    const mine = and(eq(savedReports.ownerType, actor.type), eq(savedReports.ownerId, actor.id))!;
    const overseen = c.req.valid('query').scope === 'all' ? reach(actor, 'report.oversee').map((p) => and(gte(units.path, p), lt(units.path, `${p.slice(0, -1)}0`))!) : [];
    const where: SQL[] = [eq(savedReports.tenantId, actor.tenantId), or(mine, ...overseen)!];
    const rows = await c
      .get('db')
      .select({ report: savedReports, unit: units })
      .from(savedReports)
      .innerJoin(units, and(eq(units.tenantId, savedReports.tenantId), eq(units.id, savedReports.unitId)))
      .where(and(...where))
      .orderBy(desc(savedReports.createdAt), desc(savedReports.id))
      .limit(500);
    // An owner who lost the unit no longer sees the report (nor is it mailed: src/reports/send.ts).
    const items = rows.filter((r) => can(actor, 'unit.read', r.unit.path)).map((r) => present(r.report, r.unit, now));
    return c.json({ items }, 200);
  })
  .openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const actor = c.get('actor');
    const db = c.get('db');
    const unit = await reportableUnit(c, body.unitId);
    await checkWeight(c, body.filters);
    const now = Date.now();
    const report: SavedReport = {
      id: newId('rpt'),
      tenantId: actor.tenantId,
      ownerType: actor.type,
      ownerId: actor.id,
      unitId: unit.id,
      name: body.name,
      filters: body.filters,
      ...scheduleOf(body.schedule, unit, now),
      lastSentAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await commit(db, [db.insert(savedReports).values(report), ...(await audit(deps(c), { action: 'report.create', targetType: 'saved_report', targetId: report.id, after: report }))]);
    return c.json(present(report, unit, now), 201);
  })
  .openapi(routes.get, async (c) => {
    const { report, unit } = await visibleReport(c, c.req.valid('param').id);
    return c.json(present(report, unit, Date.now()), 200);
  })
  .openapi(routes.update, async (c) => {
    const patch = c.req.valid('json');
    const actor = c.get('actor');
    const db = c.get('db');
    const { report, unit: oldUnit } = await visibleReport(c, c.req.valid('param').id);
    // Changing it needs the scores of its unit (and of the new one, when moved).
    const unit = await reportableUnit(c, patch.unitId ?? oldUnit.id);
    if (patch.filters) await checkWeight(c, patch.filters);
    const now = Date.now();
    const after: SavedReport = { ...report, name: patch.name ?? report.name, unitId: unit.id, filters: patch.filters ?? report.filters, updatedAt: now };
    if (patch.schedule !== undefined) Object.assign(after, scheduleOf(patch.schedule, unit, now));
    await commit(db, [
      db
        .update(savedReports)
        .set({ name: after.name, unitId: after.unitId, filters: after.filters, schedule: after.schedule, nextRunAt: after.nextRunAt, updatedAt: now })
        .where(and(eq(savedReports.tenantId, actor.tenantId), eq(savedReports.id, report.id))),
      ...(await audit(deps(c), { action: 'report.update', targetType: 'saved_report', targetId: report.id, before: report, after, details: { changed: Object.keys(patch) } })),
    ]);
    return c.json(present(after, unit, now), 200);
  })
  .openapi(routes.remove, async (c) => {
    const actor = c.get('actor');
    const db = c.get('db');
    const { report, unit } = await visibleReport(c, c.req.valid('param').id);
    if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this unit');
    await commit(db, [
      db.delete(savedReports).where(and(eq(savedReports.tenantId, actor.tenantId), eq(savedReports.id, report.id))),
      ...(await audit(deps(c), { action: 'report.delete', targetType: 'saved_report', targetId: report.id, before: report })),
    ]);
    return c.body(null, 204);
  })
  .openapi(routes.csv, async (c) => {
    const { report, unit } = await visibleReport(c, c.req.valid('param').id);
    const { query, csv } = await reportCsv(c, report, unit.timezone, Date.now());
    return new Response(csv, {
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="report-${report.id}-${query.from}-${query.to}.csv"`, 'x-request-id': c.get('requestId') },
    }) as never;
  });
