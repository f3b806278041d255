// Proportions (response rates and other shares of a count): the Wilson score interval, the
// pooled two-proportion z test and Holm's step-down adjustment for testing several groups at
// once. Pure functions: no I/O, no rounding. Method and sources: docs/governance.md.
import erfc from '@stdlib/math-base-special-erfc';
import { confidenceZ } from './nps';

export interface Interval {
  low: number;
  high: number;
  level: number;
}

function assertCounts(x: number, n: number, name: string) {
  if (!Number.isSafeInteger(x) || !Number.isSafeInteger(n) || x < 0 || n < 0 || x > n) {
    throw new RangeError(`${name}: successes and trials must be integers with 0 <= successes <= trials, got ${x} of ${n}`);
  }
}

/**
 * The Wilson score interval of a proportion x/n at a two-sided confidence level (default 0.95):
 * the proportions p whose score test |x/n − p| / √(p(1−p)/n) stays under z. Null when n = 0.
 */
export function wilson(x: number, n: number, confidence = 0.95): Interval | null {
  assertCounts(x, n, 'wilson');
  if (n === 0) return null;
  const z = confidenceZ(confidence);
  const z2 = z * z;
  const p = x / n;
  const center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At x = 0 the exact lower end is 0 and at x = n the upper end 1; elsewhere the clamp removes float noise.
  return { low: x === 0 ? 0 : Math.max(0, center - half), high: x === n ? 1 : Math.min(1, center + half), level: confidence };
}

/**
 * The pooled two-proportion z test of x1/n1 against x2/n2 (independent samples): z is positive
 * when the first proportion is the larger; p is two-sided. Null when either side has no trials;
 * z = 0, p = 1 when the pooled proportion is 0 or 1 (no variability to test against).
 */
export function twoProportions(x1: number, n1: number, x2: number, n2: number): { z: number; p: number } | null {
  assertCounts(x1, n1, 'first');
  assertCounts(x2, n2, 'second');
  if (n1 === 0 || n2 === 0) return null;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, p: 1 };
  const z = (x1 / n1 - x2 / n2) / se;
  return { z, p: erfc(Math.abs(z) / Math.SQRT2) };
}

/**
 * Holm's step-down adjustment of p-values tested together: the family-wise error rate stays at
 * most α when each adjusted p is compared with α. Returns the adjusted p-values in input order.
 */
export function holm(pValues: readonly number[]): number[] {
  for (const p of pValues) if (!(p >= 0 && p <= 1)) throw new RangeError(`p-values must lie in [0, 1], got ${p}`);
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
