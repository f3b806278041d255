/*
 * The empirical-Bayes shrinkage of docs/scoring.md §10 computed the long way, for tests only: from
 * every answer's category indicator vector, sums of squared deviations by their definitions, and
 * the Dirichlet posterior's variances and covariance from its moments. It shares no code with
 * src/scoring/shrinkage.ts, which uses the shortcut formulas.
 */

export const Z95 = 1.959963984540054; // Φ⁻¹(0.975), from tables

/**
 * The documented method by its definitions, from the answers themselves: each answer is an
 * indicator vector (1,0,0) promoter, (0,1,0) passive, (0,0,1) detractor.
 */
export function byDefinition(units: [number, number, number][], confidenceZ = Z95) {
  const answers = units.map(([p, a, d]) => [...Array(p).fill([1, 0, 0]), ...Array(a).fill([0, 1, 0]), ...Array(d).fill([0, 0, 1])] as number[][]);
  const withAnswers = answers.filter((u) => u.length > 0);
  const I = withAnswers.length;
  const N = withAnswers.reduce((s, u) => s + u.length, 0);
  const grand = [0, 1, 2].map((k) => withAnswers.flat().reduce((s, y) => s + y[k]!, 0) / N);
  let ssb = 0;
  let ssw = 0;
  for (const u of withAnswers) {
    const mean = [0, 1, 2].map((k) => u.reduce((s, y) => s + y[k]!, 0) / u.length);
    for (let k = 0; k < 3; k++) ssb += u.length * (mean[k]! - grand[k]!) ** 2;
    for (const y of u) for (let k = 0; k < 3; k++) ssw += (y[k]! - mean[k]!) ** 2;
  }
  const msb = ssb / (I - 1);
  const msw = ssw / (N - I);
  const n0 = (N - withAnswers.reduce((s, u) => s + u.length ** 2, 0) / N) / (I - 1);
  const rho = (msb - msw) / (msb + (n0 - 1) * msw);
  const M = rho > 0 ? Math.min(N, (1 - rho) / rho) : N;
  const shrunk = units.map(([p, a, d]) => {
    // Dirichlet posterior α = counts + M·grand; mean and variance of p⁺ − p⁻ from its moments.
    const alpha = [p + M * grand[0]!, a + M * grand[1]!, d + M * grand[2]!];
    const a0 = alpha[0]! + alpha[1]! + alpha[2]!;
    const variance = (k: number) => (alpha[k]! * (a0 - alpha[k]!)) / (a0 * a0 * (a0 + 1));
    const cov = -(alpha[0]! * alpha[2]!) / (a0 * a0 * (a0 + 1));
    const mean = (alpha[0]! - alpha[2]!) / a0;
    const sd = Math.sqrt(variance(0) + variance(2) - 2 * cov);
    const clamp = (x: number) => Math.max(-100, Math.min(100, x));
    return { nps: 100 * mean, low: clamp(100 * (mean - confidenceZ * sd)), high: clamp(100 * (mean + confidenceZ * sd)) };
  });
  return { M, rho, peerNps: 100 * (grand[0]! - grand[2]!), shrunk };
}
