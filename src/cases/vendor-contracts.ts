import { eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { commit } from '../db/client';
import { users, vendorContracts } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { getUnit } from '../org/units';
import { checkWeights } from '../vendors/composite';

export interface ContractChange {
  ownerUserId?: string | null;
  firstContactHours?: number | null;
  resolutionHours?: number | null;
  compositeWeights?: { nps: number; contactedWithinTarget: number; resolvedWithinTarget: number } | null;
}

/**
 * Sets a vendor unit's contract: its owner on the tenant's side, its case targets and the
 * weights of its scorecard's composite index; each given field replaces the stored one (admin
 * over the vendor). Returns the contract as stored.
 */
export async function setVendorContract(d: Deps, unitId: string, body: ContractChange) {
  const { t, actor } = d;
  const unit = await getUnit(t, unitId);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'case.configure', unit.path)) throw forbidden('only an admin over this vendor may set its contract');
  if (unit.kind !== 'vendor') throw new ApiError('UNPROCESSABLE', 'contracts are for vendor units only');
  if (body.compositeWeights) checkWeights(body.compositeWeights);
  if (body.ownerUserId) {
    const [u] = await t.select({ id: users.id }).from(users).where(eq(users.id, body.ownerUserId));
    if (!u) throw notFound('user');
  }
  const now = Date.now();
  const [existing] = await t.select().from(vendorContracts).where(eq(vendorContracts.unitId, unit.id));
  const record = {
    id: existing?.id ?? newId('vct'),
    unitId: unit.id,
    ownerUserId: body.ownerUserId !== undefined ? body.ownerUserId : (existing?.ownerUserId ?? null),
    firstContactHours: body.firstContactHours !== undefined ? body.firstContactHours : (existing?.firstContactHours ?? null),
    resolutionHours: body.resolutionHours !== undefined ? body.resolutionHours : (existing?.resolutionHours ?? null),
    compositeWeights: body.compositeWeights !== undefined ? (body.compositeWeights ?? {}) : (existing?.compositeWeights ?? {}),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  await commit(t, [
    existing
      ? t
          .update(vendorContracts)
          .set({ ownerUserId: record.ownerUserId, firstContactHours: record.firstContactHours, resolutionHours: record.resolutionHours, compositeWeights: record.compositeWeights, updatedAt: now })
          .where(eq(vendorContracts.id, existing.id))
      : t.insert(vendorContracts).values(record),
    // The record as stored, with its tenant.
    ...(await audit(d, {
      action: 'vendor_contract.update',
      targetType: 'unit',
      targetId: unit.id,
      before: existing,
      after: { ...record, tenantId: actor.tenantId },
      details: { changed: Object.keys(body) },
    })),
  ]);
  return record;
}
