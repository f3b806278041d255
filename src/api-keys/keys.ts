import { and, desc, eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import type { DataPlane } from '../db/plane';
import { apiKeys, type ROLES, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { notFound } from '../lib/errors';
import { newId, randomSecret, sha256Hex } from '../lib/ids';

export const API_KEY_SCOPES = ['read', 'write'] as const;
type Scope = (typeof API_KEY_SCOPES)[number];

export interface NewApiKey {
  name: string;
  role: (typeof ROLES)[number];
  unitId?: string;
  scopes: Scope[];
  expiresAt?: string;
}

type ApiKeyRow = typeof apiKeys.$inferSelect;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const present = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role,
  unitId: k.unitId,
  scopes: k.scopes as Scope[],
  createdAt: new Date(k.createdAt).toISOString(),
  expiresAt: iso(k.expiresAt),
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
});

const requireKeyAdmin = (d: Deps) => requireTenantWide(d, 'apikey.manage', 'managing API keys');

/** The tenant's API keys, newest first (never their secrets). */
export async function listApiKeys(d: Deps) {
  await requireKeyAdmin(d);
  const rows = await d.t.select().from(apiKeys).orderBy(desc(apiKeys.createdAt));
  return rows.map(present);
}

/** Creates an API key (registered with the directory first); its secret is in this answer only. */
export async function createApiKey(d: Deps, plane: Pick<DataPlane, 'registerApiKey'>, body: NewApiKey) {
  const root = await requireKeyAdmin(d);
  const { t, actor } = d;
  let unitId = root.id;
  if (body.unitId !== undefined) {
    const [unit] = await t.select({ id: units.id }).from(units).where(eq(units.id, body.unitId));
    if (!unit) throw notFound('unit');
    unitId = unit.id;
  }
  const id = newId('key');
  const body26 = id.slice('key_'.length);
  const secret = `nps_${body26}_${randomSecret(32)}`;
  const now = Date.now();
  const key: ApiKeyRow = {
    id,
    tenantId: actor.tenantId,
    name: body.name,
    prefix: `nps_${body26}`,
    hash: await sha256Hex(secret),
    role: body.role,
    unitId,
    scopes: body.scopes,
    createdBy: actor.id,
    expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : null,
    lastUsedAt: null,
    revokedAt: null,
    createdAt: now,
  };
  const { hash: _hash, ...visible } = key;
  await plane.registerApiKey(id, actor.tenantId);
  await commit(t, [t.insert(apiKeys).values(key), ...(await audit(d, { action: 'api_key.create', targetType: 'api_key', targetId: id, after: visible }))]);
  return { ...present(key), secret };
}

/** Revokes an API key at once (in the directory first); a revoked key stays revoked. */
export async function revokeApiKey(d: Deps, plane: Pick<DataPlane, 'revokeApiKey'>, id: string) {
  await requireKeyAdmin(d);
  const { t } = d;
  const key = await t.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1).get();
  if (!key) throw notFound('API key');
  if (key.revokedAt !== null) return;
  const now = Date.now();
  await plane.revokeApiKey(id, now);
  await commit(t, [
    t
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.id, id), sql`${apiKeys.revokedAt} is null`)),
    ...(await audit(d, { action: 'api_key.revoke', targetType: 'api_key', targetId: id, before: { ...key, hash: undefined }, after: { ...key, hash: undefined, revokedAt: now } })),
  ]);
}
