import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { deleteCookie, setCookie } from 'hono/cookie';
import { auditStatement } from '../audit/record';
import { commit } from '../db/client';
import { loginEmails, rateLimits, sessions, tenants, users } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { ApiError } from '../lib/errors';
import { newId } from '../lib/ids';
import { errors, json, jsonBody, security } from '../lib/openapi';
import { authenticate, SESSION_COOKIE } from './authenticate';
import { signSession } from './jwt';
import { DECOY_HASH, verifyPassword } from './password';
import { accountKey, addressKey, countFailure, loginRetryAfter } from './rate-limit';

const LoginBody = z
  .strictObject({
    email: z.string().trim().toLowerCase().pipe(z.email()).openapi({ example: 'admin@acme.test' }),
    password: z.string().min(1).max(1024),
  })
  .openapi('LoginRequest');

const UserRef = z.object({ id: z.string(), email: z.string() });
const TenantRef = z.object({ id: z.string(), name: z.string() });

const LoginResponse = z
  .object({ token: z.string(), expiresAt: z.string().openapi({ format: 'date-time' }), user: UserRef, tenant: TenantRef })
  .openapi('LoginResponse');

const MeResponse = z
  .object({
    user: UserRef.extend({ name: z.string() }).nullable().openapi({ description: 'null when the caller is an API key' }),
    apiKey: z.object({ id: z.string() }).optional(),
    tenant: TenantRef,
    grants: z.array(z.object({ unitId: z.string(), role: z.string() })),
  })
  .openapi('Me');

const login = createRoute({
  method: 'post',
  path: '/api/v1/auth/login',
  tags: ['auth'],
  summary: 'Sign in with email and password',
  security: [],
  description: 'Returns a session JWT and sets it as an HttpOnly, SameSite=Lax cookie. Failed attempts are limited per account and per client address (429 with Retry-After).',
  request: { body: jsonBody(LoginBody) },
  responses: { 200: json(LoginResponse, 'Signed in'), ...errors(400, 401, 413, 415, 429) },
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

const invalidCredentials = () => new ApiError('UNAUTHORIZED', 'the email or password is not correct');

export const authRoutes = createRouter()
  .openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
    const db = c.get('db');
    const config = c.get('config');
    const ip = c.req.header('cf-connecting-ip') ?? 'local';
    const now = Date.now();

    const wait = await loginRetryAfter(db, email, ip, now);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new ApiError('RATE_LIMITED', 'too many failed sign-in attempts; try again later', { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) });
    }

    const [row] = await db
      .select({ user: users, tenant: { id: tenants.id, name: tenants.name } })
      .from(loginEmails)
      .innerJoin(users, eq(users.id, loginEmails.userId))
      .innerJoin(tenants, eq(tenants.id, loginEmails.tenantId))
      .where(eq(loginEmails.email, email));

    // Hash even for unknown accounts so the answer time does not reveal which emails exist.
    const ok = await verifyPassword(password, row?.user.passwordHash ?? DECOY_HASH);
    if (!row || !ok || row.user.status !== 'active') {
      const failures: BatchItem<'sqlite'>[] = [countFailure(db, accountKey(email), now), countFailure(db, addressKey(ip), now)];
      if (row) {
        failures.push(
          ...(await auditStatement(db, {
            tenantId: row.tenant.id,
            actor: { type: 'user', id: row.user.id },
            action: 'auth.login_failed',
            targetType: 'user',
            targetId: row.user.id,
            details: { reason: ok ? 'disabled' : 'password' },
            requestId: c.get('requestId'),
          })),
        );
      }
      await commit(db, failures);
      throw invalidCredentials();
    }

    const sessionId = newId('ses');
    const expiresAt = now + config.sessionTtlSeconds * 1000;
    const token = await signSession(config, { sub: row.user.id, tid: row.tenant.id, sid: sessionId }, expiresAt);
    await commit(db, [
      db.insert(sessions).values({ id: sessionId, tenantId: row.tenant.id, userId: row.user.id, expiresAt, createdAt: now }),
      db.delete(rateLimits).where(eq(rateLimits.key, accountKey(email))),
      ...(await auditStatement(db, {
        tenantId: row.tenant.id,
        actor: { type: 'user', id: row.user.id },
        action: 'auth.login',
        targetType: 'session',
        targetId: sessionId,
        after: { sessionId, userId: row.user.id, expiresAt },
        requestId: c.get('requestId'),
      })),
    ]);
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: new URL(c.req.url).protocol === 'https:',
      path: '/',
      maxAge: config.sessionTtlSeconds,
    });
    return c.json(
      {
        token,
        expiresAt: new Date(expiresAt).toISOString(),
        user: { id: row.user.id, email: row.user.email },
        tenant: row.tenant,
      },
      200,
    );
  })
  .openapi(logout, async (c) => {
    const actor = c.get('actor');
    const db = c.get('db');
    if (actor.sessionId) {
      await commit(db, [
        db
          .update(sessions)
          .set({ revokedAt: Date.now() })
          .where(and(eq(sessions.tenantId, actor.tenantId), eq(sessions.id, actor.sessionId))),
        ...(await auditStatement(db, {
          tenantId: actor.tenantId,
          actor: { type: actor.type, id: actor.id },
          action: 'auth.logout',
          targetType: 'session',
          targetId: actor.sessionId,
          requestId: c.get('requestId'),
        })),
      ]);
    }
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.body(null, 204);
  })
  .openapi(me, async (c) => {
    const actor = c.get('actor');
    const db = c.get('db');
    const [[tenant], user] = await db.batch([
      db.select({ id: tenants.id, name: tenants.name }).from(tenants).where(eq(tenants.id, actor.tenantId)),
      db
        .select({ id: users.id, email: users.email, name: users.name })
        .from(users)
        .where(and(eq(users.tenantId, actor.tenantId), eq(users.id, actor.id))),
    ]);
    return c.json(
      {
        user: actor.type === 'user' ? (user[0] ?? null) : null,
        ...(actor.type === 'api_key' ? { apiKey: { id: actor.id } } : {}),
        tenant: tenant!,
        grants: actor.grants.map((g) => ({ unitId: g.unitId, role: g.role })),
      },
      200,
    );
  });
