import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { CHANNELS } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { TOUCHPOINT_KINDS, TouchpointRulesSchema } from './rules';
import { createTouchpoint, getTouchpoint, listTouchpoints, type TouchpointRow, updateTouchpoint } from './touchpoints';

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
  .openapi(routes.list, async (c) => c.json({ items: (await listTouchpoints(deps(c))).map(present) }, 200))
  .openapi(routes.create, async (c) => c.json(present(await createTouchpoint(deps(c), c.req.valid('json'))), 201))
  .openapi(routes.get, async (c) => c.json(present(await getTouchpoint(deps(c), c.req.valid('param').id)), 200))
  .openapi(routes.update, async (c) => c.json(present(await updateTouchpoint(deps(c), c.req.valid('param').id, c.req.valid('json'))), 200));
