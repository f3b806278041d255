import { eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can, reach } from '../auth/policy';
import { commit } from '../db/client';
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors';
import { apiKeys, roleGrants, type UNIT_KINDS, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, conflict, forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { moveBranches } from '../scores/fold';
import { countChildren, depthOf, getUnit, listSubtrees, rewriteSubtreePaths, type Unit } from './units';

type ChildKind = Exclude<(typeof UNIT_KINDS)[number], 'enterprise'>;

export interface NewUnit {
  name: string;
  kind: ChildKind;
  parentId: string;
  timezone?: string;
}

export interface UnitPatch {
  name?: string;
  kind?: ChildKind;
  parentId?: string;
  timezone?: string;
}

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
async function visibleUnit({ t, actor }: Deps, id: string): Promise<Unit> {
  const unit = await getUnit(t, id);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  return unit;
}

function assertCanWrite({ actor }: Deps, unit: Unit) {
  if (!can(actor, 'unit.write', unit.path)) throw forbidden('only an admin of this part of the hierarchy may change it');
}

/** The hierarchy within the caller's reach (or under `rootId`), each parent before its children. */
export async function listUnits(d: Deps, rootId: string | undefined) {
  const prefixes = rootId ? [(await visibleUnit(d, rootId)).path] : reach(d.actor, 'unit.read');
  const rows = await listSubtrees(d.t, prefixes);
  return rows.map(present);
}

/** One unit the caller sees. */
export async function readUnit(d: Deps, id: string) {
  return present(await visibleUnit(d, id));
}

/** Creates a unit under a parent the caller administers; its time zone defaults to the parent's. */
export async function createUnit(d: Deps, body: NewUnit) {
  const { t, actor } = d;
  const parent = await visibleUnit(d, body.parentId);
  assertCanWrite(d, parent);
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
    await commit(t, [t.insert(units).values(unit), ...(await audit(d, { action: 'unit.create', targetType: 'unit', targetId: id, after: unit }))]);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`a unit named "${body.name}" already exists under this parent`);
    throw err;
  }
  return present(unit);
}

/** Renames, retypes, moves or sets the time zone of a unit; a move rewrites its subtree's paths in the same transaction. */
export async function updateUnit(d: Deps, id: string, patch: UnitPatch) {
  const { t } = d;
  const unit = await visibleUnit(d, id);
  assertCanWrite(d, unit);
  if (unit.parentId === null && (patch.kind !== undefined || patch.parentId !== undefined)) {
    throw new ApiError('UNPROCESSABLE', 'the root unit cannot be moved or retyped');
  }
  const now = Date.now();
  let path = unit.path;
  let parentId = unit.parentId;
  if (patch.parentId !== undefined && patch.parentId !== unit.parentId) {
    const parent = await visibleUnit(d, patch.parentId);
    assertCanWrite(d, parent);
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
    t.update(units).set({ name: after.name, kind: after.kind, timezone: after.timezone, parentId, updatedAt: now }).where(eq(units.id, unit.id)),
    ...(await audit(d, {
      action: path === unit.path ? 'unit.update' : 'unit.move',
      targetType: 'unit',
      targetId: unit.id,
      before: unit,
      after,
      details: { changed: Object.keys(patch), ...(path === unit.path ? {} : { fromParentId: unit.parentId, toParentId: parentId }) },
    })),
  ];
  // The subtree's folded answers follow it to its new ancestors' branch totals (src/scores/fold.ts).
  if (path !== unit.path) statements.push(...moveBranches(t, unit, path, now), rewriteSubtreePaths(t, unit.path, path, now));
  try {
    await commit(t, statements);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`a unit named "${after.name}" already exists under that parent`);
    throw err;
  }
  return present(after);
}

/** Deletes a unit without children, grants, API keys or recorded data (the root never). */
export async function deleteUnit(d: Deps, id: string) {
  const { t } = d;
  const unit = await visibleUnit(d, id);
  assertCanWrite(d, unit);
  if (unit.parentId === null) throw new ApiError('UNPROCESSABLE', 'the root unit cannot be deleted');
  const [[children], [grants], [keys]] = await t.batch([
    countChildren(t, unit.id),
    t.select({ n: sql<number>`count(*)` }).from(roleGrants).where(eq(roleGrants.unitId, unit.id)),
    t.select({ n: sql<number>`count(*)` }).from(apiKeys).where(eq(apiKeys.unitId, unit.id)),
  ]);
  const blockers = { children: children?.n ?? 0, grants: grants?.n ?? 0, apiKeys: keys?.n ?? 0 };
  if (blockers.children + blockers.grants + blockers.apiKeys > 0) {
    throw new ApiError('CONFLICT', 'the unit still has children, role grants or API keys; move or remove them first', blockers);
  }
  try {
    await commit(t, [t.delete(units).where(eq(units.id, unit.id)), ...(await audit(d, { action: 'unit.delete', targetType: 'unit', targetId: unit.id, before: unit }))]);
  } catch (err) {
    // Answers, invitations, cases, plans or reports still name the unit: its history stays.
    if (isForeignKeyViolation(err))
      throw new ApiError('CONFLICT', 'the unit has recorded data (answers, invitations, cases, action plans or reports); it cannot be deleted, only moved or renamed', { records: true });
    throw err;
  }
}
