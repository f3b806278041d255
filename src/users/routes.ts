import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { hashPassword } from '../auth/password';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit, type Db } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { loginEmails, ROLES, roleGrants, sessions, units, users } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError, conflict, notFound } from '../lib/errors';
import { newId, randomSecret } from '../lib/ids';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';

const GrantSchema = z.object({ unitId: z.string(), role: z.enum(ROLES) }).openapi('Grant');
const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    status: z.enum(['active', 'disabled']),
    grants: z.array(GrantSchema),
    createdAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('User');

const password = z.string().min(12, 'at least 12 characters').max(256);
const CreateUser = z
  .strictObject({
    email: z.string().trim().toLowerCase().pipe(z.email()),
    name: z.string().trim().max(200).optional(),
    password: password.optional().openapi({ description: 'Omit to have a one-time password generated and returned once' }),
    grants: z
      .array(z.strictObject({ unitId: z.string().min(1).max(64), role: z.enum(ROLES) }))
      .max(100)
      .optional(),
  })
  .openapi('CreateUser');
const UpdateUser = z
  .strictObject({ name: z.string().trim().max(200).optional(), status: z.enum(['active', 'disabled']).optional(), password: password.optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .openapi('UpdateUser');

const UserParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
});
const GrantParams = UserParam.extend({
  unitId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'unitId', in: 'path' } }),
});

type UserRow = typeof users.$inferSelect;

/** User management is tenant-wide; answers the root unit's path. */
const requireUserAdmin = async (c: AppContext) => (await requireTenantWide(deps(c), 'user.manage', 'managing users')).path;

async function grantsOf(db: Db, tenantId: string, userIds: string[]) {
  if (userIds.length === 0) return new Map<string, { unitId: string; role: (typeof ROLES)[number] }[]>();
  const rows = await db
    .select({ userId: roleGrants.userId, unitId: roleGrants.unitId, role: roleGrants.role })
    .from(roleGrants)
    .where(and(eq(roleGrants.tenantId, tenantId), inArray(roleGrants.userId, userIds)))
    .orderBy(asc(roleGrants.createdAt));
  const byUser = new Map<string, { unitId: string; role: (typeof ROLES)[number] }[]>();
  for (const r of rows) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), { unitId: r.unitId, role: r.role }]);
  return byUser;
}

const present = (u: UserRow, grants: { unitId: string; role: (typeof ROLES)[number] }[]) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  status: u.status,
  grants,
  createdAt: new Date(u.createdAt).toISOString(),
});

async function findUser(c: AppContext, id: string): Promise<UserRow> {
  const tenantId = c.get('actor').tenantId;
  const user = await c
    .get('db')
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, id)))
    .limit(1)
    .get();
  if (!user) throw notFound('user');
  return user;
}

/** Refuses a change that would leave the tenant without an active admin on its root. */
async function keepOneRootAdmin(c: AppContext, rootPath: string, userId: string) {
  const db = c.get('db');
  const tenantId = c.get('actor').tenantId;
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(roleGrants)
    .innerJoin(users, and(eq(users.id, roleGrants.userId), eq(users.tenantId, roleGrants.tenantId)))
    .innerJoin(units, and(eq(units.id, roleGrants.unitId), eq(units.tenantId, roleGrants.tenantId)))
    .where(and(eq(roleGrants.tenantId, tenantId), eq(roleGrants.role, 'admin'), eq(units.path, rootPath), eq(users.status, 'active'), ne(users.id, userId)));
  if ((row?.n ?? 0) === 0) throw conflict('the tenant must keep at least one active admin on its root unit');
}

async function unitsById(c: AppContext, ids: string[]) {
  const tenantId = c.get('actor').tenantId;
  if (ids.length === 0) return new Map<string, string>();
  const rows = await c
    .get('db')
    .select({ id: units.id, path: units.path })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), inArray(units.id, ids)));
  return new Map(rows.map((r) => [r.id, r.path]));
}

const tags = ['users'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/v1/users',
    tags,
    summary: 'Users of the tenant with their grants',
    security,
    middleware: [authenticate] as const,
    responses: { 200: json(z.object({ items: z.array(UserSchema) }), 'Users'), ...errors(...AUTHED) },
  }),
  create: createRoute({
    method: 'post',
    path: '/api/v1/users',
    tags,
    summary: 'Create a user, optionally with role grants',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(CreateUser) },
    responses: { 201: json(UserSchema.extend({ password: z.string().optional().openapi({ description: 'The generated one-time password, shown only here' }) }), 'Created'), ...errors(...AUTHED, 409) },
  }),
  get: createRoute({
    method: 'get',
    path: '/api/v1/users/{id}',
    tags,
    summary: 'One user',
    security,
    middleware: [authenticate] as const,
    request: { params: UserParam },
    responses: { 200: json(UserSchema, 'The user'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    method: 'patch',
    path: '/api/v1/users/{id}',
    tags,
    summary: 'Rename, disable or re-enable a user, or set a new password',
    description: "Disabling or a new password ends the user's sessions.",
    security,
    middleware: [authenticate] as const,
    request: { params: UserParam, body: jsonBody(UpdateUser) },
    responses: { 200: json(UserSchema, 'Updated'), ...errors(...AUTHED, 409) },
  }),
  grant: createRoute({
    method: 'put',
    path: '/api/v1/users/{id}/grants/{unitId}',
    tags,
    summary: 'Grant a role on a unit (replaces the role the user had there)',
    security,
    middleware: [authenticate] as const,
    request: { params: GrantParams, body: jsonBody(z.strictObject({ role: z.enum(ROLES) }).openapi('GrantRole')) },
    responses: { 200: json(UserSchema, 'The user with the new grant'), ...errors(...AUTHED, 409) },
  }),
  revoke: createRoute({
    method: 'delete',
    path: '/api/v1/users/{id}/grants/{unitId}',
    tags,
    summary: "Revoke the user's role on a unit",
    security,
    middleware: [authenticate] as const,
    request: { params: GrantParams },
    responses: { 204: { description: 'Revoked' }, ...errors(...AUTHED, 409) },
  }),
};

export const userRoutes = createRouter()
  .openapi(routes.list, async (c) => {
    await requireUserAdmin(c);
    const db = c.get('db');
    const tenantId = c.get('actor').tenantId;
    const rows = await db.select().from(users).where(eq(users.tenantId, tenantId)).orderBy(asc(users.email));
    const grants = await grantsOf(
      db,
      tenantId,
      rows.map((u) => u.id),
    );
    return c.json({ items: rows.map((u) => present(u, grants.get(u.id) ?? [])) }, 200);
  })
  .openapi(routes.create, async (c) => {
    await requireUserAdmin(c);
    const body = c.req.valid('json');
    const db = c.get('db');
    const tenantId = c.get('actor').tenantId;
    const grants = body.grants ?? [];
    const unitIds = [...new Set(grants.map((g) => g.unitId))];
    if (unitIds.length !== grants.length) throw new ApiError('VALIDATION_FAILED', 'one grant per unit', [{ path: 'body.grants', message: 'a unit appears twice' }]);
    const paths = await unitsById(c, unitIds);
    const missing = unitIds.filter((id) => !paths.has(id));
    if (missing.length > 0) throw new ApiError('NOT_FOUND', 'unit not found', { unitIds: missing });
    const generated = body.password === undefined ? randomSecret(12) : undefined;
    const now = Date.now();
    const user: UserRow = {
      id: newId('usr'),
      tenantId,
      email: body.email,
      name: body.name ?? '',
      passwordHash: await hashPassword(body.password ?? generated!),
      status: 'active',
      createdAt: now,
      updatedAt: now,
    };
    const { passwordHash: _secret, ...visible } = user;
    // The directory learns the identity first: a stray entry (the insert below failing) costs a lookup, never a login.
    await c.get('plane').registerIdentity(user.email, tenantId);
    try {
      await commit(db, [
        db.insert(users).values(user),
        db.insert(loginEmails).values({ email: user.email, tenantId, userId: user.id }),
        ...grants.map((g) => db.insert(roleGrants).values({ id: newId('grt'), tenantId, userId: user.id, unitId: g.unitId, role: g.role, createdAt: now })),
        ...(await audit(deps(c), { action: 'user.create', targetType: 'user', targetId: user.id, after: { ...visible, grants }, details: { email: user.email, grants } })),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('a user with this email already exists in this tenant');
      throw err;
    }
    return c.json({ ...present(user, grants), ...(generated ? { password: generated } : {}) }, 201);
  })
  .openapi(routes.get, async (c) => {
    await requireUserAdmin(c);
    const user = await findUser(c, c.req.valid('param').id);
    const grants = await grantsOf(c.get('db'), user.tenantId, [user.id]);
    return c.json(present(user, grants.get(user.id) ?? []), 200);
  })
  .openapi(routes.update, async (c) => {
    const rootPath = await requireUserAdmin(c);
    const patch = c.req.valid('json');
    const db = c.get('db');
    const user = await findUser(c, c.req.valid('param').id);
    if (patch.status === 'disabled' && user.status === 'active') await keepOneRootAdmin(c, rootPath, user.id);
    const now = Date.now();
    const after = { ...user, name: patch.name ?? user.name, status: patch.status ?? user.status, updatedAt: now };
    const endSessions = patch.status === 'disabled' || patch.password !== undefined;
    await commit(db, [
      db
        .update(users)
        .set({ name: after.name, status: after.status, updatedAt: now, ...(patch.password ? { passwordHash: await hashPassword(patch.password) } : {}) })
        .where(and(eq(users.tenantId, user.tenantId), eq(users.id, user.id))),
      ...(endSessions
        ? [
            db
              .update(sessions)
              .set({ revokedAt: now })
              .where(and(eq(sessions.tenantId, user.tenantId), eq(sessions.userId, user.id), sql`${sessions.revokedAt} is null`)),
          ]
        : []),
      ...(await audit(deps(c), {
        action: 'user.update',
        targetType: 'user',
        targetId: user.id,
        before: { ...user, passwordHash: undefined },
        after: { ...after, passwordHash: undefined },
        details: { changed: Object.keys(patch), ...(patch.password ? { passwordChanged: true } : {}) },
      })),
    ]);
    const grants = await grantsOf(db, user.tenantId, [user.id]);
    return c.json(present(after, grants.get(user.id) ?? []), 200);
  })
  .openapi(routes.grant, async (c) => {
    const rootPath = await requireUserAdmin(c);
    const { id, unitId } = c.req.valid('param');
    const { role } = c.req.valid('json');
    const db = c.get('db');
    const user = await findUser(c, id);
    const path = (await unitsById(c, [unitId])).get(unitId);
    if (!path) throw notFound('unit');
    const existing = (await grantsOf(db, user.tenantId, [user.id])).get(user.id) ?? [];
    const before = existing.find((g) => g.unitId === unitId);
    if (before?.role === 'admin' && role !== 'admin' && path === rootPath) await keepOneRootAdmin(c, rootPath, user.id);
    await commit(db, [
      db
        .insert(roleGrants)
        .values({ id: newId('grt'), tenantId: user.tenantId, userId: user.id, unitId, role, createdAt: Date.now() })
        .onConflictDoUpdate({ target: [roleGrants.tenantId, roleGrants.userId, roleGrants.unitId], set: { role } }),
      ...(await audit(deps(c), {
        action: 'grant.set',
        targetType: 'user',
        targetId: user.id,
        before: before ?? null,
        after: { unitId, role },
        details: { unitId, role, previousRole: before?.role ?? null },
      })),
    ]);
    const grants = [...existing.filter((g) => g.unitId !== unitId), { unitId, role }];
    return c.json(present(user, grants), 200);
  })
  .openapi(routes.revoke, async (c) => {
    const rootPath = await requireUserAdmin(c);
    const { id, unitId } = c.req.valid('param');
    const db = c.get('db');
    const user = await findUser(c, id);
    const existing = ((await grantsOf(db, user.tenantId, [user.id])).get(user.id) ?? []).find((g) => g.unitId === unitId);
    if (!existing) throw notFound('grant');
    if (existing.role === 'admin' && (await unitsById(c, [unitId])).get(unitId) === rootPath) await keepOneRootAdmin(c, rootPath, user.id);
    await commit(db, [
      db.delete(roleGrants).where(and(eq(roleGrants.tenantId, user.tenantId), eq(roleGrants.userId, user.id), eq(roleGrants.unitId, unitId))),
      ...(await audit(deps(c), { action: 'grant.revoke', targetType: 'user', targetId: user.id, before: existing, details: { unitId, role: existing.role } })),
    ]);
    return c.body(null, 204);
  });
