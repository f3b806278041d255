// The trend of NPS over consecutive periods (docs/scoring.md §11): the slope of a weighted
// least-squares line through the periods' scores, each weighted by the inverse of its sampling
// variance, with its interval and a two-sided test of "no trend". Pure; counts only.
import erfc from '@stdlib/math-base-special-erfc';
import { confidenceZ, type Tally } from './nps';

export interface TrendPoint {
  /** The period's position: 0, 1, 2, … (gaps allowed). */
  x: number;
  tally: Tally;
}

export interface Trend {
  /** NPS points per period, unrounded. */
  slope: number;
  ci: { low: number; high: number; level: number };
  /** Two-sided p of slope = 0. */
  p: number;
  /** Periods with answers that entered the fit. */
  periods: number;
}

/**
 * The variance of a period's NPS on the −100..100 scale, from the adjusted-Wald shares of §4.1
 * (¾ added to promoters and detractors, 3 to n): never zero, so a unanimous period does not get
 * an infinite weight.
 */
function adjustedVariance(t: Tally): number {
  const nAdj = t.promoters + t.passives + t.detractors + 3;
  const pPlus = (t.promoters + 0.75) / nAdj;
  const pMinus = (t.detractors + 0.75) / nAdj;
  return (10_000 * (pPlus + pMinus - (pPlus - pMinus) ** 2)) / nAdj;
}

/**
 * The weighted least-squares slope of the periods' NPS (100·(P − D)/n) on x, with weights
 * wᵢ = 1/varᵢ, treating the variances as known:
 *
 *   x̄ = Σwᵢxᵢ/Σwᵢ, ȳ = Σwᵢyᵢ/Σwᵢ, slope = Σwᵢ(xᵢ − x̄)(yᵢ − ȳ) / Σwᵢ(xᵢ − x̄)², SE = 1/√Σwᵢ(xᵢ − x̄)²
 *
 * Null with fewer than two periods with answers, or when they all share one x.
 */
export function npsTrend(points: readonly TrendPoint[], opts?: { confidence?: number }): Trend | null {
  const level = opts?.confidence ?? 0.95;
  const z = confidenceZ(level);
  const used = points.filter((p) => p.tally.promoters + p.tally.passives + p.tally.detractors > 0);
  if (used.length < 2) return null;
  const rows = used.map((p) => {
    const n = p.tally.promoters + p.tally.passives + p.tally.detractors;
    return { x: p.x, y: (100 * (p.tally.promoters - p.tally.detractors)) / n, w: 1 / adjustedVariance(p.tally) };
  });
  const sw = rows.reduce((s, r) => s + r.w, 0);
  const xBar = rows.reduce((s, r) => s + r.w * r.x, 0) / sw;
  const yBar = rows.reduce((s, r) => s + r.w * r.y, 0) / sw;
  const sxx = rows.reduce((s, r) => s + r.w * (r.x - xBar) ** 2, 0);
  if (!(sxx > 0)) return null;
  const slope = rows.reduce((s, r) => s + r.w * (r.x - xBar) * (r.y - yBar), 0) / sxx;
  const se = 1 / Math.sqrt(sxx);
  return { slope, ci: { low: slope - z * se, high: slope + z * se, level }, p: erfc(Math.abs(slope / se) / Math.SQRT2), periods: rows.length };
}
