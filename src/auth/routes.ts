import { createRoute, z } from '@hono/zod-openapi';
import { deleteCookie, setCookie } from 'hono/cookie';
import { createRouter, type AppContext } from '../lib/create-app';
import { deps } from '../lib/deps';
import { errors, json, jsonBody, security } from '../lib/openapi';
import { authenticate, SESSION_COOKIE, SIGNED_IN_COOKIE } from './authenticate';
import { caller, signIn, signOut } from './sessions';

const LoginBody = z
  .strictObject({
    email: z.string().trim().toLowerCase().pipe(z.email()).openapi({ example: 'admin@acme.test' }),
    password: z.string().min(1).max(1024),
    tenantId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: 'Which tenant to sign in to, when the email and password open several (answered 409 `TENANT_CHOICE_REQUIRED` with the list)' }),
  })
  .openapi('LoginRequest');

const UserRef = z.object({ id: z.string(), email: z.string() });
const TenantRef = z.object({ id: z.string(), name: z.string() });

const LoginResponse = z.object({ token: z.string(), expiresAt: z.string().openapi({ format: 'date-time' }), user: UserRef, tenant: TenantRef }).openapi('LoginResponse');

const MeResponse = z
  .object({
    user: UserRef.extend({ name: z.string() }).nullable().openapi({ description: 'null when the caller is an API key' }),
    apiKey: z.object({ id: z.string() }).optional(),
    tenant: TenantRef.extend({ region: z.string().openapi({ description: 'Where the tenant’s data lives (`eu`, `us`, ...)' }) }),
    grants: z.array(z.object({ unitId: z.string(), role: z.string() })),
  })
  .openapi('Me');

const login = createRoute({
  method: 'post',
  path: '/api/v1/auth/login',
  tags: ['auth'],
  summary: 'Sign in with email and password',
  security: [],
  description:
    'Returns a session JWT and sets it as an HttpOnly, SameSite=Lax cookie. When the email and password open accounts in several tenants and no `tenantId` is given, answers 409 `TENANT_CHOICE_REQUIRED` with `details.tenants` ({id, name} of those tenants only); sign in again with one `tenantId`. Attempts are limited per account and client address, per address and per account (429 with Retry-After; docs/access.md).',
  request: { body: jsonBody(LoginBody) },
  responses: { 200: json(LoginResponse, 'Signed in'), ...errors(400, 401, 409, 413, 415, 429) },
});

const logout = createRoute({
  method: 'post',
  path: '/api/v1/auth/logout',
  tags: ['auth'],
  summary: 'End the current session',
  security,
  middleware: [authenticate] as const,
  responses: { 204: { description: 'Signed out; the session token no longer works' }, ...errors(401) },
});

const me = createRoute({
  method: 'get',
  path: '/api/v1/me',
  tags: ['auth'],
  summary: 'The caller: user, tenant and role grants',
  security,
  middleware: [authenticate] as const,
  responses: { 200: json(MeResponse, 'The caller'), ...errors(401) },
});

/** The client's address as Cloudflare gives it; requests without one (tests, tools) share one bucket. */
const clientAddress = (c: AppContext) => c.req.header('cf-connecting-ip') ?? 'unknown';

export const authRoutes = createRouter()
  .openapi(login, async (c) => {
    const { email, password, tenantId } = c.req.valid('json');
    const signedIn = await signIn(c, { email, password, tenantId, ip: clientAddress(c) });
    const config = c.get('config');
    setCookie(c, SESSION_COOKIE, signedIn.token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: new URL(c.req.url).protocol === 'https:',
      path: '/',
      maxAge: config.sessionTtlSeconds,
    });
    // A hint for the portal, readable by its script and holding nothing secret: a session may be
    // open, so it asks /me at start; without it, it shows the sign-in form without a 401.
    setCookie(c, SIGNED_IN_COOKIE, '1', { sameSite: 'Lax', secure: new URL(c.req.url).protocol === 'https:', path: '/', maxAge: config.sessionTtlSeconds });
    return c.json({ ...signedIn, expiresAt: new Date(signedIn.expiresAt).toISOString() }, 200);
  })
  .openapi(logout, async (c) => {
    await signOut(deps(c));
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    deleteCookie(c, SIGNED_IN_COOKIE, { path: '/' });
    return c.body(null, 204);
  })
  .openapi(me, async (c) => c.json(await caller(deps(c), c.get('plane')), 200));
