import type { BatchItem } from 'drizzle-orm/batch';
import { auditStatement } from '../audit/record';
import { commit, type Db } from '../db/client';
import { loginEmails, roleGrants, tenants, units, users } from '../db/schema';
import { hashPassword } from '../auth/password';
import { TenantDb } from '../db/tenant-db';
import { newId } from '../lib/ids';

export interface NewTenant {
  name: string;
  adminEmail: string;
  adminPassword: string;
  /** IANA time zone of the root unit; children inherit it unless they set their own. */
  timezone?: string;
}

/**
 * The statements that create a tenant: its row, its root unit (kind enterprise, named like the
 * tenant) and one admin granted on that root. Run them in one batch, alone or with more. The
 * tenant does not exist yet, so this takes the database itself; every row goes through the new
 * tenant's handle (its `tenants` row, which has no tenant column, is written as given).
 */
export async function tenantStatements(db: Db, input: NewTenant) {
  const tenantId = newId('ten');
  const t = new TenantDb(db, tenantId);
  const rootId = newId('unit');
  const userId = newId('usr');
  const email = input.adminEmail.trim().toLowerCase();
  const now = Date.now();
  const root = { id: rootId, parentId: null, name: input.name, kind: 'enterprise' as const, path: `/${rootId}/`, timezone: input.timezone ?? 'UTC', createdAt: now, updatedAt: now };
  const statements: BatchItem<'sqlite'>[] = [
    t.insert(tenants).values({ id: tenantId, name: input.name, createdAt: now, updatedAt: now }),
    t.insert(units).values(root),
    t.insert(users).values({ id: userId, email, name: 'Administrator', passwordHash: await hashPassword(input.adminPassword), createdAt: now, updatedAt: now }),
    t.insert(loginEmails).values({ email, userId }),
    t.insert(roleGrants).values({ id: newId('grt'), userId, unitId: rootId, role: 'admin', createdAt: now }),
    ...(await auditStatement(t, {
      actor: { type: 'system', id: null },
      action: 'tenant.create',
      targetType: 'tenant',
      targetId: tenantId,
      after: { id: tenantId, name: input.name, rootUnitId: rootId, adminUserId: userId },
    })),
  ];
  return { statements, tenantId, rootUnitId: rootId, rootPath: root.path, adminUserId: userId, adminEmail: email };
}

/** Creates a tenant with its root unit and first admin, atomically. */
export async function createTenant(db: Db, input: NewTenant) {
  const { statements, ...created } = await tenantStatements(db, input);
  await commit(db, statements);
  return created;
}
