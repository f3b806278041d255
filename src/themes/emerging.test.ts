import { describe, expect, it } from 'vitest';
import { binomialUpperTail, isEmerging, logGamma } from './emerging';

/** P(X ≥ k), X ~ Binomial(n, a/b), exactly with integers: Σ C(n,i) a^i (b−a)^(n−i) / b^n. */
function exactTail(k: number, n: number, a: number, b: number): number {
  let sum = 0n;
  let c = 1n;
  for (let i = 0; i <= n; i++) {
    if (i >= k) sum += c * BigInt(a) ** BigInt(i) * BigInt(b - a) ** BigInt(n - i);
    c = (c * BigInt(n - i)) / BigInt(i + 1);
  }
  return Number((sum * 10n ** 15n) / BigInt(b) ** BigInt(n)) / 1e15;
}

describe('emerging themes', () => {
  it('ln Γ matches factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
  });

  it('the binomial upper tail equals the exact sum', () => {
    // 56/1024 by hand: C(10,8) + C(10,9) + C(10,10) = 45 + 10 + 1.
    expect(binomialUpperTail(8, 10, 0.5)).toBeCloseTo(56 / 1024, 12);
    for (const [k, n, a, b] of [
      [30, 40, 1, 2],
      [25, 33, 1, 2],
      [7, 20, 1, 3],
      [120, 300, 2, 5],
    ] as const)
      expect(binomialUpperTail(k, n, a / b)).toBeCloseTo(exactTail(k, n, a, b), 10);
    expect(binomialUpperTail(0, 5, 0.3)).toBe(1);
    expect(binomialUpperTail(6, 5, 0.3)).toBe(0);
  });

  it('needs 25 mentions and p < 0.05; no previous comments, no test', () => {
    expect(isEmerging(30, 100, 10, 100)).toBe(true);
    expect(isEmerging(24, 100, 0, 100)).toBe(false);
    expect(isEmerging(26, 100, 24, 100)).toBe(false);
    expect(isEmerging(40, 100, 0, 0)).toBe(false);
    // Twice the comments now: 40 vs 20 mentions is the same rate, not emerging.
    expect(isEmerging(40, 200, 20, 100)).toBe(false);
  });
});
