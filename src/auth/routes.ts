import { TenantDb } from '../db/tenant-db';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { deleteCookie, setCookie } from 'hono/cookie';
import { auditStatement } from '../audit/record';
import { commit, type Db } from '../db/client';
import { loginEmails, sessions, tenants, users } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError } from '../lib/errors';
import { newId } from '../lib/ids';
import { errors, json, jsonBody, security } from '../lib/openapi';
import { authenticate, SESSION_COOKIE } from './authenticate';
import { signSession } from './jwt';
import { DECOY_HASH, verifyPassword } from './password';
import { countLoginAttempt, forgiveLoginAttempt } from './rate-limit';

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

const invalidCredentials = () => new ApiError('UNAUTHORIZED', 'the email or password is not correct');

/** The client's address as Cloudflare gives it; requests without one (tests, tools) share one bucket. */
const clientAddress = (c: AppContext) => c.req.header('cf-connecting-ip') ?? 'unknown';

type Account = { user: typeof users.$inferSelect; tenant: { id: string; name: string }; db: Db };

/** The accounts of an email in one data database (all its tenants, or just `tenantId`). */
async function accountsIn(db: Db, email: string, tenantId: string | undefined): Promise<Account[]> {
  const rows = await db
    .select({ user: users, tenant: { id: tenants.id, name: tenants.name } })
    .from(loginEmails)
    .innerJoin(users, and(eq(users.id, loginEmails.userId), eq(users.tenantId, loginEmails.tenantId)))
    .innerJoin(tenants, eq(tenants.id, loginEmails.tenantId))
    .where(tenantId === undefined ? eq(loginEmails.email, email) : and(eq(loginEmails.email, email), eq(loginEmails.tenantId, tenantId)));
  return rows.map((r) => ({ ...r, db }));
}

/**
 * The accounts of an email whose password this is (and that are active), in tenant-name
 * order, with the audit rows of a failed attempt (each for its tenant's database) when there is
 * none. With a directory, its identities name the tenants to look in; each account is read from
 * its tenant's own database. Every account is hashed, and an unknown email against a decoy, so
 * the answer time does not reveal whether the email exists.
 */
async function matchingAccounts(c: AppContext, email: string, password: string, tenantId: string | undefined) {
  const plane = c.get('plane');
  const tenantIds = await plane.tenantsOfEmail(email);
  let rows: Account[];
  if (tenantIds === null) rows = await accountsIn(c.get('db'), email, tenantId);
  else {
    const wanted = tenantIds.filter((id) => tenantId === undefined || id === tenantId);
    const dbs = await Promise.all(wanted.map((id) => plane.forTenant(id, { write: true })));
    rows = (await Promise.all(wanted.map((id, i) => (dbs[i] ? accountsIn(dbs[i], email, id) : [])))).flat();
  }
  rows.sort((a, b) => a.tenant.name.localeCompare(b.tenant.name) || a.tenant.id.localeCompare(b.tenant.id));
  if (rows.length === 0) await verifyPassword(password, DECOY_HASH);
  const checked = await Promise.all(rows.map(async (row) => ({ row, ok: await verifyPassword(password, row.user.passwordHash) })));
  const matches = checked.filter((x) => x.ok && x.row.user.status === 'active').map((x) => x.row);
  const failures: { db: Db; statements: BatchItem<'sqlite'>[] }[] = [];
  if (matches.length === 0) {
    for (const { row, ok } of checked) {
      failures.push({
        db: row.db,
        statements: await auditStatement(new TenantDb(row.db, row.tenant.id), {
          actor: { type: 'user', id: row.user.id },
          action: 'auth.login_failed',
          targetType: 'user',
          targetId: row.user.id,
          details: { reason: ok ? 'disabled' : 'password' },
          requestId: c.get('requestId'),
        }),
      });
    }
  }
  return { matches, failures };
}

export const authRoutes = createRouter()
  .openapi(login, async (c) => {
    const { email, password, tenantId } = c.req.valid('json');
    const counters = c.get('plane').counters();
    const config = c.get('config');
    const ip = clientAddress(c);
    const now = Date.now();

    // Counted before the password is checked: parallel guesses cannot share one free slot.
    const wait = await countLoginAttempt(counters, email, ip, now);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new ApiError('RATE_LIMITED', 'too many sign-in attempts; try again later', { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) });
    }

    const { matches, failures } = await matchingAccounts(c, email, password, tenantId);
    if (matches.length === 0) {
      await Promise.all(failures.map((f) => commit(f.db, f.statements)));
      throw invalidCredentials();
    }
    if (matches.length > 1) {
      // Only the tenants this password opens are named: nothing without the right password.
      await commit(counters, forgiveLoginAttempt(counters, email, ip));
      throw new ApiError('TENANT_CHOICE_REQUIRED', 'this sign-in opens several tenants; sign in again with the tenantId of one', { tenants: matches.map((m) => m.tenant) });
    }
    const row = matches[0]!;
    const db = row.db;

    const sessionId = newId('ses');
    const expiresAt = now + config.sessionTtlSeconds * 1000;
    const token = await signSession(config, { sub: row.user.id, tid: row.tenant.id, sid: sessionId }, expiresAt);
    await commit(db, [
      db.insert(sessions).values({ id: sessionId, tenantId: row.tenant.id, userId: row.user.id, expiresAt, createdAt: now }),
      // Without a directory the counters share the tenant's database and this one batch.
      ...(c.get('plane').directory ? [] : forgiveLoginAttempt(db, email, ip)),
      ...(await auditStatement(new TenantDb(db, row.tenant.id), {
        actor: { type: 'user', id: row.user.id },
        action: 'auth.login',
        targetType: 'session',
        targetId: sessionId,
        after: { sessionId, userId: row.user.id, expiresAt },
        requestId: c.get('requestId'),
      })),
    ]);
    if (c.get('plane').directory) await commit(counters, forgiveLoginAttempt(counters, email, ip));
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
        ...(await auditStatement(c.get('tdb'), {
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
    const [placement, [[tenant], user]] = await Promise.all([
      c.get('plane').placement(actor.tenantId),
      db.batch([
        db.select({ id: tenants.id, name: tenants.name }).from(tenants).where(eq(tenants.id, actor.tenantId)),
        db
          .select({ id: users.id, email: users.email, name: users.name })
          .from(users)
          .where(and(eq(users.tenantId, actor.tenantId), eq(users.id, actor.id))),
      ]),
    ]);
    return c.json(
      {
        user: actor.type === 'user' ? (user[0] ?? null) : null,
        ...(actor.type === 'api_key' ? { apiKey: { id: actor.id } } : {}),
        tenant: { ...tenant!, region: placement!.region },
        grants: actor.grants.map((g) => ({ unitId: g.unitId, role: g.role })),
      },
      200,
    );
  });
