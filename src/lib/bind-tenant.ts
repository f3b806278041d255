import { TenantDb } from '../db/tenant-db';
import type { AppContext } from './create-app';

/**
 * Binds the request to the data database of a tenant named by its credential (session, API key,
 * survey link, widget key) and returns its tenant-scoped handle; null for a tenant that does not exist (any more). A
 * database behind this code's schema, or a write while the tenant moves, answers 503 with
 * Retry-After (src/db/plane.ts).
 */
export async function bindTenant(c: AppContext, tenantId: string): Promise<TenantDb | null> {
  // One database for every tenant: init opened it already (no second client on capture's path).
  const db = c.get('plane').directory ? await c.get('plane').forTenant(tenantId, { write: c.req.method !== 'GET' && c.req.method !== 'HEAD' }) : c.get('db');
  if (!db) return null;
  c.set('db', db);
  const t = new TenantDb(db, tenantId);
  c.set('tdb', t);
  return t;
}
