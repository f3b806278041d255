import { and, eq, gt, isNull } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { apiKeys, roleGrants, sessions, units, users } from '../db/schema';
import { ApiError } from '../lib/errors';
import { bindTenant } from '../lib/bind-tenant';
import type { TenantDb } from '../db/tenant-db';
import type { AppContext, AppEnv } from '../lib/create-app';
import { sha256Hex } from '../lib/ids';
import { mediaTypeOf } from '../lib/middleware';
import { verifySession } from './jwt';
import { apiKeyOfSingleDatabase } from './sign-in';
import type { Actor } from './policy';

export const SESSION_COOKIE = 'nps_session';
/** Set beside the session cookie, not HttpOnly, value `1`: tells the portal a session may be open (docs/portal.md). */
export const SIGNED_IN_COOKIE = 'nps_signed_in';
export const API_KEY_PREFIX = 'nps_';

const unauthorized = (message = 'a valid session or API key is required') => new ApiError('UNAUTHORIZED', message, undefined, { 'www-authenticate': 'Bearer' });

/** `nps_<26-char id>_<secret>` → the key's id, or null when the shape is wrong. */
export function apiKeyId(token: string): string | null {
  const m = /^nps_([0-9a-z]{26})_[A-Za-z0-9_-]{20,}$/.exec(token);
  return m ? `key_${m[1]}` : null;
}

async function sessionActor(c: AppContext, token: string): Promise<Actor | null> {
  const claims = await verifySession(c.get('config'), token);
  if (!claims) return null;
  const t = await bindTenant(c, claims.tid);
  if (!t) return null;
  const now = Date.now();
  // One round trip: the live session with its active user, and the user's grants with unit paths.
  const [session, grants] = await t.batch([
    t
      .select({ id: sessions.id })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, claims.sid), eq(sessions.userId, claims.sub), isNull(sessions.revokedAt), gt(sessions.expiresAt, now), eq(users.status, 'active'))),
    t.select({ unitId: roleGrants.unitId, unitPath: units.path, role: roleGrants.role }).from(roleGrants).innerJoin(units, eq(units.id, roleGrants.unitId)).where(eq(roleGrants.userId, claims.sub)),
  ]);
  if (session.length === 0) return null;
  return { type: 'user', id: claims.sub, tenantId: claims.tid, grants, sessionId: claims.sid };
}

/** An API key with the path of its unit, read through its tenant's handle. */
async function apiKeyIn(t: TenantDb, id: string) {
  const [row] = await t.select({ key: apiKeys, unitPath: units.path }).from(apiKeys).innerJoin(units, eq(units.id, apiKeys.unitId)).where(eq(apiKeys.id, id));
  return row;
}

async function apiKeyActor(c: AppContext, token: string): Promise<Actor | null> {
  const id = apiKeyId(token);
  if (!id) return null;
  // With a directory the key's tenant is found there (kept per isolate); without one, every key is in the one database and its row names the tenant.
  const tenantId = await c.get('plane').tenantOfApiKey(id);
  if (tenantId === null) return null;
  let t: TenantDb | null;
  let row: Awaited<ReturnType<typeof apiKeyIn>>;
  if (tenantId === undefined) {
    row = await apiKeyOfSingleDatabase(c, id);
    if (!row) return null;
    t = await bindTenant(c, row.key.tenantId);
  } else {
    t = await bindTenant(c, tenantId);
    row = t ? await apiKeyIn(t, id) : undefined;
  }
  if (!t || !row || row.key.revokedAt !== null) return null;
  if (row.key.expiresAt !== null && row.key.expiresAt <= Date.now()) return null;
  if ((await sha256Hex(token)) !== row.key.hash) return null;
  if (tenantId === undefined) await bindTenant(c, row.key.tenantId);
  const now = Date.now();
  if (row.key.lastUsedAt === null || row.key.lastUsedAt < now - 60_000) {
    // Last use at minute granularity: enough for audits, without a write on every call.
    c.executionCtx.waitUntil(
      t
        .update(apiKeys)
        .set({ lastUsedAt: now })
        .where(eq(apiKeys.id, id))
        .then(
          () => undefined,
          () => undefined,
        ),
    );
  }
  return {
    type: 'api_key',
    id,
    tenantId: row.key.tenantId,
    grants: [{ unitId: row.key.unitId, unitPath: row.unitPath, role: row.key.role }],
    readOnly: !row.key.scopes.includes('write'),
  };
}

/** Media types a cross-site form or a no-cors fetch sends without a CORS preflight, and none at all. */
const FORM_TYPES = new Set(['', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/**
 * The session cookie is ambient: the browser adds it to requests other pages make, and
 * SameSite=Lax still does so from another origin of the same site (another port or
 * subdomain). A state-changing call on the cookie must come from the portal's own pages:
 * Fetch metadata, where the browser sends it, must not name another origin, and the content
 * type must be one that only a same-origin script can set (JSON, or a route's CSV), body or not.
 */
function refuseCrossSite(c: AppContext) {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return;
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new ApiError('FORBIDDEN', "a request with the session cookie must come from this site's own pages");
  }
  if (FORM_TYPES.has(mediaTypeOf(c.req.header('content-type')))) {
    throw new ApiError('FORBIDDEN', 'a state-changing request with the session cookie needs content-type application/json, even without a body');
  }
}

/**
 * Who is calling: a Bearer token (session JWT or API key) or the session cookie (same-origin
 * calls only when they change state). The tenant is the credential's, never the path's or
 * the body's. Anything else answers 401.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization');
  let token: string | undefined;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw unauthorized('the Authorization header must be "Bearer <token>"');
    token = m[1];
  } else {
    token = getCookie(c, SESSION_COOKIE);
    if (token) refuseCrossSite(c);
  }
  if (!token) throw unauthorized();
  const actor = token.startsWith(API_KEY_PREFIX) ? await apiKeyActor(c, token) : await sessionActor(c, token);
  if (!actor) throw unauthorized('the credential is invalid, expired or revoked');
  if (actor.readOnly && !['GET', 'HEAD'].includes(c.req.method)) {
    throw new ApiError('FORBIDDEN', 'this API key has only the read scope');
  }
  c.set('actor', actor);
  await next();
});
