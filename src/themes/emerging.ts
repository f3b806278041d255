/**
 * Is a theme emerging? (docs/themes.md "Emerging themes"). Mentions are counts over an exposure,
 * the analysed comments of each period. Under the null hypothesis that the rate of mentions per
 * comment is the same in both periods, the current period's mentions given the total of both
 * follow a binomial law with success probability n1 / (n1 + n2) (the conditional test for two
 * Poisson rates, Przyborowski and Wilenski 1940). The one-sided p-value is the upper tail
 * P(X ≥ x1). A theme is emerging with at least MIN_MENTIONS mentions now and p < ALPHA.
 */

export const MIN_MENTIONS = 25;
export const ALPHA = 0.05;

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(X ≥ k) for X ~ Binomial(n, p), summed in log space from k up (exact to floating point). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const lnN = logGamma(n + 1);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    const term = Math.exp(lnN - logGamma(i + 1) - logGamma(n - i + 1) + i * lp + (n - i) * lq);
    sum += term;
    // Past the mode the terms only shrink: stop once they no longer change the sum.
    if (i > n * p && term < sum * 1e-17) break;
  }
  return Math.min(1, sum);
}

/** The one-sided p-value that the current period's mention rate exceeds the previous one's; null when a period has no comments. */
export function emergingP(current: number, currentComments: number, previous: number, previousComments: number): number | null {
  if (currentComments <= 0 || previousComments <= 0) return null;
  return binomialUpperTail(current, current + previous, currentComments / (currentComments + previousComments));
}

export function isEmerging(current: number, currentComments: number, previous: number, previousComments: number): boolean {
  if (current < MIN_MENTIONS) return false;
  const p = emergingP(current, currentComments, previous, previousComments);
  return p !== null && p < ALPHA;
}
