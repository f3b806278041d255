// The exact one-sided binomial test: the chance of x or more successes in n independent trials
// when each succeeds with probability p. Pure function: no I/O. Method and sources: docs/integrity.md.

/**
 * P(X ≥ x) for X ~ Binomial(n, p): the upper tail, summed exactly term by term from x upwards
 * in floating point. The first term is C(n, x)·p^x·(1−p)^(n−x), computed in logarithms so it
 * neither under- nor overflows; each next term follows from the last by the ratio
 * (n−k)/(k+1) · p/(1−p), and the sum stops once the terms (which fall off past the mode) no
 * longer change it.
 */
export function binomialUpperTail(x: number, n: number, p: number): number {
  if (!Number.isSafeInteger(x) || !Number.isSafeInteger(n) || n < 0 || x < 0 || x > n) throw new RangeError(`binomialUpperTail: need integers 0 <= x <= n, got ${x} of ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomialUpperTail: p must lie in [0, 1], got ${p}`);
  if (x === 0) return 1;
  if (p === 0) return 0;
  if (p === 1) return 1;
  // At or below the mean the first terms may underflow: take the complement of the lower tail,
  // which is the upper tail of the failures (n − X ≥ n − x + 1, each with probability 1 − p).
  if (x <= n * p) return Math.max(0, 1 - tailAboveMean(n - x + 1, n, 1 - p));
  return tailAboveMean(x, n, p);
}

/** The upper tail for x above the mean n·p, where the terms only fall. */
function tailAboveMean(x: number, n: number, p: number): number {
  // log C(n, x) as a sum over the shorter side.
  const k = Math.min(x, n - x);
  let logChoose = 0;
  for (let i = 1; i <= k; i++) logChoose += Math.log((n - k + i) / i);
  let term = Math.exp(logChoose + x * Math.log(p) + (n - x) * Math.log1p(-p));
  let sum = term;
  const odds = p / (1 - p);
  for (let j = x; j < n; j++) {
    term *= ((n - j) / (j + 1)) * odds;
    const next = sum + term;
    // Above the mean the terms only shrink: once one adds nothing, the rest add nothing either.
    if (next === sum) break;
    sum = next;
  }
  return Math.min(1, sum);
}
