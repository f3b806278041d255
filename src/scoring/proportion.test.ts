import { describe, expect, it } from 'vitest';
import { holm, twoProportions, wilson } from './proportion';

/** Φ(x) by Simpson's rule over the standard normal density from 0 to |x|: shares nothing with erfc. */
function phi(x: number): number {
  const f = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  const a = Math.abs(x);
  const steps = 20_000;
  const h = a / steps;
  let s = f(0) + f(a);
  for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  const half = (s * h) / 3;
  return x >= 0 ? 0.5 + half : 0.5 - half;
}

describe('wilson', () => {
  it('5 of 10 at 95%: 0.2366..0.7634 (the textbook example, symmetric about 1/2)', () => {
    // z = 1.959964, z² = 3.841459; center (0.5 + 0.192073)/(1.384146) = 0.5;
    // half = (1.959964/1.384146)·√(0.025 + 0.0096036) = 1.416008·0.186021 = 0.263405.
    const ci = wilson(5, 10)!;
    expect(ci.low).toBeCloseTo(0.5 - 0.263405, 5);
    expect(ci.high).toBeCloseTo(0.5 + 0.263405, 5);
    expect(ci.level).toBe(0.95);
  });
  it('0 of 10: the lower end is 0, the upper z²/(n + z²)', () => {
    const z2 = 1.959963984540054 ** 2;
    const ci = wilson(0, 10)!;
    expect(ci.low).toBe(0);
    expect(ci.high).toBeCloseTo(z2 / (10 + z2), 10);
  });
  it('contains the score-test acceptance region: at both ends the score statistic equals z', () => {
    const [x, n] = [37, 211];
    const ci = wilson(x, n, 0.9)!;
    const zOf = (p: number) => Math.abs(x / n - p) / Math.sqrt((p * (1 - p)) / n);
    // z at 90%: Φ(z) = 0.95, found by bisection on the Simpson Φ.
    let lo = 0;
    let hi = 3;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (phi(mid) < 0.95) lo = mid;
      else hi = mid;
    }
    expect(zOf(ci.low)).toBeCloseTo(lo, 6);
    expect(zOf(ci.high)).toBeCloseTo(lo, 6);
  });
  it('no trials: null; impossible counts: RangeError', () => {
    expect(wilson(0, 0)).toBeNull();
    expect(() => wilson(3, 2)).toThrow(RangeError);
    expect(() => wilson(1.5, 2)).toThrow(RangeError);
  });
});

describe('twoProportions', () => {
  it('30/100 against 50/100: pooled 0.4, z = −0.2/√(0.24·0.02), p from Φ', () => {
    const r = twoProportions(30, 100, 50, 100)!;
    const z = -0.2 / Math.sqrt(0.24 * 0.02);
    expect(r.z).toBeCloseTo(z, 10);
    expect(r.p).toBeCloseTo(2 * (1 - phi(Math.abs(z))), 8);
  });
  it('equal rates: z = 0, p = 1; unanimous: no variability, p = 1; no trials: null', () => {
    expect(twoProportions(10, 50, 20, 100)).toEqual({ z: 0, p: 1 });
    expect(twoProportions(0, 50, 0, 100)).toEqual({ z: 0, p: 1 });
    expect(twoProportions(0, 0, 3, 10)).toBeNull();
  });
});

describe('holm', () => {
  it('adjusts by rank and keeps the order monotone (hand example)', () => {
    // Sorted 0.01, 0.03, 0.04 with m = 3: 3·0.01 = 0.03; 2·0.03 = 0.06; 1·0.04 = 0.04 → max 0.06.
    expect(holm([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06].map((x) => expect.closeTo(x, 12)));
  });
  it('caps at 1 and leaves one test unchanged', () => {
    expect(holm([0.5, 0.6])).toEqual([1, 1]);
    expect(holm([0.2])).toEqual([0.2]);
    expect(holm([])).toEqual([]);
  });
});
