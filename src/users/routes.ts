import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { ROLES } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { createUser, listUsers, readUser, revokeGrant, setGrant, updateUser } from './accounts';

const GrantSchema = z.object({ unitId: z.string(), role: z.enum(ROLES) }).openapi('Grant');
const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    status: z.enum(['active', 'disabled']),
    grants: z.array(GrantSchema),
    createdAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('User');

const password = z.string().min(12, 'at least 12 characters').max(256);
const CreateUser = z
  .strictObject({
    email: z.string().trim().toLowerCase().pipe(z.email()),
    name: z.string().trim().max(200).optional(),
    password: password.optional().openapi({ description: 'Omit to have a one-time password generated and returned once' }),
    grants: z
      .array(z.strictObject({ unitId: z.string().min(1).max(64), role: z.enum(ROLES) }))
      .max(100)
      .optional(),
  })
  .openapi('CreateUser');
const UpdateUser = z
  .strictObject({ name: z.string().trim().max(200).optional(), status: z.enum(['active', 'disabled']).optional(), password: password.optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .openapi('UpdateUser');

const UserParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
});
const GrantParams = UserParam.extend({
  unitId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'unitId', in: 'path' } }),
});

const tags = ['users'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/v1/users',
    tags,
    summary: 'Users of the tenant with their grants',
    security,
    middleware: [authenticate] as const,
    responses: { 200: json(z.object({ items: z.array(UserSchema) }), 'Users'), ...errors(...AUTHED) },
  }),
  create: createRoute({
    method: 'post',
    path: '/api/v1/users',
    tags,
    summary: 'Create a user, optionally with role grants',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(CreateUser) },
    responses: { 201: json(UserSchema.extend({ password: z.string().optional().openapi({ description: 'The generated one-time password, shown only here' }) }), 'Created'), ...errors(...AUTHED, 409) },
  }),
  get: createRoute({
    method: 'get',
    path: '/api/v1/users/{id}',
    tags,
    summary: 'One user',
    security,
    middleware: [authenticate] as const,
    request: { params: UserParam },
    responses: { 200: json(UserSchema, 'The user'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    method: 'patch',
    path: '/api/v1/users/{id}',
    tags,
    summary: 'Rename, disable or re-enable a user, or set a new password',
    description: "Disabling or a new password ends the user's sessions.",
    security,
    middleware: [authenticate] as const,
    request: { params: UserParam, body: jsonBody(UpdateUser) },
    responses: { 200: json(UserSchema, 'Updated'), ...errors(...AUTHED, 409) },
  }),
  grant: createRoute({
    method: 'put',
    path: '/api/v1/users/{id}/grants/{unitId}',
    tags,
    summary: 'Grant a role on a unit (replaces the role the user had there)',
    security,
    middleware: [authenticate] as const,
    request: { params: GrantParams, body: jsonBody(z.strictObject({ role: z.enum(ROLES) }).openapi('GrantRole')) },
    responses: { 200: json(UserSchema, 'The user with the new grant'), ...errors(...AUTHED, 409) },
  }),
  revoke: createRoute({
    method: 'delete',
    path: '/api/v1/users/{id}/grants/{unitId}',
    tags,
    summary: "Revoke the user's role on a unit",
    security,
    middleware: [authenticate] as const,
    request: { params: GrantParams },
    responses: { 204: { description: 'Revoked' }, ...errors(...AUTHED, 409) },
  }),
};

export const userRoutes = createRouter()
  .openapi(routes.list, async (c) => c.json({ items: await listUsers(deps(c)) }, 200))
  .openapi(routes.create, async (c) => c.json(await createUser(deps(c), c.get('plane'), c.req.valid('json')), 201))
  .openapi(routes.get, async (c) => c.json(await readUser(deps(c), c.req.valid('param').id), 200))
  .openapi(routes.update, async (c) => c.json(await updateUser(deps(c), c.req.valid('param').id, c.req.valid('json')), 200))
  .openapi(routes.grant, async (c) => {
    const { id, unitId } = c.req.valid('param');
    return c.json(await setGrant(deps(c), id, unitId, c.req.valid('json').role), 200);
  })
  .openapi(routes.revoke, async (c) => {
    const { id, unitId } = c.req.valid('param');
    await revokeGrant(deps(c), id, unitId);
    return c.body(null, 204);
  });
