import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { requireAnywhere, requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { CHANNELS, surveys, touchpoints } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { conflict, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { TOUCHPOINT_KINDS, TouchpointRulesSchema } from './rules';

const TouchpointSchema = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    kind: z.enum(TOUCHPOINT_KINDS),
    surveyId: z.string(),
    channels: z.array(z.enum(CHANNELS)),
    delayMinutes: z.number().int(),
    reminderAfterDays: z.number().int().nullable(),
    rules: TouchpointRulesSchema,
    active: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Touchpoint');

const fields = {
  name: z.string().trim().min(1).max(200),
  kind: z.enum(TOUCHPOINT_KINDS),
  surveyId: z.string().min(1).max(64),
  channels: z
    .array(z.enum(CHANNELS))
    .min(1)
    .max(CHANNELS.length)
    .refine((c) => new Set(c).size === c.length, 'each channel once')
    .openapi({ description: 'In order of preference: the first one that reaches the contact is used' }),
  /** After the event: e.g. 1440 for 24 h after a ticket is resolved. */
  delayMinutes: z
    .number()
    .int()
    .min(0)
    .max(60 * 24 * 60),
  reminderAfterDays: z.number().int().min(1).max(60).nullable(),
  rules: TouchpointRulesSchema,
  active: z.boolean(),
};

const CreateTouchpoint = z
  .strictObject({
    key: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case words joined by -, e.g. support-resolution')
      .max(60),
    ...fields,
    delayMinutes: fields.delayMinutes.default(0),
    reminderAfterDays: fields.reminderAfterDays.optional(),
    rules: fields.rules.default({}),
    active: fields.active.default(true),
  })
  .openapi('CreateTouchpoint');
const UpdateTouchpoint = z
  .strictObject({
    name: fields.name.optional(),
    kind: fields.kind.optional(),
    surveyId: fields.surveyId.optional(),
    channels: fields.channels.optional(),
    delayMinutes: fields.delayMinutes.optional(),
    reminderAfterDays: fields.reminderAfterDays.optional(),
    rules: fields.rules.optional(),
    active: fields.active.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .openapi('UpdateTouchpoint');

type TouchpointRow = typeof touchpoints.$inferSelect;
const present = (t: TouchpointRow) => ({
  id: t.id,
  key: t.key,
  name: t.name,
  kind: t.kind as (typeof TOUCHPOINT_KINDS)[number],
  surveyId: t.surveyId,
  channels: t.channels,
  delayMinutes: t.delayMinutes,
  reminderAfterDays: t.reminderAfterDays,
  rules: TouchpointRulesSchema.parse(t.rules),
  active: t.active,
  createdAt: new Date(t.createdAt).toISOString(),
  updatedAt: new Date(t.updatedAt).toISOString(),
});

async function assertSurvey(c: AppContext, surveyId: string) {
  const [row] = await c
    .get('db')
    .select({ id: surveys.id })
    .from(surveys)
    .where(and(eq(surveys.tenantId, c.get('actor').tenantId), eq(surveys.id, surveyId)));
  if (!row) throw notFound('survey');
}

async function findTouchpoint(c: AppContext, id: string) {
  const row = await c
    .get('db')
    .select()
    .from(touchpoints)
    .where(and(eq(touchpoints.tenantId, c.get('actor').tenantId), eq(touchpoints.id, id)))
    .limit(1)
    .get();
  if (!row) throw notFound('touchpoint');
  return row;
}

const tags = ['touchpoints'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/v1/touchpoints',
    tags,
    summary: 'Touchpoints: the service moments surveyed, with survey, channels, delay and rules',
    security,
    middleware: [authenticate] as const,
    responses: { 200: json(z.object({ items: z.array(TouchpointSchema) }), 'Touchpoints'), ...errors(...AUTHED) },
  }),
  create: createRoute({
    method: 'post',
    path: '/api/v1/touchpoints',
    tags,
    summary: 'Create a touchpoint',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(CreateTouchpoint) },
    responses: { 201: json(TouchpointSchema, 'Created'), ...errors(...AUTHED, 409) },
  }),
  get: createRoute({
    method: 'get',
    path: '/api/v1/touchpoints/{id}',
    tags,
    summary: 'One touchpoint',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 200: json(TouchpointSchema, 'The touchpoint'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    method: 'patch',
    path: '/api/v1/touchpoints/{id}',
    tags,
    summary: 'Change a touchpoint (its key is fixed)',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, body: jsonBody(UpdateTouchpoint) },
    responses: { 200: json(TouchpointSchema, 'Updated'), ...errors(...AUTHED) },
  }),
};

export const touchpointRoutes = createRouter()
  .openapi(routes.list, async (c) => {
    requireAnywhere(deps(c), 'program.read', 'reading touchpoints');
    const rows = await c
      .get('db')
      .select()
      .from(touchpoints)
      .where(eq(touchpoints.tenantId, c.get('actor').tenantId))
      .orderBy(asc(touchpoints.key));
    return c.json({ items: rows.map(present) }, 200);
  })
  .openapi(routes.create, async (c) => {
    await requireTenantWide(deps(c), 'program.write', 'designing touchpoints');
    const body = c.req.valid('json');
    await assertSurvey(c, body.surveyId);
    const db = c.get('db');
    const now = Date.now();
    const row: TouchpointRow = {
      id: newId('tp'),
      tenantId: c.get('actor').tenantId,
      key: body.key,
      name: body.name,
      kind: body.kind,
      surveyId: body.surveyId,
      channels: body.channels,
      delayMinutes: body.delayMinutes,
      reminderAfterDays: body.reminderAfterDays ?? null,
      rules: body.rules,
      active: body.active,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await commit(db, [db.insert(touchpoints).values(row), ...(await audit(deps(c), { action: 'touchpoint.create', targetType: 'touchpoint', targetId: row.id, after: row }))]);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`a touchpoint with key "${body.key}" already exists`);
      throw err;
    }
    return c.json(present(row), 201);
  })
  .openapi(routes.get, async (c) => {
    requireAnywhere(deps(c), 'program.read', 'reading touchpoints');
    return c.json(present(await findTouchpoint(c, c.req.valid('param').id)), 200);
  })
  .openapi(routes.update, async (c) => {
    await requireTenantWide(deps(c), 'program.write', 'designing touchpoints');
    const patch = c.req.valid('json');
    const db = c.get('db');
    const row = await findTouchpoint(c, c.req.valid('param').id);
    if (patch.surveyId !== undefined) await assertSurvey(c, patch.surveyId);
    const { reminderAfterDays, ...rest } = patch;
    const after: TouchpointRow = { ...row, ...rest, ...(reminderAfterDays !== undefined ? { reminderAfterDays } : {}), updatedAt: Date.now() };
    await commit(db, [
      db
        .update(touchpoints)
        .set({
          name: after.name,
          kind: after.kind,
          surveyId: after.surveyId,
          channels: after.channels,
          delayMinutes: after.delayMinutes,
          reminderAfterDays: after.reminderAfterDays,
          rules: after.rules,
          active: after.active,
          updatedAt: after.updatedAt,
        })
        .where(and(eq(touchpoints.tenantId, row.tenantId), eq(touchpoints.id, row.id))),
      ...(await audit(deps(c), { action: 'touchpoint.update', targetType: 'touchpoint', targetId: row.id, before: row, after, details: { changed: Object.keys(patch) } })),
    ]);
    return c.json(present(after), 200);
  });
