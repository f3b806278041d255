// Tests of the empirical-Bayes shrinkage (docs/scoring.md §10). The golden example is worked out by
// hand in exact fractions; the other checks compare with `byDefinition` below, which computes the
// documented method the long way (sums of squared deviations of every answer's category
// indicators, the Dirichlet posterior's variances and covariance), not with the module's
// shortcut formulas.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addAnswer, emptyTally, score, type Tally } from './nps';
import { byDefinition, Z95 } from '../../test/workers/shrinkage-definition';
import { fitPeerPrior, MIN_PEERS, shrunkScore } from './shrinkage';

/** A tally of p promoters (10), a passives (8), d detractors (3). */
function counts(p: number, a: number, d: number): Tally {
  let t = emptyTally();
  for (let i = 0; i < p; i++) t = addAnswer(t, 10);
  for (let i = 0; i < a; i++) t = addAnswer(t, 8);
  for (let i = 0; i < d; i++) t = addAnswer(t, 3);
  return t;
}

const rawNps = ([p, a, d]: [number, number, number]) => (100 * (p - d)) / (p + a + d);

describe('fitPeerPrior and shrunkScore: a worked example', () => {
  it('three sites of 10 answers: 9/1/0, 1/1/8, 5/1/4', () => {
    // Totals 15/3/12 of N = 30: shares 1/2, 1/10, 2/5, peer NPS 100·(1/2 − 2/5) = 10.
    // SSB: promoters (81 + 1 + 25)/10 − 15²/30 = 10.7 − 7.5 = 3.2; passives 0.3 − 0.3 = 0;
    //      detractors (0 + 64 + 16)/10 − 12²/30 = 8 − 4.8 = 3.2; total 6.4, MSB = 6.4/2 = 3.2.
    // SSW: promoters 15 − 10.7 = 4.3; passives 3 − 0.3 = 2.7; detractors 12 − 8 = 4; total 11,
    //      MSW = 11/27. n₀ = (30 − 300/30)/2 = 10.
    // ρ = (3.2 − 11/27)/(3.2 + 9·11/27) = (86.4 − 11)/(86.4 + 99) = 75.4/185.4; M = (1 − ρ)/ρ = 110/75.4 = 550/377.
    const prior = fitPeerPrior([counts(9, 1, 0), counts(1, 1, 8), counts(5, 1, 4)])!;
    expect(prior.peers).toBe(3);
    expect(prior.answers).toBe(30);
    expect(prior.nps).toBeCloseTo(10, 12);
    expect(prior.icc).toBeCloseTo(75.4 / 185.4, 12);
    expect(prior.strength).toBeCloseTo(550 / 377, 12);
    // Site 1: (P − D + M·(1/2 − 2/5))/(n + M) = (9 + 55/377)/(10 + 550/377) = 3448/4320.
    const s = shrunkScore(counts(9, 1, 0), prior);
    expect(s.nps).toBeCloseTo((100 * 3448) / 4320, 10);
    // Posterior mean shares: m⁺ = (9 + 275/377)/(4320/377) = 3668/4320, m⁻ = (220/377)/(4320/377) = 220/4320;
    // variance (m⁺ + m⁻ − (m⁺ − m⁻)²)/(n + M + 1) with n + M + 1 = 4697/377.
    const mPlus = 3668 / 4320;
    const mMinus = 220 / 4320;
    const sd = Math.sqrt((mPlus + mMinus - (mPlus - mMinus) ** 2) / (4697 / 377));
    expect(s.ci.low).toBeCloseTo(100 * (3448 / 4320 - Z95 * sd), 9);
    // The upper bound 79.81 + 28.47 = 108.29 lies beyond the scale: clamped to 100.
    expect(100 * (3448 / 4320 + Z95 * sd)).toBeGreaterThan(100);
    expect(s.ci.high).toBe(100);
    expect(s.ci.level).toBe(0.95);
    // It lies between the raw score (90) and the peer mean (10), near the raw one: M is small.
    expect(s.nps).toBeLessThan(90);
    expect(s.nps).toBeGreaterThan(10);
  });

  it('peers that differ no more than noise get the capped prior: M = N', () => {
    // 6/2/2, 2/4/4, 4/3/3: MSB = 0.6 < MSW = 18.6/27, so ρ < 0 and M is capped at N = 30.
    const prior = fitPeerPrior([counts(6, 2, 2), counts(2, 4, 4), counts(4, 3, 3)])!;
    expect(prior.icc).toBeLessThan(0);
    expect(prior.strength).toBe(30);
    // 6/2/2 keeps 10/40 of its raw 40 and takes 30/40 of the peer mean 10: 17.5.
    expect(shrunkScore(counts(6, 2, 2), prior).nps).toBeCloseTo(17.5, 12);
  });

  it(`fits no prior with fewer than ${MIN_PEERS} peers with answers, or single answers only`, () => {
    expect(fitPeerPrior([counts(3, 1, 1), counts(1, 1, 3)])).toBeNull();
    expect(fitPeerPrior([counts(3, 1, 1), counts(1, 1, 3), emptyTally()])).toBeNull();
    expect(fitPeerPrior([counts(1, 0, 0), counts(0, 0, 1), counts(0, 1, 0)])).toBeNull();
  });

  it('every peer unanimous: ρ = 1, no shrinkage at all', () => {
    const prior = fitPeerPrior([counts(5, 0, 0), counts(0, 0, 5), counts(0, 7, 0)])!;
    expect(prior.strength).toBe(0);
    expect(shrunkScore(counts(5, 0, 0), prior).nps).toBe(100);
    expect(shrunkScore(counts(0, 0, 5), prior).nps).toBe(-100);
  });

  it('ignores weights: the prior and the shrunk score use the answer counts', () => {
    const heavy = addAnswer(addAnswer(emptyTally(), 10, 50), 3, 0.5);
    const plain = counts(1, 0, 1);
    const others = [counts(4, 2, 1), counts(1, 2, 5)];
    expect(fitPeerPrior([heavy, ...others])).toEqual(fitPeerPrior([plain, ...others]));
  });
});

const unitArb = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })).filter(([p, a, d]) => p + a + d > 0);
const groupArb = fc.array(unitArb, { minLength: 3, maxLength: 8 }).filter((g) => g.reduce((s, [p, a, d]) => s + p + a + d, 0) > g.length);

describe('shrinkage against the method computed by its definitions', () => {
  it('the same prior strength, shrunk scores and intervals', () => {
    fc.assert(
      fc.property(groupArb, (group) => {
        const prior = fitPeerPrior(group.map(([p, a, d]) => counts(p, a, d)))!;
        const want = byDefinition(group);
        expect(prior.strength).toBeCloseTo(want.M, 6);
        expect(prior.nps).toBeCloseTo(want.peerNps, 9);
        group.forEach((u, i) => {
          const got = shrunkScore(counts(...u), prior);
          expect(got.nps).toBeCloseTo(want.shrunk[i]!.nps, 6);
          expect(got.ci.low).toBeCloseTo(want.shrunk[i]!.low, 6);
          expect(got.ci.high).toBeCloseTo(want.shrunk[i]!.high, 6);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('the properties the issue asks for', () => {
  it('each shrunk score lies between the raw score and the peer mean', () => {
    fc.assert(
      fc.property(groupArb, (group) => {
        const prior = fitPeerPrior(group.map(([p, a, d]) => counts(p, a, d)))!;
        for (const u of group) {
          const s = shrunkScore(counts(...u), prior).nps;
          const raw = rawNps(u);
          expect(s).toBeGreaterThanOrEqual(Math.min(raw, prior.nps) - 1e-9);
          expect(s).toBeLessThanOrEqual(Math.max(raw, prior.nps) + 1e-9);
          // The raw score here is the scoring module's own NPS.
          expect(raw).toBeCloseTo(score(counts(...u), { minN: 0 }).nps!, 9);
        }
      }),
    );
  });

  it('closer to the raw score as n grows (the same shares, k times the answers, the same peers)', () => {
    fc.assert(
      fc.property(groupArb, unitArb, fc.integer({ min: 2, max: 20 }), (group, [p, a, d], k) => {
        const prior = fitPeerPrior(group.map((u) => counts(...u)))!;
        const raw = rawNps([p, a, d]);
        const small = Math.abs(shrunkScore(counts(p, a, d), prior).nps - raw);
        const large = Math.abs(shrunkScore(counts(k * p, k * a, k * d), prior).nps - raw);
        if (Math.abs(raw - prior.nps) < 1e-9 || prior.strength === 0) expect(large).toBeLessThanOrEqual(small + 1e-9);
        else expect(large).toBeLessThan(small);
      }),
    );
  });

  it('equal n and equal raw scores give equal shrunk scores, whatever the passives', () => {
    // 5/0/5 and 3/4/3 and 2/6/2: n 10, raw 0 each; with two other peers.
    const group = [counts(5, 0, 5), counts(3, 4, 3), counts(2, 6, 2), counts(9, 1, 0), counts(0, 2, 8)];
    const prior = fitPeerPrior(group)!;
    const [a, b, c] = group.map((g) => shrunkScore(g, prior).nps);
    expect(a).toBe(b);
    expect(b).toBe(c);
  });

  it('the unweighted raw score, the shrunk score and the peer mean: w·raw + (1 − w)·peer mean, w = n/(n + M)', () => {
    fc.assert(
      fc.property(groupArb, (group) => {
        const prior = fitPeerPrior(group.map((u) => counts(...u)))!;
        for (const u of group) {
          const n = u[0] + u[1] + u[2];
          const w = n / (n + prior.strength);
          expect(shrunkScore(counts(...u), prior).nps).toBeCloseTo(w * rawNps(u) + (1 - w) * prior.nps, 9);
        }
      }),
    );
  });
});
