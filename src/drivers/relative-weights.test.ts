import { describe, expect, it } from 'vitest';
import { identity, independentWeights, leastSquaresR2 } from '../../test/independent-weights';
import { analyseDrivers, relativeWeights, semidefiniteCholesky, type Table, tableWeights } from './relative-weights';

/*
 * Johnson's relative weights checked three independent ways: a case computed by hand, the closed
 * form for two predictors, and for more predictors a computation that shares nothing with the
 * module (the matrix square root by the Denman–Beavers iteration, R² by least squares on the raw
 * data through Gaussian elimination). None of the expected numbers is read off the code.
 */

/** A seeded linear congruential stream (Park–Miller), independent of the module's generator. */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

/** Columns (predictors, then the outcome) as the module's column-major table. */
function table(columns: number[][]): Table {
  const n = columns[0]!.length;
  const data = new Float64Array(columns.length * n);
  columns.forEach((col, j) => {
    data.set(col, j * n);
  });
  return { n, k: columns.length, data };
}

/** A fixed data set: 3 predictors (hours to resolve, reopened 0/1, CSAT 1–5), the 0–10 score. */
function plantedColumns(n = 400, seed = 42) {
  const next = lcg(seed);
  const hours: number[] = [];
  const reopened: number[] = [];
  const csat: number[] = [];
  const score: number[] = [];
  for (let i = 0; i < n; i++) {
    const h = 1 + Math.floor(next() * 72);
    const r = next() < 0.2 ? 1 : 0;
    const c = Math.min(5, Math.max(1, Math.round(5 - h / 24 - r + next() * 1.5)));
    hours.push(h);
    reopened.push(r);
    csat.push(c);
    score.push(Math.min(10, Math.max(0, Math.round(10 - h / 12 - 2 * r + c / 2 + (next() - 0.5) * 4))));
  }
  return [hours, reopened, csat, score];
}

describe("Johnson's relative weights", () => {
  it('a golden case by hand: r12 = 0.6, r1y = 0.5, r2y = 0.3 gives 0.205 and 0.045, R² = 0.25', () => {
    // Rxx = [[1, .6], [.6, 1]]: eigenvalues 1.6 and 0.4 on (1,1)/√2 and (1,−1)/√2. With s = √0.4,
    // √1.6 = 2s, so Λ = Rxx^½ = [[a, b], [b, a]], a = (2s + s)/2 = 3s/2, b = (2s − s)/2 = s/2:
    // a² = 9·0.4/4 = 0.9, b² = 0.4/4 = 0.1. Rxx^-½ = [[c, d], [d, c]], c = (1/(2s) + 1/s)/2 = 3/(4s),
    // d = (1/(2s) − 1/s)/2 = −1/(4s). β = Rxx^-½·(0.5, 0.3): β1 = (1.5 − 0.3)/(4s) = 1.2/(4s),
    // β2 = (0.9 − 0.5)/(4s) = 0.4/(4s); β1² = 1.44/6.4 = 0.225, β2² = 0.16/6.4 = 0.025.
    // ε1 = a²β1² + b²β2² = 0.2025 + 0.0025 = 0.205; ε2 = b²β1² + a²β2² = 0.0225 + 0.0225 = 0.045.
    // R² = (r1y² + r2y² − 2·r12·r1y·r2y)/(1 − r12²) = (0.25 + 0.09 − 0.18)/0.64 = 0.25 = 0.205 + 0.045.
    const w = relativeWeights(
      [
        [1, 0.6],
        [0.6, 1],
      ],
      [0.5, 0.3],
    )!;
    expect(w.weights[0]).toBeCloseTo(0.205, 12);
    expect(w.weights[1]).toBeCloseTo(0.045, 12);
    expect(w.r2).toBeCloseTo(0.25, 12);
  });

  it('two predictors: the closed form over a grid of correlations', () => {
    // Rxx = [[1, r], [r, 1]]: Λ = [[a, b], [b, a]] with a, b = (√(1+r) ± √(1−r))/2, Rxx^-½ likewise
    // with 1/√(1±r); ε1 = a²β1² + b²β2², ε2 = b²β1² + a²β2².
    for (const r of [-0.7, -0.2, 0, 0.3, 0.8]) {
      for (const [r1, r2] of [
        [0.4, 0.1],
        [-0.3, 0.5],
        [0.6, 0.6],
      ] as const) {
        const a = (Math.sqrt(1 + r) + Math.sqrt(1 - r)) / 2;
        const b = (Math.sqrt(1 + r) - Math.sqrt(1 - r)) / 2;
        const c = (1 / Math.sqrt(1 + r) + 1 / Math.sqrt(1 - r)) / 2;
        const d = (1 / Math.sqrt(1 + r) - 1 / Math.sqrt(1 - r)) / 2;
        const b1 = c * r1 + d * r2;
        const b2 = d * r1 + c * r2;
        const w = relativeWeights(
          [
            [1, r],
            [r, 1],
          ],
          [r1, r2],
        )!;
        expect(w.weights[0]).toBeCloseTo(a * a * b1 * b1 + b * b * b2 * b2, 12);
        expect(w.weights[1]).toBeCloseTo(b * b * b1 * b1 + a * a * b2 * b2, 12);
        expect(w.r2).toBeCloseTo((r1 * r1 + r2 * r2 - 2 * r * r1 * r2) / (1 - r * r), 12);
      }
    }
  });

  it('uncorrelated predictors: each weight is its squared correlation with the outcome', () => {
    const w = relativeWeights(identity(3), [0.5, -0.2, 0.1])!;
    expect(w.weights.map((x) => Number(x.toFixed(12)))).toEqual([0.25, 0.04, 0.01]);
  });

  it('a fixed data set: the same weights as an independent computation, summing to the least-squares R²', () => {
    const columns = plantedColumns();
    const got = tableWeights(table(columns))!;
    const expected = independentWeights(columns);
    got.weights.forEach((w, j) => {
      expect(w).toBeCloseTo(expected[j]!, 10);
    });
    expect(got.r2).toBeCloseTo(leastSquaresR2(columns), 10);
    expect(got.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(got.r2, 12);
  });

  it('unchanged by the order of the predictors and by their units', () => {
    const [hours, reopened, csat, score] = plantedColumns();
    const base = tableWeights(table([hours!, reopened!, csat!, score!]))!;
    // Minutes instead of hours, CSAT on 0–100, the score on −100..100 and the columns reordered.
    const moved = tableWeights(table([csat!.map((c) => (c - 1) * 25), hours!.map((h) => h * 60), reopened!, score!.map((s) => s * 20 - 100)]))!;
    expect(moved.weights[1]).toBeCloseTo(base.weights[0]!, 12);
    expect(moved.weights[2]).toBeCloseTo(base.weights[1]!, 12);
    expect(moved.weights[0]).toBeCloseTo(base.weights[2]!, 12);
    expect(moved.r2).toBeCloseTo(base.r2, 12);
  });

  it('collinear predictors have no weights', () => {
    const [hours, , , score] = plantedColumns();
    expect(tableWeights(table([hours!, hours!.map((h) => h * 60), score!]))).toBeNull();
  });
});

describe('bootstrap intervals and significance', () => {
  const columns = plantedColumns(300, 7);
  const next = lcg(99);
  // A fourth predictor that is pure noise: the test against a random predictor must not call it significant.
  const noise = columns[0]!.map(() => next());
  const withNoise = table([...columns.slice(0, 3), noise, columns[3]!]);

  it('seeded: a repeat gives exactly the same answer; another seed a different one', () => {
    const a = analyseDrivers(withNoise, { seed: 1, replicates: 200 });
    const b = analyseDrivers(withNoise, { seed: 1, replicates: 200 });
    const c = analyseDrivers(withNoise, { seed: 2, replicates: 200 });
    expect(a).toEqual(b);
    expect(c!.drivers[0]!.ci).not.toEqual(a!.drivers[0]!.ci);
  });

  it('the interval holds the weight; the strong drivers are significant, the noise is not', () => {
    const a = analyseDrivers(withNoise, { seed: 5 })!;
    expect(a.replicates).toBe(1000);
    for (const d of a.drivers) {
      expect(d.ci.low).toBeLessThanOrEqual(d.weight);
      expect(d.ci.high).toBeGreaterThanOrEqual(d.weight);
      expect(d.significant).toBe(d.vsRandom.low > 0);
    }
    expect(a.drivers[0]!.significant).toBe(true); // hours to resolve
    expect(a.drivers[3]!.significant).toBe(false); // noise
    expect(a.drivers[3]!.vsRandom.low).toBeLessThan(0);
  });

  it('the normal limit of the resampled sums gives the same intervals as resampling rows', () => {
    const big = table(plantedColumns(6000, 11));
    const rows = analyseDrivers(big, { method: 'resample', seed: 3 })!;
    const limit = analyseDrivers(big, { method: 'normal', seed: 3 })!;
    rows.drivers.forEach((d, j) => {
      const e = limit.drivers[j]!;
      const width = d.ci.high - d.ci.low;
      expect(Math.abs(e.ci.low - d.ci.low)).toBeLessThan(0.15 * width);
      expect(Math.abs(e.ci.high - d.ci.high)).toBeLessThan(0.15 * width);
    });
  });

  it('the semidefinite Cholesky factor rebuilds its matrix, a dependent row included', () => {
    // A = B·Bᵀ with B's third row the sum of the first two: rank 2.
    const b = [
      [1, 2],
      [0.5, -1],
      [1.5, 1],
    ];
    const a = Float64Array.from(b.flatMap((r) => b.map((s) => r[0]! * s[0]! + r[1]! * s[1]!)));
    const l = semidefiniteCholesky(a, 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect([0, 1, 2].reduce((s, m) => s + l[i * 3 + m]! * l[j * 3 + m]!, 0)).toBeCloseTo(a[i * 3 + j]!, 10);
  });
});
