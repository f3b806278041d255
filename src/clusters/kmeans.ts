/*
 * Deterministic k-means with the number of clusters chosen by the mean silhouette (docs/targets.md
 * "Peer clusters"). Pure: points in, clusters out; no randomness, so the same data always give
 * the same clusters. Points are standardised (z-scores per feature) before clustering.
 */

export type Vector = readonly number[];

const dist2 = (a: Vector, b: Vector) => a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0);

/** Each feature centred on its mean and divided by its (population) standard deviation; a constant feature becomes 0. */
export function standardise(points: readonly Vector[]): number[][] {
  if (points.length === 0) return [];
  const dims = points[0]!.length;
  const mean = Array.from({ length: dims }, (_, j) => points.reduce((s, p) => s + p[j]!, 0) / points.length);
  const sd = Array.from({ length: dims }, (_, j) => Math.sqrt(points.reduce((s, p) => s + (p[j]! - mean[j]!) ** 2, 0) / points.length));
  return points.map((p) => p.map((x, j) => (sd[j]! > 1e-12 ? (x - mean[j]!) / sd[j]! : 0)));
}

/**
 * Farthest-first seeds: the point farthest from the centroid of all, then each next the point
 * farthest from its nearest seed (ties: the lower index). Deterministic, and spreads the seeds.
 */
function seeds(points: readonly Vector[], k: number): number[][] {
  const dims = points[0]!.length;
  const centroid = Array.from({ length: dims }, (_, j) => points.reduce((s, p) => s + p[j]!, 0) / points.length);
  const argmax = (score: (p: Vector) => number) => points.reduce((best, p, i) => (score(p) > score(points[best]!) + 1e-12 ? i : best), 0);
  const chosen = [argmax((p) => dist2(p, centroid))];
  while (chosen.length < k) chosen.push(argmax((p) => Math.min(...chosen.map((c) => dist2(p, points[c]!)))));
  return chosen.map((i) => [...points[i]!]);
}

/** Lloyd's iterations from the farthest-first seeds until no point moves (at most 100). */
export function kmeans(points: readonly Vector[], k: number): { assignment: number[]; centres: number[][] } {
  const centres = seeds(points, k);
  let assignment = points.map(() => -1);
  for (let iter = 0; iter < 100; iter++) {
    // Nearest centre; ties to the lower index.
    const next = points.map((p) => centres.reduce((best, c, j) => (dist2(p, c) < dist2(p, centres[best]!) - 1e-12 ? j : best), 0));
    const moved = next.some((c, i) => c !== assignment[i]);
    assignment = next;
    if (!moved) break;
    for (let j = 0; j < k; j++) {
      const members = points.filter((_, i) => assignment[i] === j);
      // An emptied cluster keeps its centre.
      if (members.length) centres[j] = centres[j]!.map((_, d) => members.reduce((s, p) => s + p[d]!, 0) / members.length);
    }
  }
  return { assignment, centres };
}

/**
 * The mean silhouette of a clustering (Rousseeuw 1987), on Euclidean distances: for each point
 * a = mean distance to the others of its cluster, b = the smallest mean distance to another
 * cluster, s = (b − a)/max(a, b); a point alone in its cluster has s = 0.
 */
export function silhouette(points: readonly Vector[], assignment: readonly number[]): number {
  const clusters = [...new Set(assignment)];
  if (clusters.length < 2) return 0;
  const d = (i: number, j: number) => Math.sqrt(dist2(points[i]!, points[j]!));
  let total = 0;
  for (let i = 0; i < points.length; i++) {
    const own = assignment.map((c, j) => (c === assignment[i] && j !== i ? j : -1)).filter((j) => j >= 0);
    if (own.length === 0) continue;
    const a = own.reduce((s, j) => s + d(i, j), 0) / own.length;
    const b = Math.min(
      ...clusters
        .filter((c) => c !== assignment[i])
        .map((c) => {
          const others = assignment.map((x, j) => (x === c ? j : -1)).filter((j) => j >= 0);
          return others.reduce((s, j) => s + d(i, j), 0) / others.length;
        }),
    );
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / points.length;
}

export interface Clustering {
  k: number;
  assignment: number[];
  silhouette: number;
  /** Every k tried with its mean silhouette. */
  candidates: { k: number; silhouette: number }[];
}

/**
 * k from 2 to min(8, n − 1) with the highest mean silhouette (ties: the smaller k); k-means on the
 * standardised points. Null with fewer than three points.
 */
export function cluster(points: readonly Vector[], maxK = 8): Clustering | null {
  if (points.length < 3) return null;
  const z = standardise(points);
  const candidates: { k: number; silhouette: number; assignment: number[] }[] = [];
  for (let k = 2; k <= Math.min(maxK, points.length - 1); k++) {
    const { assignment } = kmeans(z, k);
    candidates.push({ k, assignment, silhouette: silhouette(z, assignment) });
  }
  const best = candidates.reduce((b, c) => (c.silhouette > b.silhouette + 1e-12 ? c : b));
  return { k: best.k, assignment: best.assignment, silhouette: best.silhouette, candidates: candidates.map(({ k, silhouette: s }) => ({ k, silhouette: s })) };
}
