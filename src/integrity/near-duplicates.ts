/*
 * Near-identical comments (docs/integrity.md, "Near-identical comments"): comments are
 * normalised (case, accents, punctuation and spacing dropped), cut into overlapping character
 * 4-grams ("shingles"), and two comments are near-duplicates when the Jaccard similarity of
 * their shingle sets (shared / all) is at least THRESHOLD. Near-duplicates are joined into
 * clusters (connected components); a cluster of MIN_CLUSTER or more comments is counted.
 * Short comments ("great service", "thanks") are left out: customers write those alike on
 * their own, so their likeness is no evidence of coaching.
 */

export const NEAR_DUPLICATES = {
  /** Jaccard similarity of shingle sets at or above which two comments are near-duplicates. */
  threshold: 0.7,
  /** Characters per shingle. */
  shingle: 4,
  /** Normalised comments shorter than this are not compared. */
  minChars: 20,
  /** The smallest group of near-duplicates that counts as a cluster. */
  minCluster: 3,
  /** At most this many comments per agent or site are compared (the newest). */
  maxComments: 1000,
} as const;

/** The comment as compared: lower case, accents dropped, letters and digits of any script, single spaces. */
export function normalise(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * The set of character shingles of a normalised text, each as a 32-bit hash of its characters
 * (numbers hash and compare far faster than strings; two different shingles of two comments
 * sharing a hash, about one chance in 10^6 per pair of comments, moves their similarity by a
 * fraction of a point).
 */
export function shingles(text: string, size: number = NEAR_DUPLICATES.shingle): Set<number> {
  const out = new Set<number>();
  const hash = (from: number, to: number) => {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h >>> 0;
  };
  if (text.length <= size) {
    out.add(hash(0, text.length));
    return out;
  }
  for (let i = 0; i + size <= text.length; i++) out.add(hash(i, i + size));
  return out;
}

export function jaccard(a: Set<number>, b: Set<number>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const s of small) if (large.has(s)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}

export interface CommentItem {
  id: string;
  text: string;
}

export interface Clusters {
  /** Comments long enough to compare. */
  compared: number;
  /** Clusters of at least MIN_CLUSTER near-duplicates, largest first (response ids, in input order within each). */
  clusters: string[][];
}

/**
 * The clusters of near-identical comments among `items`. Candidate pairs come from a prefix
 * filter, which is exact (no pair at or above the threshold is missed): with each comment's
 * shingles ordered rarest first (across the comments compared), two sets with Jaccard ≥ t share
 * at least one shingle among the first |A| − ⌈t·|A|⌉ + 1 of each. Only pairs sharing such a
 * shingle, and whose sizes can reach t (|A ∩ B| / |A ∪ B| ≤ min / max of the sizes), are compared.
 */
export function nearDuplicateClusters(items: readonly CommentItem[]): Clusters {
  const { threshold, minChars, minCluster } = NEAR_DUPLICATES;
  const docs = items
    .map((item, order) => ({ id: item.id, order, text: normalise(item.text) }))
    .filter((d) => d.text.length >= minChars)
    .map((d) => ({ ...d, set: shingles(d.text) }));
  const frequency = new Map<number, number>();
  for (const d of docs) for (const s of d.set) frequency.set(s, (frequency.get(s) ?? 0) + 1);
  const rarestFirst = (a: number, b: number) => frequency.get(a)! - frequency.get(b)! || a - b;
  const parent = docs.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  // Prefix shingle → the comments (indexes) having it in their prefix.
  const index = new Map<number, number[]>();
  docs.forEach((d, i) => {
    const ordered = [...d.set].sort(rarestFirst);
    const prefix = ordered.slice(0, ordered.length - Math.ceil(threshold * ordered.length) + 1);
    const seen = new Set<number>();
    for (const s of prefix) {
      const others = index.get(s);
      if (others) {
        for (const j of others) {
          if (seen.has(j)) continue;
          seen.add(j);
          const [small, large] = d.set.size <= docs[j]!.set.size ? [d.set.size, docs[j]!.set.size] : [docs[j]!.set.size, d.set.size];
          if (small < threshold * large || find(i) === find(j)) continue;
          if (jaccard(d.set, docs[j]!.set) >= threshold) parent[find(i)] = find(j);
        }
        others.push(i);
      } else index.set(s, [i]);
    }
  });
  const groups = new Map<number, typeof docs>();
  docs.forEach((d, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(d);
    else groups.set(root, [d]);
  });
  const clusters = [...groups.values()]
    .filter((g) => g.length >= minCluster)
    .map((g) => g.sort((a, b) => a.order - b.order).map((d) => d.id))
    .sort((a, b) => b.length - a.length);
  return { compared: docs.length, clusters };
}
