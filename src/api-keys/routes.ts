import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { apiKeys, ROLES, units } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { notFound } from '../lib/errors';
import { newId, randomSecret, sha256Hex } from '../lib/ids';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';

export const API_KEY_SCOPES = ['read', 'write'] as const;

const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: 'The visible start of the key, to recognise it' }),
    role: z.enum(ROLES),
    unitId: z.string(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    createdAt: z.string().openapi({ format: 'date-time' }),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');

const CreateApiKey = z
  .strictObject({
    name: z.string().trim().min(1).max(200).default('integration'),
    role: z.enum(ROLES).default('admin').openapi({ description: 'The role the key acts with; default admin' }),
    unitId: z.string().min(1).max(64).optional().openapi({ description: 'Where the role applies; default the root unit' }),
    scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).default(['read', 'write']),
    expiresAt: z.iso
      .datetime()
      .optional()
      .refine((v) => v === undefined || Date.parse(v) > Date.now(), 'must be in the future'),
  })
  .openapi('CreateApiKey');

type ApiKeyRow = typeof apiKeys.$inferSelect;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const present = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role,
  unitId: k.unitId,
  scopes: k.scopes as (typeof API_KEY_SCOPES)[number][],
  createdAt: new Date(k.createdAt).toISOString(),
  expiresAt: iso(k.expiresAt),
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
});

const requireKeyAdmin = (c: AppContext) => requireTenantWide(deps(c), 'apikey.manage', 'managing API keys');

const tags = ['api-keys'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/v1/api-keys',
    tags,
    summary: 'API keys of the tenant (never their secrets)',
    security,
    middleware: [authenticate] as const,
    responses: { 200: json(z.object({ items: z.array(ApiKeySchema) }), 'Keys, newest first'), ...errors(...AUTHED) },
  }),
  create: createRoute({
    method: 'post',
    path: '/api/v1/api-keys',
    tags,
    summary: 'Create an API key; the secret is shown only in this answer',
    description: 'Use the secret as `Authorization: Bearer <secret>`. Only its prefix and SHA-256 hash are stored.',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(CreateApiKey) },
    responses: { 201: json(ApiKeySchema.extend({ secret: z.string() }), 'Created'), ...errors(...AUTHED) },
  }),
  revoke: createRoute({
    method: 'delete',
    path: '/api/v1/api-keys/{id}',
    tags,
    summary: 'Revoke an API key at once',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 204: { description: 'Revoked (also when it already was)' }, ...errors(...AUTHED) },
  }),
};

export const apiKeyRoutes = createRouter()
  .openapi(routes.list, async (c) => {
    await requireKeyAdmin(c);
    const rows = await c
      .get('db')
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.tenantId, c.get('actor').tenantId))
      .orderBy(desc(apiKeys.createdAt));
    return c.json({ items: rows.map(present) }, 200);
  })
  .openapi(routes.create, async (c) => {
    const root = await requireKeyAdmin(c);
    const body = c.req.valid('json');
    const db = c.get('db');
    const actor = c.get('actor');
    let unitId = root.id;
    if (body.unitId !== undefined) {
      const [unit] = await db
        .select({ id: units.id })
        .from(units)
        .where(and(eq(units.tenantId, actor.tenantId), eq(units.id, body.unitId)));
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
    await c.get('plane').registerApiKey(id, actor.tenantId);
    await commit(db, [db.insert(apiKeys).values(key), ...(await audit(deps(c), { action: 'api_key.create', targetType: 'api_key', targetId: id, after: visible }))]);
    return c.json({ ...present(key), secret }, 201);
  })
  .openapi(routes.revoke, async (c) => {
    await requireKeyAdmin(c);
    const db = c.get('db');
    const tenantId = c.get('actor').tenantId;
    const { id } = c.req.valid('param');
    const key = await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id)))
      .limit(1)
      .get();
    if (!key) throw notFound('API key');
    if (key.revokedAt === null) {
      const now = Date.now();
      await c.get('plane').revokeApiKey(id, now);
      await commit(db, [
        db
          .update(apiKeys)
          .set({ revokedAt: now })
          .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id), sql`${apiKeys.revokedAt} is null`)),
        ...(await audit(deps(c), { action: 'api_key.revoke', targetType: 'api_key', targetId: id, before: { ...key, hash: undefined }, after: { ...key, hash: undefined, revokedAt: now } })),
      ]);
    }
    return c.body(null, 204);
  });
