// Johnson's relative weights (Johnson 2000) with seeded bootstrap intervals and the random-variable
// significance test of Tonidandel, LeBreton & Johnson (2009). Pure functions: no I/O, no clock;
// the method, its sources and its limits are in docs/drivers.md. Imports nothing of the project.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Eigenvalues of the predictors' correlation matrix below this (relative to p) mean collinear predictors. */
const SINGULAR = 1e-10;

export interface RelativeWeights {
  /** ε_j: each predictor's share of R², in the order given; they sum to r2. */
  weights: number[];
  /** R² of the least-squares regression of the outcome on all predictors. */
  r2: number;
}

/**
 * Relative weights from the predictors' correlation matrix `rxx` (p×p) and their correlations
 * with the outcome `rxy` (p). With Rxx = QΛQᵀ: Λ* = QΛ^½Qᵀ relates the predictors to their
 * closest orthogonal counterparts Z, β = QΛ^-½Qᵀ·rxy regresses the outcome on Z, and
 * ε_j = Σ_k Λ*_jk²·β_k². Null when the predictors are collinear (Rxx singular).
 */
export function relativeWeights(rxx: number[][], rxy: number[]): RelativeWeights | null {
  const p = rxy.length;
  if (p === 0) return { weights: [], r2: 0 };
  const eig = new EigenvalueDecomposition(new Matrix(rxx), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const q = eig.eigenvectorMatrix.to2DArray();
  if (Math.min(...values) <= SINGULAR * p) return null;
  const root = values.map(Math.sqrt);
  // Λ* = Q diag(√λ) Qᵀ and Rxx^-½ = Q diag(1/√λ) Qᵀ.
  const lambda: number[][] = [];
  const invRoot: number[][] = [];
  for (let j = 0; j < p; j++) {
    lambda.push(new Array<number>(p).fill(0));
    invRoot.push(new Array<number>(p).fill(0));
    for (let k = 0; k < p; k++) {
      let a = 0;
      let b = 0;
      for (let m = 0; m < p; m++) {
        const qq = q[j]![m]! * q[k]![m]!;
        a += qq * root[m]!;
        b += qq / root[m]!;
      }
      lambda[j]![k] = a;
      invRoot[j]![k] = b;
    }
  }
  const beta = invRoot.map((row) => row.reduce((s, v, j) => s + v * rxy[j]!, 0));
  const weights = lambda.map((row) => row.reduce((s, l, k) => s + l * l * beta[k]! * beta[k]!, 0));
  return { weights, r2: weights.reduce((a, b) => a + b, 0) };
}

/**
 * The correlation matrix of columns given as a co-moment accumulator: `sums[i]` Σx_i,
 * `cross[i][j]` Σx_i·x_j over `n` rows. Null when a column is constant (no variance).
 */
export function correlations(n: number, sums: Float64Array, cross: Float64Array, k: number): number[][] | null {
  const mean = Array.from(sums, (s) => s / n);
  const cov = (i: number, j: number) => cross[i * k + j]! / n - mean[i]! * mean[j]!;
  const sd = mean.map((_, i) => Math.sqrt(Math.max(0, cov(i, i))));
  for (let i = 0; i < k; i++) if (!(sd[i]! > 1e-12 * Math.max(1, Math.abs(mean[i]!)))) return null;
  const r: number[][] = [];
  for (let i = 0; i < k; i++) {
    r.push(new Array<number>(k));
    for (let j = 0; j < k; j++) r[i]![j] = i === j ? 1 : Math.max(-1, Math.min(1, cov(i, j) / (sd[i]! * sd[j]!)));
  }
  return r;
}

/**
 * Rows as a column-major table: column c of row i at data[c·n + i]. The outcome is the last
 * column; the predictors come first.
 */
export interface Table {
  n: number;
  /** Columns: the predictors, then the outcome. */
  k: number;
  data: Float64Array;
}

/** Which columns are constant (every row the same value). */
export function constantColumns(t: Table): number[] {
  const out: number[] = [];
  for (let c = 0; c < t.k; c++) {
    const first = t.data[c * t.n];
    let same = true;
    for (let i = 1; i < t.n && same; i++) same = t.data[c * t.n + i] === first;
    if (same) out.push(c);
  }
  return out;
}

/** Splits a full correlation matrix (predictors, then the outcome last) into Rxx and rxy. */
function split(r: number[][], predictors: number[], outcome: number) {
  return { rxx: predictors.map((i) => predictors.map((j) => r[i]![j]!)), rxy: predictors.map((i) => r[i]![outcome]!) };
}

/** Relative weights of a table's predictors on its outcome, with each predictor's correlation with the outcome. */
export function tableWeights(t: Table): (RelativeWeights & { correlations: number[] }) | null {
  const { sums, cross } = moments(t);
  const r = correlations(t.n, sums, cross, t.k);
  if (!r) return null;
  const p = t.k - 1;
  const predictors = Array.from({ length: p }, (_, i) => i);
  const { rxx, rxy } = split(r, predictors, p);
  const w = relativeWeights(rxx, rxy);
  return w && { ...w, correlations: rxy };
}

/**
 * Σx_i and Σx_i·x_j over the table's rows, the columns centred on their means first so the
 * sums stay well conditioned. A bootstrap replicate is the same sums with each row counted as
 * often as it was drawn (`rowMoments` with counts).
 */
function moments(t: Table) {
  return rowMoments(rowMajor(t, columnMeans(t)), t.n, t.k, null);
}

function columnMeans(t: Table): Float64Array {
  const means = new Float64Array(t.k);
  for (let a = 0; a < t.k; a++) {
    let s = 0;
    for (let i = 0; i < t.n; i++) s += t.data[a * t.n + i]!;
    means[a] = s / t.n;
  }
  return means;
}

/** The table row by row (stride k), each column centred on `centre` when given. */
function rowMajor(t: Table, centre: Float64Array | null): Float64Array {
  const { n, k, data } = t;
  const rows = new Float64Array(n * k);
  for (let a = 0; a < k; a++) {
    const m = centre ? centre[a]! : 0;
    for (let i = 0; i < n; i++) rows[i * k + a] = data[a * n + i]! - m;
  }
  return rows;
}

function rowMoments(rows: Float64Array, n: number, k: number, counts: Uint32Array | null) {
  const sums = new Float64Array(k);
  const cross = new Float64Array(k * k);
  for (let i = 0; i < n; i++) {
    const c = counts ? counts[i]! : 1;
    if (c === 0) continue;
    const at = i * k;
    for (let a = 0; a < k; a++) {
      const x = rows[at + a]! * c;
      sums[a]! += x;
      for (let b = a; b < k; b++) cross[a * k + b]! += x * rows[at + b]!;
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) cross[a * k + b] = cross[b * k + a]!;
  return { sums, cross };
}

/** A seeded 32-bit generator (mulberry32): the same seed gives the same stream, on every platform. */
export function generator(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw from two uniforms (Box–Muller). */
function normal(next: () => number): number {
  const u = 1 - next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** The q-quantile of sorted values (linear interpolation between order statistics, Hyndman & Fan type 7). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface DriverEstimate {
  weight: number;
  /** weight / R². */
  share: number;
  /** Pearson correlation with the outcome. */
  correlation: number;
  /** Percentile bootstrap interval of the weight. */
  ci: { low: number; high: number };
  /** Percentile bootstrap interval of (weight − a random predictor's weight), both in the model with the random predictor. */
  vsRandom: { low: number; high: number };
  /** vsRandom lies above 0: the predictor explains more than noise would. */
  significant: boolean;
}

export interface DriverAnalysis {
  n: number;
  r2: number;
  drivers: DriverEstimate[];
  /** Replicates that could be computed (a resample with a constant column is skipped). */
  replicates: number;
}

/** Above this many rows the replicates' moments are drawn from their normal limit instead of resampled row by row. */
export const RESAMPLE_MAX = 5000;

export interface BootstrapOptions {
  /**
   * `resample`: rows drawn with replacement; `normal`: each replicate's sums drawn from the normal
   * distribution a resample's sums tend to (the same mean and covariance), at a cost independent
   * of the replicates' size. Default: resample up to RESAMPLE_MAX rows, normal above.
   */
  method?: 'resample' | 'normal';
  /** Resamples (default 1000). */
  replicates?: number;
  /** The generator's seed: the same data and seed give the same intervals. */
  seed?: number;
  /** Two-sided level of the intervals (default 0.95). */
  level?: number;
}

/**
 * Relative weights with seeded percentile-bootstrap intervals (rows resampled with replacement,
 * Efron & Tibshirani 1993) and the significance test of Tonidandel, LeBreton & Johnson (2009):
 * a random normal predictor (seeded) joins the model, and a predictor is significant when the
 * interval of its weight minus the random predictor's weight lies above zero (a percentile
 * interval of a weight itself, never negative, cannot include zero in any useful sense). Null
 * when a column is constant or the predictors are collinear in the full sample.
 */
export function analyseDrivers(t: Table, opts: BootstrapOptions = {}): DriverAnalysis | null {
  const replicates = opts.replicates ?? 1000;
  const level = opts.level ?? 0.95;
  const next = generator(opts.seed ?? 20_000_101);
  const { n, k } = t;
  const p = k - 1;
  const base = tableWeights(t);
  if (!base) return null;

  // The augmented table: predictors, the random predictor, then the outcome.
  const ka = k + 1;
  const aug = new Float64Array(ka * n);
  aug.set(t.data.subarray(0, p * n), 0);
  for (let i = 0; i < n; i++) aug[p * n + i] = normal(next);
  aug.set(t.data.subarray(p * n, k * n), (p + 1) * n);
  const table: Table = { n, k: ka, data: aug };
  const rows = rowMajor(table, columnMeans(table));

  const real = Array.from({ length: p }, (_, i) => i);
  const withRandom = [...real, p];
  const weightDraws = real.map(() => [] as number[]);
  const diffDraws = real.map(() => [] as number[]);
  const method = opts.method ?? (n <= RESAMPLE_MAX ? 'resample' : 'normal');
  const draw = method === 'resample' ? resampler(rows, n, ka, next) : normalSums(rows, n, ka, next);
  for (let b = 0; b < replicates; b++) {
    const { sums, cross } = draw();
    const r = correlations(n, sums, cross, ka);
    if (!r) continue;
    const plain = split(r, real, ka - 1);
    const augmented = split(r, withRandom, ka - 1);
    const w = relativeWeights(plain.rxx, plain.rxy);
    const wa = relativeWeights(augmented.rxx, augmented.rxy);
    if (!w || !wa) continue;
    for (const j of real) {
      weightDraws[j]!.push(w.weights[j]!);
      diffDraws[j]!.push(wa.weights[j]! - wa.weights[p]!);
    }
  }
  const done = weightDraws[0]?.length ?? replicates;
  const lo = (1 - level) / 2;
  const interval = (draws: number[]) => {
    if (draws.length === 0) return { low: Number.NaN, high: Number.NaN };
    const sorted = Float64Array.from(draws).sort();
    return { low: quantile(sorted, lo), high: quantile(sorted, 1 - lo) };
  };
  const drivers = real.map((j) => {
    const ci = interval(weightDraws[j]!);
    const vsRandom = interval(diffDraws[j]!);
    return {
      weight: base.weights[j]!,
      share: base.r2 > 0 ? base.weights[j]! / base.r2 : 0,
      correlation: base.correlations[j]!,
      ci,
      vsRandom,
      significant: vsRandom.low > 0 && ci.low > 0,
    };
  });
  return { n, r2: base.r2, drivers, replicates: done };
}

/** Replicates by resampling: each row counted as often as it is drawn in n draws with replacement. */
function resampler(rows: Float64Array, n: number, k: number, next: () => number) {
  const counts = new Uint32Array(n);
  return () => {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(next() * n)]!++;
    return rowMoments(rows, n, k, counts);
  };
}

/**
 * Replicates from the normal limit of a resample's sums. A resample's sums S* = Σ c_i·v_i (v_i:
 * the row's values and pairwise products, c multinomial(n, 1/n)) have mean S = Σ v_i and
 * covariance n·Σ_v, Σ_v the rows' covariance of v; by the central limit theorem S* is close to
 * normal for large n, so S* = S + √n·L·z with L·Lᵀ = Σ_v and z standard normal: each replicate
 * then costs O(d²) (d the number of sums) instead of O(n·d).
 */
function normalSums(rows: Float64Array, n: number, k: number, next: () => number) {
  const pairs: [number, number][] = [];
  for (let a = 0; a < k; a++) for (let b = a; b < k; b++) pairs.push([a, b]);
  const d = k + pairs.length;
  const v = new Float64Array(d);
  const mean = new Float64Array(d);
  const cov = new Float64Array(d * d);
  const fill = (i: number) => {
    const at = i * k;
    for (let a = 0; a < k; a++) v[a] = rows[at + a]!;
    pairs.forEach(([a, b], j) => {
      v[k + j] = rows[at + a]! * rows[at + b]!;
    });
  };
  for (let i = 0; i < n; i++) {
    fill(i);
    for (let a = 0; a < d; a++) mean[a]! += v[a]! / n;
  }
  for (let i = 0; i < n; i++) {
    fill(i);
    for (let a = 0; a < d; a++) v[a]! -= mean[a]!;
    for (let a = 0; a < d; a++) {
      const x = v[a]! / n;
      for (let b = a; b < d; b++) cov[a * d + b]! += x * v[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a]!;
  const l = semidefiniteCholesky(cov, d);
  const root = Math.sqrt(n);
  const z = new Float64Array(d);
  return () => {
    for (let a = 0; a < d; a++) z[a] = normal(next);
    const sums = new Float64Array(k);
    const cross = new Float64Array(k * k);
    const s = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      let x = 0;
      for (let b = 0; b <= a; b++) x += l[a * d + b]! * z[b]!;
      s[a] = n * mean[a]! + root * x;
    }
    for (let a = 0; a < k; a++) sums[a] = s[a]!;
    pairs.forEach(([a, b], j) => {
      cross[a * k + b] = s[k + j]!;
      cross[b * k + a] = s[k + j]!;
    });
    return { sums, cross };
  };
}

/**
 * L with L·Lᵀ = A for a symmetric positive semidefinite A (row-major, d×d): a pivot at or below
 * rounding level (a sum that is an exact function of others, e.g. x² = x for a 0/1 predictor)
 * gets a zero column instead of failing.
 */
export function semidefiniteCholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  const scale = Math.max(...Array.from({ length: d }, (_, i) => Math.abs(a[i * d + i]!)), 0);
  for (let j = 0; j < d; j++) {
    let pivot = a[j * d + j]!;
    for (let m = 0; m < j; m++) pivot -= l[j * d + m]! ** 2;
    if (!(pivot > 1e-12 * scale)) continue;
    const root = Math.sqrt(pivot);
    l[j * d + j] = root;
    for (let i = j + 1; i < d; i++) {
      let x = a[i * d + j]!;
      for (let m = 0; m < j; m++) x -= l[i * d + m]! * l[j * d + m]!;
      l[i * d + j] = x / root;
    }
  }
  return l;
}
