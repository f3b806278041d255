import { eq } from 'drizzle-orm';
import { can, reach } from '../auth/policy';
import { units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, notFound } from '../lib/errors';
import { getRoot, getUnit, type Unit } from './units';

/**
 * The unit a report is about: the one asked for, when the caller sees it (else 404); without
 * one, the root for callers who see it all, else the caller's single subtree (a site manager's
 * site, a vendor's vendor unit). Callers with several subtrees must name one.
 */
export async function reportUnit({ t, actor }: Pick<Deps, 't' | 'actor'>, unitId: string | undefined): Promise<Unit> {
  if (unitId) {
    const unit = await getUnit(t, unitId);
    if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
    return unit;
  }
  const root = await getRoot(t);
  if (root && can(actor, 'unit.read', root.path)) return root;
  const paths = reach(actor, 'unit.read');
  if (paths.length !== 1) throw new ApiError('VALIDATION_FAILED', 'name the unit to report on', [{ path: 'query.unitId', message: 'required: you have access to several parts of the hierarchy' }]);
  const [unit] = await t.select().from(units).where(eq(units.path, paths[0]!));
  if (!unit) throw notFound('unit');
  return unit;
}
