import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { ROLES } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { API_KEY_SCOPES, createApiKey, listApiKeys, revokeApiKey } from './keys';

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
  .openapi(routes.list, async (c) => c.json({ items: await listApiKeys(deps(c)) }, 200))
  .openapi(routes.create, async (c) => c.json(await createApiKey(deps(c), c.get('plane'), c.req.valid('json')), 201))
  .openapi(routes.revoke, async (c) => {
    await revokeApiKey(deps(c), c.get('plane'), c.req.valid('param').id);
    return c.body(null, 204);
  });
