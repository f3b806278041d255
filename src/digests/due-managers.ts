import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DatabaseRun } from '../db/plane';
import { digests, roleGrants, tenants, units, users } from '../db/schema';

/*
 * The cross-tenant part of the weekly digests (a named sweep of test/node/data-layer.test.ts):
 * who might be due a digest across every tenant of a data database. Each digest is then
 * composed, recorded and sent through its tenant's handle (src/digests/run.ts).
 */

/** The manager grants of active users of every tenant, with their units, by tenant, user and unit path. */
export function managerGrants({ db }: Pick<DatabaseRun, 'db'>) {
  return db
    .select({ tenantId: roleGrants.tenantId, userId: users.id, email: users.email, name: users.name, unit: { id: units.id, path: units.path, name: units.name, timezone: units.timezone } })
    .from(roleGrants)
    .innerJoin(users, and(eq(users.tenantId, roleGrants.tenantId), eq(users.id, roleGrants.userId)))
    .innerJoin(units, and(eq(units.tenantId, roleGrants.tenantId), eq(units.id, roleGrants.unitId)))
    .where(and(sql`${roleGrants.tenantId} in (select ${tenants.id} from ${tenants})`, eq(roleGrants.role, 'manager'), eq(users.status, 'active')))
    .orderBy(roleGrants.tenantId, users.id, units.path);
}

/** The digests already written for any of these managers and weeks (a superset: the caller matches each exactly). */
export function writtenDigests({ db }: Pick<DatabaseRun, 'db'>, due: { tenantId: string; userId: string; week: string }[]) {
  return db
    .select({ tenantId: digests.tenantId, userId: digests.userId, week: digests.week })
    .from(digests)
    .where(
      and(
        inArray(digests.tenantId, [...new Set(due.map((m) => m.tenantId))]),
        inArray(
          digests.userId,
          due.map((m) => m.userId),
        ),
        inArray(digests.week, [...new Set(due.map((m) => m.week))]),
      ),
    );
}
