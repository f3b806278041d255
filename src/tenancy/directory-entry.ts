import type { InStatement } from '@libsql/client/web';
import type { Directory } from '../db/directory';
import { newId } from '../lib/ids';

/*
 * A tenant's entry in the directory: where its data lives and who can sign in to it. Written by
 * the lifecycle (create, move, delete; scripts/tenant-*.ts and the tests), each change with its
 * row in the directory's own audit trail, in one batch.
 */

const auditRow = (actor: string, action: string, tenantId: string, databaseId: string | null, details: Record<string, unknown>): InStatement => ({
  sql: 'insert into directory_audit (id, actor, action, tenant_id, database_id, details) values (?, ?, ?, ?, ?, ?)',
  args: [newId('daud'), actor, action, tenantId, databaseId, JSON.stringify(details)],
});

export interface TenantEntry {
  id: string;
  name: string;
  region: string;
  databaseId: string;
  /** Sign-in identities of the tenant's accounts (the first admin at creation). */
  emails: string[];
}

export async function registerTenant(directory: Directory, entry: TenantEntry, actor = 'system') {
  const now = Date.now();
  await directory.$client.batch(
    [
      {
        sql: 'insert into tenants (id, name, region, status, database_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)',
        args: [entry.id, entry.name, entry.region, 'active', entry.databaseId, now, now],
      },
      ...entry.emails.map((email) => ({ sql: 'insert into identities (email, tenant_id) values (?, ?) on conflict do nothing', args: [email, entry.id] })),
      auditRow(actor, 'tenant.create', entry.id, entry.databaseId, { name: entry.name, region: entry.region }),
    ],
    'write',
  );
}

/** Sets a tenant's status (`moving` pauses its writes; `deleting` hides it) with an audit row. */
export async function setTenantStatus(directory: Directory, tenantId: string, status: 'active' | 'moving' | 'deleting', actor: string, details: Record<string, unknown> = {}) {
  await directory.$client.batch(
    [
      { sql: 'update tenants set status = ?, updated_at = ? where id = ?', args: [status, Date.now(), tenantId] },
      auditRow(actor, `tenant.${status === 'active' ? 'activate' : status === 'moving' ? 'move_start' : 'delete_start'}`, tenantId, null, details),
    ],
    'write',
  );
}

/** Points the tenant at its new database and ends the move, audited with what was verified. */
export async function completeMove(directory: Directory, tenantId: string, databaseId: string, actor: string, details: Record<string, unknown>) {
  await directory.$client.batch(
    [
      {
        sql: "update tenants set database_id = ?1, region = (select region from data_databases where id = ?1), status = 'active', updated_at = ?2 where id = ?3",
        args: [databaseId, Date.now(), tenantId],
      },
      auditRow(actor, 'tenant.move', tenantId, databaseId, details),
    ],
    'write',
  );
}

/** Forgets the tenant (its identities, API key ids and widget keys go with it); the audit row stays. */
export async function removeTenant(directory: Directory, tenantId: string, actor: string, details: Record<string, unknown>) {
  await directory.$client.batch(
    [
      { sql: 'delete from identities where tenant_id = ?', args: [tenantId] },
      { sql: 'delete from api_key_ids where tenant_id = ?', args: [tenantId] },
      { sql: 'delete from widget_keys where tenant_id = ?', args: [tenantId] },
      { sql: 'delete from tenants where id = ?', args: [tenantId] },
      auditRow(actor, 'tenant.delete', tenantId, null, details),
    ],
    'write',
  );
}

/** One audit row for a lifecycle step that changes nothing else (an export). */
export async function auditTenant(directory: Directory, tenantId: string, action: string, actor: string, details: Record<string, unknown>) {
  await directory.$client.execute(auditRow(actor, action, tenantId, null, details));
}
