// Spearman's rank correlation with its p value: pure functions, no I/O. The method and its limits
// are in docs/drivers.md ("KPI correlation"). Imports nothing of the project.
import tCdf from '@stdlib/stats-base-dists-t-cdf';

/** Ranks from 1, ties sharing the mean of the ranks they span. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) out[order[m]![1]] = rank;
    i = j + 1;
  }
  return out;
}

function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

export interface RankCorrelation {
  rho: number;
  /** Two-sided, from t = ρ·√((n−2)/(1−ρ²)) on n−2 degrees of freedom. */
  p: number;
  n: number;
}

/**
 * Spearman's ρ: Pearson's correlation of the ranks (ties at mid-ranks). Null with fewer than
 * three pairs or when either side is constant (no ranking to correlate).
 */
export function spearman(x: readonly number[], y: readonly number[]): RankCorrelation | null {
  const n = x.length;
  if (n !== y.length) throw new RangeError('spearman: x and y differ in length');
  if (n < 3) return null;
  const rho = pearson(ranks(x), ranks(y));
  if (rho === null) return null;
  if (Math.abs(rho) >= 1) return { rho, p: 0, n };
  const t = rho * Math.sqrt((n - 2) / (1 - rho * rho));
  return { rho, p: Math.min(1, 2 * tCdf(-Math.abs(t), n - 2)), n };
}
