// Unit and property tests of the NPS scoring module. Every golden value below is worked out by
// hand in its comment (exact fractions, then decimals to 15+ digits), never by calling the
// module; docs/scoring.md gives the formulas and their sources.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addAnswer, addTallies, answerWeight, categorize, difference, emptyTally, score, subtractTallies, type Tally, WEIGHT_MAX, WEIGHT_MIN } from './nps';

// Two-sided standard normal quantiles Φ⁻¹((1 + c)/2), from published tables.
const Z95 = 1.959963984540054; // Φ⁻¹(0.975) = 1.95996 39845 40054 2...
const Z90 = 1.6448536269514722; // Φ⁻¹(0.95)  = 1.64485 36269 51472 7...
const Z99 = 2.5758293035489004; // Φ⁻¹(0.995) = 2.57582 93035 48900 7...

/** A tally built answer by answer: p promoters (score 10), q passives (8), d detractors (3). */
function counts(p: number, q: number, d: number): Tally {
  let t = emptyTally();
  for (let i = 0; i < p; i++) t = addAnswer(t, 10);
  for (let i = 0; i < q; i++) t = addAnswer(t, 8);
  for (let i = 0; i < d; i++) t = addAnswer(t, 3);
  return t;
}

function tallyOf(answers: ReadonlyArray<{ score: number; weight: number }>): Tally {
  let t = emptyTally();
  for (const a of answers) t = addAnswer(t, a.score, a.weight);
  return t;
}

function close(actual: number, expected: number, rel = 1e-9): boolean {
  return Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(actual), Math.abs(expected));
}

function expectTallyClose(actual: Tally, expected: Tally, rel = 1e-9): void {
  expect(actual.promoters).toBe(expected.promoters);
  expect(actual.passives).toBe(expected.passives);
  expect(actual.detractors).toBe(expected.detractors);
  // Absolute slack scaled by the largest sum involved: a difference of large sums can be small.
  const scale = Math.max(1, actual.w, expected.w, actual.w2, expected.w2);
  for (const k of ['w', 'w2', 'wPromoters', 'wDetractors'] as const) {
    expect(Math.abs(actual[k] - expected[k]), k).toBeLessThanOrEqual(rel * scale);
  }
}

describe('categorize', () => {
  it('puts the boundaries where the NPS definition does', () => {
    expect(categorize(0)).toBe('detractor');
    expect(categorize(6)).toBe('detractor');
    expect(categorize(7)).toBe('passive');
    expect(categorize(8)).toBe('passive');
    expect(categorize(9)).toBe('promoter');
    expect(categorize(10)).toBe('promoter');
  });

  it('rejects anything but an integer 0..10, never clamping or rounding', () => {
    for (const bad of [-1, 11, 7.5, NaN, Infinity, -Infinity, 0.1, 10.000001]) {
      expect(() => categorize(bad), String(bad)).toThrow(RangeError);
    }
    // A skipped question arrives as null/undefined/''; it must not be coerced to 0 (a detractor).
    for (const bad of [null, undefined, '', '9']) {
      expect(() => categorize(bad as unknown as number), String(bad)).toThrow(RangeError);
    }
  });

  it('rejects every non-integer or out-of-range double (property)', () => {
    fc.assert(
      fc.property(
        fc.double().filter((x) => !(Number.isInteger(x) && x >= 0 && x <= 10)),
        (x) => {
          expect(() => categorize(x)).toThrow(RangeError);
        },
      ),
    );
  });
});

describe('tallies', () => {
  it('starts empty and adds one answer without changing its input', () => {
    const t0 = emptyTally();
    expect(t0).toEqual({ promoters: 0, passives: 0, detractors: 0, w: 0, w2: 0, wPromoters: 0, wDetractors: 0 });
    const t1 = addAnswer(t0, 9, 2);
    expect(t0.promoters).toBe(0);
    expect(t1).toEqual({ promoters: 1, passives: 0, detractors: 0, w: 2, w2: 4, wPromoters: 2, wDetractors: 0 });
    const t2 = addAnswer(t1, 7);
    expect(t2).toEqual({ promoters: 1, passives: 1, detractors: 0, w: 3, w2: 5, wPromoters: 2, wDetractors: 0 });
    const t3 = addAnswer(t2, 0, 0.5);
    expect(t3).toEqual({ promoters: 1, passives: 1, detractors: 1, w: 3.5, w2: 5.25, wPromoters: 2, wDetractors: 0.5 });
  });

  it('gives an unweighted tally w = w2 = n', () => {
    const t = counts(7, 5, 3);
    expect(t).toEqual({ promoters: 7, passives: 5, detractors: 3, w: 15, w2: 15, wPromoters: 7, wDetractors: 3 });
  });

  it('rejects invalid scores and weights, leaving nothing half-added', () => {
    const t = emptyTally();
    for (const bad of [-1, 11, 7.5, NaN]) expect(() => addAnswer(t, bad)).toThrow(RangeError);
    for (const w of [-1, -0.0001, NaN, Infinity, -Infinity, 1e200, 1e-200]) {
      expect(() => addAnswer(t, 9, w), String(w)).toThrow(RangeError);
    }
    expect(() => addAnswer(t, 9, null as unknown as number)).toThrow(RangeError);
  });

  it('takes a stored value as a weight only within the bounds, else as 0', () => {
    for (const v of [0, WEIGHT_MIN, 1, 4321.5, WEIGHT_MAX]) expect(answerWeight(v), String(v)).toBe(v);
    for (const v of [null, undefined, -1, NaN, Infinity, 1e200, 1e-200, WEIGHT_MAX * 2, WEIGHT_MIN / 2]) expect(answerWeight(v), String(v)).toBe(0);
    expect(() => addAnswer(emptyTally(), 9, WEIGHT_MAX)).not.toThrow();
    expect(() => addAnswer(emptyTally(), 9, WEIGHT_MIN)).not.toThrow();
  });

  it('suppresses a weighted score whose effective n is not finite (fails closed), even with minN 0', () => {
    // A tally whose square sums underflowed: w > 0, w2 = 0.
    const underflow: Tally = { promoters: 1, passives: 0, detractors: 0, w: 1e-200, w2: 0, wPromoters: 1e-200, wDetractors: 0 };
    for (const minN of [0, 1]) {
      expect(score(underflow, { weighted: true, minN })).toEqual({
        nps: null,
        n: 1,
        promoters: 1,
        passives: 0,
        detractors: 0,
        ci: null,
        effectiveN: 0,
        suppressed: true,
        suppressedReason: 'below_min_n',
      });
    }
  });

  it('counts a zero-weight answer but keeps it out of the weighted sums', () => {
    const t = addAnswer(emptyTally(), 2, 0);
    expect(t).toEqual({ promoters: 0, passives: 0, detractors: 1, w: 0, w2: 0, wPromoters: 0, wDetractors: 0 });
  });

  it('rejects malformed tallies (e.g. from storage)', () => {
    const good = counts(1, 1, 1);
    const bads: Tally[] = [
      { ...good, promoters: -1 },
      { ...good, passives: 1.5 },
      { ...good, detractors: NaN },
      { ...good, w: -1 },
      { ...good, w2: Infinity },
      { ...good, wPromoters: NaN },
      { ...good, wDetractors: -0.5 },
    ];
    for (const bad of bads) {
      expect(() => score(bad)).toThrow(RangeError);
      expect(() => addTallies(good, bad)).toThrow(RangeError);
      expect(() => addAnswer(bad, 9)).toThrow(RangeError);
      expect(() => difference(good, bad)).toThrow(RangeError);
    }
    expect(() => score(null as unknown as Tally)).toThrow(RangeError);
  });

  it('subtracts a contained tally (a correction) and refuses one that is not contained', () => {
    const all = addAnswer(addAnswer(counts(3, 2, 1), 9, 2.5), 4, 0.25);
    const excluded = addAnswer(emptyTally(), 9, 2.5);
    const rest = subtractTallies(all, excluded);
    expect(rest).toEqual({ promoters: 3, passives: 2, detractors: 2, w: 6.25, w2: 6.0625, wPromoters: 3, wDetractors: 1.25 });
    expect(() => subtractTallies(counts(1, 0, 0), counts(0, 0, 1))).toThrow(RangeError);
    // A zero-weight answer that was never added: its weights are no help in spotting it.
    expect(() => subtractTallies(counts(1, 0, 0), addAnswer(emptyTally(), 2, 0))).toThrow(RangeError);
    // Same counts but more weight than is there: not contained either.
    expect(() => subtractTallies(counts(2, 0, 0), addAnswer(emptyTally(), 10, 5))).toThrow(RangeError);
  });

  it('brings weighted sums back to exactly 0 when their count reaches 0', () => {
    let t = emptyTally();
    for (const w of [0.1, 0.2, 0.7]) t = addAnswer(t, 10, w);
    let back = t;
    for (const w of [0.7, 0.1, 0.2]) back = subtractTallies(back, addAnswer(emptyTally(), 10, w));
    expect(back).toEqual(emptyTally());
  });
});

describe('score: unweighted goldens', () => {
  it('50 promoters, 30 passives, 20 detractors at 95%', () => {
    // nps = 100·(50 − 20)/100 = 30.
    // Adjusted Wald: n' = 100 + 3 = 103, p⁺ = 50.75/103, p⁻ = 20.75/103,
    //   center = p⁺ − p⁻ = 30/103 = 0.291262135922330097...
    //   p⁺ + p⁻ = 71.5/103, center² = 900/10609
    //   var = (71.5/103 − 900/10609)/103 = (71.5·103 − 900)/103³ = 6464.5/1092727
    //       = 0.005915933256888500...,  √var = 0.076915104218147557...
    //   z·√var = 1.959963984540054 × 0.076915104218147557 = 0.150750834134713999...
    //   low  = 100·(0.291262135922330097 − 0.150750834134713999) = 14.0511301787616097...
    //   high = 100·(0.291262135922330097 + 0.150750834134713999) = 44.2012970057044097...
    const s = score(counts(50, 30, 20));
    expect(s.nps).toBe(30);
    expect(s.n).toBe(100);
    expect([s.promoters, s.passives, s.detractors]).toEqual([50, 30, 20]);
    expect(s.suppressed).toBe(false);
    expect(s.suppressedReason).toBeUndefined();
    expect('effectiveN' in s).toBe(false);
    expect(s.ci!.level).toBe(0.95);
    expect(s.ci!.low).toBeCloseTo(14.0511301787616097, 9);
    expect(s.ci!.high).toBeCloseTo(44.2012970057044097, 9);
  });

  it('40 promoters, 25 passives, 35 detractors at 90%', () => {
    // nps = 100·(40 − 35)/100 = 5.
    // n' = 103, p⁺ = 40.75/103, p⁻ = 35.75/103, center = 5/103 = 0.048543689320388349...
    //   var = (76.5/103 − 25/10609)/103 = (76.5·103 − 25)/103³ = 7854.5/1092727
    //       = 0.007187980163389392...,  √var = 0.084781956590948005...
    //   z₉₀·√var = 1.6448536269514727 × 0.084781956590948005 = 0.139453908798663143...
    //   low  = 100·(0.048543689320388349 − 0.139453908798663143) = −9.0910219478274794...
    //   high = 100·(0.048543689320388349 + 0.139453908798663143) = 18.7997598119051492...
    const s = score(counts(40, 25, 35), { confidence: 0.9 });
    expect(s.nps).toBe(5);
    expect(s.ci!.level).toBe(0.9);
    expect(s.ci!.low).toBeCloseTo(-9.0910219478274794, 9);
    expect(s.ci!.high).toBeCloseTo(18.7997598119051492, 9);
  });

  it('clamps the interval to the scale: 30 promoters, nothing else', () => {
    // nps = 100. n' = 33, p⁺ = 30.75/33, p⁻ = 0.75/33, center = 30/33 = 0.909090909090909090...
    //   var = (31.5/33 − 900/1089)/33 = (31.5·33 − 900)/33³ = 139.5/35937 = 0.003881793137991485...
    //   z·√var = 1.959963984540054 × 0.062304037... = 0.122113670365145103...
    //   low  = 100·(0.909090909090909091 − 0.122113670365145103) = 78.6977238725763988...
    //   high = 100·(0.909090909090909091 + 0.122113670365145103) = 103.12... → clamped to 100
    const s = score(counts(30, 0, 0));
    expect(s.nps).toBe(100);
    expect(s.ci!.low).toBeCloseTo(78.6977238725763988, 9);
    expect(s.ci!.high).toBe(100);
  });

  it('uses the precise normal quantile for any confidence level', () => {
    // Same tally as the first golden: half-width = 100·z·√var with √var = 0.076915104218147557,
    // so z = (high − low)/2/(100·√var) recovers the quantile (no clamping at these levels).
    const t = counts(50, 30, 20);
    const sd = 0.076915104218147557;
    for (const [c, z] of [
      [0.9, Z90],
      [0.95, Z95],
      [0.99, Z99],
    ] as const) {
      const s = score(t, { confidence: c });
      expect(Math.abs((s.ci!.high - s.ci!.low) / 2 / (100 * sd) - z), String(c)).toBeLessThan(1e-12);
    }
  });

  it('rejects invalid options', () => {
    const t = counts(50, 30, 20);
    for (const c of [0, 1, -0.5, 1.5, NaN]) expect(() => score(t, { confidence: c }), String(c)).toThrow(RangeError);
    for (const m of [-1, NaN, Infinity]) expect(() => score(t, { minN: m }), String(m)).toThrow(RangeError);
  });
});

describe('score: weighted', () => {
  // Answers (score, weight): (10, 2), (9, 1), (8, 1), (3, 0.5), (0, 1.5), and (5, 0) — the last a
  // zero-weight detractor, counted in n but excluded from everything weighted.
  //   n = 6 (2 promoters, 1 passive, 3 detractors)
  //   w = 2 + 1 + 1 + 0.5 + 1.5 + 0 = 6, w2 = 4 + 1 + 1 + 0.25 + 2.25 + 0 = 8.5
  //   wPromoters = 3, wDetractors = 2
  //   nps = 100·(3 − 2)/6 = 16.666666666666666...
  //   n_eff = w²/w2 = 36/8.5 = 72/17 = 4.235294117647058823...
  //   effective promoters = (72/17)·(3/6) = 36/17, effective detractors = (72/17)·(2/6) = 24/17
  //   n' = 72/17 + 3 = 123/17
  //   p⁺ = (36/17 + 3/4)/(123/17) = 48.75/123, p⁻ = (24/17 + 3/4)/(123/17) = 36.75/123
  //   center = 12/123 = 0.097560975609756097...
  //   var = (85.5/123 − 144/123²)/(123/17) = 17·(85.5·123 − 144)/123³ = 176332.5/1860867
  //       = 0.094758249783568627...,  √var = 0.307828279700823827...
  //   z·√var = 1.959963984540054 × 0.307828279700823827 = 0.603332341636536891...
  //   low  = 100·(0.097560975609756098 − 0.603332341636536891) = −50.5771366026780793...
  //   high = 100·(0.097560975609756098 + 0.603332341636536891) = 70.0893317246292988...
  const answers = [
    { score: 10, weight: 2 },
    { score: 9, weight: 1 },
    { score: 8, weight: 1 },
    { score: 3, weight: 0.5 },
    { score: 0, weight: 1.5 },
    { score: 5, weight: 0 },
  ];
  const t = tallyOf(answers);

  it('golden with unequal weights and a zero weight', () => {
    expect(t).toEqual({ promoters: 2, passives: 1, detractors: 3, w: 6, w2: 8.5, wPromoters: 3, wDetractors: 2 });
    const s = score(t, { weighted: true, minN: 4 });
    expect(s.suppressed).toBe(false);
    expect(s.nps).toBeCloseTo(16.6666666666666667, 12);
    expect(s.effectiveN).toBeCloseTo(4.235294117647058823, 12);
    expect([s.n, s.promoters, s.passives, s.detractors]).toEqual([6, 2, 1, 3]);
    expect(s.ci!.low).toBeCloseTo(-50.5771366026780793, 9);
    expect(s.ci!.high).toBeCloseTo(70.0893317246292988, 9);
    // The same answers unweighted: 100·(2 − 3)/6.
    expect(score(t, { minN: 0 }).nps).toBeCloseTo(-16.6666666666666667, 12);
  });

  it('suppresses on effective n, not on the count', () => {
    // n = 6 ≥ 5, but n_eff = 4.235… < 5.
    const s = score(t, { weighted: true, minN: 5 });
    expect(s.suppressed).toBe(true);
    expect(s.suppressedReason).toBe('below_min_n');
    expect(s.nps).toBeNull();
    expect(s.ci).toBeNull();
    expect(s.effectiveN).toBeCloseTo(4.235294117647058823, 12);
    expect(s.n).toBe(6);
    expect(score(t, { minN: 5 }).suppressed).toBe(false);
  });

  it('treats a tally whose answers all weigh 0 as having no answers when weighted', () => {
    const zero = addAnswer(addAnswer(emptyTally(), 10, 0), 2, 0);
    const s = score(zero, { weighted: true, minN: 0 });
    expect(s).toEqual({
      nps: null,
      n: 2,
      promoters: 1,
      passives: 0,
      detractors: 1,
      ci: null,
      effectiveN: 0,
      suppressed: true,
      suppressedReason: 'no_answers',
    });
    expect(score(zero, { minN: 0 }).nps).toBe(0);
  });

  it('Kish: equal weights give n_eff = n', () => {
    // (Σw)²/Σw² = (n·c)²/(n·c²) = n for any constant c.
    let exact = emptyTally();
    for (let i = 0; i < 40; i++) exact = addAnswer(exact, i % 11, 2);
    expect(score(exact, { weighted: true }).effectiveN).toBe(40);
    let inexact = emptyTally();
    for (let i = 0; i < 37; i++) inexact = addAnswer(inexact, i % 11, 0.7);
    expect(score(inexact, { weighted: true }).effectiveN).toBeCloseTo(37, 10);
  });

  it('with unit weights equals the unweighted score', () => {
    const u = counts(50, 30, 20);
    const { effectiveN, ...rest } = score(u, { weighted: true });
    expect(effectiveN).toBe(100);
    expect(rest).toEqual(score(u));
  });
});

describe('score: suppression', () => {
  it('no answers', () => {
    const s = score(emptyTally());
    expect(s).toEqual({
      nps: null,
      n: 0,
      promoters: 0,
      passives: 0,
      detractors: 0,
      ci: null,
      suppressed: true,
      suppressedReason: 'no_answers',
    });
    // Even with minN 0: there is nothing to score.
    expect(score(emptyTally(), { minN: 0 }).suppressedReason).toBe('no_answers');
    expect(score(emptyTally(), { weighted: true, minN: 0 }).suppressedReason).toBe('no_answers');
  });

  it('at the default minN (30) boundary: 29 hidden, 30 shown', () => {
    const below = score(counts(20, 5, 4)); // n = 29
    expect(below).toEqual({
      nps: null,
      n: 29,
      promoters: 20,
      passives: 5,
      detractors: 4,
      ci: null,
      suppressed: true,
      suppressedReason: 'below_min_n',
    });
    const at = score(counts(20, 5, 5)); // n = 30: 100·(20 − 5)/30 = 50
    expect(at.suppressed).toBe(false);
    expect(at.suppressedReason).toBeUndefined();
    expect(at.nps).toBe(50);
    expect(at.ci).not.toBeNull();
  });

  it('at a custom minN boundary', () => {
    expect(score(counts(5, 3, 1), { minN: 10 }).suppressed).toBe(true); // n = 9
    expect(score(counts(5, 3, 2), { minN: 10 }).nps).toBe(30); // n = 10: 100·3/10
    expect(score(counts(1, 0, 0), { minN: 0 }).nps).toBe(100);
  });

  it('a suppressed score leaks no number in any field', () => {
    const s = score(counts(10, 0, 0));
    expect(Object.keys(s).sort()).toEqual(['ci', 'detractors', 'n', 'nps', 'passives', 'promoters', 'suppressed', 'suppressedReason'].sort());
    expect(s.nps).toBeNull();
    expect(s.ci).toBeNull();
  });
});

describe('difference', () => {
  it('golden: z = 2 exactly', () => {
    // A: 50 promoters, 40 passives, 10 detractors (n 100): p⁺ 0.5, p⁻ 0.1, NPS 40
    //    var = (0.5 + 0.1 − 0.4²)/100 = 0.44/100 = 0.0044
    // B: 40 promoters, 40 passives, 20 detractors (n 100): p⁺ 0.4, p⁻ 0.2, NPS 20
    //    var = (0.4 + 0.2 − 0.2²)/100 = 0.56/100 = 0.0056
    // points = 40 − 20 = 20; z = (0.4 − 0.2)/√(0.0044 + 0.0056) = 0.2/√0.01 = 0.2/0.1 = 2
    // p = 2·(1 − Φ(2)) = 2·(1 − 0.97724 98680 51820 79) = 0.04550 02638 96358 42
    const d = difference(counts(50, 40, 10), counts(40, 40, 20))!;
    expect(d.points).toBe(20);
    expect(d.z).toBeCloseTo(2, 12);
    expect(d.p).toBeCloseTo(0.0455002638963584, 13);
    // Swapping the sides flips the sign only.
    const r = difference(counts(40, 40, 20), counts(50, 40, 10))!;
    expect(r.points).toBe(-20);
    expect(r.z).toBeCloseTo(-2, 12);
    expect(r.p).toBeCloseTo(0.0455002638963584, 13);
  });

  it('golden, weighted with unequal weights', () => {
    // A: the weighted answers of the weighted golden above: p⁺ = 3/6 = 1/2, p⁻ = 2/6 = 1/3,
    //    NPS 100/6, n_eff = 72/17; var = (1/2 + 1/3 − (1/6)²)/(72/17) = (29/36)·(17/72) = 493/2592
    //    = 0.190200617283950617...
    // B: 40/40/20 with weight 1 each: var = 0.0056 as above, NPS 20.
    // points = 16.666… − 20 = −3.333333333333333…
    // z = (1/6 − 1/5)/√(493/2592 + 0.0056) = −0.033333…/√0.195800617283950617
    //   = −0.033333333333333333/0.442493635303323450 = −0.075330650373047243
    // p = 2·(1 − Φ(|z|)) = 1 − 2φ(0)·(z − z³/6 + z⁵/40 − z⁷/336 + z⁹/3456) (Taylor series of Φ)
    //   = 1 − 2 × 0.398942280401432678 × 0.075259464417540121 = 0.939951635286952127
    const a = tallyOf([
      { score: 10, weight: 2 },
      { score: 9, weight: 1 },
      { score: 8, weight: 1 },
      { score: 3, weight: 0.5 },
      { score: 0, weight: 1.5 },
    ]);
    const d = difference(a, counts(40, 40, 20), { weighted: true })!;
    expect(d.points).toBeCloseTo(-3.3333333333333333, 12);
    expect(d.z).toBeCloseTo(-0.075330650373047243, 12);
    expect(d.p).toBeCloseTo(0.939951635286952127, 12);
  });

  it('weighted with constant weights per side equals the unweighted test', () => {
    // Each side's weights are constant, so n_eff = n and the weighted shares equal the counts'.
    let a = emptyTally();
    let b = emptyTally();
    for (const [s, k] of [
      [10, 50],
      [8, 40],
      [3, 10],
    ] as const)
      for (let i = 0; i < k; i++) a = addAnswer(a, s, 2);
    for (const [s, k] of [
      [10, 40],
      [8, 40],
      [3, 20],
    ] as const)
      for (let i = 0; i < k; i++) b = addAnswer(b, s, 0.5);
    const d = difference(a, b, { weighted: true })!;
    expect(d.points).toBeCloseTo(20, 12);
    expect(d.z).toBeCloseTo(2, 12);
    expect(d.p).toBeCloseTo(0.0455002638963584, 13);
  });

  it('unanimous samples: no variance', () => {
    expect(difference(counts(5, 0, 0), counts(9, 0, 0))).toEqual({ points: 0, z: 0, p: 1 });
    expect(difference(counts(5, 0, 0), counts(0, 0, 9))).toEqual({ points: 200, z: Infinity, p: 0 });
    expect(difference(counts(0, 3, 0), counts(5, 0, 0))).toEqual({ points: -100, z: -Infinity, p: 0 });
  });

  it('is null when either side has no answers', () => {
    expect(difference(emptyTally(), counts(1, 0, 0))).toBeNull();
    expect(difference(counts(1, 0, 0), emptyTally())).toBeNull();
    const zeroWeight = addAnswer(emptyTally(), 10, 0);
    expect(difference(zeroWeight, counts(1, 0, 0), { weighted: true })).toBeNull();
    expect(difference(zeroWeight, counts(1, 0, 0))).not.toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const arbScore = fc.integer({ min: 0, max: 10 });
const arbWeight = fc.oneof(fc.constant(1), fc.constant(0), fc.double({ min: 0.01, max: 100, noNaN: true, noDefaultInfinity: true }));
const arbAnswer = fc.record({ score: arbScore, weight: arbWeight });
const arbAnswers = fc.array(arbAnswer, { maxLength: 200 });
const arbUnitAnswers = fc.array(fc.record({ score: arbScore, weight: fc.constant(1) }), { maxLength: 200 });
const arbConfidence = fc.double({ min: 0.5, max: 0.999, noNaN: true });

describe('properties', () => {
  it('nps and the interval stay within −100..100, low ≤ high', () => {
    fc.assert(
      fc.property(arbAnswers, arbConfidence, fc.boolean(), (answers, confidence, weighted) => {
        const s = score(tallyOf(answers), { confidence, weighted, minN: 0 });
        if (s.suppressed) {
          expect(s.nps).toBeNull();
          expect(s.ci).toBeNull();
          return;
        }
        expect(s.nps!).toBeGreaterThanOrEqual(-100);
        expect(s.nps!).toBeLessThanOrEqual(100);
        expect(s.ci!.low).toBeGreaterThanOrEqual(-100);
        expect(s.ci!.high).toBeLessThanOrEqual(100);
        expect(s.ci!.low).toBeLessThanOrEqual(s.ci!.high);
        expect(Number.isFinite(s.ci!.low) && Number.isFinite(s.ci!.high)).toBe(true);
      }),
    );
  });

  it('adding a promoter never lowers nps; adding a detractor never raises it', () => {
    fc.assert(
      fc.property(arbUnitAnswers, fc.integer({ min: 9, max: 10 }), fc.integer({ min: 0, max: 6 }), (answers, p, d) => {
        const t = tallyOf(answers);
        const before = score(t, { minN: 0 }).nps;
        const up = score(addAnswer(t, p), { minN: 0 }).nps!;
        const down = score(addAnswer(t, d), { minN: 0 }).nps!;
        if (before === null) {
          expect(up).toBe(100);
          expect(down).toBe(-100);
          return;
        }
        expect(up).toBeGreaterThanOrEqual(before);
        expect(down).toBeLessThanOrEqual(before);
      }),
    );
  });

  it('the same holds weighted, for any positive weight of the added answer', () => {
    fc.assert(
      fc.property(arbAnswers, fc.double({ min: 0.01, max: 100, noNaN: true }), (answers, w) => {
        const t = tallyOf(answers);
        const before = score(t, { weighted: true, minN: 0 }).nps;
        const up = score(addAnswer(t, 10, w), { weighted: true, minN: 0 }).nps!;
        const down = score(addAnswer(t, 0, w), { weighted: true, minN: 0 }).nps!;
        if (before === null) return;
        expect(up).toBeGreaterThanOrEqual(before - 1e-9);
        expect(down).toBeLessThanOrEqual(before + 1e-9);
      }),
    );
  });

  it('tallies of any partition sum to the tally of the whole, and score the same', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(arbAnswer, fc.integer({ min: 0, max: 4 })), { maxLength: 200 }), arbConfidence, (tagged, confidence) => {
        const whole = tallyOf(tagged.map(([a]) => a));
        const parts = [0, 1, 2, 3, 4].map((k) => tallyOf(tagged.filter(([, p]) => p === k).map(([a]) => a)));
        const summed = parts.reduce(addTallies, emptyTally());
        expectTallyClose(summed, whole);
        // Unweighted scores depend on the counts alone, which are exact.
        expect(score(summed, { confidence })).toEqual(score(whole, { confidence }));
        const ws = score(summed, { confidence, weighted: true, minN: 0 });
        const ww = score(whole, { confidence, weighted: true, minN: 0 });
        expect(ws.suppressed).toBe(ww.suppressed);
        if (!ww.suppressed) {
          expect(close(ws.nps!, ww.nps!)).toBe(true);
          expect(close(ws.effectiveN!, ww.effectiveN!)).toBe(true);
          expect(close(ws.ci!.low, ww.ci!.low)).toBe(true);
          expect(close(ws.ci!.high, ww.ci!.high)).toBe(true);
        }
      }),
    );
  });

  it('addTallies is commutative and associative', () => {
    fc.assert(
      fc.property(arbAnswers, arbAnswers, arbAnswers, (xs, ys, zs) => {
        const [a, b, c] = [tallyOf(xs), tallyOf(ys), tallyOf(zs)];
        expect(addTallies(a, b)).toEqual(addTallies(b, a));
        expectTallyClose(addTallies(addTallies(a, b), c), addTallies(a, addTallies(b, c)));
        expect(addTallies(a, emptyTally())).toEqual(a);
      }),
    );
  });

  it('subtracting undoes adding (tallies and single answers)', () => {
    fc.assert(
      fc.property(arbAnswers, arbAnswers, arbAnswer, (xs, ys, one) => {
        const [a, b] = [tallyOf(xs), tallyOf(ys)];
        const back = subtractTallies(addTallies(a, b), b);
        const scale = Math.max(1, a.w + b.w, a.w2 + b.w2);
        expect([back.promoters, back.passives, back.detractors]).toEqual([a.promoters, a.passives, a.detractors]);
        for (const k of ['w', 'w2', 'wPromoters', 'wDetractors'] as const) {
          expect(Math.abs(back[k] - a[k]), k).toBeLessThanOrEqual(1e-9 * scale);
        }
        const single = addAnswer(emptyTally(), one.score, one.weight);
        const excluded = subtractTallies(addAnswer(a, one.score, one.weight), single);
        expect([excluded.promoters, excluded.passives, excluded.detractors]).toEqual([a.promoters, a.passives, a.detractors]);
        expect(score(excluded)).toEqual(score(a));
      }),
    );
  });

  it('weighted scores do not change when every weight is multiplied by a constant', () => {
    fc.assert(
      fc.property(arbAnswers, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (answers, c) => {
        const s1 = score(tallyOf(answers), { weighted: true, minN: 0 });
        const s2 = score(tallyOf(answers.map((a) => ({ score: a.score, weight: a.weight * c }))), { weighted: true, minN: 0 });
        expect(s2.suppressed).toBe(s1.suppressed);
        expect(close(s2.effectiveN!, s1.effectiveN!)).toBe(true);
        if (!s1.suppressed) {
          expect(close(s2.nps!, s1.nps!)).toBe(true);
          expect(close(s2.ci!.low, s1.ci!.low)).toBe(true);
          expect(close(s2.ci!.high, s1.ci!.high)).toBe(true);
        }
      }),
    );
  });

  it('difference is antisymmetric and its p is a probability', () => {
    fc.assert(
      fc.property(arbAnswers, arbAnswers, fc.boolean(), (xs, ys, weighted) => {
        const [a, b] = [tallyOf(xs), tallyOf(ys)];
        const ab = difference(a, b, { weighted });
        const ba = difference(b, a, { weighted });
        if (ab === null) {
          expect(ba).toBeNull();
          return;
        }
        expect(ba).not.toBeNull();
        // (+ 0 turns −0 into 0: a zero difference is the same either way round.)
        expect(ab.points + 0).toBe(-ba!.points + 0);
        expect(ab.z + 0).toBe(-ba!.z + 0);
        expect(ab.p).toBe(ba!.p);
        expect(ab.p).toBeGreaterThanOrEqual(0);
        expect(ab.p).toBeLessThanOrEqual(1);
        const sa = score(a, { weighted, minN: 0 });
        const sb = score(b, { weighted, minN: 0 });
        expect(ab.points).toBe(sa.nps! - sb.nps!);
      }),
    );
  });
});

describe('score: the reliability threshold (lowSample)', () => {
  it('marks a score shown from fewer answers than reliableN, not one at or above it, never a suppressed one', () => {
    // 21 answers with minN 5, reliableN 30: shown, marked. 30 answers: shown, not marked (inclusive).
    expect(score(counts(10, 6, 5), { minN: 5, reliableN: 30 })).toMatchObject({ n: 21, suppressed: false, lowSample: true });
    expect(score(counts(15, 10, 5), { minN: 5, reliableN: 30 }).lowSample).toBeUndefined();
    // 4 answers: below minN, suppressed and not marked.
    const hidden = score(counts(2, 1, 1), { minN: 5, reliableN: 30 });
    expect(hidden).toMatchObject({ suppressed: true, suppressedReason: 'below_min_n', nps: null });
    expect(hidden.lowSample).toBeUndefined();
    // Without reliableN nothing is marked (the default is 0).
    expect(score(counts(1, 0, 0), { minN: 1 }).lowSample).toBeUndefined();
  });

  it('compares the effective n when weighted', () => {
    // Weights 3, 1, 1, 1: n = 4, n_eff = 36/12 = 3. reliableN 4: marked although n = 4.
    const t = tallyOf([
      { score: 10, weight: 3 },
      { score: 10, weight: 1 },
      { score: 8, weight: 1 },
      { score: 2, weight: 1 },
    ]);
    expect(score(t, { minN: 1, reliableN: 4, weighted: true })).toMatchObject({ effectiveN: 3, lowSample: true });
    expect(score(t, { minN: 1, reliableN: 4 }).lowSample).toBeUndefined();
  });

  it('rejects a reliableN that is not a finite number >= 0', () => {
    for (const bad of [-1, NaN, Infinity]) expect(() => score(counts(1, 0, 0), { reliableN: bad }), String(bad)).toThrow(RangeError);
  });
});
