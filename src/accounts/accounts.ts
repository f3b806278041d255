import { eq, inArray } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { accounts, users } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, conflict, forbidden, notFound } from '../lib/errors';
import { isUniqueViolation } from '../db/errors';
import { newId } from '../lib/ids';
import { getUnit } from '../org/units';
import { getSettings } from '../settings/settings';
import { accountNps, type AccountNps } from './account-nps';
import { layModelDue } from './model-due';

/*
 * B2B customer accounts (docs/accounts.md): a record per account, addressed by the caller's own
 * id (`externalId`, the value its contacts carry in `accountId`), placed on a unit that decides
 * who reads it. Writing accounts, outcomes and signals is tenant-wide (the contact admin's
 * grant, as for contacts); reading one needs score.read on its unit.
 */

export type AccountRow = typeof accounts.$inferSelect;

export interface AccountInput {
  name: string;
  ownerUserId?: string | null;
  unitId: string;
  annualRevenue?: number | null;
  renewalDate?: string | null;
  segment?: string | null;
  attributes?: Record<string, unknown>;
}

export const presentAccount = (a: AccountRow) => ({
  externalId: a.externalId,
  name: a.name,
  ownerUserId: a.ownerUserId,
  unitId: a.unitId,
  annualRevenue: a.annualRevenue,
  renewalDate: a.renewalDate,
  segment: a.segment,
  attributes: a.attributes,
  createdAt: new Date(a.createdAt).toISOString(),
  updatedAt: new Date(a.updatedAt).toISOString(),
});

/** Writing accounts, their outcomes and signals: the contact admin's grant (tenant-wide). */
export const requireAccountAdmin = (d: Deps) => requireTenantWide(d, 'contact.manage', 'managing accounts');

export function findAccount(t: TenantDb, externalId: string) {
  return t.select().from(accounts).where(eq(accounts.externalId, externalId)).limit(1).get();
}

/** An account the caller may read (score.read on its unit): outside the caller's reach it is not found, within reach without score.read forbidden. */
export async function readableAccount(d: Deps, externalId: string): Promise<AccountRow & { unitPath: string }> {
  const account = await findAccount(d.t, externalId);
  const unit = account && (await getUnit(d.t, account.unitId));
  if (!account || !unit || !can(d.actor, 'unit.read', unit.path)) throw notFound('account');
  if (!can(d.actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this account');
  return { ...account, unitPath: unit.path };
}

/**
 * Creates or replaces an account by its external id (every field of the body is set; an absent
 * optional field clears it), audited in the same commit. The unit and the owner must exist in the
 * tenant (422 otherwise, nothing written). `created` when it is new.
 */
export async function putAccount(d: Deps, externalId: string, input: AccountInput) {
  await requireAccountAdmin(d);
  const { t } = d;
  const [unit, owner, before] = await Promise.all([
    getUnit(t, input.unitId),
    input.ownerUserId ? t.select({ id: users.id }).from(users).where(eq(users.id, input.ownerUserId)).limit(1).get() : undefined,
    findAccount(t, externalId),
  ]);
  const problems = [
    ...(unit ? [] : [{ path: 'body.unitId', message: `unit "${input.unitId}" not found` }]),
    ...(input.ownerUserId && !owner ? [{ path: 'body.ownerUserId', message: `user "${input.ownerUserId}" not found` }] : []),
  ];
  if (problems.length) throw new ApiError('UNPROCESSABLE', 'the account names what does not exist', problems);
  const now = Date.now();
  const fields = {
    name: input.name,
    ownerUserId: input.ownerUserId ?? null,
    unitId: input.unitId,
    annualRevenue: input.annualRevenue ?? null,
    renewalDate: input.renewalDate ?? null,
    segment: input.segment ?? null,
    attributes: input.attributes ?? {},
  };
  const after: AccountRow = { ...(before ?? { id: newId('acc'), tenantId: d.actor.tenantId, externalId, createdAt: now }), ...fields, updatedAt: now };
  // An insert or a plain update, not an upsert: SQLite plans an upsert that changes a foreign key
  // column (unit, owner) with a scan of every table referencing accounts.
  const write = before
    ? t
        .update(accounts)
        .set({ ...fields, updatedAt: now })
        .where(eq(accounts.id, before.id))
    : t.insert(accounts).values({ id: after.id, externalId, ...fields, createdAt: after.createdAt, updatedAt: now });
  try {
    await commit(t, [
      write,
      ...(before ? [] : [layModelDue(t, now)]),
      ...(await audit(d, { action: before ? 'account.update' : 'account.create', targetType: 'account', targetId: after.id, before, after, details: { externalId } })),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`account "${externalId}" was created meanwhile: send it again`);
    throw err;
  }
  return { account: presentAccount(after), created: !before };
}

/** One account with its role-weighted NPS over the last `months` months (score.read on its unit). */
export async function readAccount(d: Deps, externalId: string, q: { months: number }): Promise<ReturnType<typeof presentAccount> & { nps: AccountNps }> {
  const account = await readableAccount(d, externalId);
  const settings = await getSettings(d.t);
  const to = Date.now();
  const from = monthsBefore(to, q.months);
  return { ...presentAccount(account), nps: await accountNps(d.t, account.externalId, settings, { from, to }) };
}

/** The instant `months` calendar months before `at` (UTC). */
export function monthsBefore(at: number, months: number): number {
  const d = new Date(at);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}

/** The internal ids of accounts by external id (for bulk loads). */
export async function accountIds(t: TenantDb, externalIds: string[]) {
  const out = new Map<string, { id: string; createdAt: number }>();
  for (let i = 0; i < externalIds.length; i += 500) {
    const chunk = externalIds.slice(i, i + 500);
    const rows = await t.select({ id: accounts.id, externalId: accounts.externalId, createdAt: accounts.createdAt }).from(accounts).where(inArray(accounts.externalId, chunk));
    for (const r of rows) out.set(r.externalId, { id: r.id, createdAt: r.createdAt });
  }
  return out;
}
