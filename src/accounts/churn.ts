// The churn model (docs/accounts.md "Churn model"): features of each account at each month end,
// the label "churned within the horizon after it", a time-split validation, the final ridge
// logistic fit with bootstrap intervals, the transparent rules score used before 30 churns, and
// the probabilities of today with their reasons. Pure: the job loads the histories and stores
// the card.
import { addAnswer, categorize, confidenceZ, emptyTally, score, type Tally } from '../scoring/nps';
import { npsTrend } from '../scoring/trend';
import type { AccountSettings } from '../settings/settings';
import { auc, bootstrapIntervals, brier, type CalibrationBin, calibration, contributions, type Design, fitLogistic, type LogisticFit, predict } from './logistic';

const DAY = 86_400_000;
/** Churns needed before the logistic model replaces the rules score. */
export const MIN_CHURNS = 30;
/** The ridge penalty on standardised coefficients. */
export const LAMBDA = 1;
/** Bootstrap resamples of accounts for the coefficient intervals, and the seed. */
export const BOOTSTRAP = 200;
export const SEED = 20_150_301;
/** Above this many training rows the intervals are Wald intervals of the penalised fit (the bootstrap would not fit one job's CPU budget). */
export const BOOTSTRAP_MAX_ROWS = 100_000;
/** Days before a month end whose detractor comments' theme mentions count (the feature detractorThemeMentions). */
export const THEME_WINDOW_DAYS = 90;
/** Months of history the features and the training read. */
export const HISTORY_MONTHS = 24;

export interface AccountHistory {
  id: string;
  externalId: string;
  name: string;
  ownerUserId: string | null;
  annualRevenue: number | null;
  segment: string | null;
  createdAt: number;
  /**
   * Stakeholder answers, oldest first, each with its recovery case if one opened and `themes`, how
   * many library themes its comment mentions (docs/themes.md; 0 or absent without a comment or analysis).
   */
  answers: {
    contactId: string;
    role: 'decision_maker' | 'influencer' | 'user';
    score: number;
    at: number;
    caseOpenedAt: number | null;
    caseDoneAt: number | null;
    caseDueAt: number | null;
    themes?: number;
  }[];
  /** Daily signal values by signal key, oldest first. */
  signals: Map<string, { at: number; value: number }[]>;
  outcomes: { type: string; at: number }[];
}

/** The first instant of the month after the one holding `at` (UTC): a month end. */
export const monthEnd = (at: number) => {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};
const addMonths = (at: number, n: number) => {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
};

export const BASE_FEATURES = [
  'accountNps',
  'decisionMakerScore',
  'npsSlope',
  'detractorShare',
  'detractorThemeMentions',
  'noRecentAnswers',
  'openCases',
  'lateCases',
  'tenureMonths',
  'logRevenue',
] as const;
export const signalFeature = (key: string) => `signalChange.${key}`;

/** The first thing known of the account: its first answer, signal, outcome, or its record. */
function firstActivity(h: AccountHistory): number {
  let first = h.createdAt;
  if (h.answers[0]) first = Math.min(first, h.answers[0].at);
  for (const values of h.signals.values()) if (values[0]) first = Math.min(first, values[0].at);
  for (const o of h.outcomes) first = Math.min(first, o.at);
  return first;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/**
 * The features of an account at instant `t` (null: unknown, imputed later):
 * - accountNps, decisionMakerScore (mean 0–10 of decision makers), detractorShare: of each
 *   stakeholder's latest answer in the 365 days before t, weighted as account NPS;
 * - npsSlope: NPS points a month over the six months before t (the scoring module's trend);
 * - detractorThemeMentions: library themes mentioned in the comments of the stakeholders'
 *   detractor answers (0–6) of the 90 days before t, summed (an answer naming two themes counts two);
 * - openCases, lateCases: recovery cases of the stakeholders' answers open at t, and of them past due;
 * - signalChange.<key>: mean of the 30 days before t against the 60 days before those, (recent − prior)/(|prior| + 1);
 * - tenureMonths since the first activity; logRevenue = ln(1 + annual revenue).
 */
export function featuresAt(h: AccountHistory, t: number, signalKeys: readonly string[], weights: AccountSettings['roleWeights']): Record<string, number | null> {
  const latest = new Map<string, AccountHistory['answers'][number]>();
  const monthly: Tally[] = Array.from({ length: 6 }, () => emptyTally());
  let open = 0;
  let late = 0;
  let mentions = 0;
  const sixBack = addMonths(t, -6);
  for (const a of h.answers) {
    if (a.at >= t) break;
    if (a.at >= t - THEME_WINDOW_DAYS * DAY && a.themes && categorize(a.score) === 'detractor') mentions += a.themes;
    if (a.at >= t - 365 * DAY) latest.set(a.contactId, a);
    if (a.at >= sixBack) {
      const k = Math.min(5, Math.floor((a.at - sixBack) / ((t - sixBack) / 6)));
      monthly[k] = addAnswer(monthly[k]!, a.score);
    }
    if (a.caseOpenedAt !== null && a.caseOpenedAt < t && (a.caseDoneAt === null || a.caseDoneAt >= t)) {
      open++;
      if (a.caseDueAt !== null && a.caseDueAt < t) late++;
    }
  }
  let tally = emptyTally();
  const dm: number[] = [];
  let detractors = 0;
  for (const a of latest.values()) {
    tally = addAnswer(tally, a.score, weights[a.role]);
    if (a.role === 'decision_maker') dm.push(a.score);
    if (categorize(a.score) === 'detractor') detractors++;
  }
  const s = score(tally, { weighted: true, minN: 0 });
  const trend = npsTrend(monthly.map((tl, x) => ({ x, tally: tl })));
  const out: Record<string, number | null> = {
    accountNps: latest.size ? s.nps : null,
    decisionMakerScore: mean(dm),
    npsSlope: trend ? trend.slope : 0,
    detractorShare: latest.size ? detractors / latest.size : null,
    detractorThemeMentions: mentions,
    noRecentAnswers: latest.size ? 0 : 1,
    openCases: open,
    lateCases: late,
    tenureMonths: Math.max(0, (t - firstActivity(h)) / (30.4375 * DAY)),
    logRevenue: Math.log1p(Math.max(0, h.annualRevenue ?? 0)),
  };
  for (const key of signalKeys) {
    const values = h.signals.get(key) ?? [];
    const recent: number[] = [];
    const prior: number[] = [];
    for (const v of values) {
      if (v.at >= t) break;
      if (v.at >= t - 30 * DAY) recent.push(v.value);
      else if (v.at >= t - 90 * DAY) prior.push(v.value);
    }
    const r = mean(recent);
    const p = mean(prior);
    out[signalFeature(key)] = r === null || p === null ? null : (r - p) / (Math.abs(p) + 1);
  }
  return out;
}

/** When the account churned (its first churn), or null. */
const churnedAt = (h: AccountHistory) => h.outcomes.find((o) => o.type === 'churned')?.at ?? null;

export interface LabelledRow {
  account: number;
  t: number;
  x: Record<string, number | null>;
  y: 0 | 1;
}

/**
 * One row per account and month end over the history: accounts still customers at t (no churn at
 * or before it) and active before it, whose horizon has passed by `now` (the label is known).
 * y = 1 when the account churned within the horizon after t.
 */
export function labelledRows(histories: readonly AccountHistory[], now: number, horizonDays: number, signalKeys: readonly string[], weights: AccountSettings['roleWeights']): LabelledRow[] {
  const rows: LabelledRow[] = [];
  const last = monthEnd(now - horizonDays * DAY);
  const first = addMonths(now, -HISTORY_MONTHS);
  histories.forEach((h, account) => {
    const churn = churnedAt(h);
    const start = firstActivity(h);
    for (let t = monthEnd(first); t + horizonDays * DAY <= now && t <= last; t = addMonths(t, 1)) {
      if (t <= start) continue;
      if (churn !== null && churn <= t) break;
      rows.push({ account, t, x: featuresAt(h, t, signalKeys, weights), y: churn !== null && churn <= t + horizonDays * DAY ? 1 : 0 });
    }
  });
  return rows;
}

/** The rows as a design matrix, missing values imputed with `fill` (the training means). */
function design(rows: readonly LabelledRow[], names: string[], fill: number[]): Design {
  return {
    names,
    rows: rows.map((r) => Float64Array.from(names, (n, j) => r.x[n] ?? fill[j]!)),
    y: Uint8Array.from(rows, (r) => r.y),
    cluster: Int32Array.from(rows, (r) => r.account),
  };
}

/** The mean of each feature over the rows where it is known (0 when never known). */
function imputation(rows: readonly LabelledRow[], names: string[]): number[] {
  return names.map((n) => {
    let s = 0;
    let c = 0;
    for (const r of rows) {
      const v = r.x[n];
      if (v !== null && v !== undefined) (s += v), c++;
    }
    return c ? s / c : 0;
  });
}

export interface Validation {
  trainFrom: string;
  trainTo: string;
  testFrom: string;
  testTo: string;
  trainRows: number;
  testRows: number;
  testChurns: number;
  auc: number | null;
  brier: number | null;
  calibration: CalibrationBin[];
}

export interface LogisticCard {
  kind: 'logistic';
  trainedAt: string;
  horizonDays: number;
  features: string[];
  lambda: number;
  coefficients: { feature: string; beta: number; ci: { low: number; high: number } }[];
  intervals: { method: 'bootstrap' | 'wald'; resamples: number | null; level: number; seed: number };
  standardisation: { mean: number[]; sd: number[] };
  imputation: number[];
  rows: number;
  accounts: number;
  churns: number;
  /** The newest month end whose label entered the fit: drift is measured on months after it. */
  lastLabelledMonth: string;
  validation: Validation | null;
  validationNote?: string;
  drift: Drift | null;
  converged: boolean;
  /** What NPS is worth: the modelled effect of 10 more points of account NPS, by segment. */
  impact?: NpsImpact;
}

export interface ImpactRange {
  value: number;
  low: number;
  high: number;
}

export interface NpsImpact {
  points: number;
  computedAt: string;
  segments: { segment: string; accounts: number; revenue: number; probability: number; deltaProbability: ImpactRange; deltaRevenueAtRisk: ImpactRange }[];
}

export interface Drift {
  /** AUC of the model on the month ends after its training whose outcomes are now known. */
  auc: number | null;
  trainingAuc: number | null;
  rows: number;
  churns: number;
  measuredAt: string;
  /** True when the new AUC is at least 0.1 below the training AUC: retrain (the monthly cron does). */
  drifted: boolean;
}

export interface RulesCard {
  kind: 'rules';
  trainedAt: string;
  horizonDays: number;
  churns: number;
  minChurns: number;
  rules: { feature: string; when: string; points: number }[];
  base: number;
  note: string;
}

export type ChurnCard = LogisticCard | RulesCard;

const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The time split: the newest quarter of the labelled month ends (at least 3) to test; the older ones whose horizon ended before the first test month to train. */
export function validate(rows: readonly LabelledRow[], names: string[], horizonDays: number): { validation: Validation | null; note?: string } {
  const months = [...new Set(rows.map((r) => r.t))].sort((a, b) => a - b);
  if (months.length < 6) return { validation: null, note: 'fewer than six labelled month ends: no time split' };
  const testCount = Math.max(3, Math.ceil(months.length / 4));
  const testFrom = months[months.length - testCount]!;
  const train = rows.filter((r) => r.t + horizonDays * DAY <= testFrom);
  const test = rows.filter((r) => r.t >= testFrom);
  const trainChurns = train.reduce((s, r) => s + r.y, 0);
  if (trainChurns === 0 || trainChurns === train.length) return { validation: null, note: 'the training months hold one class only' };
  const fill = imputation(train, names);
  const fit = fitLogistic(design(train, names, fill), LAMBDA);
  const testDesign = design(test, names, fill);
  const probs = testDesign.rows.map((r) => predict(fit, r));
  const trainMonths = [...new Set(train.map((r) => r.t))].sort((a, b) => a - b);
  return {
    validation: {
      trainFrom: iso(trainMonths[0]! - 1),
      trainTo: iso(trainMonths[trainMonths.length - 1]! - 1),
      testFrom: iso(testFrom - 1),
      testTo: iso(months[months.length - 1]! - 1),
      trainRows: train.length,
      testRows: test.length,
      testChurns: test.reduce((s, r) => s + r.y, 0),
      auc: auc(probs, testDesign.y),
      brier: brier(probs, testDesign.y),
      calibration: calibration(probs, testDesign.y),
    },
  };
}

/** Wald intervals from the penalised observed information at the fit (large samples). */
function waldIntervals(d: Design, fit: LogisticFit, lambda: number, level: number) {
  const q = fit.beta.length;
  const h = Array.from({ length: q }, () => new Float64Array(q));
  for (const r of d.rows) {
    const z = [1, ...Array.from(r, (v, j) => (v - fit.standardiser.mean[j]!) / fit.standardiser.sd[j]!)];
    let eta = 0;
    for (let j = 0; j < q; j++) eta += fit.beta[j]! * z[j]!;
    const p = 1 / (1 + Math.exp(-eta));
    const v = p * (1 - p);
    for (let j = 0; j < q; j++) for (let k = 0; k < q; k++) h[j]![k]! += v * z[j]! * z[k]!;
  }
  for (let j = 1; j < q; j++) h[j]![j]! += lambda;
  // Invert by Gauss–Jordan (q is small).
  const inv = h.map((row, i) => [...row, ...Array.from({ length: q }, (_, k) => (k === i ? 1 : 0))]);
  for (let c = 0; c < q; c++) {
    let piv = c;
    for (let r = c + 1; r < q; r++) if (Math.abs(inv[r]![c]!) > Math.abs(inv[piv]![c]!)) piv = r;
    [inv[c], inv[piv]] = [inv[piv]!, inv[c]!];
    const d0 = inv[c]![c]! || 1e-12;
    for (let k = 0; k < 2 * q; k++) inv[c]![k]! /= d0;
    for (let r = 0; r < q; r++) {
      if (r === c) continue;
      const f = inv[r]![c]!;
      for (let k = 0; k < 2 * q; k++) inv[r]![k]! -= f * inv[c]![k]!;
    }
  }
  const z = confidenceZ(level);
  return fit.beta.map((b, j) => {
    const se = Math.sqrt(Math.max(0, inv[j]![q + j]!));
    return { low: b - z * se, high: b + z * se };
  });
}

/** Trains the logistic model on every labelled row (after the time-split validation). */
export function trainLogistic(rows: readonly LabelledRow[], names: string[], accounts: number, horizonDays: number, now: number): { card: LogisticCard; fit: LogisticFit } {
  const { validation, note } = validate(rows, names, horizonDays);
  const fill = imputation(rows, names);
  const d = design(rows, names, fill);
  const fit = fitLogistic(d, LAMBDA);
  const useBootstrap = rows.length <= BOOTSTRAP_MAX_ROWS;
  const ci = useBootstrap ? bootstrapIntervals(d, fit, LAMBDA, BOOTSTRAP, SEED) : waldIntervals(d, fit, LAMBDA, 0.95);
  const lastT = rows.reduce((m, r) => Math.max(m, r.t), Number.NEGATIVE_INFINITY);
  const card: LogisticCard = {
    kind: 'logistic',
    trainedAt: new Date(now).toISOString(),
    horizonDays,
    features: names,
    lambda: LAMBDA,
    coefficients: ['(intercept)', ...names].map((feature, j) => ({ feature, beta: fit.beta[j]!, ci: ci[j]! })),
    intervals: { method: useBootstrap ? 'bootstrap' : 'wald', resamples: useBootstrap ? BOOTSTRAP : null, level: 0.95, seed: SEED },
    standardisation: fit.standardiser,
    imputation: fill,
    rows: rows.length,
    accounts,
    churns: rows.reduce((s, r) => s + r.y, 0),
    lastLabelledMonth: iso(lastT - 1),
    validation,
    ...(note ? { validationNote: note } : {}),
    drift: null,
    converged: fit.converged,
  };
  return { card, fit };
}

/** The fit a card holds. */
export const fitOf = (card: LogisticCard): LogisticFit => ({ beta: card.coefficients.map((c) => c.beta), standardiser: card.standardisation, iterations: 0, converged: card.converged });

/** The rules score (before 30 churns): points added to a base, each rule in words. */
export const RULES: RulesCard['rules'] = [
  { feature: 'accountNps', when: 'account NPS below 0', points: 0.2 },
  { feature: 'decisionMakerScore', when: "decision makers' mean score below 7", points: 0.2 },
  { feature: 'npsSlope', when: 'NPS falling by more than 5 points a month over six months', points: 0.15 },
  { feature: 'detractorShare', when: 'half or more of the stakeholders detractors', points: 0.1 },
  { feature: 'lateCases', when: 'a recovery case past due', points: 0.1 },
  { feature: 'signalChange', when: 'a behaviour signal down by more than 30% against the two months before', points: 0.1 },
  { feature: 'noRecentAnswers', when: 'no stakeholder answered in a year', points: 0.05 },
];
export const RULES_BASE = 0.05;

function rulesHit(x: Record<string, number | null>): { feature: string; contribution: number }[] {
  const hit = (rule: string) => RULES.find((r) => r.feature === rule)!.points;
  const out: { feature: string; contribution: number }[] = [];
  if (x.accountNps !== null && x.accountNps !== undefined && x.accountNps < 0) out.push({ feature: 'accountNps', contribution: hit('accountNps') });
  if (x.decisionMakerScore !== null && x.decisionMakerScore !== undefined && x.decisionMakerScore < 7) out.push({ feature: 'decisionMakerScore', contribution: hit('decisionMakerScore') });
  if ((x.npsSlope ?? 0) < -5) out.push({ feature: 'npsSlope', contribution: hit('npsSlope') });
  if ((x.detractorShare ?? 0) >= 0.5) out.push({ feature: 'detractorShare', contribution: hit('detractorShare') });
  if ((x.lateCases ?? 0) > 0) out.push({ feature: 'lateCases', contribution: hit('lateCases') });
  const dropped = Object.entries(x).find(([k, v]) => k.startsWith('signalChange.') && v !== null && v < -0.3);
  if (dropped) out.push({ feature: dropped[0], contribution: hit('signalChange') });
  if (x.noRecentAnswers === 1) out.push({ feature: 'noRecentAnswers', contribution: hit('noRecentAnswers') });
  return out;
}

export function rulesCard(churns: number, horizonDays: number, now: number): RulesCard {
  return {
    kind: 'rules',
    trainedAt: new Date(now).toISOString(),
    horizonDays,
    churns,
    minChurns: MIN_CHURNS,
    rules: RULES,
    base: RULES_BASE,
    note: `A rules score, not a probability estimated from data: fewer than ${MIN_CHURNS} churns are recorded, too few to fit and validate a model. Points are added to ${RULES_BASE} and capped at 0.95.`,
  };
}

export interface Risk {
  probability: number;
  reasons: { feature: string; contribution: number }[];
}

/** The risk of an account now: the model's probability and its three largest positive contributions, or the rules score and the rules hit. */
export function riskNow(card: ChurnCard, h: AccountHistory, now: number, signalKeys: readonly string[], weights: AccountSettings['roleWeights']): Risk {
  if (card.kind === 'rules') {
    const x = featuresAt(h, now, signalKeys, weights);
    const reasons = rulesHit(x);
    return { probability: Math.min(0.95, RULES_BASE + reasons.reduce((s, r) => s + r.contribution, 0)), reasons };
  }
  const x = featuresAt(
    h,
    now,
    card.features.filter((f) => f.startsWith('signalChange.')).map((f) => f.slice('signalChange.'.length)),
    weights,
  );
  const row = Float64Array.from(card.features, (n, j) => x[n] ?? card.imputation[j]!);
  const fit = fitOf(card);
  const reasons = contributions(fit, card.features, row)
    .filter((c) => c.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, 3);
  return { probability: predict(fit, row), reasons };
}

/** Drift: the AUC of the card's model on month ends after its training whose outcomes are known by now. */
export function measureDrift(card: LogisticCard, histories: readonly AccountHistory[], now: number, weights: AccountSettings['roleWeights']): Drift {
  const keys = card.features.filter((f) => f.startsWith('signalChange.')).map((f) => f.slice('signalChange.'.length));
  const after = Date.parse(`${card.lastLabelledMonth}T00:00:00Z`) + DAY;
  const rows = labelledRows(histories, now, card.horizonDays, keys, weights).filter((r) => r.t > after);
  const fit = fitOf(card);
  const d = design(rows, card.features, card.imputation);
  const probs = d.rows.map((r) => predict(fit, r));
  const a = auc(probs, d.y);
  const trainingAuc = card.validation?.auc ?? null;
  return {
    auc: a,
    trainingAuc,
    rows: rows.length,
    churns: rows.reduce((s, r) => s + r.y, 0),
    measuredAt: new Date(now).toISOString(),
    drifted: a !== null && trainingAuc !== null && a < trainingAuc - 0.1,
  };
}

/** The feature names of a tenant: the base features and one change per declared account signal. */
export const featureNames = (signalKeys: readonly string[]) => [...BASE_FEATURES, ...signalKeys.map(signalFeature)];

/** Trains the tenant's card: logistic from 30 churns on, the rules score before. */
export function trainChurn(histories: readonly AccountHistory[], signalKeys: readonly string[], settings: AccountSettings, now: number): { card: ChurnCard } {
  const churns = histories.filter((h) => churnedAt(h) !== null).length;
  if (churns < MIN_CHURNS) return { card: rulesCard(churns, settings.horizonDays, now) };
  const names = featureNames(signalKeys);
  const rows = labelledRows(histories, now, settings.horizonDays, signalKeys, settings.roleWeights);
  const positives = rows.reduce((s, r) => s + r.y, 0);
  if (positives === 0 || positives === rows.length)
    return { card: { ...rulesCard(churns, settings.horizonDays, now), note: 'Churns are recorded, but none falls within the horizon of a labelled month end: the rules score stands.' } };
  return { card: trainLogistic(rows, names, histories.length, settings.horizonDays, now).card };
}

/**
 * The modelled effect of `points` more account NPS on each current account's churn probability,
 * summed by segment (an account without one is `unknown`): the mean change in probability and
 * the change in revenue at risk (Σ Δp × annual revenue; negative is revenue kept). Only account
 * NPS moves (the other features stay as they are), NPS capped at 100. The range recomputes the
 * change at the ends of the account-NPS coefficient's interval, the others at their estimates:
 * it carries that coefficient's uncertainty, not the whole model's.
 */
export function npsImpact(card: LogisticCard, histories: readonly AccountHistory[], now: number, weights: AccountSettings['roleWeights'], points = 10): NpsImpact {
  const j = card.features.indexOf('accountNps');
  const keys = card.features.filter((f) => f.startsWith('signalChange.')).map((f) => f.slice('signalChange.'.length));
  const base = fitOf(card);
  const variant = (b: number): LogisticFit => ({ ...base, beta: base.beta.map((v, k) => (k === j + 1 ? b : v)) });
  const coefficient = card.coefficients[j + 1]!;
  const fits = [base, variant(coefficient.ci.low), variant(coefficient.ci.high)];
  const bySegment = new Map<string, { accounts: number; revenue: number; p: number; dp: number[]; dr: number[] }>();
  for (const h of histories) {
    if (h.outcomes.some((o) => o.type === 'churned')) continue;
    const x = featuresAt(h, now, keys, weights);
    const row = Float64Array.from(card.features, (n, k) => x[n] ?? card.imputation[k]!);
    const up = Float64Array.from(row);
    up[j] = Math.min(100, row[j]! + points);
    const revenue = h.annualRevenue ?? 0;
    const seg = h.segment ?? 'unknown';
    const acc = bySegment.get(seg) ?? { accounts: 0, revenue: 0, p: 0, dp: [0, 0, 0], dr: [0, 0, 0] };
    acc.accounts++;
    acc.revenue += revenue;
    acc.p += predict(base, row);
    fits.forEach((f, k) => {
      const d = predict(f, up) - predict(f, row);
      acc.dp[k]! += d;
      acc.dr[k]! += d * revenue;
    });
    bySegment.set(seg, acc);
  }
  const range = (xs: number[], n: number): ImpactRange => {
    const [v, a, b] = xs.map((x) => x / n) as [number, number, number];
    return { value: v, low: Math.min(a, b, v), high: Math.max(a, b, v) };
  };
  return {
    points,
    computedAt: new Date(now).toISOString(),
    segments: [...bySegment.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([segment, a]) => ({ segment, accounts: a.accounts, revenue: a.revenue, probability: a.p / a.accounts, deltaProbability: range(a.dp, a.accounts), deltaRevenueAtRisk: range(a.dr, 1) })),
  };
}
