import { asc, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { commit } from '../db/client';
import { accountOutcomes, type AccountOutcomeType } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { findAccount, requireAccountAdmin } from './accounts';

/*
 * Outcomes of an account (docs/accounts.md "Outcomes"): renewed, churned, expanded or
 * contracted, when, and the revenue moved. A churn is what the churn model learns from.
 */

export interface OutcomeInput {
  type: AccountOutcomeType;
  occurredAt: string;
  revenueDelta?: number | null;
}

type OutcomeRow = typeof accountOutcomes.$inferSelect;

export const presentOutcome = (externalId: string, o: OutcomeRow) => ({
  id: o.id,
  accountId: externalId,
  type: o.type,
  occurredAt: new Date(o.occurredAt).toISOString(),
  revenueDelta: o.revenueDelta,
  createdAt: new Date(o.createdAt).toISOString(),
});

/**
 * Records an outcome of an account (the contact admin's grant). An unknown account is 404; an
 * outcome dated in the future is 422; nothing is written then. Audited in the same commit.
 */
export async function addOutcome(d: Deps, externalId: string, input: OutcomeInput) {
  await requireAccountAdmin(d);
  const account = await findAccount(d.t, externalId);
  if (!account) throw notFound('account');
  const now = Date.now();
  const at = Date.parse(input.occurredAt);
  if (at > now) throw new ApiError('UNPROCESSABLE', 'an outcome cannot be in the future', [{ path: 'body.occurredAt', message: 'must not be after now' }]);
  const row: OutcomeRow = { id: newId('out'), tenantId: d.actor.tenantId, accountId: account.id, type: input.type, occurredAt: at, revenueDelta: input.revenueDelta ?? null, createdAt: now };
  const { tenantId: _t, ...values } = row;
  await commit(d.t, [
    d.t.insert(accountOutcomes).values(values),
    ...(await audit(d, { action: 'account.outcome', targetType: 'account', targetId: account.id, after: row, details: { externalId, type: input.type } })),
  ]);
  return presentOutcome(externalId, row);
}

/** The outcomes of one account, oldest first. */
export function outcomesOf(t: TenantDb, accountId: string) {
  return t.select().from(accountOutcomes).where(eq(accountOutcomes.accountId, accountId)).orderBy(asc(accountOutcomes.occurredAt));
}
