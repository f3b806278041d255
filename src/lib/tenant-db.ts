import type { Db } from '../db/client';
import type { AppContext } from './create-app';

/**
 * Binds the request to the data database of a tenant named by its credential (session, API key,
 * survey link, widget key) and returns it; null for a tenant that does not exist (any more). A
 * database behind this code's schema, or a write while the tenant moves, answers 503 with
 * Retry-After (src/db/plane.ts).
 */
export async function bindTenant(c: AppContext, tenantId: string): Promise<Db | null> {
  // One database for every tenant: init bound it already (no second client on capture's path).
  if (!c.get('plane').directory) return c.get('db');
  const db = await c.get('plane').forTenant(tenantId, { write: c.req.method !== 'GET' && c.req.method !== 'HEAD' });
  if (db) c.set('db', db);
  return db;
}
