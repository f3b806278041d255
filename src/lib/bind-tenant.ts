import type { Db } from '../db/client';
import { TenantDb } from '../db/tenant-db';
import type { AppContext } from './create-app';

/**
 * Binds the request to the data database of a tenant named by its credential (session, API key,
 * survey link, widget key) and returns its tenant-scoped handle; null for a tenant that does not exist (any more). A
 * database behind this code's schema, or a write while the tenant moves, answers 503 with
 * Retry-After (src/db/plane.ts).
 */
export async function bindTenant(c: AppContext, tenantId: string): Promise<TenantDb | null> {
  const plane = c.get('plane');
  // One database for every tenant: init opened it already (no second client on capture's path).
  if (!plane.directory) return bound(c, c.get('db'), new TenantDb(c.get('db'), tenantId));
  const home = await plane.bind(tenantId, { write: c.req.method !== 'GET' && c.req.method !== 'HEAD' });
  return home ? bound(c, home.db, new TenantDb(home.db, tenantId, home.databaseId)) : null;
}

/**
 * Binds a respondent's request (a survey link, a widget key) to the database its credential
 * names, without reading the directory (docs/architecture.md, "Survey links and widget
 * keys carry their database"); a credential that names none (signed before), or a database the catalog does not
 * have, is bound through the directory. After a miss there, the caller asks `rebindMoved` whether to look
 * again through the directory (the tenant moved since the link was signed).
 */
export async function bindRespondent(c: AppContext, tenantId: string, databaseId: string | undefined): Promise<TenantDb | null> {
  const plane = c.get('plane');
  if (!plane.directory || !databaseId) return bindTenant(c, tenantId);
  const db = await plane.forDatabase(databaseId);
  return db ? bound(c, db, new TenantDb(db, tenantId, databaseId), true) : bindTenant(c, tenantId);
}

/** Whether the handle came from the credential's database id rather than the directory: a miss there may only mean the tenant moved. */
const onLinkDatabase = (c: AppContext) => c.get('boundByLink') === true;

function bound(c: AppContext, db: Db, t: TenantDb, byLink = false): TenantDb {
  c.set('db', db);
  c.set('tdb', t);
  c.set('boundByLink', byLink);
  return t;
}

/**
 * After a miss in the database a credential names (the tenant not found there): the tenant's
 * handle through the directory when it now lives elsewhere (moved since the link was signed),
 * else null (the miss stands).
 */
export async function rebindMoved(c: AppContext, tenantId: string, databaseId: string | undefined): Promise<TenantDb | null> {
  if (!onLinkDatabase(c)) return null;
  const t = await bindTenant(c, tenantId);
  return t && t.databaseId !== databaseId ? t : null;
}
