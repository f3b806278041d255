// Regularised logistic regression for the churn model (docs/accounts.md "Churn model"): ridge
// (L2) penalised maximum likelihood on standardised features, fitted by Newton–Raphson, with the
// out-of-sample measures the model card reports (AUC, Brier score, calibration bins) and seeded
// bootstrap intervals resampling accounts. Pure: no I/O, no clock.

/** Features in columns, rows as Float64Arrays of equal length. */
export interface Design {
  names: string[];
  rows: Float64Array[];
  y: Uint8Array;
  /** The cluster (account) of each row: the bootstrap resamples clusters, not rows. */
  cluster: Int32Array;
}

export interface Standardiser {
  mean: number[];
  sd: number[];
}

export interface LogisticFit {
  /** Intercept first, then one coefficient per feature, on the standardised scale. */
  beta: number[];
  standardiser: Standardiser;
  iterations: number;
  converged: boolean;
}

/** Mean and standard deviation of each column (an sd of 0 is kept as 1: the column standardises to 0). */
export function standardiser(rows: readonly Float64Array[], p: number): Standardiser {
  const mean = new Array<number>(p).fill(0);
  const sd = new Array<number>(p).fill(0);
  const n = rows.length || 1;
  for (const r of rows) for (let j = 0; j < p; j++) mean[j]! += r[j]! / n;
  for (const r of rows) for (let j = 0; j < p; j++) sd[j]! += (r[j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < p; j++) sd[j] = Math.sqrt(sd[j]!) > 1e-12 ? Math.sqrt(sd[j]!) : 1;
  return { mean, sd };
}

/** The standardised row with a leading 1 for the intercept. */
function zRow(r: Float64Array, s: Standardiser): Float64Array {
  const p = s.mean.length;
  const z = new Float64Array(p + 1);
  z[0] = 1;
  for (let j = 0; j < p; j++) z[j + 1] = (r[j]! - s.mean[j]!) / s.sd[j]!;
  return z;
}

const sigmoid = (eta: number) => (eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta)));

/** Solves A x = b for a symmetric positive definite A (Cholesky); A is p×p in a flat array. */
function solveSpd(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) l[i * p + i] = Math.sqrt(Math.max(s, 1e-12));
      else l[i * p + j] = s / l[j * p + j]!;
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * y[k]!;
    y[i] = s / l[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!;
    x[i] = s / l[i * p + i]!;
  }
  return x;
}

/**
 * Penalised Newton–Raphson on standardised rows `z` (intercept column first), with row weights
 * `w` (bootstrap multiplicities): maximises Σ wᵢ[yᵢηᵢ − log(1 + e^ηᵢ)] − (λ/2)·Σⱼ≥₁ βⱼ². Starts
 * at `start` (warm starts converge in a step or two).
 */
function newton(z: readonly Float64Array[], y: Uint8Array, w: Float64Array | null, lambda: number, start: number[], maxIter = 50): { beta: number[]; iterations: number; converged: boolean } {
  const q = start.length;
  const beta = Float64Array.from(start);
  const h = new Float64Array(q * q);
  const g = new Float64Array(q);
  for (let it = 1; it <= maxIter; it++) {
    h.fill(0);
    g.fill(0);
    for (let i = 0; i < z.length; i++) {
      const wi = w ? w[i]! : 1;
      if (wi === 0) continue;
      const zi = z[i]!;
      let eta = 0;
      for (let j = 0; j < q; j++) eta += beta[j]! * zi[j]!;
      const pi = sigmoid(eta);
      const r = wi * (y[i]! - pi);
      const v = wi * pi * (1 - pi);
      for (let j = 0; j < q; j++) {
        const zj = zi[j]!;
        g[j]! += r * zj;
        const vz = v * zj;
        for (let k = 0; k <= j; k++) h[j * q + k]! += vz * zi[k]!;
      }
    }
    for (let j = 0; j < q; j++) for (let k = 0; k < j; k++) h[k * q + j] = h[j * q + k]!;
    for (let j = 1; j < q; j++) {
      h[j * q + j]! += lambda;
      g[j]! -= lambda * beta[j]!;
    }
    // A tiny ridge on the intercept keeps the system solvable when every label is the same.
    h[0]! += 1e-8;
    const step = solveSpd(h, g, q);
    let size = 0;
    for (let j = 0; j < q; j++) {
      beta[j]! += step[j]!;
      size = Math.max(size, Math.abs(step[j]!));
    }
    if (size < 1e-8) return { beta: [...beta], iterations: it, converged: true };
  }
  return { beta: [...beta], iterations: maxIter, converged: false };
}

/** Fits the model: standardises on these rows, then penalised Newton from zero. */
export function fitLogistic(d: Design, lambda: number): LogisticFit {
  const p = d.names.length;
  const s = standardiser(d.rows, p);
  const z = d.rows.map((r) => zRow(r, s));
  const fit = newton(z, d.y, null, lambda, new Array(p + 1).fill(0));
  return { beta: fit.beta, standardiser: s, iterations: fit.iterations, converged: fit.converged };
}

/** The predicted probability of a row. */
export function predict(fit: LogisticFit, row: Float64Array): number {
  const z = zRow(row, fit.standardiser);
  let eta = 0;
  for (let j = 0; j < z.length; j++) eta += fit.beta[j]! * z[j]!;
  return sigmoid(eta);
}

/** Each feature's contribution to the log-odds of a row against the average row: βⱼ·zⱼ. */
export function contributions(fit: LogisticFit, names: readonly string[], row: Float64Array) {
  const z = zRow(row, fit.standardiser);
  return names.map((feature, j) => ({ feature, contribution: fit.beta[j + 1]! * z[j + 1]! }));
}

/**
 * The area under the ROC curve: the probability that a random positive scores above a random
 * negative (ties count one half), from the Mann–Whitney rank sum (Hanley and McNeil 1982).
 * Null without both classes.
 */
export function auc(scores: readonly number[], labels: ArrayLike<number>): number | null {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]!]) pos++, (rankSum += avgRank);
    i = j + 1;
  }
  const neg = scores.length - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** The Brier score: the mean squared difference of probability and outcome (Brier 1950). */
export function brier(probs: readonly number[], labels: ArrayLike<number>): number | null {
  if (probs.length === 0) return null;
  let s = 0;
  for (let i = 0; i < probs.length; i++) s += (probs[i]! - labels[i]!) ** 2;
  return s / probs.length;
}

export interface CalibrationBin {
  low: number;
  high: number;
  n: number;
  meanPredicted: number;
  observedRate: number;
}

/** Ten equal-width bins of predicted probability, each with its mean prediction and observed rate (empty bins left out). */
export function calibration(probs: readonly number[], labels: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const acc = Array.from({ length: bins }, () => ({ n: 0, p: 0, y: 0 }));
  for (let i = 0; i < probs.length; i++) {
    const b = Math.min(bins - 1, Math.floor(probs[i]! * bins));
    acc[b]!.n++;
    acc[b]!.p += probs[i]!;
    acc[b]!.y += labels[i]!;
  }
  return acc.flatMap((a, b) => (a.n ? [{ low: b / bins, high: (b + 1) / bins, n: a.n, meanPredicted: a.p / a.n, observedRate: a.y / a.n }] : []));
}

/** A seeded 32-bit generator (mulberry32): the same seed gives the same stream everywhere. */
export function generator(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Percentile bootstrap intervals of the coefficients (Efron and Tibshirani 1993): `b` resamples
 * of the clusters (accounts) with replacement, each refitted from the full fit (warm start) on
 * the full fit's standardisation, so the coefficients stay on one scale. Seeded.
 */
export function bootstrapIntervals(d: Design, fit: LogisticFit, lambda: number, b: number, seed: number, level = 0.95): { low: number; high: number }[] {
  const z = d.rows.map((r) => zRow(r, fit.standardiser));
  const clusters = new Map<number, number[]>();
  d.cluster.forEach((c, i) => {
    const list = clusters.get(c);
    if (list) list.push(i);
    else clusters.set(c, [i]);
  });
  const groups = [...clusters.values()];
  const rand = generator(seed);
  const draws: number[][] = fit.beta.map(() => []);
  const w = new Float64Array(z.length);
  for (let rep = 0; rep < b; rep++) {
    w.fill(0);
    for (let k = 0; k < groups.length; k++) for (const i of groups[Math.floor(rand() * groups.length)]!) w[i]!++;
    const refit = newton(z, d.y, w, lambda, fit.beta, 25);
    for (const [j, v] of refit.beta.entries()) draws[j]!.push(v);
  }
  const q = (xs: number[], p: number) => {
    const s = [...xs].sort((x, y) => x - y);
    const pos = p * (s.length - 1);
    const lo = Math.floor(pos);
    return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
  };
  const a = (1 - level) / 2;
  return draws.map((xs) => ({ low: q(xs, a), high: q(xs, 1 - a) }));
}
