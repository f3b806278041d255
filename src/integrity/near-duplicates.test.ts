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
});
