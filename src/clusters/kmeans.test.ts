// Tests of the deterministic k-means and the silhouette (docs/targets.md "Peer clusters"). The
// silhouette golden is worked out by hand below.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cluster, kmeans, silhouette, standardise } from './kmeans';

describe('silhouette', () => {
  it('1-D points 0, 1, 10, 11 in two clusters: (9.5/10.5 + 8.5/9.5)/2', () => {
    // Point 0: a = 1, b = (10 + 11)/2 = 10.5, s = 9.5/10.5; point 1: a = 1, b = (9 + 10)/2 = 9.5,
    // s = 8.5/9.5; 10 and 11 mirror 1 and 0.
    expect(silhouette([[0], [1], [10], [11]], [0, 0, 1, 1])).toBeCloseTo((9.5 / 10.5 + 8.5 / 9.5) / 2, 12);
  });

  it('a point alone in its cluster counts 0; one cluster gives 0', () => {
    // 0 and 1 together, 10 alone: s(0) = (10 − 1)/10 = 0.9, s(1) = (9 − 1)/9, s(10) = 0.
    expect(silhouette([[0], [1], [10]], [0, 0, 1])).toBeCloseTo((0.9 + 8 / 9) / 3, 12);
    expect(silhouette([[0], [1], [10]], [0, 0, 0])).toBe(0);
  });
});

describe('standardise', () => {
  it('centres and scales each feature; a constant feature becomes 0', () => {
    // Feature 1: 1, 2, 3 → mean 2, population sd √(2/3).
    const z = standardise([
      [1, 5],
      [2, 5],
      [3, 5],
    ]);
    expect(z.map((p) => p[0])).toEqual([-1 / Math.sqrt(2 / 3), 0, 1 / Math.sqrt(2 / 3)].map((x) => expect.closeTo(x, 12)));
    expect(z.map((p) => p[1])).toEqual([0, 0, 0]);
  });
});

describe('cluster', () => {
  it('finds two well separated groups with k = 2', () => {
    const points = [
      [0, 0],
      [0.1, 0.2],
      [0.2, 0.1],
      [10, 10],
      [10.1, 9.9],
      [9.8, 10.2],
    ];
    const c = cluster(points)!;
    expect(c.k).toBe(2);
    expect(new Set(c.assignment.slice(0, 3)).size).toBe(1);
    expect(new Set(c.assignment.slice(3)).size).toBe(1);
    expect(c.assignment[0]).not.toBe(c.assignment[3]);
    expect(c.candidates.map((x) => x.k)).toEqual([2, 3, 4, 5]);
    expect(c.silhouette).toBe(Math.max(...c.candidates.map((x) => x.silhouette)));
  });

  it('is deterministic: the same points give the same clustering, every time', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 })), { minLength: 3, maxLength: 20 }), (pts) => {
        expect(cluster(pts)).toEqual(cluster(pts.map((p) => [...p])));
      }),
    );
  });

  it('needs three points; k-means keeps every point on its nearest centre', () => {
    expect(cluster([[0], [1]])).toBeNull();
    const { assignment, centres } = kmeans(
      [
        [0, 0],
        [1, 0],
        [9, 9],
        [10, 9],
        [5, 5.2],
      ],
      2,
    );
    const d = (p: number[], c: number[]) => (p[0]! - c[0]!) ** 2 + (p[1]! - c[1]!) ** 2;
    [
      [0, 0],
      [1, 0],
      [9, 9],
      [10, 9],
      [5, 5.2],
    ].forEach((p, i) => {
      expect(d(p, centres[assignment[i]!]!)).toBeLessThanOrEqual(Math.min(...centres.map((c) => d(p, c))) + 1e-9);
    });
  });
});
