import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { tenants, users } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { notFound } from '../lib/errors';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { getSettings, type Settings } from '../settings/settings';
import { BusinessCalendarSchema, CasePhonesSchema, CaseTargetsSchema, RoutingRulesSchema } from './config';

/** The case settings of the tenant (docs/cases.md): kept in the tenant settings, changed here by an admin on the root. */
const View = z
  .object({
    caseTargets: z.object({ firstContactHours: z.number().int(), resolutionHours: z.number().int() }),
    businessCalendar: z.object({ timezone: z.string(), days: z.array(z.number().int()), start: z.string(), end: z.string(), holidays: z.array(z.string()) }).nullable(),
    routingRules: z.array(z.object({ attribute: z.string(), equals: z.union([z.string(), z.number(), z.boolean()]), ownerUserId: z.string() })),
    casePhones: z.record(z.string(), z.string()),
    caseNotifyGraceMinutes: z.number().int().openapi({ description: 'A case opened by a score alone tells its owner when the comment comes, or after this many minutes' }),
  })
  .openapi('CaseSettings');

const Update = z
  .strictObject({
    caseTargets: CaseTargetsSchema.partial().optional(),
    businessCalendar: BusinessCalendarSchema.nullable().optional().openapi({ description: '`null`: targets count plain hours' }),
    routingRules: RoutingRulesSchema.optional(),
    casePhones: CasePhonesSchema.optional(),
    caseNotifyGraceMinutes: z.number().int().min(0).max(1440).optional().openapi({ description: 'Minutes a new case waits for the comment before its owner is told (default 10; 0: at once)' }),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one setting to change')
  .openapi('UpdateCaseSettings');

const present = (s: Settings) => ({
  caseTargets: s.caseTargets,
  businessCalendar: s.businessCalendar ?? null,
  routingRules: s.routingRules ?? [],
  casePhones: s.casePhones ?? {},
  caseNotifyGraceMinutes: s.caseNotifyGraceMinutes,
});

const tags = ['cases'];
const routes = {
  get: createRoute({
    method: 'get',
    path: '/api/v1/case-settings',
    tags,
    summary: 'Case targets, business-hours calendar, routing rules, owners\u2019 SMS numbers (admin)',
    security,
    middleware: [authenticate] as const,
    responses: { 200: json(View, 'The case settings'), ...errors(...AUTHED) },
  }),
  put: createRoute({
    method: 'put',
    path: '/api/v1/case-settings',
    tags,
    summary: 'Change case settings (admin); each given field replaces the stored one',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(Update) },
    responses: { 200: json(View, 'The case settings'), ...errors(...AUTHED) },
  }),
};

export const caseSettingsRoutes = createRouter()
  .openapi(routes.get, async (c) => {
    await requireTenantWide(deps(c), 'case.configure', 'case settings');
    return c.json(present(await getSettings(c.get('tdb'))), 200);
  })
  .openapi(routes.put, async (c) => {
    await requireTenantWide(deps(c), 'case.configure', 'case settings');
    const db = c.get('db');
    const tenantId = c.get('actor').tenantId;
    const body = c.req.valid('json');
    const before = await getSettings(c.get('tdb'));
    // Owners named by rules and phones must be users of this tenant (another tenant's id is as unknown as a made-up one).
    const named = [...new Set([...(body.routingRules ?? []).map((r) => r.ownerUserId), ...Object.keys(body.casePhones ?? {})])];
    if (named.length) {
      const found = await db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.tenantId, tenantId), inArray(users.id, named)));
      if (found.length !== named.length) throw notFound('user');
    }
    const changes: Record<string, unknown> = {};
    if (body.caseTargets) changes.caseTargets = { ...before.caseTargets, ...body.caseTargets };
    if (body.businessCalendar !== undefined) changes.businessCalendar = body.businessCalendar ?? undefined;
    if (body.routingRules) changes.routingRules = body.routingRules;
    if (body.casePhones) changes.casePhones = body.casePhones;
    if (body.caseNotifyGraceMinutes !== undefined) changes.caseNotifyGraceMinutes = body.caseNotifyGraceMinutes;
    let expr: SQL = sql`${tenants.settings}`;
    for (const [key, value] of Object.entries(changes)) expr = value === undefined ? sql`json_remove(${expr}, ${`$.${key}`})` : sql`json_set(${expr}, ${`$.${key}`}, json(${JSON.stringify(value)}))`;
    const after = { ...before, ...changes } as Settings;
    await commit(db, [
      db.update(tenants).set({ settings: expr, updatedAt: Date.now() }).where(eq(tenants.id, tenantId)),
      ...(await audit(deps(c), { action: 'case_settings.update', targetType: 'tenant', targetId: tenantId, before: present(before), after: present(after), details: { changed: Object.keys(body) } })),
    ]);
    return c.json(present(await getSettings(c.get('tdb'))), 200);
  });
