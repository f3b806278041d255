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

/** The set of character shingles of a normalised text. */
export function shingles(text: string, size: number = NEAR_DUPLICATES.shingle): Set<string> {
  const out = new Set<string>();
  if (text.length <= size) {
    out.add(text);
    return out;
  }
  for (let i = 0; i + size <= text.length; i++) out.add(text.slice(i, i + size));
  return out;
}

export function jaccard(a: Set<string>, b: Set<string>): number {
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
 * The clusters of near-identical comments among `items`. Pairs are compared in order of shingle
 * count, and a pair whose sizes differ too much to reach the threshold is skipped without
 * comparing (|A ∩ B| / |A ∪ B| ≤ min(|A|, |B|) / max(|A|, |B|)).
 */
export function nearDuplicateClusters(items: readonly CommentItem[]): Clusters {
  const { threshold, minChars, minCluster } = NEAR_DUPLICATES;
  const docs = items
    .map((item, order) => ({ id: item.id, order, text: normalise(item.text) }))
    .filter((d) => d.text.length >= minChars)
    .map((d) => ({ ...d, set: shingles(d.text) }))
    .sort((a, b) => a.set.size - b.set.size || a.order - b.order);
  const parent = docs.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (let i = 0; i < docs.length; i++) {
    for (let j = i + 1; j < docs.length; j++) {
      if (docs[i]!.set.size < threshold * docs[j]!.set.size) break;
      if (find(i) === find(j)) continue;
      if (jaccard(docs[i]!.set, docs[j]!.set) >= threshold) parent[find(j)] = find(i);
    }
  }
  const groups = new Map<number, typeof docs>();
  docs.forEach((d, i) => {
    const root = find(i);
    groups.set(root, [...(groups.get(root) ?? []), d]);
  });
  const clusters = [...groups.values()]
    .filter((g) => g.length >= minCluster)
    .map((g) => g.sort((a, b) => a.order - b.order).map((d) => d.id))
    .sort((a, b) => b.length - a.length);
  return { compared: docs.length, clusters };
}
