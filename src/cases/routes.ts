import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { seesRespondent, type Actor } from '../auth/policy';
import { CASE_KINDS, CASE_STATUSES, type caseEvents, type replyTemplates } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { weightsOf } from '../vendors/composite';
import { changeCase } from './case-changes';
import { CASE_SORTS, caseOwners, caseWithTimeline, listCases, nextDue, type LoadedCase } from './case-reads';
import { caseMetrics } from './metrics';
import { caseReply, listTemplates, saveTemplate } from './templates';
import { setVendorContract } from './vendor-contracts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const tags = ['cases'];

const CaseSchema = z
  .object({
    id: z.string(),
    kind: z.enum(CASE_KINDS).openapi({ description: '`detractor`: opened by an answer; `at_risk`: opened by an account whose churn probability crossed the threshold (docs/accounts.md)' }),
    responseId: z.string().nullable().openapi({ description: 'The answer of a detractor case; null for an at-risk case' }),
    accountId: z.string().nullable().openapi({ description: 'The account (its external id) of an at-risk case; null for a detractor case' }),
    unitId: z.string(),
    unitName: z.string(),
    touchpointId: z.string().nullable().openapi({ description: "The answer's touchpoint; null for an at-risk case" }),
    ownerUserId: z.string().nullable(),
    ownerName: z.string().nullable().openapi({ description: "The owner's name (their email when they have none); null without an owner" }),
    status: z.enum(CASE_STATUSES),
    score: z.number().int().nullable().openapi({ description: "The detractor's score; null for an at-risk case" }),
    comment: z.string().nullable().openapi({ description: 'The verbatim: for roles that read verbatims and for the owner, else null' }),
    contact: z
      .object({ id: z.string(), externalId: z.string(), email: z.string().nullable(), phone: z.string().nullable(), locale: z.string().nullable() })
      .nullable()
      .openapi({ description: 'Like the comment: null without access or for an anonymous answer' }),
    firstContactDueAt: z.string().nullable(),
    resolutionDueAt: z.string().nullable(),
    firstContactAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    overdue: z.boolean(),
    nextDueAt: z
      .string()
      .nullable()
      .openapi({ description: 'The next target: the first contact while open and untouched, else the resolution while open or contacted; null once resolved or closed. Past: the case is late' }),
    nextTarget: z.enum(['first_contact', 'resolution']).nullable(),
    escalationLevel: z.number().int(),
    escalated: z.array(z.string()),
    rootCause: z.string().nullable(),
    tags: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Case');

const EventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    actorType: z.string(),
    actorId: z.string().nullable(),
    fromStatus: z.string().nullable(),
    toStatus: z.string().nullable(),
    note: z.string().nullable(),
    reason: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
  })
  .openapi('CaseEvent');

const ListQuery = z
  .object({
    scope: z.enum(['mine', 'subtree']).default('subtree').openapi({ description: '`mine`: cases I own; `subtree`: cases of units in my reach (and mine)' }),
    status: z.enum(CASE_STATUSES).optional(),
    overdue: z.enum(['true', 'false']).optional().openapi({ description: '`true`: open or contacted past a due time' }),
    vendorId: z.string().min(1).max(64).optional().openapi({ description: 'A vendor unit: its cases only' }),
    unitId: z.string().min(1).max(64).optional().openapi({ description: 'A unit in reach: the cases of its subtree (404 outside reach)' }),
    scoreMin: z.coerce.number().int().min(0).max(10).optional().openapi({ description: 'Lowest score, inclusive' }),
    scoreMax: z.coerce.number().int().min(0).max(10).optional().openapi({ description: 'Highest score, inclusive' }),
    minAgeDays: z.coerce.number().int().min(0).max(3650).optional().openapi({ description: 'Opened at least this many days (of 24 h) ago' }),
    maxAgeDays: z.coerce.number().int().min(0).max(3650).optional().openapi({ description: 'Opened at most this many days (of 24 h) ago' }),
    sort: z
      .enum(CASE_SORTS)
      .default('newest')
      .openapi({ description: '`newest` (default), `oldest`, `due` (the next target soonest: late ones first; resolved and closed last), `score` (lowest first)' }),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.string().min(1).max(64).optional().openapi({ description: 'Cursor of the newest-first order: the last id of the previous page (`nextCursor`)' }),
    offset: z.coerce.number().int().min(0).max(100_000).optional().openapi({ description: 'Rows to skip, in any order (`nextOffset` of the previous page)' }),
  })
  .superRefine((q, ctx) => {
    if (q.scoreMin !== undefined && q.scoreMax !== undefined && q.scoreMin > q.scoreMax) ctx.addIssue({ code: 'custom', path: ['scoreMin'], message: 'must not be above `scoreMax`' });
    if (q.minAgeDays !== undefined && q.maxAgeDays !== undefined && q.minAgeDays > q.maxAgeDays) ctx.addIssue({ code: 'custom', path: ['minAgeDays'], message: 'must not be above `maxAgeDays`' });
    if (q.before !== undefined && q.sort !== 'newest') ctx.addIssue({ code: 'custom', path: ['before'], message: 'pages the newest-first order only: use `offset`' });
  });

const UpdateCase = z
  .strictObject({
    status: z.enum(CASE_STATUSES).optional(),
    note: z.string().trim().min(1).max(4000).optional(),
    rootCause: z.string().trim().min(1).max(500).nullable().optional(),
    tags: z.array(z.string().trim().min(1).max(64)).max(20).optional().openapi({ description: 'Root-cause tags; replaces the list' }),
    reason: z.string().trim().min(3).max(1000).optional().openapi({ description: 'Required to mark a case resolved or closed' }),
    ownerUserId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: 'Reassign to one of GET /api/v1/cases/{id}/owners (admin, manager or vendor over the unit; 422 for anyone else as owner)' }),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field')
  .openapi('UpdateCase');

const MetricsQuery = z.object({
  unitId: z.string().min(1).max(64).optional(),
  from: z.iso.date().optional().openapi({ description: 'First UTC day of cases opened (default: 28 days ago)' }),
  to: z.iso.date().optional().openapi({ description: 'Last UTC day (default: today)' }),
});
const Stats = z.object({
  cases: z.number().int(),
  contacted: z.number().int(),
  resolved: z.number().int(),
  closed: z.number().int(),
  hoursToFirstContact: z.object({ median: z.number().nullable(), mean: z.number().nullable() }),
  hoursToResolve: z.object({ median: z.number().nullable(), mean: z.number().nullable() }),
  withinTarget: z.object({ firstContact: z.number().nullable(), resolution: z.number().nullable() }),
});
const MetricsSchema = z
  .object({
    unitId: z.string(),
    from: z.string(),
    to: z.string(),
    total: Stats,
    units: z.array(Stats.extend({ unitId: z.string(), name: z.string() })),
    vendors: z.array(Stats.extend({ unitId: z.string(), name: z.string() })),
    owners: z.array(Stats.extend({ userId: z.string().nullable(), name: z.string().nullable() })),
  })
  .openapi('CaseMetrics');

const Template = z.strictObject({
  theme: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[\w.-]+$/, 'letters, digits, _ . -'),
  locale: z.string().trim().min(2).max(35),
  subject: z.string().min(1).max(300),
  body: z.string().min(1).max(10_000),
});
const TemplateSchema = Template.extend({ id: z.string(), createdAt: z.string(), updatedAt: z.string() }).openapi('ReplyTemplate');
const ReplySchema = z.object({ caseId: z.string(), theme: z.string(), locale: z.string(), subject: z.string(), body: z.string() }).openapi('Reply');

const hours = z.number().int().min(1).max(8760).nullable();
const Contract = z
  .strictObject({
    ownerUserId: z.string().min(1).max(64).nullable().optional(),
    firstContactHours: hours.optional(),
    resolutionHours: hours.optional(),
    compositeWeights: z
      .strictObject({ nps: z.number(), contactedWithinTarget: z.number(), resolvedWithinTarget: z.number() })
      .nullable()
      .optional()
      .openapi({ description: "Weights of the scorecard's composite index: non-negative, not all zero (else 422); null: equal weights" }),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field')
  .openapi('UpdateVendorContract');
const ContractSchema = z
  .object({
    unitId: z.string(),
    ownerUserId: z.string().nullable(),
    firstContactHours: z.number().int().nullable(),
    resolutionHours: z.number().int().nullable(),
    compositeWeights: z.object({ nps: z.number(), contactedWithinTarget: z.number(), resolvedWithinTarget: z.number() }),
    updatedAt: z.string(),
  })
  .openapi('VendorContract');

// ---- helpers --------------------------------------------------------------------------------

const isOverdue = (x: { status: string; firstContactAt: number | null; firstContactDueAt: number | null; resolutionDueAt: number | null }, now: number) =>
  (x.status === 'open' || x.status === 'contacted') &&
  ((x.status === 'open' && x.firstContactAt === null && x.firstContactDueAt !== null && x.firstContactDueAt < now) || (x.resolutionDueAt !== null && x.resolutionDueAt < now));

function present(
  actor: Actor,
  row: Pick<LoadedCase, 'c' | 'unitPath' | 'unitName' | 'comment' | 'ownerName' | 'ownerEmail' | 'accountExternalId'> & {
    contact: Pick<NonNullable<LoadedCase['contact']>, 'id' | 'externalId' | 'email' | 'phone' | 'locale'> | null;
  },
  now = Date.now(),
) {
  const k = row.c;
  const verbatim = seesRespondent(actor, row.unitPath, k.ownerUserId);
  const due = nextDue(k);
  return {
    id: k.id,
    kind: k.kind,
    responseId: k.responseId,
    accountId: row.accountExternalId ?? null,
    unitId: k.unitId,
    unitName: row.unitName,
    touchpointId: k.touchpointId,
    ownerUserId: k.ownerUserId,
    ownerName: k.ownerUserId === null ? null : row.ownerName || row.ownerEmail || null,
    status: k.status,
    score: k.score,
    comment: verbatim ? (row.comment ?? null) : null,
    contact: verbatim && row.contact?.id ? { id: row.contact.id, externalId: row.contact.externalId, email: row.contact.email, phone: row.contact.phone, locale: row.contact.locale } : null,
    firstContactDueAt: iso(k.firstContactDueAt),
    resolutionDueAt: iso(k.resolutionDueAt),
    firstContactAt: iso(k.firstContactAt),
    resolvedAt: iso(k.resolvedAt),
    closedAt: iso(k.closedAt),
    overdue: isOverdue(k, now),
    nextDueAt: due ? iso(due.at) : null,
    nextTarget: due?.target ?? null,
    escalationLevel: k.escalationLevel,
    escalated: k.escalated,
    rootCause: k.rootCause,
    tags: k.tags,
    createdAt: new Date(k.createdAt).toISOString(),
    updatedAt: new Date(k.updatedAt).toISOString(),
  };
}

const presentEvent = (e: typeof caseEvents.$inferSelect) => ({
  id: e.id,
  type: e.type,
  actorType: e.actorType,
  actorId: e.actorId,
  fromStatus: e.fromStatus,
  toStatus: e.toStatus,
  note: e.note,
  reason: e.reason,
  details: e.details,
  createdAt: new Date(e.createdAt).toISOString(),
});

const presentTemplate = (t: Omit<typeof replyTemplates.$inferSelect, 'tenantId'>) => ({
  id: t.id,
  theme: t.theme,
  locale: t.locale,
  subject: t.subject,
  body: t.body,
  createdAt: new Date(t.createdAt).toISOString(),
  updatedAt: new Date(t.updatedAt).toISOString(),
});

// ---- routes ---------------------------------------------------------------------------------

const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/v1/cases',
    tags,
    summary: 'Recovery cases: mine, or of the units in my reach',
    description: 'admin, analyst, manager and vendor read the cases of units in their reach; everyone reads the cases they own (an agent only those); a viewer none.',
    security,
    middleware: [authenticate] as const,
    request: { query: ListQuery },
    responses: {
      200: json(
        z.object({
          items: z.array(CaseSchema),
          nextCursor: z.string().nullable().openapi({ description: 'Newest-first order only: `before` of the next page' }),
          nextOffset: z.number().int().nullable().openapi({ description: '`offset` of the next page, in any order; null on the last page' }),
        }),
        'In the order asked for (newest first by default)',
      ),
      ...errors(...AUTHED),
    },
  }),
  owners: createRoute({
    method: 'get',
    path: '/api/v1/cases/{id}/owners',
    tags,
    summary: 'People who can own the case: active admins, managers, vendors and agents with a grant on its unit or above it',
    description: 'For those who may reassign it (admin, manager or vendor over the unit); 403 for others who read it, 404 for a case out of reach.',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 200: json(z.object({ items: z.array(z.object({ id: z.string(), name: z.string(), email: z.string() }).openapi('CaseOwner')) }), 'Possible owners'), ...errors(...AUTHED) },
  }),
  metrics: createRoute({
    method: 'get',
    path: '/api/v1/cases/metrics',
    tags,
    summary: 'Loop metrics: time to first contact and to resolve, share within target, per child unit, vendor and owner',
    security,
    middleware: [authenticate] as const,
    request: { query: MetricsQuery },
    responses: { 200: json(MetricsSchema, 'Metrics of cases opened in the period'), ...errors(...AUTHED) },
  }),
  get: createRoute({
    method: 'get',
    path: '/api/v1/cases/{id}',
    tags,
    summary: 'One case with its timeline',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: {
      200: json(
        CaseSchema.extend({
          timeline: z.array(EventSchema),
          themes: z.array(z.object({ id: z.string(), name: z.string() })).openapi({ description: "Library themes of the answer's comment: their reply templates are suggested (docs/themes.md)" }),
        }),
        'The case',
      ),
      ...errors(...AUTHED),
    },
  }),
  update: createRoute({
    method: 'patch',
    path: '/api/v1/cases/{id}',
    tags,
    summary: 'Change status (open → contacted → resolved, or closed; reopen), add a note, root cause and tags, reassign',
    description:
      'Resolved and closed need a `reason` (422 without); a transition not allowed from the current status answers 409. Owner, or admin/manager/vendor in reach. Reassigning (`ownerUserId`) is for admin/manager/vendor in reach only (403 for an owner alone); the new owner must be one of GET /api/v1/cases/{id}/owners (else 422); the timeline gets a `reassigned` event.',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, body: jsonBody(UpdateCase) },
    responses: { 200: json(CaseSchema, 'Updated'), ...errors(...AUTHED, 409, 422) },
  }),
  reply: createRoute({
    method: 'get',
    path: '/api/v1/cases/{id}/reply',
    tags,
    summary: "A reply template of a theme rendered for the case, in the contact's locale",
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, query: z.object({ theme: z.string().min(1).max(100) }) },
    responses: { 200: json(ReplySchema, 'The rendered reply'), ...errors(...AUTHED) },
  }),
  createTemplate: createRoute({
    method: 'post',
    path: '/api/v1/reply-templates',
    tags,
    summary: 'Create or replace the reply template of a theme and locale (admin)',
    description: 'Placeholders: {contactName}, {score}, {unitName}, {comment}, {caseId}, {ownerName}, {touchpointName}.',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(Template.openapi('CreateReplyTemplate')) },
    responses: { 201: json(TemplateSchema, 'Created'), 200: json(TemplateSchema, 'Replaced'), ...errors(...AUTHED) },
  }),
  listTemplates: createRoute({
    method: 'get',
    path: '/api/v1/reply-templates',
    tags,
    summary: 'Reply templates',
    security,
    middleware: [authenticate] as const,
    request: { query: z.object({ theme: z.string().min(1).max(100).optional() }) },
    responses: { 200: json(z.object({ items: z.array(TemplateSchema) }), 'By theme and locale'), ...errors(...AUTHED) },
  }),
  putContract: createRoute({
    method: 'put',
    path: '/api/v1/vendor-contracts/{unitId}',
    tags,
    summary: "A vendor unit's contract: its owner on the tenant's side and its case targets (admin)",
    security,
    middleware: [authenticate] as const,
    request: {
      params: z.object({
        unitId: z
          .string()
          .min(1)
          .max(64)
          .openapi({ param: { name: 'unitId', in: 'path' } }),
      }),
      body: jsonBody(Contract),
    },
    responses: { 200: json(ContractSchema, 'The contract'), ...errors(...AUTHED, 422) },
  }),
};

export const caseRoutes = createRouter()
  .openapi(routes.list, async (c) => {
    const { page, nextCursor, nextOffset, now } = await listCases(deps(c), c.req.valid('query'));
    return c.json({ items: page.map((r) => present(c.get('actor'), r, now)), nextCursor, nextOffset }, 200);
  })
  .openapi(routes.owners, async (c) => c.json({ items: await caseOwners(deps(c), c.req.valid('param').id) }, 200))
  .openapi(routes.metrics, async (c) => c.json(await caseMetrics(deps(c), c.req.valid('query')), 200))
  .openapi(routes.get, async (c) => {
    const { row, timeline, themes } = await caseWithTimeline(deps(c), c.req.valid('param').id);
    return c.json({ ...present(c.get('actor'), row), timeline: timeline.map(presentEvent), themes }, 200);
  })
  .openapi(routes.update, async (c) => {
    const { row, after } = await changeCase(deps(c), c.req.valid('param').id, c.req.valid('json'));
    return c.json(present(c.get('actor'), { ...row, c: after }), 200);
  })
  .openapi(routes.reply, async (c) => c.json(await caseReply(deps(c), c.req.valid('param').id, c.req.valid('query').theme), 200))
  .openapi(routes.createTemplate, async (c) => {
    const { template, created } = await saveTemplate(deps(c), c.req.valid('json'));
    return created ? c.json(presentTemplate(template), 201) : c.json(presentTemplate(template), 200);
  })
  .openapi(routes.listTemplates, async (c) => {
    const rows = await listTemplates(deps(c), c.req.valid('query').theme);
    return c.json({ items: rows.map(presentTemplate) }, 200);
  })
  .openapi(routes.putContract, async (c) => {
    const record = await setVendorContract(deps(c), c.req.valid('param').unitId, c.req.valid('json'));
    return c.json(
      {
        unitId: record.unitId,
        ownerUserId: record.ownerUserId,
        firstContactHours: record.firstContactHours,
        resolutionHours: record.resolutionHours,
        compositeWeights: weightsOf(record.compositeWeights),
        updatedAt: new Date(record.updatedAt).toISOString(),
      },
      200,
    );
  });
