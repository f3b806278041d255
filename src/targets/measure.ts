import type { Deps } from '../lib/deps';
import type { Unit } from '../org/units';
import { localDay } from '../scores/local-day';
import { scoreReport, vendorServedScores } from '../scores/report';
import { vendorScorecard } from '../vendors/scorecard';
import type { Period } from './periods';

/*
 * The attainment of one target over a range of local days: the NPS (or, for a vendor, the
 * composite index) with its interval and n, the band its point estimate reaches, and whether it
 * reaches it with confidence. Numbers from the scores module (scoreReport) and the vendor
 * scorecard; nothing is scored here.
 */

export const BANDS = ['below_threshold', 'threshold', 'target', 'stretch'] as const;
export type Band = (typeof BANDS)[number];
export interface Bands {
  threshold: number;
  target: number;
  stretch: number;
}

/** The highest band whose level the value reaches (levels are inclusive). */
export function bandOf(value: number, b: Bands): Band {
  return value >= b.stretch ? 'stretch' : value >= b.target ? 'target' : value >= b.threshold ? 'threshold' : 'below_threshold';
}

const levelOf = (band: Band, b: Bands) => (band === 'below_threshold' ? null : b[band]);

type Interval = { low: number; high: number; level: number };

export interface Measured {
  from: string;
  to: string;
  nps: number | null;
  ci: Interval | null;
  n: number;
  promoters: number;
  passives: number;
  detractors: number;
  suppressed: boolean;
  suppressedReason?: 'no_answers' | 'below_min_n' | 'not_for_individual_evaluation';
  lowSample?: true;
  /** On the basis' scale: the NPS, or the composite index 0–100. */
  value: number | null;
  valueCi: Interval | null;
  /** The band the point estimate reaches; null when there is no value (suppressed). */
  band: Band | null;
  /**
   * `with_confidence`: the interval's lower bound is at or above the band's level (below the
   * threshold: its upper bound is under the threshold); `within_noise`: the interval crosses it.
   */
  reached: 'with_confidence' | 'within_noise' | null;
  /** The band the interval's lower bound still reaches: what the data support beyond noise. */
  bandWithConfidence: Band | null;
}

/** The band, its confidence and the band at the lower bound, for a value and its interval. */
export function judge(value: number | null, ci: Interval | null, b: Bands): Pick<Measured, 'band' | 'reached' | 'bandWithConfidence'> {
  if (value === null || ci === null) return { band: null, reached: null, bandWithConfidence: null };
  const band = bandOf(value, b);
  const level = levelOf(band, b);
  const confident = level === null ? ci.high < b.threshold : ci.low >= level;
  return { band, reached: confident ? 'with_confidence' : 'within_noise', bandWithConfidence: bandOf(ci.low, b) };
}

/** The range of a period measured today: up to the unit's local today while it runs. */
export function measuredRange(period: Period, unit: Unit, now: number) {
  const today = localDay(now, unit.timezone);
  // Days as strings: the earlier of the period's end and today, never before the period starts.
  if (today >= period.to) return { from: period.from, to: period.to };
  if (today <= period.from) return { from: period.from, to: period.from };
  return { from: period.from, to: today };
}

/** The attainment of a target over [from, to] for an actor who reads the unit's scores. */
export async function measure(d: Pick<Deps, 't' | 'actor'>, unit: Unit, target: Bands & { basis: 'nps' | 'composite' }, range: { from: string; to: string }): Promise<Measured> {
  // A composite target whose unit is no longer a vendor (its kind changed) has no index: no value, no band.
  if (target.basis === 'composite' && unit.kind !== 'vendor') {
    const [item] = await scoreReport(d, { unitId: unit.id, from: range.from, to: range.to, weight: 'none', confidence: 0.95 });
    return { ...range, ...scoreFields(item!), value: null, valueCi: null, band: null, reached: null, bandWithConfidence: null };
  }
  if (target.basis === 'composite') {
    const card = await vendorScorecard(d, unit.id, range);
    const item = card.nps;
    const c = card.composite;
    // The index is linear in the NPS component; the shares of cases within target are counts of
    // every case of the range, not samples: the interval is the NPS interval carried through.
    const at = (npsValue: number) => {
      let sum = c.weights.nps * ((npsValue + 100) / 2);
      let total = c.weights.nps;
      for (const k of ['contactedWithinTarget', 'resolvedWithinTarget'] as const) {
        if (c.components[k] === null) continue;
        sum += c.weights[k] * c.components[k]!;
        total += c.weights[k];
      }
      return sum / total;
    };
    const valueCi = c.value !== null && item.ci ? { low: at(item.ci.low), high: at(item.ci.high), level: item.ci.level } : null;
    return { ...range, ...scoreFields(item), value: c.value, valueCi, ...judge(c.value, valueCi, target) };
  }
  // A vendor's NPS target reads the answers it served at every site (as its scorecard, docs/dimensions.md).
  const [item] = unit.kind === 'vendor' ? await vendorServedScores(d, unit, range) : await scoreReport(d, { unitId: unit.id, from: range.from, to: range.to, weight: 'none', confidence: 0.95 });
  return { ...range, ...scoreFields(item!), value: item!.nps, valueCi: item!.ci, ...judge(item!.nps, item!.ci, target) };
}

function scoreFields(item: Awaited<ReturnType<typeof scoreReport>>[number]) {
  return {
    nps: item.nps,
    ci: item.ci,
    n: item.n,
    promoters: item.promoters,
    passives: item.passives,
    detractors: item.detractors,
    suppressed: item.suppressed,
    ...(item.suppressedReason ? { suppressedReason: item.suppressedReason } : {}),
    ...(item.lowSample ? { lowSample: true as const } : {}),
  };
}
