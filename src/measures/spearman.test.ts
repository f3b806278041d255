import { describe, expect, it } from 'vitest';
import { ranks, spearman } from './spearman';

/** The two-sided tail 2·P(T > |t|) of Student's t on ν degrees of freedom by Simpson's rule on its density (independent of the module's CDF). */
function tTail(t: number, nu: number): number {
  const lgamma = (x: number): number => {
    // Lanczos (g = 7), enough for the check.
    const c = [
      0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];
    if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
    x -= 1;
    let a = c[0]!;
    const g = x + 7.5;
    for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
    return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(g) - g + Math.log(a);
  };
  const k = Math.exp(lgamma((nu + 1) / 2) - lgamma(nu / 2)) / Math.sqrt(nu * Math.PI);
  const f = (x: number) => k * (1 + (x * x) / nu) ** (-(nu + 1) / 2);
  const steps = 20000;
  const h = Math.abs(t) / steps;
  let s = f(0) + f(Math.abs(t));
  for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return 1 - 2 * ((s * h) / 3);
}

describe("Spearman's rank correlation", () => {
  it('mid-ranks for ties', () => {
    expect(ranks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(ranks([3, 1, 2, 1])).toEqual([4, 1.5, 3, 1.5]);
  });

  it('without ties: 1 − 6Σd²/(n(n²−1)), and p from t on n − 2 degrees of freedom', () => {
    // y swaps neighbours of x: every |d| = 1, Σd² = 10, n = 10: ρ = 1 − 60/990.
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const y = [2, 1, 4, 3, 6, 5, 8, 7, 10, 9];
    const r = spearman(x, y)!;
    const rho = 1 - 60 / 990;
    expect(r.rho).toBeCloseTo(rho, 12);
    const t = rho * Math.sqrt(8 / (1 - rho * rho));
    expect(r.p).toBeCloseTo(tTail(t, 8), 8);
    expect(r.n).toBe(10);
  });

  it('a monotone relation is 1 whatever its shape; reversed −1; constant sides have none', () => {
    const x = [1, 2, 3, 4, 5];
    expect(
      spearman(
        x,
        x.map((v) => v ** 3),
      )!.rho,
    ).toBe(1);
    expect(
      spearman(
        x,
        x.map((v) => -Math.exp(v)),
      )!.rho,
    ).toBe(-1);
    expect(spearman(x, [1, 1, 1, 1, 1])).toBeNull();
    expect(spearman([1, 2], [2, 1])).toBeNull();
  });

  it('a moderate correlation: p matches the t tail', () => {
    const x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9];
    const y = [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4, 5, 9, 0, 4];
    const r = spearman(x, y)!;
    const t = r.rho * Math.sqrt(13 / (1 - r.rho ** 2));
    expect(r.p).toBeCloseTo(tTail(t, 13), 8);
  });
});
