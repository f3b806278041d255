// Net Promoter Score: the one scoring implementation the product uses (API, rollups, alerts and
// UI all take their numbers from here). Pure functions: no I/O, no clock, no rounding (rounding
// is for display only). Formulas, sources and the rules for skipped, partial, out-of-range and
// weighted answers are in docs/scoring.md.
import erfc from '@stdlib/math-base-special-erfc';
import erfcinv from '@stdlib/math-base-special-erfcinv';

export type Category = 'promoter' | 'passive' | 'detractor';

/** Additive sufficient statistics: any partition's tallies sum to the tally of the whole. */
export interface Tally {
  /** Integer counts of answers, whatever their weight (zero-weight answers included). */
  promoters: number;
  passives: number;
  detractors: number;
  /** Σw, Σw², Σw over promoters, Σw over detractors. An unweighted tally has w = w2 = n. */
  w: number;
  w2: number;
  wPromoters: number;
  wDetractors: number;
}

export interface ScoreOptions {
  /** Two-sided confidence level of `ci`, strictly between 0 and 1. Default 0.95. */
  confidence?: number;
  /** Score from the weighted sums (Kish effective n) instead of the counts. Default false. */
  weighted?: boolean;
  /** Smallest n (effective n when weighted) shown; below it the score is suppressed. Default 30. */
  minN?: number;
  /**
   * Smallest n (effective n when weighted) read as reliable: a score shown from fewer answers is
   * marked `lowSample`. Default 0 (no mark). At or below `minN` it has no effect.
   */
  reliableN?: number;
}

export interface Score {
  /** 100·(promoters − detractors)/n on −100..100, unrounded; null when suppressed. */
  nps: number | null;
  /** Number of answers (a count, also when weighted). */
  n: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** Adjusted-Wald interval on −100..100; null when suppressed. */
  ci: { low: number; high: number; level: number } | null;
  /** Kish effective sample size (Σw)²/Σw²; present only when weighted. */
  effectiveN?: number;
  suppressed: boolean;
  suppressedReason?: 'no_answers' | 'below_min_n';
  /** Present (true) when the score is shown from fewer answers than `reliableN`. */
  lowSample?: true;
}

/** a minus b on the −100..100 scale; z on the proportion scale; two-sided p. */
export interface Difference {
  points: number;
  z: number;
  p: number;
}

const DEFAULT_CONFIDENCE = 0.95;
const DEFAULT_MIN_N = 30;
/** Relative slack for float noise when a correction subtracts weighted sums. */
const SUBTRACT_TOLERANCE = 1e-9;

function describe(x: unknown): string {
  return typeof x === 'number' ? String(x) : typeof x;
}

/** 9–10 promoter, 7–8 passive, 0–6 detractor. Anything but an integer 0..10 is a RangeError. */
export function categorize(score: number): Category {
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > 10) {
    throw new RangeError(`NPS score must be an integer from 0 to 10, got ${describe(score)}`);
  }
  return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
}

export function emptyTally(): Tally {
  return { promoters: 0, passives: 0, detractors: 0, w: 0, w2: 0, wPromoters: 0, wDetractors: 0 };
}

function isCount(x: unknown): boolean {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isSum(x: unknown): boolean {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

function assertTally(t: Tally, name: string): void {
  if (t === null || typeof t !== 'object' || !isCount(t.promoters) || !isCount(t.passives) || !isCount(t.detractors) || !isSum(t.w) || !isSum(t.w2) || !isSum(t.wPromoters) || !isSum(t.wDetractors)) {
    throw new RangeError(`${name} is not a valid tally: counts must be non-negative integers and weighted sums finite and non-negative`);
  }
}

/**
 * The bounds of an answer's weight: 0, or from WEIGHT_MIN to WEIGHT_MAX. Within them a weight's
 * square neither underflows nor overflows, and sums over billions of answers stay finite.
 * Inputs that become weights (a contact's lifetime value) are validated against them at the door.
 */
export const WEIGHT_MIN = 1e-6;
export const WEIGHT_MAX = 1e12;

const isWeight = (w: unknown): w is number => w === 0 || (typeof w === 'number' && w >= WEIGHT_MIN && w <= WEIGHT_MAX);

/**
 * The weight a stored value gives an answer: the value when it is a weight within the bounds,
 * else 0, as for an unknown value (the answer stays in the counts). So no stored value, however
 * it got there, can fail a score.
 */
export function answerWeight(value: number | null | undefined): number {
  return isWeight(value) ? value : 0;
}

/**
 * Adds one answer. Returns a new tally; `t` is not changed. The weight (default 1) must be 0 or
 * within WEIGHT_MIN..WEIGHT_MAX; a zero-weight answer is counted in the counts but contributes
 * nothing to the weighted sums, so weighted scores exclude it.
 */
export function addAnswer(t: Tally, score: number, weight = 1): Tally {
  assertTally(t, 'tally');
  const category = categorize(score);
  if (!isWeight(weight)) {
    throw new RangeError(`answer weight must be 0 or from ${WEIGHT_MIN} to ${WEIGHT_MAX}, got ${describe(weight)}`);
  }
  const weight2 = weight * weight;
  const isPromoter = category === 'promoter';
  const isDetractor = category === 'detractor';
  return {
    promoters: isPromoter ? t.promoters + 1 : t.promoters,
    passives: category === 'passive' ? t.passives + 1 : t.passives,
    detractors: isDetractor ? t.detractors + 1 : t.detractors,
    w: t.w + weight,
    w2: t.w2 + weight2,
    wPromoters: isPromoter ? t.wPromoters + weight : t.wPromoters,
    wDetractors: isDetractor ? t.wDetractors + weight : t.wDetractors,
  };
}

export function addTallies(a: Tally, b: Tally): Tally {
  assertTally(a, 'a');
  assertTally(b, 'b');
  return {
    promoters: a.promoters + b.promoters,
    passives: a.passives + b.passives,
    detractors: a.detractors + b.detractors,
    w: a.w + b.w,
    w2: a.w2 + b.w2,
    wPromoters: a.wPromoters + b.wPromoters,
    wDetractors: a.wDetractors + b.wDetractors,
  };
}

/**
 * a − b, for corrections (excluding answers already tallied). b must be contained in a: a count
 * going negative, or a weighted sum going below zero by more than float noise, is a RangeError.
 * A weighted sum whose count reaches zero is set to exactly 0, and float noise below zero to 0.
 */
export function subtractTallies(a: Tally, b: Tally): Tally {
  assertTally(a, 'a');
  assertTally(b, 'b');
  const promoters = a.promoters - b.promoters;
  const passives = a.passives - b.passives;
  const detractors = a.detractors - b.detractors;
  if (promoters < 0 || passives < 0 || detractors < 0) {
    throw new RangeError('cannot subtract a tally with more answers than the tally it is taken from');
  }
  const n = promoters + passives + detractors;
  return {
    promoters,
    passives,
    detractors,
    w: remainder(a.w, b.w, n, 'w'),
    w2: remainder(a.w2, b.w2, n, 'w2'),
    wPromoters: remainder(a.wPromoters, b.wPromoters, promoters, 'wPromoters'),
    wDetractors: remainder(a.wDetractors, b.wDetractors, detractors, 'wDetractors'),
  };
}

function remainder(a: number, b: number, count: number, field: string): number {
  if (count === 0) return 0;
  const d = a - b;
  if (d >= 0) return d;
  if (d < -SUBTRACT_TOLERANCE * a) {
    throw new RangeError(`cannot subtract: ${field} would go negative`);
  }
  return 0;
}

// z for the last confidence level asked for (almost always the default): the quantile is the
// only non-trivial cost of score().
let cachedConfidence = DEFAULT_CONFIDENCE;
let cachedZ = twoSidedZ(DEFAULT_CONFIDENCE);

/** Φ⁻¹((1 + c)/2) = √2·erfcinv(1 − c). */
function twoSidedZ(confidence: number): number {
  return Math.SQRT2 * erfcinv(1 - confidence);
}

/**
 * The two-sided standard normal quantile Φ⁻¹((1 + c)/2) of a confidence level strictly between 0
 * and 1 (RangeError otherwise): 1.959963984540054 at 0.95.
 */
export function confidenceZ(confidence: number): number {
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be strictly between 0 and 1, got ${describe(confidence)}`);
  }
  return zFor(confidence);
}

function zFor(confidence: number): number {
  if (confidence !== cachedConfidence) {
    cachedZ = twoSidedZ(confidence);
    cachedConfidence = confidence;
  }
  return cachedZ;
}

function clampUnit(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function clampScale(x: number): number {
  return Math.min(100, Math.max(-100, x));
}

/** Unrounded NPS; the caller has checked that the tally has answers (weight, when weighted). */
function npsOf(t: Tally, n: number, weighted: boolean): number {
  // The exact value is within ±100; the clamp removes only representation error from weighted
  // sums that went through corrections (e.g. wPromoters a few ulps above w).
  return weighted ? clampScale((100 * (t.wPromoters - t.wDetractors)) / t.w) : (100 * (t.promoters - t.detractors)) / n;
}

export function score(t: Tally, opts?: ScoreOptions): Score {
  const confidence = opts?.confidence ?? DEFAULT_CONFIDENCE;
  const weighted = opts?.weighted ?? false;
  const minN = opts?.minN ?? DEFAULT_MIN_N;
  const reliableN = opts?.reliableN ?? 0;
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be strictly between 0 and 1, got ${describe(confidence)}`);
  }
  if (typeof minN !== 'number' || !(minN >= 0) || !Number.isFinite(minN)) {
    throw new RangeError(`minN must be a finite number >= 0, got ${describe(minN)}`);
  }
  if (typeof reliableN !== 'number' || !(reliableN >= 0) || !Number.isFinite(reliableN)) {
    throw new RangeError(`reliableN must be a finite number >= 0, got ${describe(reliableN)}`);
  }
  assertTally(t, 'tally');
  const { promoters, passives, detractors } = t;
  const n = promoters + passives + detractors;
  const hasAnswers = weighted ? n > 0 && t.w > 0 : n > 0;
  // Fails closed: sums whose effective n is not a finite number (a square that underflowed or
  // overflowed) suppress the score and show an effective n of 0.
  const kish = weighted && hasAnswers ? (t.w * t.w) / t.w2 : 0;
  const effectiveN = Number.isFinite(kish) ? kish : 0;
  const size = weighted ? effectiveN : n;
  const reason = !hasAnswers ? 'no_answers' : !Number.isFinite(kish) || !(size >= minN) ? 'below_min_n' : undefined;
  if (reason !== undefined) {
    return weighted
      ? { nps: null, n, promoters, passives, detractors, ci: null, effectiveN, suppressed: true, suppressedReason: reason }
      : { nps: null, n, promoters, passives, detractors, ci: null, suppressed: true, suppressedReason: reason };
  }

  // Adjusted Wald (Sauro & Lewis): add 3 to n and 3/4 to promoters and to detractors. Weighted:
  // n_eff in place of n, with counts n_eff·(weighted share).
  let cPromoters = promoters;
  let cDetractors = detractors;
  if (weighted) {
    // Multiplying first keeps unit weights exact (n·P/n = P); min() removes float noise only.
    cPromoters = Math.min(effectiveN, (effectiveN * t.wPromoters) / t.w);
    cDetractors = Math.min(effectiveN, (effectiveN * t.wDetractors) / t.w);
  }
  const nAdj = size + 3;
  const pPlus = (cPromoters + 0.75) / nAdj;
  const pMinus = (cDetractors + 0.75) / nAdj;
  const center = pPlus - pMinus;
  const variance = Math.max(0, (pPlus + pMinus - center * center) / nAdj);
  const half = zFor(confidence) * Math.sqrt(variance);
  const ci = {
    low: clampScale(100 * (center - half)),
    high: clampScale(100 * (center + half)),
    level: confidence,
  };
  const nps = npsOf(t, n, weighted);
  const low = size < reliableN ? ({ lowSample: true } as const) : {};
  return weighted ? { nps, n, promoters, passives, detractors, ci, effectiveN, suppressed: false, ...low } : { nps, n, promoters, passives, detractors, ci, suppressed: false, ...low };
}

/** Variance of the NPS estimate on the proportion scale: (p⁺ + p⁻ − (p⁺ − p⁻)²)/n, unadjusted. */
function varianceOf(t: Tally, n: number, weighted: boolean): number {
  let pPlus: number;
  let pMinus: number;
  let size: number;
  if (weighted) {
    pPlus = clampUnit(t.wPromoters / t.w);
    pMinus = clampUnit(t.wDetractors / t.w);
    size = (t.w * t.w) / t.w2;
  } else {
    pPlus = t.promoters / n;
    pMinus = t.detractors / n;
    size = n;
  }
  const d = pPlus - pMinus;
  return Math.max(0, (pPlus + pMinus - d * d) / size);
}

/**
 * Two-proportion-difference z test of NPS a against NPS b (independent samples). Null if either
 * side has no answers (no weight, when weighted). Never suppressed: callers that show it must
 * apply their own minimum n.
 */
export function difference(a: Tally, b: Tally, opts?: { weighted?: boolean }): Difference | null {
  const weighted = opts?.weighted ?? false;
  assertTally(a, 'a');
  assertTally(b, 'b');
  const nA = a.promoters + a.passives + a.detractors;
  const nB = b.promoters + b.passives + b.detractors;
  if (nA === 0 || nB === 0 || (weighted && (a.w === 0 || b.w === 0))) return null;
  const npsA = npsOf(a, nA, weighted);
  const npsB = npsOf(b, nB, weighted);
  const points = npsA - npsB;
  const se = Math.sqrt(varianceOf(a, nA, weighted) + varianceOf(b, nB, weighted));
  if (se === 0) {
    // Both samples unanimous: no sampling variability to test against.
    if (points === 0) return { points, z: 0, p: 1 };
    return { points, z: points > 0 ? Infinity : -Infinity, p: 0 };
  }
  const z = points / 100 / se;
  // 2·(1 − Φ(|z|)) = erfc(|z|/√2), without the cancellation of 1 − Φ in the tail.
  const p = erfc(Math.abs(z) / Math.SQRT2);
  return { points, z, p };
}
