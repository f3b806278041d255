/*
 * Johnson's relative weights and R², computed in a way that shares nothing with
 * src/drivers/relative-weights.ts: the matrix square root by the Denman–Beavers iteration (no
 * eigenvectors), inverses by Gauss–Jordan elimination, R² by least squares on the raw data. For
 * the tests' expected values only.
 */

const matmul = (a: number[][], b: number[][]) => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, m) => s + v * b[m]![j]!, 0)));
export const identity = (p: number): number[][] => Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => (i === j ? 1 : 0)));

/** The inverse by Gauss–Jordan elimination with partial pivoting. */
function inverse(a: number[][]): number[][] {
  const p = a.length;
  const m = a.map((row, i) => [...row, ...identity(p)[i]!]);
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    const d = m[c]![c]!;
    m[c] = m[c]!.map((v) => v / d);
    for (let r = 0; r < p; r++) if (r !== c) m[r] = m[r]!.map((v, j) => v - m[r]![c]! * m[c]![j]!);
  }
  return m.map((row) => row.slice(p));
}

/** The principal square root of a symmetric positive definite matrix by the Denman–Beavers iteration (no eigenvectors). */
function sqrtm(a: number[][]): number[][] {
  let y = a.map((r) => [...r]);
  let z = identity(a.length);
  for (let i = 0; i < 60; i++) {
    const yi = inverse(y);
    const zi = inverse(z);
    [y, z] = [y.map((r, a1) => r.map((v, b) => (v + zi[a1]![b]!) / 2)), z.map((r, a1) => r.map((v, b) => (v + yi[a1]![b]!) / 2))];
  }
  return y;
}

/** Pearson correlations of columns, from centred sums. */
export function pearson(columns: number[][]): number[][] {
  const n = columns[0]!.length;
  const centred = columns.map((c) => {
    const m = c.reduce((a, b) => a + b, 0) / n;
    return c.map((v) => v - m);
  });
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  return centred.map((a) => centred.map((b) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b))));
}

/** Johnson's weights from raw columns (predictors, then outcome), by Λ = Rxx^½ (Denman–Beavers) and β = Λ⁻¹·rxy. */
export function independentWeights(columns: number[][]) {
  const r = pearson(columns);
  const p = columns.length - 1;
  const rxx = r.slice(0, p).map((row) => row.slice(0, p));
  const rxy = r.slice(0, p).map((row) => row[p]!);
  const lambda = sqrtm(rxx);
  const beta = matmul(
    inverse(lambda),
    rxy.map((v) => [v]),
  ).map((row) => row[0]!);
  return lambda.map((row) => row.reduce((s, l, k) => s + l * l * beta[k]! ** 2, 0));
}

/** R² of the least-squares fit of the outcome on the predictors with an intercept, by the normal equations on the raw data. */
export function leastSquaresR2(columns: number[][]): number {
  const n = columns[0]!.length;
  const p = columns.length - 1;
  const y = columns[p]!;
  const x = Array.from({ length: n }, (_, i) => [1, ...columns.slice(0, p).map((c) => c[i]!)]);
  const xtx = x[0]!.map((_, a) => x[0]!.map((_, b) => x.reduce((s, row) => s + row[a]! * row[b]!, 0)));
  const xty = x[0]!.map((_, a) => x.reduce((s, row, i) => s + row[a]! * y[i]!, 0));
  const coef = matmul(
    inverse(xtx),
    xty.map((v) => [v]),
  ).map((r) => r[0]!);
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const fitted = x.map((row) => row.reduce((s, v, j) => s + v * coef[j]!, 0));
  const ssRes = y.reduce((s, v, i) => s + (v - fitted[i]!) ** 2, 0);
  const ssTot = y.reduce((s, v) => s + (v - mean) ** 2, 0);
  return 1 - ssRes / ssTot;
}
