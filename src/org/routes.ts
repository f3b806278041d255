import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { UNIT_KINDS } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { createUnit, deleteUnit, listUnits, readUnit, updateUnit } from './hierarchy';
import { isTimeZone } from './units';

const UnitSchema = z
  .object({
    id: z.string(),
    parentId: z.string().nullable(),
    name: z.string(),
    kind: z.enum(UNIT_KINDS),
    path: z.string().openapi({ description: 'Materialised path of unit ids from the root, e.g. `/unit_a/unit_b/`' }),
    depth: z.number().int().openapi({ description: '0 for the root' }),
    timezone: z.string(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Unit');

// Names go into email subjects (case, alert and report mail): no line breaks, which would start another header.
const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\r\n]*$/, 'no line breaks');
const timezone = z.string().min(1).max(64).refine(isTimeZone, 'not a known IANA time zone');
const childKind = z.enum(UNIT_KINDS).exclude(['enterprise']).openapi({ description: 'enterprise is reserved for the root' });

const CreateUnit = z.strictObject({ name, kind: childKind, parentId: z.string().min(1).max(64), timezone: timezone.optional() }).openapi('CreateUnit');
const UpdateUnit = z
  .strictObject({ name: name.optional(), kind: childKind.optional(), parentId: z.string().min(1).max(64).optional(), timezone: timezone.optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .openapi('UpdateUnit');

const ListQuery = z.object({
  rootId: z.string().min(1).max(64).optional().openapi({ description: 'List only this unit and its subtree' }),
});

const tags = ['units'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/v1/units',
    tags,
    summary: "The hierarchy within the caller's reach, in tree order",
    security,
    middleware: [authenticate] as const,
    request: { query: ListQuery },
    responses: { 200: json(z.object({ items: z.array(UnitSchema) }), 'Units, each parent before its children'), ...errors(...AUTHED) },
  }),
  create: createRoute({
    method: 'post',
    path: '/api/v1/units',
    tags,
    summary: 'Create a unit under a parent',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(CreateUnit) },
    responses: { 201: json(UnitSchema, 'Created'), ...errors(...AUTHED, 409) },
  }),
  get: createRoute({
    method: 'get',
    path: '/api/v1/units/{id}',
    tags,
    summary: 'One unit',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 200: json(UnitSchema, 'The unit'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    method: 'patch',
    path: '/api/v1/units/{id}',
    tags,
    summary: 'Rename, retype, move (parentId) or set the time zone of a unit',
    description: 'A move rewrites the paths of the whole subtree in one transaction.',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, body: jsonBody(UpdateUnit) },
    responses: { 200: json(UnitSchema, 'Updated'), ...errors(...AUTHED, 409, 422) },
  }),
  delete: createRoute({
    method: 'delete',
    path: '/api/v1/units/{id}',
    tags,
    summary: 'Delete a unit without children, grants or API keys',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(...AUTHED, 409, 422) },
  }),
};

export const unitRoutes = createRouter()
  .openapi(routes.list, async (c) => c.json({ items: await listUnits(deps(c), c.req.valid('query').rootId) }, 200))
  .openapi(routes.create, async (c) => c.json(await createUnit(deps(c), c.req.valid('json')), 201))
  .openapi(routes.get, async (c) => c.json(await readUnit(deps(c), c.req.valid('param').id), 200))
  .openapi(routes.update, async (c) => c.json(await updateUnit(deps(c), c.req.valid('param').id, c.req.valid('json')), 200))
  .openapi(routes.delete, async (c) => {
    await deleteUnit(deps(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
