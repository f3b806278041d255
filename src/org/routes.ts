import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { can, reach } from '../auth/policy';
import { commit } from '../db/client';
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors';
import { apiKeys, roleGrants, UNIT_KINDS, units } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError, conflict, forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { moveBranches } from '../scores/fold';
import { countChildren, depthOf, getUnit, isTimeZone, listSubtrees, rewriteSubtreePaths, type Unit } from './units';

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

const present = (u: Unit) => ({
  id: u.id,
  parentId: u.parentId,
  name: u.name,
  kind: u.kind,
  path: u.path,
  depth: depthOf(u.path),
  timezone: u.timezone,
  createdAt: new Date(u.createdAt).toISOString(),
  updatedAt: new Date(u.updatedAt).toISOString(),
});

/** A unit the caller may see, else 404: units outside one's reach are not disclosed. */
async function visibleUnit(c: AppContext, id: string): Promise<Unit> {
  const actor = c.get('actor');
  const unit = await getUnit(c.get('tdb'), id);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  return unit;
}

function assertCanWrite(c: AppContext, unit: Unit) {
  if (!can(c.get('actor'), 'unit.write', unit.path)) throw forbidden('only an admin of this part of the hierarchy may change it');
}

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
  .openapi(routes.list, async (c) => {
    const actor = c.get('actor');
    const { rootId } = c.req.valid('query');
    const prefixes = rootId ? [(await visibleUnit(c, rootId)).path] : reach(actor, 'unit.read');
    const rows = await listSubtrees(c.get('tdb'), prefixes);
    return c.json({ items: rows.map(present) }, 200);
  })
  .openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const db = c.get('db');
    const actor = c.get('actor');
    const parent = await visibleUnit(c, body.parentId);
    assertCanWrite(c, parent);
    const id = newId('unit');
    const now = Date.now();
    const unit: Unit = {
      id,
      tenantId: actor.tenantId,
      parentId: parent.id,
      name: body.name,
      kind: body.kind,
      path: `${parent.path}${id}/`,
      timezone: body.timezone ?? parent.timezone,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await commit(db, [db.insert(units).values(unit), ...(await audit(deps(c), { action: 'unit.create', targetType: 'unit', targetId: id, after: unit }))]);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`a unit named "${body.name}" already exists under this parent`);
      throw err;
    }
    return c.json(present(unit), 201);
  })
  .openapi(routes.get, async (c) => c.json(present(await visibleUnit(c, c.req.valid('param').id)), 200))
  .openapi(routes.update, async (c) => {
    const patch = c.req.valid('json');
    const db = c.get('db');
    const actor = c.get('actor');
    const unit = await visibleUnit(c, c.req.valid('param').id);
    assertCanWrite(c, unit);
    if (unit.parentId === null && (patch.kind !== undefined || patch.parentId !== undefined)) {
      throw new ApiError('UNPROCESSABLE', 'the root unit cannot be moved or retyped');
    }
    const now = Date.now();
    let path = unit.path;
    let parentId = unit.parentId;
    if (patch.parentId !== undefined && patch.parentId !== unit.parentId) {
      const parent = await visibleUnit(c, patch.parentId);
      assertCanWrite(c, parent);
      if (parent.path.startsWith(unit.path)) throw conflict('a unit cannot move under itself or its own descendants');
      parentId = parent.id;
      path = `${parent.path}${unit.id}/`;
    }
    const after: Unit = {
      ...unit,
      name: patch.name ?? unit.name,
      kind: patch.kind ?? unit.kind,
      timezone: patch.timezone ?? unit.timezone,
      parentId,
      path,
      updatedAt: now,
    };
    const statements = [
      db
        .update(units)
        .set({ name: after.name, kind: after.kind, timezone: after.timezone, parentId, updatedAt: now })
        .where(and(eq(units.tenantId, actor.tenantId), eq(units.id, unit.id))),
      ...(await audit(deps(c), {
        action: path === unit.path ? 'unit.update' : 'unit.move',
        targetType: 'unit',
        targetId: unit.id,
        before: unit,
        after,
        details: { changed: Object.keys(patch), ...(path === unit.path ? {} : { fromParentId: unit.parentId, toParentId: parentId }) },
      })),
    ];
    // The subtree's folded answers follow it to its new ancestors' branch totals (src/scores/fold.ts).
    if (path !== unit.path) statements.push(...moveBranches(c.get('tdb'), unit, path, now), rewriteSubtreePaths(c.get('tdb'), unit.path, path, now));
    try {
      await commit(db, statements);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`a unit named "${after.name}" already exists under that parent`);
      throw err;
    }
    return c.json(present(after), 200);
  })
  .openapi(routes.delete, async (c) => {
    const db = c.get('db');
    const actor = c.get('actor');
    const unit = await visibleUnit(c, c.req.valid('param').id);
    assertCanWrite(c, unit);
    if (unit.parentId === null) throw new ApiError('UNPROCESSABLE', 'the root unit cannot be deleted');
    const [[children], [grants], [keys]] = await db.batch([
      countChildren(c.get('tdb'), unit.id),
      db
        .select({ n: sql<number>`count(*)` })
        .from(roleGrants)
        .where(and(eq(roleGrants.tenantId, actor.tenantId), eq(roleGrants.unitId, unit.id))),
      db
        .select({ n: sql<number>`count(*)` })
        .from(apiKeys)
        .where(and(eq(apiKeys.tenantId, actor.tenantId), eq(apiKeys.unitId, unit.id))),
    ]);
    const blockers = { children: children?.n ?? 0, grants: grants?.n ?? 0, apiKeys: keys?.n ?? 0 };
    if (blockers.children + blockers.grants + blockers.apiKeys > 0) {
      throw new ApiError('CONFLICT', 'the unit still has children, role grants or API keys; move or remove them first', blockers);
    }
    try {
      await commit(db, [
        db.delete(units).where(and(eq(units.tenantId, actor.tenantId), eq(units.id, unit.id))),
        ...(await audit(deps(c), { action: 'unit.delete', targetType: 'unit', targetId: unit.id, before: unit })),
      ]);
    } catch (err) {
      // Answers, invitations, cases, plans or reports still name the unit: its history stays.
      if (isForeignKeyViolation(err))
        throw new ApiError('CONFLICT', 'the unit has recorded data (answers, invitations, cases, action plans or reports); it cannot be deleted, only moved or renamed', { records: true });
      throw err;
    }
    return c.body(null, 204);
  });
