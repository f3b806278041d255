import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { hashPassword } from '../auth/password';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import type { DataPlane } from '../db/plane';
import { loginEmails, type ROLES, roleGrants, sessions, units, users } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, conflict, notFound } from '../lib/errors';
import { newId, randomSecret } from '../lib/ids';

type Role = (typeof ROLES)[number];
type Grant = { unitId: string; role: Role };
type UserRow = typeof users.$inferSelect;

export interface NewUser {
  email: string;
  name?: string;
  password?: string;
  grants?: Grant[];
}

export interface UserPatch {
  name?: string;
  status?: 'active' | 'disabled';
  password?: string;
}

/** User management is tenant-wide; answers the root unit's path. */
const requireUserAdmin = async (d: Deps) => (await requireTenantWide(d, 'user.manage', 'managing users')).path;

async function grantsOf(t: TenantDb, userIds: string[]) {
  if (userIds.length === 0) return new Map<string, Grant[]>();
  const rows = await t
    .select({ userId: roleGrants.userId, unitId: roleGrants.unitId, role: roleGrants.role })
    .from(roleGrants)
    .where(inArray(roleGrants.userId, userIds))
    .orderBy(asc(roleGrants.createdAt));
  const byUser = new Map<string, Grant[]>();
  for (const r of rows) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), { unitId: r.unitId, role: r.role }]);
  return byUser;
}

const present = (u: UserRow, grants: Grant[]) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  status: u.status,
  grants,
  createdAt: new Date(u.createdAt).toISOString(),
});

async function findUser(t: TenantDb, id: string): Promise<UserRow> {
  const user = await t.select().from(users).where(eq(users.id, id)).limit(1).get();
  if (!user) throw notFound('user');
  return user;
}

/** Refuses a change that would leave the tenant without an active admin on its root. */
async function keepOneRootAdmin(t: TenantDb, rootPath: string, userId: string) {
  const [row] = await t
    .select({ n: sql<number>`count(*)` })
    .from(roleGrants)
    .innerJoin(users, eq(users.id, roleGrants.userId))
    .innerJoin(units, eq(units.id, roleGrants.unitId))
    .where(and(eq(roleGrants.role, 'admin'), eq(units.path, rootPath), eq(users.status, 'active'), ne(users.id, userId)));
  if ((row?.n ?? 0) === 0) throw conflict('the tenant must keep at least one active admin on its root unit');
}

async function unitsById(t: TenantDb, ids: string[]) {
  if (ids.length === 0) return new Map<string, string>();
  const rows = await t.select({ id: units.id, path: units.path }).from(units).where(inArray(units.id, ids));
  return new Map(rows.map((r) => [r.id, r.path]));
}

/** The tenant's users with their grants, by email. */
export async function listUsers(d: Deps) {
  await requireUserAdmin(d);
  const rows = await d.t.select().from(users).orderBy(asc(users.email));
  const grants = await grantsOf(
    d.t,
    rows.map((u) => u.id),
  );
  return rows.map((u) => present(u, grants.get(u.id) ?? []));
}

/**
 * Creates a user with its grants (and its sign-in email, registered with the directory first),
 * and a one-time password when none is given (returned once).
 */
export async function createUser(d: Deps, plane: Pick<DataPlane, 'registerIdentity'>, body: NewUser) {
  await requireUserAdmin(d);
  const { t, actor } = d;
  const grants = body.grants ?? [];
  const unitIds = [...new Set(grants.map((g) => g.unitId))];
  if (unitIds.length !== grants.length) throw new ApiError('VALIDATION_FAILED', 'one grant per unit', [{ path: 'body.grants', message: 'a unit appears twice' }]);
  const paths = await unitsById(t, unitIds);
  const missing = unitIds.filter((id) => !paths.has(id));
  if (missing.length > 0) throw new ApiError('NOT_FOUND', 'unit not found', { unitIds: missing });
  const generated = body.password === undefined ? randomSecret(12) : undefined;
  const now = Date.now();
  const user: UserRow = {
    id: newId('usr'),
    tenantId: actor.tenantId,
    email: body.email,
    name: body.name ?? '',
    passwordHash: await hashPassword(body.password ?? generated!),
    status: 'active',
    createdAt: now,
    updatedAt: now,
  };
  const { passwordHash: _secret, ...visible } = user;
  // The directory learns the identity first: a stray entry (the insert below failing) costs a lookup, never a login.
  await plane.registerIdentity(user.email, actor.tenantId);
  try {
    await commit(t, [
      t.insert(users).values(user),
      t.insert(loginEmails).values({ email: user.email, userId: user.id }),
      ...grants.map((g) => t.insert(roleGrants).values({ id: newId('grt'), userId: user.id, unitId: g.unitId, role: g.role, createdAt: now })),
      ...(await audit(d, { action: 'user.create', targetType: 'user', targetId: user.id, after: { ...visible, grants }, details: { email: user.email, grants } })),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('a user with this email already exists in this tenant');
    throw err;
  }
  return { ...present(user, grants), ...(generated ? { password: generated } : {}) };
}

/** One user with its grants. */
export async function readUser(d: Deps, id: string) {
  await requireUserAdmin(d);
  const user = await findUser(d.t, id);
  const grants = await grantsOf(d.t, [user.id]);
  return present(user, grants.get(user.id) ?? []);
}

/** Renames, disables or re-enables a user, or sets a new password; disabling or a new password ends its sessions. */
export async function updateUser(d: Deps, id: string, patch: UserPatch) {
  const rootPath = await requireUserAdmin(d);
  const { t } = d;
  const user = await findUser(t, id);
  if (patch.status === 'disabled' && user.status === 'active') await keepOneRootAdmin(t, rootPath, user.id);
  const now = Date.now();
  const after = { ...user, name: patch.name ?? user.name, status: patch.status ?? user.status, updatedAt: now };
  const endSessions = patch.status === 'disabled' || patch.password !== undefined;
  await commit(t, [
    t
      .update(users)
      .set({ name: after.name, status: after.status, updatedAt: now, ...(patch.password ? { passwordHash: await hashPassword(patch.password) } : {}) })
      .where(eq(users.id, user.id)),
    ...(endSessions
      ? [
          t
            .update(sessions)
            .set({ revokedAt: now })
            .where(and(eq(sessions.userId, user.id), sql`${sessions.revokedAt} is null`)),
        ]
      : []),
    ...(await audit(d, {
      action: 'user.update',
      targetType: 'user',
      targetId: user.id,
      before: { ...user, passwordHash: undefined },
      after: { ...after, passwordHash: undefined },
      details: { changed: Object.keys(patch), ...(patch.password ? { passwordChanged: true } : {}) },
    })),
  ]);
  const grants = await grantsOf(t, [user.id]);
  return present(after, grants.get(user.id) ?? []);
}

/** Grants a role on a unit, replacing the role the user had there. */
export async function setGrant(d: Deps, id: string, unitId: string, role: Role) {
  const rootPath = await requireUserAdmin(d);
  const { t } = d;
  const user = await findUser(t, id);
  const path = (await unitsById(t, [unitId])).get(unitId);
  if (!path) throw notFound('unit');
  const existing = (await grantsOf(t, [user.id])).get(user.id) ?? [];
  const before = existing.find((g) => g.unitId === unitId);
  if (before?.role === 'admin' && role !== 'admin' && path === rootPath) await keepOneRootAdmin(t, rootPath, user.id);
  await commit(t, [
    t
      .insert(roleGrants)
      .values({ id: newId('grt'), userId: user.id, unitId, role, createdAt: Date.now() })
      .onConflictDoUpdate({ target: [roleGrants.tenantId, roleGrants.userId, roleGrants.unitId], set: { role } }),
    ...(await audit(d, {
      action: 'grant.set',
      targetType: 'user',
      targetId: user.id,
      before: before ?? null,
      after: { unitId, role },
      details: { unitId, role, previousRole: before?.role ?? null },
    })),
  ]);
  const grants = [...existing.filter((g) => g.unitId !== unitId), { unitId, role }];
  return present(user, grants);
}

/** Revokes the user's role on a unit. */
export async function revokeGrant(d: Deps, id: string, unitId: string) {
  const rootPath = await requireUserAdmin(d);
  const { t } = d;
  const user = await findUser(t, id);
  const existing = ((await grantsOf(t, [user.id])).get(user.id) ?? []).find((g) => g.unitId === unitId);
  if (!existing) throw notFound('grant');
  if (existing.role === 'admin' && (await unitsById(t, [unitId])).get(unitId) === rootPath) await keepOneRootAdmin(t, rootPath, user.id);
  await commit(t, [
    t.delete(roleGrants).where(and(eq(roleGrants.userId, user.id), eq(roleGrants.unitId, unitId))),
    ...(await audit(d, { action: 'grant.revoke', targetType: 'user', targetId: user.id, before: existing, details: { unitId, role: existing.role } })),
  ]);
}
