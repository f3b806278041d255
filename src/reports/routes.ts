import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import type { Unit } from '../org/units';
import { CONTACT_GROUPS, ROLLUP_GROUPS } from '../scores/query';
import { reportQuery, type SavedReport } from './run';
import { createReport, deleteReport, getReport, listReports, runReport, updateReport } from './saved-reports';
import { CYCLES, isTimeZone, type ReportSchedule } from './schedule';

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
    weekday: z.union([z.number().int().min(0).max(6), z.enum(['daily', ...CYCLES])]).openapi({
      description:
        '0 = Sunday … 6 = Saturday, `daily`, or the planning cycle: `monthly` (the first day of each month, the monthly business review) or `quarterly` (the first day of each quarter); a report on the cycle covers the calendar month or quarter just ended',
    }),
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
    const now = Date.now();
    const rows = await listReports(deps(c), c.req.valid('query').scope);
    return c.json({ items: rows.map((r) => present(r.report, r.unit, now)) }, 200);
  })
  .openapi(routes.create, async (c) => {
    const now = Date.now();
    const { report, unit } = await createReport(deps(c), c.req.valid('json'), now);
    return c.json(present(report, unit, now), 201);
  })
  .openapi(routes.get, async (c) => {
    const { report, unit } = await getReport(deps(c), c.req.valid('param').id);
    return c.json(present(report, unit, Date.now()), 200);
  })
  .openapi(routes.update, async (c) => {
    const now = Date.now();
    const { report, unit } = await updateReport(deps(c), c.req.valid('param').id, c.req.valid('json'), now);
    return c.json(present(report, unit, now), 200);
  })
  .openapi(routes.remove, async (c) => {
    await deleteReport(deps(c), c.req.valid('param').id);
    return c.body(null, 204);
  })
  .openapi(routes.csv, async (c) => {
    const { report, query, csv } = await runReport(deps(c), c.req.valid('param').id, Date.now());
    return new Response(csv, {
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="report-${report.id}-${query.from}-${query.to}.csv"`, 'x-request-id': c.get('requestId') },
    }) as never;
  });
