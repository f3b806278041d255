import { describe, expect, it } from 'vitest';
import { jaccard, nearDuplicateClusters, normalise, shingles } from './near-duplicates';

describe('near-identical comments', () => {
  it('normalises case, accents, punctuation and spacing', () => {
    expect(normalise('  Très BIEN -- service, 10/10!  ')).toBe('tres bien service 10 10');
  });

  it('Jaccard of shingle sets by hand', () => {
    // "abcde" → {abcd, bcde}; "abcdx" → {abcd, bcdx}: one shared of three.
    expect(jaccard(shingles('abcde'), shingles('abcdx'))).toBeCloseTo(1 / 3, 12);
    expect(jaccard(shingles('same text here'), shingles('same text here'))).toBe(1);
  });

  it('clusters three or more near-duplicates and leaves varied and short comments alone', () => {
    const items = [
      { id: 'a', text: 'The engineer was brilliant and fixed the boiler quickly' },
      { id: 'b', text: 'Late again, nobody called me back about the invoice' },
      { id: 'c', text: 'the engineer was BRILLIANT, and fixed the boiler quickly!' },
      { id: 'd', text: 'Great' },
      { id: 'e', text: 'The engineer was brilliant and fixed the boiler very quickly' },
      { id: 'f', text: 'Great' },
      { id: 'g', text: 'Great' },
      { id: 'h', text: 'Late again, nobody called me back about the invoice' },
    ];
    const { compared, clusters } = nearDuplicateClusters(items);
    // d, f, g are under 20 characters: not compared. b and h are a pair, not a cluster of three.
    expect(compared).toBe(5);
    expect(clusters).toEqual([['a', 'c', 'e']]);
  });

  it('finds exactly the clusters that comparing every pair finds', () => {
    // Comments from a small vocabulary, some copied with a word changed: many near pairs, many misses.
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const vocab = ['late', 'quick', 'friendly', 'engineer', 'boiler', 'invoice', 'called', 'waited', 'fixed', 'clean', 'polite', 'again'];
    const items: { id: string; text: string }[] = [];
    for (let i = 0; i < 300; i++) {
      const base =
        i > 10 && rand() < 0.5 ? items[Math.floor(rand() * items.length)]!.text.split(' ') : Array.from({ length: 6 + Math.floor(rand() * 6) }, () => vocab[Math.floor(rand() * vocab.length)]!);
      if (rand() < 0.5) base[Math.floor(rand() * base.length)] = vocab[Math.floor(rand() * vocab.length)]!;
      items.push({ id: `r${i}`, text: base.join(' ') });
    }
    // Brute force: every pair, union-find, clusters of three or more.
    const sets = items
      .map((x) => ({ id: x.id, text: normalise(x.text) }))
      .filter((x) => x.text.length >= 20)
      .map((x) => ({ id: x.id, set: shingles(x.text) }));
    const parent = sets.map((_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
    for (let i = 0; i < sets.length; i++) for (let j = i + 1; j < sets.length; j++) if (jaccard(sets[i]!.set, sets[j]!.set) >= 0.7) parent[find(i)] = find(j);
    const groups = new Map<number, string[]>();
    sets.forEach((s, i) => {
      groups.set(find(i), [...(groups.get(find(i)) ?? []), s.id]);
    });
    const expected = [...groups.values()]
      .filter((g) => g.length >= 3)
      .map((g) => [...g].sort())
      .sort((a, b) => a[0]!.localeCompare(b[0]!));
    const found = nearDuplicateClusters(items)
      .clusters.map((g) => [...g].sort())
      .sort((a, b) => a[0]!.localeCompare(b[0]!));
    expect(expected.length).toBeGreaterThan(3);
    expect(found).toEqual(expected);
  });
});
