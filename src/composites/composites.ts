import { eq, inArray } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { commit } from '../db/client';
import { compositeIndices, measures, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { subtreeMean } from '../measures/correlation';
import { getUnit } from '../org/units';
import { localDay } from '../scores/local-day';
import { scoreReport } from '../scores/report';
import { type CompositeWeights, compositeIndex } from './index-formula';

/*
 * Composite indices for any unit (docs/drivers.md "Composite index"): admins weight NPS and
 * measures on a unit; the weights hold for its subtree until a unit below sets its own.
 */

const DAY_MS = 86_400_000;

/** The unit, if the caller reads it (else 404). */
async function visibleUnit(d: Deps, unitId: string) {
  const unit = await getUnit(d.t, unitId);
  if (!unit || !can(d.actor, 'unit.read', unit.path)) throw notFound('unit');
  return unit;
}

/** Sets a unit's composite weights (admins of the unit, `measure.write`); 422 for weights that cannot make an index. Audited. */
export async function putComposite(d: Deps, unitId: string, w: CompositeWeights) {
  const unit = await visibleUnit(d, unitId);
  if (!can(d.actor, 'measure.write', unit.path)) throw forbidden('composite weights need the admin role on the unit or above it');
  const issues: { path: string; message: string }[] = [];
  const keys = w.measures.map((m) => m.key);
  // Account signals are series per account, not per unit: they do not enter a unit's index.
  const known = keys.length
    ? new Set((await d.t.select({ key: measures.key, source: measures.source }).from(measures).where(inArray(measures.key, keys))).filter((m) => m.source !== 'account').map((m) => m.key))
    : new Set<string>();
  w.measures.forEach((m, i) => {
    if (!known.has(m.key)) issues.push({ path: `body.measures.${i}.key`, message: `no measure "${m.key}"` });
    else if (keys.indexOf(m.key) !== i) issues.push({ path: `body.measures.${i}.key`, message: 'each measure once' });
    if (m.worst === m.target) issues.push({ path: `body.measures.${i}.target`, message: 'must differ from worst' });
  });
  if (w.nps + w.measures.reduce((a, m) => a + m.weight, 0) === 0) issues.push({ path: 'body', message: 'at least one weight must be above zero' });
  if (issues.length) throw new ApiError('UNPROCESSABLE', 'these weights cannot make an index', issues);
  const now = Date.now();
  const weights = { nps: w.nps, measures: w.measures } as unknown as Record<string, unknown>;
  await commit(d.t, [
    d.t
      .insert(compositeIndices)
      .values({ unitId: unit.id, weights, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: [compositeIndices.tenantId, compositeIndices.unitId], set: { weights, updatedAt: now } }),
    ...(await audit(d, { action: 'composite.set', targetType: 'unit', targetId: unit.id, after: weights })),
  ]);
  return { unitId: unit.id, weights: w };
}

/**
 * A unit's composite index over the local days [from, to] (default the 90 days to its today):
 * the weights set on it or on its nearest ancestor, its NPS (as GET /api/v1/scores) and the
 * measures' means over its subtree. Score readers of the unit.
 */
export async function getComposite(d: Deps, unitId: string, q: { from?: string; to?: string }) {
  const unit = await visibleUnit(d, unitId);
  if (!can(d.actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this unit');
  const to = q.to ?? localDay(Date.now(), unit.timezone);
  const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 89 * DAY_MS).toISOString().slice(0, 10);
  if (from > to) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', [{ path: 'query.from', message: 'must not be after `to`' }]);
  // The nearest unit on the path (itself first) with weights.
  const chain = unit.path.split('/').filter(Boolean);
  const set = await d.t
    .select({ unitId: compositeIndices.unitId, weights: compositeIndices.weights })
    .from(compositeIndices)
    .innerJoin(units, eq(units.id, compositeIndices.unitId))
    .where(inArray(compositeIndices.unitId, chain));
  const own = set.sort((a, b) => chain.indexOf(b.unitId) - chain.indexOf(a.unitId))[0];
  const [nps] = await scoreReport(d, { unitId: unit.id, from, to, weight: 'none', confidence: 0.95 });
  if (!own) return { unitId: unit.id, from, to, nps: nps!, weightsFrom: null, weights: null, value: null, components: null, measures: {}, reason: 'no_weights' as const };
  const weights = own.weights as unknown as CompositeWeights;
  const defined = weights.measures.length
    ? await d.t
        .select()
        .from(measures)
        .where(
          inArray(
            measures.key,
            weights.measures.map((m) => m.key),
          ),
        )
    : [];
  const means: Record<string, number | null> = {};
  await Promise.all(
    weights.measures.map(async (m) => {
      const measure = defined.find((x) => x.key === m.key);
      means[m.key] = measure ? await subtreeMean(d.t, unit, measure, from, to) : null;
    }),
  );
  const index = compositeIndex({ nps: nps!.suppressed ? null : nps!.nps, measures: means }, weights);
  return { unitId: unit.id, from, to, nps: nps!, weightsFrom: own.unitId, weights, measures: means, ...index };
}
