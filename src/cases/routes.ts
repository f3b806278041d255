import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, desc, eq, gte, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { can, reach, seesRespondent, type Actor } from '../auth/policy';
import { requireAnywhere, requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { CASE_STATUSES, caseEvents, cases, contacts, jobSteps, replyTemplates, responses, tenants, touchpoints, units, users, vendorContracts } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError, conflict, forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { reportUnit } from '../org/scope';
import { getUnit, inSubtree } from '../org/units';
import { SettingsSchema } from '../settings/settings';
import { TouchpointRulesSchema } from '../touchpoints/rules';
import { webhookEvent } from '../webhooks/emit';
import { loopMetrics, type MetricCase } from './metrics';
import { checkWeights, weightsOf } from '../vendors/composite';
import { loadChain } from './routing';
import { caseTargets, dueTimes } from './targets';
import { pickLocale, renderTemplate } from './templates';

type CaseStatus = (typeof CASE_STATUSES)[number];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const tags = ['cases'];

/** Allowed status changes: open → contacted → resolved, or closed without action; reopen. */
export const TRANSITIONS: Record<CaseStatus, CaseStatus[]> = {
  open: ['contacted', 'closed'],
  contacted: ['resolved', 'closed'],
  resolved: ['open'],
  closed: ['open'],
};

const CaseSchema = z
  .object({
    id: z.string(),
    responseId: z.string(),
    unitId: z.string(),
    unitName: z.string(),
    touchpointId: z.string(),
    ownerUserId: z.string().nullable(),
    status: z.enum(CASE_STATUSES),
    score: z.number().int(),
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

const ListQuery = z.object({
  scope: z.enum(['mine', 'subtree']).default('subtree').openapi({ description: '`mine`: cases I own; `subtree`: cases of units in my reach (and mine)' }),
  status: z.enum(CASE_STATUSES).optional(),
  overdue: z.enum(['true', 'false']).optional().openapi({ description: '`true`: open or contacted past a due time' }),
  vendorId: z.string().min(1).max(64).optional().openapi({ description: 'A vendor unit: its cases only' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.string().min(1).max(64).optional().openapi({ description: 'Cursor: the last id of the previous page' }),
});

const UpdateCase = z
  .strictObject({
    status: z.enum(CASE_STATUSES).optional(),
    note: z.string().trim().min(1).max(4000).optional(),
    rootCause: z.string().trim().min(1).max(500).nullable().optional(),
    tags: z.array(z.string().trim().min(1).max(64)).max(20).optional().openapi({ description: 'Root-cause tags; replaces the list' }),
    reason: z.string().trim().min(3).max(1000).optional().openapi({ description: 'Required to mark a case resolved or closed' }),
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

const isOwner = (actor: Actor, ownerUserId: string | null) => actor.type === 'user' && ownerUserId !== null && ownerUserId === actor.id;

function loadCase(c: AppContext, id: string) {
  const db = c.get('db');
  const tenantId = c.get('actor').tenantId;
  return db
    .select({
      c: cases,
      unitPath: units.path,
      unitName: units.name,
      comment: responses.comment,
      responseLocale: responses.locale,
      contact: { id: contacts.id, externalId: contacts.externalId, email: contacts.email, phone: contacts.phone, locale: contacts.locale, attributes: contacts.attributes },
      touchpointName: touchpoints.name,
      touchpointRules: touchpoints.rules,
    })
    .from(cases)
    .innerJoin(units, and(eq(units.tenantId, cases.tenantId), eq(units.id, cases.unitId)))
    .leftJoin(responses, and(eq(responses.tenantId, cases.tenantId), eq(responses.id, cases.responseId)))
    .leftJoin(contacts, and(eq(contacts.tenantId, cases.tenantId), eq(contacts.id, cases.contactId)))
    .leftJoin(touchpoints, and(eq(touchpoints.tenantId, cases.tenantId), eq(touchpoints.id, cases.touchpointId)))
    .where(and(eq(cases.tenantId, tenantId), eq(cases.id, id)));
}
type Loaded = Awaited<ReturnType<typeof loadCase>>[number];

/** The case if the caller may read it (in reach of `case.read`, or their own), else 404. */
async function visibleCase(c: AppContext, id: string): Promise<Loaded> {
  const actor = c.get('actor');
  const [row] = await loadCase(c, id);
  if (!row || !(can(actor, 'case.read', row.unitPath) || isOwner(actor, row.c.ownerUserId))) throw notFound('case');
  return row;
}

const isOverdue = (x: { status: string; firstContactAt: number | null; firstContactDueAt: number | null; resolutionDueAt: number | null }, now: number) =>
  (x.status === 'open' || x.status === 'contacted') &&
  ((x.status === 'open' && x.firstContactAt === null && x.firstContactDueAt !== null && x.firstContactDueAt < now) || (x.resolutionDueAt !== null && x.resolutionDueAt < now));

function present(actor: Actor, row: Pick<Loaded, 'c' | 'unitPath' | 'unitName' | 'comment' | 'contact'>, now = Date.now()) {
  const k = row.c;
  const verbatim = seesRespondent(actor, row.unitPath, k.ownerUserId);
  return {
    id: k.id,
    responseId: k.responseId,
    unitId: k.unitId,
    unitName: row.unitName,
    touchpointId: k.touchpointId,
    ownerUserId: k.ownerUserId,
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

const presentTemplate = (t: typeof replyTemplates.$inferSelect) => ({
  id: t.id,
  theme: t.theme,
  locale: t.locale,
  subject: t.subject,
  body: t.body,
  createdAt: new Date(t.createdAt).toISOString(),
  updatedAt: new Date(t.updatedAt).toISOString(),
});

const DAY = 86_400_000;

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
    responses: { 200: json(z.object({ items: z.array(CaseSchema), nextCursor: z.string().nullable() }), 'Newest first'), ...errors(...AUTHED) },
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
    responses: { 200: json(CaseSchema.extend({ timeline: z.array(EventSchema) }), 'The case'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    method: 'patch',
    path: '/api/v1/cases/{id}',
    tags,
    summary: 'Change status (open → contacted → resolved, or closed; reopen), add a note, root cause and tags',
    description: 'Resolved and closed need a `reason` (422 without); a transition not allowed from the current status answers 409. Owner, or admin/manager/vendor in reach.',
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
    const actor = c.get('actor');
    const db = c.get('db');
    const q = c.req.valid('query');
    const now = Date.now();
    const mine = actor.type === 'user' ? eq(cases.ownerUserId, actor.id) : undefined;
    const conditions: (SQL | undefined)[] = [eq(cases.tenantId, actor.tenantId)];
    if (q.scope === 'mine') conditions.push(mine ?? sql`0`);
    else {
      const prefixes = reach(actor, 'case.read');
      const any = [...prefixes.map(inSubtree), ...(mine ? [mine] : [])];
      conditions.push(any.length ? or(...any) : sql`0`);
    }
    if (q.status) conditions.push(eq(cases.status, q.status));
    const overdue = and(
      inArray(cases.status, ['open', 'contacted']),
      or(and(eq(cases.status, 'open'), isNull(cases.firstContactAt), lt(cases.firstContactDueAt, now)), lt(cases.resolutionDueAt, now)),
    )!;
    if (q.overdue === 'true') conditions.push(overdue);
    if (q.overdue === 'false') conditions.push(sql`not (${overdue})`);
    if (q.vendorId) {
      const vendor = await getUnit(c.get('tdb'), q.vendorId);
      if (!vendor || !can(actor, 'unit.read', vendor.path)) throw notFound('vendor unit');
      if (vendor.kind !== 'vendor') throw new ApiError('VALIDATION_FAILED', 'vendorId names a unit that is not a vendor', [{ path: 'query.vendorId', message: 'not a vendor unit' }]);
      conditions.push(inSubtree(vendor.path));
    }
    if (q.before) conditions.push(lt(cases.id, q.before));
    const rows = await db
      .select({
        c: cases,
        unitPath: units.path,
        unitName: units.name,
        comment: responses.comment,
        contact: { id: contacts.id, externalId: contacts.externalId, email: contacts.email, phone: contacts.phone, locale: contacts.locale },
      })
      .from(cases)
      .innerJoin(units, and(eq(units.tenantId, cases.tenantId), eq(units.id, cases.unitId)))
      .leftJoin(responses, and(eq(responses.tenantId, cases.tenantId), eq(responses.id, cases.responseId)))
      .leftJoin(contacts, and(eq(contacts.tenantId, cases.tenantId), eq(contacts.id, cases.contactId)))
      .where(and(...conditions))
      .orderBy(desc(cases.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return c.json({ items: page.map((r) => present(actor, r as never, now)), nextCursor: rows.length > q.limit ? page[page.length - 1]!.c.id : null }, 200);
  })
  .openapi(routes.metrics, async (c) => {
    const actor = c.get('actor');
    const db = c.get('db');
    const q = c.req.valid('query');
    const unit = await reportUnit(deps(c), q.unitId);
    if (!can(actor, 'case.read', unit.path)) throw forbidden('your role does not allow reading cases here');
    const now = Date.now();
    const to = q.to ?? new Date(now).toISOString().slice(0, 10);
    const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 27 * DAY).toISOString().slice(0, 10);
    const start = Date.parse(`${from}T00:00:00Z`);
    const end = Date.parse(`${to}T00:00:00Z`) + DAY;
    if (end <= start) throw new ApiError('VALIDATION_FAILED', 'from must not be after to', [{ path: 'query.from', message: 'after to' }]);
    if (end - start > 366 * DAY) throw new ApiError('VALIDATION_FAILED', 'at most 366 days', [{ path: 'query.from', message: 'period longer than 366 days' }]);
    const [rows, below] = await db.batch([
      db
        .select({
          unitPath: units.path,
          ownerUserId: cases.ownerUserId,
          createdAt: cases.createdAt,
          firstContactAt: cases.firstContactAt,
          firstContactDueAt: cases.firstContactDueAt,
          resolvedAt: cases.resolvedAt,
          resolutionDueAt: cases.resolutionDueAt,
          closedAt: cases.closedAt,
          ownerName: users.name,
        })
        .from(cases)
        .innerJoin(units, and(eq(units.tenantId, cases.tenantId), eq(units.id, cases.unitId)))
        .leftJoin(users, and(eq(users.tenantId, cases.tenantId), eq(users.id, cases.ownerUserId)))
        .where(and(eq(cases.tenantId, actor.tenantId), inSubtree(unit.path), gte(cases.createdAt, start), lt(cases.createdAt, end)))
        .limit(200_000),
      db
        .select({ id: units.id, name: units.name, kind: units.kind, path: units.path, parentId: units.parentId })
        .from(units)
        .where(and(eq(units.tenantId, actor.tenantId), inSubtree(unit.path)))
        .orderBy(asc(units.path)),
    ]);
    const of = (pred: (r: MetricCase) => boolean) => loopMetrics(rows.filter(pred), now);
    const children = below.filter((u) => u.parentId === unit.id);
    const vendors = below.filter((u) => u.kind === 'vendor');
    const owners = [...new Map(rows.map((r) => [r.ownerUserId, r.ownerName])).entries()];
    return c.json(
      {
        unitId: unit.id,
        from,
        to,
        total: loopMetrics(rows, now),
        units: children.map((u) => ({ unitId: u.id, name: u.name, ...of((r) => r.unitPath.startsWith(u.path)) })),
        vendors: vendors.map((u) => ({ unitId: u.id, name: u.name, ...of((r) => r.unitPath.startsWith(u.path)) })),
        owners: owners.map(([userId, name]) => ({ userId, name: name ?? null, ...of((r) => r.ownerUserId === userId) })),
      },
      200,
    );
  })
  .openapi(routes.get, async (c) => {
    const actor = c.get('actor');
    const db = c.get('db');
    const row = await visibleCase(c, c.req.valid('param').id);
    const timeline = await db
      .select()
      .from(caseEvents)
      .where(and(eq(caseEvents.tenantId, actor.tenantId), eq(caseEvents.caseId, row.c.id)))
      .orderBy(asc(caseEvents.createdAt), asc(caseEvents.id));
    return c.json({ ...present(actor, row), timeline: timeline.map(presentEvent) }, 200);
  })
  .openapi(routes.update, async (c) => {
    const actor = c.get('actor');
    const db = c.get('db');
    const body = c.req.valid('json');
    const row = await visibleCase(c, c.req.valid('param').id);
    const k = row.c;
    if (!(can(actor, 'case.write', row.unitPath) || isOwner(actor, k.ownerUserId))) throw forbidden('only the owner, or an admin, manager or vendor over this unit, may change the case');
    const to = body.status !== undefined && body.status !== k.status ? body.status : null;
    if (body.status !== undefined && to === null && body.note === undefined && body.rootCause === undefined && body.tags === undefined) throw conflict(`the case is already ${k.status}`);
    if (to && !TRANSITIONS[k.status].includes(to)) throw conflict(`a case that is ${k.status} cannot become ${to} (allowed: ${TRANSITIONS[k.status].join(', ')})`);
    if ((to === 'resolved' || to === 'closed') && !body.reason) throw new ApiError('UNPROCESSABLE', `marking a case ${to} needs a reason`, [{ path: 'body.reason', message: 'required' }]);
    const now = Date.now();
    const set: Partial<typeof cases.$inferInsert> = { updatedAt: now };
    if (to) set.status = to;
    if (to === 'contacted') set.firstContactAt = k.firstContactAt ?? now;
    if (to === 'resolved') set.resolvedAt = now;
    if (to === 'closed') set.closedAt = now;
    if (to === 'open') {
      // Reopened: the resolution clock starts again, and a new breach may escalate again.
      const [tenant] = await db.select({ settings: tenants.settings }).from(tenants).where(eq(tenants.id, actor.tenantId));
      const settings = SettingsSchema.parse(tenant?.settings ?? {});
      const rules = TouchpointRulesSchema.safeParse(row.touchpointRules ?? {});
      const chain = await loadChain(db, actor.tenantId, row.unitPath);
      const due = dueTimes(now, caseTargets(chain, rules.success ? rules.data : {}, settings), settings);
      Object.assign(set, { resolvedAt: null, closedAt: null, resolutionDueAt: due.resolutionDueAt, escalated: k.escalated.filter((b) => b !== 'resolution') });
      if (k.firstContactAt === null) Object.assign(set, { firstContactDueAt: due.firstContactDueAt, escalated: [] });
    }
    if (body.rootCause !== undefined) set.rootCause = body.rootCause;
    if (body.tags !== undefined) set.tags = [...new Set(body.tags)];
    const after = { ...k, ...set };
    const eventType = to === null ? 'note' : to === 'open' ? 'reopened' : to;
    try {
      await commit(db, [
        // An optimistic lock: two changes made from the same read collide on this key, the second answers 409.
        db.insert(jobSteps).values({ tenantId: actor.tenantId, key: `case:${k.id}:change:${k.updatedAt}`, result: { by: actor.id }, createdAt: now }),
        db
          .update(cases)
          .set(set)
          .where(and(eq(cases.tenantId, actor.tenantId), eq(cases.id, k.id), eq(cases.updatedAt, k.updatedAt))),
        db.insert(caseEvents).values({
          id: newId('cev'),
          tenantId: actor.tenantId,
          caseId: k.id,
          type: eventType,
          actorType: actor.type,
          actorId: actor.id,
          fromStatus: k.status,
          toStatus: after.status,
          note: body.note ?? null,
          reason: body.reason ?? null,
          details: { ...(body.rootCause !== undefined ? { rootCause: body.rootCause } : {}), ...(body.tags !== undefined ? { tags: set.tags } : {}) },
          createdAt: now,
        }),
        ...(await audit(deps(c), {
          action: 'case.update',
          targetType: 'case',
          targetId: k.id,
          before: k,
          after,
          details: { changed: Object.keys(body), fromStatus: k.status, toStatus: after.status, ...(body.reason ? { reason: body.reason } : {}) },
        })),
        ...(to === 'resolved'
          ? [
              webhookEvent(
                c.get('tdb'),
                'case.resolved',
                { id: k.id, responseId: k.responseId, unitId: k.unitId, ownerUserId: k.ownerUserId, resolvedAt: iso(now), rootCause: after.rootCause, tags: after.tags, reason: body.reason },
                now,
              ),
            ]
          : []),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('the case changed meanwhile; read it again');
      throw err;
    }
    return c.json(present(actor, { ...row, c: after as typeof k }), 200);
  })
  .openapi(routes.reply, async (c) => {
    const actor = c.get('actor');
    const db = c.get('db');
    const row = await visibleCase(c, c.req.valid('param').id);
    const theme = c.req.valid('query').theme;
    const [templates, owner] = await db.batch([
      db
        .select()
        .from(replyTemplates)
        .where(and(eq(replyTemplates.tenantId, actor.tenantId), eq(replyTemplates.theme, theme))),
      db
        .select({ name: users.name })
        .from(users)
        .where(and(eq(users.tenantId, actor.tenantId), eq(users.id, row.c.ownerUserId ?? ''))),
    ]);
    const locale = pickLocale(
      templates.map((t) => t.locale),
      row.contact?.locale ?? row.responseLocale ?? null,
      row.responseLocale ?? 'en',
    );
    const template = templates.find((t) => t.locale === locale);
    if (!template) throw notFound(`reply template "${theme}"`);
    // The person behind the answer only for those who see them on the case itself.
    const person = seesRespondent(actor, row.unitPath, row.c.ownerUserId);
    const attrs = row.contact?.attributes ?? {};
    const values = {
      contactName: !person ? '' : typeof attrs.name === 'string' ? attrs.name : (row.contact?.externalId ?? ''),
      score: String(row.c.score),
      unitName: row.unitName,
      comment: person ? (row.comment ?? '') : '',
      caseId: row.c.id,
      ownerName: owner[0]?.name ?? '',
      touchpointName: row.touchpointName ?? '',
    };
    return c.json({ caseId: row.c.id, theme, locale: template.locale, subject: renderTemplate(template.subject, values), body: renderTemplate(template.body, values) }, 200);
  })
  .openapi(routes.createTemplate, async (c) => {
    await requireTenantWide(deps(c), 'case.configure', 'reply templates');
    const actor = c.get('actor');
    const db = c.get('db');
    const body = c.req.valid('json');
    const now = Date.now();
    const [existing] = await db
      .select()
      .from(replyTemplates)
      .where(and(eq(replyTemplates.tenantId, actor.tenantId), eq(replyTemplates.theme, body.theme), eq(replyTemplates.locale, body.locale)));
    const record = { id: existing?.id ?? newId('rtpl'), tenantId: actor.tenantId, ...body, createdAt: existing?.createdAt ?? now, updatedAt: now };
    await commit(db, [
      existing
        ? db
            .update(replyTemplates)
            .set({ subject: body.subject, body: body.body, updatedAt: now })
            .where(and(eq(replyTemplates.tenantId, actor.tenantId), eq(replyTemplates.id, existing.id)))
        : db.insert(replyTemplates).values(record),
      ...(await audit(deps(c), { action: existing ? 'reply_template.update' : 'reply_template.create', targetType: 'reply_template', targetId: record.id, before: existing, after: record })),
    ]);
    return existing ? c.json(presentTemplate(record), 200) : c.json(presentTemplate(record), 201);
  })
  .openapi(routes.listTemplates, async (c) => {
    requireAnywhere(deps(c), 'template.read', 'reading reply templates');
    const actor = c.get('actor');
    const theme = c.req.valid('query').theme;
    const rows = await c
      .get('db')
      .select()
      .from(replyTemplates)
      .where(and(eq(replyTemplates.tenantId, actor.tenantId), theme ? eq(replyTemplates.theme, theme) : undefined))
      .orderBy(asc(replyTemplates.theme), asc(replyTemplates.locale));
    return c.json({ items: rows.map(presentTemplate) }, 200);
  })
  .openapi(routes.putContract, async (c) => {
    const actor = c.get('actor');
    const db = c.get('db');
    const body = c.req.valid('json');
    const unit = await getUnit(c.get('tdb'), c.req.valid('param').unitId);
    if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
    if (!can(actor, 'case.configure', unit.path)) throw forbidden('only an admin over this vendor may set its contract');
    if (unit.kind !== 'vendor') throw new ApiError('UNPROCESSABLE', 'contracts are for vendor units only');
    if (body.compositeWeights) checkWeights(body.compositeWeights);
    if (body.ownerUserId) {
      const [u] = await db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.tenantId, actor.tenantId), eq(users.id, body.ownerUserId)));
      if (!u) throw notFound('user');
    }
    const now = Date.now();
    const [existing] = await db
      .select()
      .from(vendorContracts)
      .where(and(eq(vendorContracts.tenantId, actor.tenantId), eq(vendorContracts.unitId, unit.id)));
    const record = {
      id: existing?.id ?? newId('vct'),
      tenantId: actor.tenantId,
      unitId: unit.id,
      ownerUserId: body.ownerUserId !== undefined ? body.ownerUserId : (existing?.ownerUserId ?? null),
      firstContactHours: body.firstContactHours !== undefined ? body.firstContactHours : (existing?.firstContactHours ?? null),
      resolutionHours: body.resolutionHours !== undefined ? body.resolutionHours : (existing?.resolutionHours ?? null),
      compositeWeights: body.compositeWeights !== undefined ? (body.compositeWeights ?? {}) : (existing?.compositeWeights ?? {}),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await commit(db, [
      existing
        ? db
            .update(vendorContracts)
            .set({ ownerUserId: record.ownerUserId, firstContactHours: record.firstContactHours, resolutionHours: record.resolutionHours, compositeWeights: record.compositeWeights, updatedAt: now })
            .where(and(eq(vendorContracts.tenantId, actor.tenantId), eq(vendorContracts.id, existing.id)))
        : db.insert(vendorContracts).values(record),
      ...(await audit(deps(c), { action: 'vendor_contract.update', targetType: 'unit', targetId: unit.id, before: existing, after: record, details: { changed: Object.keys(body) } })),
    ]);
    return c.json(
      {
        unitId: unit.id,
        ownerUserId: record.ownerUserId,
        firstContactHours: record.firstContactHours,
        resolutionHours: record.resolutionHours,
        compositeWeights: weightsOf(record.compositeWeights),
        updatedAt: new Date(now).toISOString(),
      },
      200,
    );
  });
