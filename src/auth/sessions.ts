import { eq } from 'drizzle-orm';
import { auditStatement } from '../audit/record';
import { commit } from '../db/client';
import type { DataPlane } from '../db/plane';
import { sessions, signInNetworks, tenants, users } from '../db/schema';
import type { AppContext } from '../lib/create-app';
import type { Deps } from '../lib/deps';
import { ApiError } from '../lib/errors';
import { newId } from '../lib/ids';
import { signSession } from './jwt';
import { networkHash } from './network';
import { DECOY_HASH, verifyPassword } from './password';
import { type Account, accountsOfEmail, loginCounters } from './sign-in';

export interface SignInInput {
  email: string;
  password: string;
  tenantId?: string;
  /** The client's address, for the sign-in counters. */
  ip: string;
}

const invalidCredentials = () => new ApiError('UNAUTHORIZED', 'the email or password is not correct');

/**
 * The accounts of an email whose password this is (and that are active), in tenant-name
 * order. When there is none, each account tried has its failed attempt audited in its tenant.
 * Every account is hashed, and an unknown email against a decoy, so the answer time does not
 * reveal whether the email exists.
 */
async function matchingAccounts(c: AppContext, { email, password, tenantId }: SignInInput): Promise<Account[]> {
  const rows = await accountsOfEmail(c, email, tenantId);
  if (rows.length === 0) await verifyPassword(password, DECOY_HASH);
  const checked = await Promise.all(rows.map(async (row) => ({ row, ok: await verifyPassword(password, row.user.passwordHash) })));
  const matches = checked.filter((x) => x.ok && x.row.user.status === 'active').map((x) => x.row);
  if (matches.length === 0) {
    const failures = [];
    for (const { row, ok } of checked) {
      failures.push({
        t: row.t,
        statements: await auditStatement(row.t, {
          actor: { type: 'user', id: row.user.id },
          action: 'auth.login_failed',
          targetType: 'user',
          targetId: row.user.id,
          details: { reason: ok ? 'disabled' : 'password' },
          requestId: c.get('requestId'),
        }),
      });
    }
    await Promise.all(failures.map((f) => commit(f.t, f.statements)));
  }
  return matches;
}

/**
 * Signs in with email and password: counted against the sign-in limits first (429), then one
 * account whose password this is (401 without; 409 `TENANT_CHOICE_REQUIRED` with the tenants
 * when it opens several and no tenant is named) gets a session, audited in its tenant.
 */
export async function signIn(c: AppContext, input: SignInInput) {
  const config = c.get('config');
  const now = Date.now();
  const counters = loginCounters(c.get('plane'), input.email, input.ip);

  // Counted before the password is checked: parallel guesses cannot share one free slot.
  const wait = await counters.count(now);
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    throw new ApiError('RATE_LIMITED', 'too many sign-in attempts; try again later', { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) });
  }

  const matches = await matchingAccounts(c, input);
  if (matches.length === 0) throw invalidCredentials();
  if (matches.length > 1) {
    // Only the tenants this password opens are named: nothing without the right password.
    await counters.forgive();
    throw new ApiError('TENANT_CHOICE_REQUIRED', 'this sign-in opens several tenants; sign in again with the tenantId of one', { tenants: matches.map((m) => m.tenant) });
  }
  const { user, tenant, t } = matches[0]!;

  const sessionId = newId('ses');
  const expiresAt = now + config.sessionTtlSeconds * 1000;
  const token = await signSession(config, { sub: user.id, tid: tenant.id, sid: sessionId }, expiresAt);
  // The network's keyed fingerprint (never the address): the integrity signals compare answers with it (docs/integrity.md).
  const network = await networkHash(config, tenant.id, input.ip);
  await commit(t, [
    t.insert(sessions).values({ id: sessionId, userId: user.id, expiresAt, createdAt: now, networkHash: network }),
    ...(network
      ? [
          t
            .insert(signInNetworks)
            .values({ userId: user.id, networkHash: network, firstAt: now, lastAt: now })
            .onConflictDoUpdate({ target: [signInNetworks.tenantId, signInNetworks.userId, signInNetworks.networkHash], set: { lastAt: now } }),
        ]
      : []),
    // Without a directory the counters share the tenant's database and this one batch.
    ...(counters.shared ? counters.statements() : []),
    ...(await auditStatement(t, {
      actor: { type: 'user', id: user.id },
      action: 'auth.login',
      targetType: 'session',
      targetId: sessionId,
      after: { sessionId, userId: user.id, expiresAt },
      requestId: c.get('requestId'),
    })),
  ]);
  if (!counters.shared) await counters.forgive();
  return { token, expiresAt, user: { id: user.id, email: user.email }, tenant };
}

/** Ends the caller's session (an API key has none). */
export async function signOut(d: Deps) {
  const { t, actor } = d;
  if (!actor.sessionId) return;
  await commit(t, [
    t.update(sessions).set({ revokedAt: Date.now() }).where(eq(sessions.id, actor.sessionId)),
    ...(await auditStatement(t, {
      actor: { type: actor.type, id: actor.id },
      action: 'auth.logout',
      targetType: 'session',
      targetId: actor.sessionId,
      requestId: d.requestId,
    })),
  ]);
}

/** The caller: its user (null for an API key), its tenant with where its data lives, its grants. */
export async function caller({ t, actor }: Pick<Deps, 't' | 'actor'>, plane: DataPlane) {
  const [placement, [[tenant], user]] = await Promise.all([
    plane.placement(actor.tenantId),
    t.batch([t.select({ id: tenants.id, name: tenants.name }).from(tenants), t.select({ id: users.id, email: users.email, name: users.name }).from(users).where(eq(users.id, actor.id))]),
  ]);
  return {
    user: actor.type === 'user' ? (user[0] ?? null) : null,
    ...(actor.type === 'api_key' ? { apiKey: { id: actor.id } } : {}),
    tenant: { ...tenant!, region: placement!.region },
    grants: actor.grants.map((g) => ({ unitId: g.unitId, role: g.role })),
  };
}
