import { and, eq, inArray, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { commit, type Db } from '../db/client';
import type { DataPlane } from '../db/plane';
import { apiKeys, loginEmails, rateLimits, tenants, units, users } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import type { AppContext } from '../lib/create-app';
import { hitUpsert, LOGIN_LIMITS, loginKeys, type LoginLimit } from './rate-limit';

/*
 * The lookups made before the tenant is known (a named exemption of test/node/data-layer.test.ts):
 * the accounts of an email at sign-in (login_emails, and the directory's identities), the
 * sign-in counters (rate_limits, in the directory or the single database, no tenant column), and
 * an API key by its id in the single-database mode. Each hands back what it found with the
 * tenant-scoped handle of its tenant: everything after goes through that.
 */

/** An account of an email, with the handle of its tenant. */
export interface Account {
  user: typeof users.$inferSelect;
  tenant: { id: string; name: string };
  t: TenantDb;
}

/** The accounts of an email in one data database (all its tenants, or just `tenantId`). */
async function accountsIn(db: Db, email: string, tenantId: string | undefined): Promise<Account[]> {
  const rows = await db
    .select({ user: users, tenant: { id: tenants.id, name: tenants.name } })
    .from(loginEmails)
    .innerJoin(users, and(eq(users.id, loginEmails.userId), eq(users.tenantId, loginEmails.tenantId)))
    .innerJoin(tenants, eq(tenants.id, loginEmails.tenantId))
    .where(tenantId === undefined ? eq(loginEmails.email, email) : and(eq(loginEmails.email, email), eq(loginEmails.tenantId, tenantId)));
  return rows.map((r) => ({ ...r, t: new TenantDb(db, r.tenant.id) }));
}

/**
 * The accounts of an email (in every tenant, or just `tenantId`), in tenant-name order. With a
 * directory, its identities name the tenants to look in, and each account is read from its
 * tenant's own database; without one, from the single database.
 */
export async function accountsOfEmail(c: AppContext, email: string, tenantId: string | undefined): Promise<Account[]> {
  const plane = c.get('plane');
  const tenantIds = await plane.tenantsOfEmail(email);
  let rows: Account[];
  if (tenantIds === null) rows = await accountsIn(c.get('db'), email, tenantId);
  else {
    const wanted = tenantIds.filter((id) => tenantId === undefined || id === tenantId);
    const dbs = await Promise.all(wanted.map((id) => plane.forTenant(id, { write: true })));
    rows = (await Promise.all(wanted.map((id, i) => (dbs[i] ? accountsIn(dbs[i], email, id) : [])))).flat();
  }
  return rows.sort((a, b) => a.tenant.name.localeCompare(b.tenant.name) || a.tenant.id.localeCompare(b.tenant.id));
}

/** The sign-in counters of one attempt (an email from an address). */
export interface LoginCounters {
  /**
   * Counts the attempt against every limit before its password is checked, so parallel
   * attempts cannot all read a counter with room left: each gets its own place in the count.
   * Answers the milliseconds until the caller may try again, or 0 when every limit still has
   * room for this attempt.
   */
  count(now: number): Promise<number>;
  /**
   * A right password: the account starts over at this address, and the attempt is taken back
   * from the shared counters (a busy office's own sign-ins never use up its allowance).
   * `statements` for the batch of the sign-in when the counters share the tenant's database
   * (no directory), `forgive` to run them on their own.
   */
  statements(): BatchItem<'sqlite'>[];
  forgive(): Promise<void>;
  /** Whether the counters live in the data database itself (no directory). */
  readonly shared: boolean;
}

/** The counters of a sign-in: in the directory, or the single database (the same table in both). */
export function loginCounters(plane: DataPlane, email: string, ip: string): LoginCounters {
  const db = plane.counters();
  const keys = loginKeys(email, ip);
  const statements = (): BatchItem<'sqlite'>[] => [
    db.delete(rateLimits).where(eq(rateLimits.key, keys.accountAddress)),
    db
      .update(rateLimits)
      .set({ count: sql`max(${rateLimits.count} - 1, 0)` })
      .where(inArray(rateLimits.key, [keys.address, keys.account])),
  ];
  return {
    shared: plane.directory === null,
    async count(now) {
      const limits = Object.keys(LOGIN_LIMITS) as LoginLimit[];
      const counted = await db.batch(limits.map((l) => hitUpsert(db.insert(rateLimits), keys[l], now, LOGIN_LIMITS[l].windowMs)) as [ReturnType<typeof hitUpsert>]);
      let wait = 0;
      limits.forEach((l, i) => {
        const row = counted[i]![0]!;
        if (row.count > LOGIN_LIMITS[l].max) wait = Math.max(wait, row.windowStart + LOGIN_LIMITS[l].windowMs - now);
      });
      return wait;
    },
    statements,
    async forgive() {
      await commit(db, statements());
    },
  };
}

/**
 * An API key by its id in the single-database mode (with a directory, the directory names the
 * key's tenant first): its row names the tenant.
 */
export async function apiKeyOfSingleDatabase(c: AppContext, id: string) {
  const [row] = await c
    .get('db')
    .select({ key: apiKeys, unitPath: units.path })
    .from(apiKeys)
    .innerJoin(units, and(eq(units.id, apiKeys.unitId), eq(units.tenantId, apiKeys.tenantId)))
    .where(eq(apiKeys.id, id));
  return row;
}
