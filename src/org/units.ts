import { and, asc, eq, gte, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { units } from '../db/schema';

export type Unit = typeof units.$inferSelect;

/**
 * Rows of a subtree: paths in [prefix, prefix with its final '/' raised to '0'), an index
 * range on (tenant_id, path). LIKE would not do: ids contain '_', a LIKE wildcard.
 */
export function inSubtree(prefix: string): SQL {
  return and(gte(units.path, prefix), lt(units.path, `${prefix.slice(0, -1)}0`))!;
}

export const depthOf = (path: string) => path.split('/').length - 3;

/** Tenant-scoped reads of the hierarchy; every one takes the tenant id. */
export function getUnit(db: Db, tenantId: string, id: string) {
  return db
    .select()
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.id, id)))
    .limit(1)
    .get();
}

/** All units under any of `prefixes`, in path order (a parent before its children). */
export function listSubtrees(db: Db, tenantId: string, prefixes: string[]) {
  if (prefixes.length === 0) return Promise.resolve([] as Unit[]);
  return db
    .select()
    .from(units)
    .where(and(eq(units.tenantId, tenantId), or(...prefixes.map(inSubtree))))
    .orderBy(asc(units.path));
}

export function countChildren(db: Db, tenantId: string, id: string) {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.parentId, id)));
}

/** Rewrites the paths of a whole subtree from `from` to `to` in one statement. */
export function rewriteSubtreePaths(db: Db, tenantId: string, from: string, to: string, now: number) {
  return db
    .update(units)
    .set({ path: sql`${to} || substr(${units.path}, ${from.length + 1})`, updatedAt: now })
    .where(and(eq(units.tenantId, tenantId), inSubtree(from)));
}

/** Whether a time zone name is one the runtime knows (IANA), e.g. `Europe/Berlin`. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The tenant's root unit (kind enterprise), created with the tenant. */
export async function getRoot(db: Db, tenantId: string) {
  const [root] = await db
    .select()
    .from(units)
    .where(and(eq(units.tenantId, tenantId), isNull(units.parentId)));
  return root;
}
