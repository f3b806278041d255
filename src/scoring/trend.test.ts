// Tests of the NPS trend (docs/scoring.md §11). Goldens worked out by hand in the comments; the
// property compares with weighted least squares solved by its normal equations (a 2×2 system),
// not by the module's centred sums.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addAnswer, emptyTally, type Tally } from './nps';
import { npsTrend } from './trend';

const Z95 = 1.959963984540054;

function counts(p: number, a: number, d: number): Tally {
  let t = emptyTally();
  for (let i = 0; i < p; i++) t = addAnswer(t, 10);
  for (let i = 0; i < a; i++) t = addAnswer(t, 8);
  for (let i = 0; i < d; i++) t = addAnswer(t, 3);
  return t;
}

/** Adjusted-Wald variance on the −100..100 scale, written out: 10⁴·(p⁺ + p⁻ − (p⁺ − p⁻)²)/(n + 3). */
const variance = (p: number, a: number, d: number) => {
  const m = p + a + d + 3;
  const pp = (p + 0.75) / m;
  const pm = (d + 0.75) / m;
  return (10_000 * (pp + pm - (pp - pm) ** 2)) / m;
};

describe('npsTrend', () => {
  it('two periods: the slope is the change, its SE the root of the summed variances', () => {
    // 2/4/4 (NPS −20) then 6/2/2 (NPS 40): slope 60.
    const trend = npsTrend([
      { x: 0, tally: counts(2, 4, 4) },
      { x: 1, tally: counts(6, 2, 2) },
    ])!;
    expect(trend.slope).toBeCloseTo(60, 10);
    const se = Math.sqrt(variance(2, 4, 4) + variance(6, 2, 2));
    expect(trend.ci.low).toBeCloseTo(60 - Z95 * se, 9);
    expect(trend.ci.high).toBeCloseTo(60 + Z95 * se, 9);
    expect(trend.periods).toBe(2);
  });

  it('three symmetric periods −20, 0, +20: slope 20 per period, SE 1/√(2·w₀)', () => {
    // var₀ = var₂ = 10⁴·(7.5/13 − (2/13)²)/13 = 10⁴·93.5/2197 by symmetry (2/4/4 and 4/4/2);
    // x̄ = 1 and ȳ = 0 by symmetry, so slope = (w₀·20 + w₀·20)/(2w₀) = 20 and Σw(x − x̄)² = 2w₀.
    const trend = npsTrend([
      { x: 0, tally: counts(2, 4, 4) },
      { x: 1, tally: counts(3, 4, 3) },
      { x: 2, tally: counts(4, 4, 2) },
    ])!;
    const var0 = (10_000 * 93.5) / 2197;
    expect(variance(2, 4, 4)).toBeCloseTo(var0, 9);
    expect(trend.slope).toBeCloseTo(20, 10);
    const se = Math.sqrt(var0 / 2);
    expect(trend.ci.high - trend.slope).toBeCloseTo(Z95 * se, 9);
    // p = 2(1 − Φ(20/se)): 20/se = 20/√(var0/2) ≈ 1.379, so p ≈ 0.168 (not significant).
    expect(trend.p).toBeGreaterThan(0.16);
    expect(trend.p).toBeLessThan(0.18);
  });

  it('skips periods without answers; null with fewer than two, or one x', () => {
    expect(npsTrend([{ x: 0, tally: counts(1, 0, 0) }])).toBeNull();
    expect(
      npsTrend([
        { x: 0, tally: counts(1, 0, 0) },
        { x: 1, tally: emptyTally() },
      ]),
    ).toBeNull();
    expect(
      npsTrend([
        { x: 3, tally: counts(1, 0, 0) },
        { x: 3, tally: counts(0, 0, 1) },
      ]),
    ).toBeNull();
    const gap = npsTrend([
      { x: 0, tally: counts(2, 4, 4) },
      { x: 1, tally: emptyTally() },
      { x: 2, tally: counts(6, 2, 2) },
    ])!;
    expect(gap.periods).toBe(2);
    expect(gap.slope).toBeCloseTo(30, 10);
  });

  it('equals weighted least squares solved by its normal equations', () => {
    const tallyArb = fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })).filter(([p, a, d]) => p + a + d > 0);
    fc.assert(
      fc.property(fc.array(tallyArb, { minLength: 2, maxLength: 10 }), (list) => {
        const points = list.map((c, x) => ({ x, tally: counts(...c) }));
        const got = npsTrend(points)!;
        // [Σw Σwx; Σwx Σwx²]·[a; b] = [Σwy; Σwxy], b the slope; Var(b) = Σw / det.
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let t0 = 0;
        let t1 = 0;
        list.forEach(([p, a, d], x) => {
          const w = 1 / variance(p, a, d);
          const y = (100 * (p - d)) / (p + a + d);
          s0 += w;
          s1 += w * x;
          s2 += w * x * x;
          t0 += w * y;
          t1 += w * x * y;
        });
        const det = s0 * s2 - s1 * s1;
        const b = (s0 * t1 - s1 * t0) / det;
        expect(got.slope).toBeCloseTo(b, 6);
        expect(got.ci.high - got.slope).toBeCloseTo(Z95 * Math.sqrt(s0 / det), 6);
      }),
    );
  });
});
