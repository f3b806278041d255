import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { changeCaseSettings, readCaseSettings } from './case-settings';
import { BusinessCalendarSchema, CasePhonesSchema, CaseTargetsSchema, RoutingRulesSchema } from './config';

/** The case settings of the tenant (docs/cases.md): kept in the tenant settings, changed here by an admin on the root. */
const View = z
  .object({
    caseTargets: z.object({ firstContactHours: z.number().int(), resolutionHours: z.number().int() }),
    businessCalendar: z.object({ timezone: z.string(), days: z.array(z.number().int()), start: z.string(), end: z.string(), holidays: z.array(z.string()) }).nullable(),
    routingRules: z.array(
      z.union([z.object({ attribute: z.string(), equals: z.union([z.string(), z.number(), z.boolean()]), ownerUserId: z.string() }), z.object({ theme: z.string(), ownerUserId: z.string() })]),
    ),
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
  .openapi(routes.get, async (c) => c.json(await readCaseSettings(deps(c)), 200))
  .openapi(routes.put, async (c) => c.json(await changeCaseSettings(deps(c), c.req.valid('json')), 200));
