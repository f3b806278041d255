import { describe, expect, it } from 'vitest';
import { binomialUpperTail } from './binomial';

/** The tail by brute force: every outcome's probability from the definition, in exact rational steps. */
function bruteTail(x: number, n: number, p: number) {
  let sum = 0;
  for (let k = x; k <= n; k++) {
    let c = 1;
    for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
    sum += c * p ** k * (1 - p) ** (n - k);
  }
  return sum;
}

describe('binomialUpperTail', () => {
  it('matches hand computations', () => {
    // 3 heads or more of 3 fair coins: 1/8; 2 or more: 4/8.
    expect(binomialUpperTail(3, 3, 0.5)).toBeCloseTo(0.125, 12);
    expect(binomialUpperTail(2, 3, 0.5)).toBeCloseTo(0.5, 12);
    // 10 of 10 at p = 0.4: 0.4^10.
    expect(binomialUpperTail(10, 10, 0.4)).toBeCloseTo(0.4 ** 10, 15);
    expect(binomialUpperTail(0, 7, 0.2)).toBe(1);
    expect(binomialUpperTail(1, 7, 0)).toBe(0);
  });

  it('matches the brute-force sum over small n', () => {
    for (const n of [1, 5, 17, 40]) for (const p of [0.05, 0.3, 0.5, 0.77]) for (let x = 0; x <= n; x++) expect(binomialUpperTail(x, n, p)).toBeCloseTo(bruteTail(x, n, p), 10);
  });

  it('stays finite and sensible for large n', () => {
    // The mean of Binomial(100000, 0.4) is 40000: about half the mass lies above it.
    const half = binomialUpperTail(40_000, 100_000, 0.4);
    expect(half).toBeGreaterThan(0.49);
    expect(half).toBeLessThan(0.51);
    // 45,000 is about 32 standard deviations above: vanishingly small, but not NaN.
    expect(binomialUpperTail(45_000, 100_000, 0.4)).toBeLessThan(1e-100);
  });

  it('refuses impossible counts', () => {
    expect(() => binomialUpperTail(4, 3, 0.5)).toThrow(RangeError);
    expect(() => binomialUpperTail(1, 3, 1.5)).toThrow(RangeError);
  });
});
