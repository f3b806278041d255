// The composite index of a unit (docs/drivers.md "Composite index"): pure functions, no I/O.

export interface MeasureWeight {
  key: string;
  weight: number;
  /** The measure's value that scores 0. */
  worst: number;
  /** The measure's value that scores 100 (below `worst` for a measure where lower is better). */
  target: number;
}

export interface CompositeWeights {
  nps: number;
  measures: MeasureWeight[];
}

/** A measure's value on 0..100: linear from `worst` (0) to `target` (100), clamped. */
export function measureComponent(value: number, m: Pick<MeasureWeight, 'worst' | 'target'>): number {
  return Math.min(100, Math.max(0, (100 * (value - m.worst)) / (m.target - m.worst)));
}

/** NPS on 0..100: (nps + 100) / 2, as the vendor composite. */
export const npsComponent = (nps: number) => (nps + 100) / 2;

/**
 * Σ wᵢ·cᵢ / Σ wᵢ over the components that are available (a measure without values in the range
 * drops out with its weight). A suppressed NPS leaves no index: units are not ranked on noise.
 */
export function compositeIndex(input: { nps: number | null; measures: Record<string, number | null> }, w: CompositeWeights) {
  const components = {
    nps: input.nps === null ? null : npsComponent(input.nps),
    measures: Object.fromEntries(w.measures.map((m) => [m.key, input.measures[m.key] === null || input.measures[m.key] === undefined ? null : measureComponent(input.measures[m.key]!, m)])) as Record<
      string,
      number | null
    >,
  };
  if (components.nps === null) return { value: null, components, reason: 'nps_suppressed' as const };
  let sum = w.nps * components.nps;
  let total = w.nps;
  for (const m of w.measures) {
    const c = components.measures[m.key];
    if (c === null || c === undefined) continue;
    sum += m.weight * c;
    total += m.weight;
  }
  if (total === 0) return { value: null, components, reason: 'no_weighted_components' as const };
  return { value: sum / total, components };
}
