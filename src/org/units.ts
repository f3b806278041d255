import { and, asc, eq, gte, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { TenantDb } from '../db/tenant-db';
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

/** Reads of the hierarchy, through the tenant-scoped handle. */
export function getUnit(t: TenantDb, id: string) {
  return t.select().from(units).where(eq(units.id, id)).limit(1).get();
}

/** All units under any of `prefixes`, in path order (a parent before its children). */
export function listSubtrees(t: TenantDb, prefixes: string[]) {
  if (prefixes.length === 0) return Promise.resolve([] as Unit[]);
  return t
    .select()
    .from(units)
    .where(or(...prefixes.map(inSubtree)))
    .orderBy(asc(units.path));
}

export function countChildren(t: TenantDb, id: string) {
  return t.select({ n: sql<number>`count(*)` }).from(units).where(eq(units.parentId, id));
}

/** Rewrites the paths of a whole subtree from `from` to `to` in one statement. */
export function rewriteSubtreePaths(t: TenantDb, from: string, to: string, now: number) {
  return t
    .update(units)
    .set({ path: sql`${to} || substr(${units.path}, ${from.length + 1})`, updatedAt: now })
    .where(inSubtree(from));
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
export async function getRoot(t: TenantDb) {
  const [root] = await t.select().from(units).where(isNull(units.parentId));
  return root;
}
