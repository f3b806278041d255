import { ApiError } from '../lib/errors';

export const COMPONENTS = ['nps', 'contactedWithinTarget', 'resolvedWithinTarget'] as const;
export type Component = (typeof COMPONENTS)[number];
export type Weights = Record<Component, number>;

/** Unset weights count the three components equally. */
export const EQUAL_WEIGHTS: Weights = { nps: 1, contactedWithinTarget: 1, resolvedWithinTarget: 1 };

/** The contract's stored weights, or equal ones when none were set. */
export function weightsOf(stored: Record<string, number> | null | undefined): Weights {
  if (!stored || !COMPONENTS.every((k) => typeof stored[k] === 'number')) return { ...EQUAL_WEIGHTS };
  return { nps: stored.nps!, contactedWithinTarget: stored.contactedWithinTarget!, resolvedWithinTarget: stored.resolvedWithinTarget! };
}

/** Weights an admin may set: finite, non-negative, not all zero (else 422). */
export function checkWeights(w: Weights): void {
  const bad = COMPONENTS.filter((k) => !Number.isFinite(w[k]) || w[k] < 0);
  if (bad.length)
    throw new ApiError(
      'UNPROCESSABLE',
      'composite weights must be non-negative numbers',
      bad.map((k) => ({ path: `body.compositeWeights.${k}`, message: 'negative' })),
    );
  if (COMPONENTS.every((k) => w[k] === 0)) throw new ApiError('UNPROCESSABLE', 'at least one composite weight must be above zero', [{ path: 'body.compositeWeights', message: 'all zero' }]);
}

/**
 * The vendor composite index on 0..100: Σ wᵢ·cᵢ / Σ wᵢ over the components that are available,
 * the NPS mapped from −100..100 to (nps + 100) / 2 and the shares within target as percentages.
 * A suppressed NPS (too few answers) leaves no index: vendors are not ranked on noise.
 */
export function composite(input: { nps: number | null; npsSuppressed: boolean; contactedWithinTarget: number | null; resolvedWithinTarget: number | null }, weights: Weights) {
  const components: Record<Component, number | null> = {
    nps: input.nps === null || input.npsSuppressed ? null : (input.nps + 100) / 2,
    contactedWithinTarget: input.contactedWithinTarget === null ? null : input.contactedWithinTarget * 100,
    resolvedWithinTarget: input.resolvedWithinTarget === null ? null : input.resolvedWithinTarget * 100,
  };
  if (components.nps === null) return { value: null, weights, components, reason: 'nps_suppressed' as const };
  let sum = 0;
  let total = 0;
  for (const k of COMPONENTS) {
    const c = components[k];
    if (c === null) continue;
    sum += weights[k] * c;
    total += weights[k];
  }
  if (total === 0) return { value: null, weights, components, reason: 'no_weighted_components' as const };
  return { value: sum / total, weights, components };
}
