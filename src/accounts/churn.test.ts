import { describe, expect, it } from 'vitest';
import { ACCOUNT_DEFAULTS } from '../settings/settings';
import { type AccountHistory, featuresAt, type LogisticCard, measureDrift, riskNow, trainChurn } from './churn';
import { auc } from './logistic';

/*
 * The churn model on synthetic accounts with a planted mechanism. Each account has a latent health
 * h that drifts month by month; its stakeholders' scores and its weekly logins follow h, and its
 * monthly churn hazard is sigmoid(−4.2 − 1.6·h). The model never sees h: it must find it through
 * the features. With `shiftAt`, churn after that month follows another latent (g) that no feature
 * reflects, which the drift measure must show.
 */

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
const monthStart = (m: number) => Date.UTC(2024, m, 1);

/** A seeded stream independent of the module's (Park–Miller), and normal draws by Box–Muller. */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

interface World {
  histories: AccountHistory[];
  /** Each account's health at the last month simulated. */
  health: number[];
}

/**
 * `themes`: each detractor answer's comment mentions 0 to 3 library themes (half mention none),
 * independently of h, and each mention in the last six months adds `themes` to the churn
 * hazard's log-odds: accounts whose detractors complain about named themes leave more.
 */
function simulate(accounts: number, months: number, seed: number, opts: { shiftAt?: number; hazardShift?: number; themes?: number; scoreBase?: number } = {}): World {
  const rand = lcg(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  const histories: AccountHistory[] = [];
  const health: number[] = [];
  for (let a = 0; a < accounts; a++) {
    let h = normal();
    let g = normal();
    const roles = ['decision_maker', 'influencer', 'user'] as const;
    const h0: AccountHistory = {
      id: `acc_${a}`,
      externalId: `a-${a}`,
      name: `Account ${a}`,
      ownerUserId: null,
      annualRevenue: 10_000 + Math.floor(rand() * 90_000),
      segment: null,
      createdAt: START,
      answers: [],
      signals: new Map([['logins', []]]),
      outcomes: [],
    };
    const offset = a % 3;
    for (let m = 0; m < months; m++) {
      h += 0.3 * normal();
      g += 0.3 * normal();
      if (m % 3 === offset) {
        roles.forEach((role, k) => {
          const score = Math.max(0, Math.min(10, Math.round((opts.scoreBase ?? 7.5) + 1.8 * h + 1.5 * normal())));
          const themes = opts.themes !== undefined && score <= 6 && rand() < 0.5 ? 1 + Math.floor(rand() * 3) : 0;
          h0.answers.push({ contactId: `c-${a}-${k}`, role, score, at: monthStart(m) + (5 + k) * DAY, caseOpenedAt: null, caseDoneAt: null, caseDueAt: null, themes });
        });
      }
      for (let w = 0; w < 4; w++) h0.signals.get('logins')!.push({ at: monthStart(m) + w * 7 * DAY, value: Math.max(0, 50 + 15 * h + 5 * normal()) });
      const driver = opts.shiftAt !== undefined && m >= opts.shiftAt ? g : h;
      const mentions = h0.answers.filter((x) => x.at >= monthStart(m - 5)).reduce((s, x) => s + (x.themes ?? 0), 0);
      if (rand() < sigmoid(-4.2 - 1.6 * driver + (opts.hazardShift ?? 0) + (opts.themes ?? 0) * mentions)) {
        h0.outcomes.push({ type: 'churned', at: monthStart(m) + 20 * DAY });
        break;
      }
    }
    histories.push(h0);
    health.push(h);
  }
  return { histories, health };
}

/** The histories as they stood at `now`: nothing after it. */
const asOf = (hs: AccountHistory[], now: number): AccountHistory[] =>
  hs.map((h) => ({
    ...h,
    answers: h.answers.filter((x) => x.at < now),
    signals: new Map([...h.signals].map(([k, v]) => [k, v.filter((x) => x.at < now)])),
    outcomes: h.outcomes.filter((o) => o.at < now),
  }));

describe('the churn model on a planted mechanism', () => {
  const world = simulate(500, 30, 7);
  const now = monthStart(30);

  it('uses the rules score, labelled as such, below 30 churns', () => {
    const churned = world.histories.filter((h) => h.outcomes.length > 0);
    const few = [...churned.slice(0, 29), ...world.histories.filter((h) => h.outcomes.length === 0).slice(0, 100)];
    const { card } = trainChurn(few, ['logins'], ACCOUNT_DEFAULTS, now);
    expect(card.kind).toBe('rules');
    if (card.kind === 'rules') expect(card.note).toMatch(/^A rules score, not a probability/);
  });

  it('from 30 churns on: a logistic model whose held-out months have an AUC above 0.75, calibrated within reason', () => {
    expect(world.histories.filter((h) => h.outcomes.length > 0).length).toBeGreaterThanOrEqual(30);
    const { card } = trainChurn(world.histories, ['logins'], ACCOUNT_DEFAULTS, now);
    expect(card.kind).toBe('logistic');
    const c = card as LogisticCard;
    expect(c.validation, c.validationNote).not.toBeNull();
    expect(c.validation!.auc!).toBeGreaterThan(0.75);
    expect(c.validation!.testChurns).toBeGreaterThan(5);
    // Brier below the no-skill forecast (the base rate of the test months, b·(1 − b)).
    const base = c.validation!.testChurns / c.validation!.testRows;
    expect(c.validation!.brier!).toBeLessThan(base * (1 - base));
    // Healthier accounts answer higher: the coefficient of account NPS is negative with an interval below 0.
    const nps = c.coefficients.find((x) => x.feature === 'accountNps')!;
    expect(nps.beta).toBeLessThan(0);
    expect(nps.ci.high).toBeLessThan(0);
    expect(c.intervals).toMatchObject({ method: 'bootstrap', resamples: 200 });
    // Today's ranking puts the planted high-risk accounts first: their (hidden) health predicts the probability.
    const alive = world.histories.map((h, i) => ({ h, health: world.health[i]! })).filter((x) => x.h.outcomes.length === 0);
    const probs = alive.map((x) => riskNow(c, x.h, now, ['logins'], ACCOUNT_DEFAULTS.roleWeights).probability);
    const lowHealth = alive.map((x) => (x.health < -1 ? 1 : 0));
    expect(auc(probs, lowHealth)!).toBeGreaterThan(0.75);
  });

  it('retraining on the same data gives the same model (seeded bootstrap)', () => {
    const a = trainChurn(world.histories, ['logins'], ACCOUNT_DEFAULTS, now).card;
    const b = trainChurn(world.histories, ['logins'], ACCOUNT_DEFAULTS, now).card;
    expect(b).toEqual(a);
  });

  it('a shifted mechanism shows as drift: the AUC on the new outcomes falls below the training AUC', () => {
    const shifted = simulate(600, 36, 11, { shiftAt: 26 });
    const trainedAt = monthStart(27);
    const { card } = trainChurn(asOf(shifted.histories, trainedAt), ['logins'], ACCOUNT_DEFAULTS, trainedAt);
    expect(card.kind).toBe('logistic');
    const c = card as LogisticCard;
    const later = monthStart(36);
    const drift = measureDrift(c, shifted.histories, later, ACCOUNT_DEFAULTS.roleWeights);
    expect(drift.rows).toBeGreaterThan(0);
    expect(drift.churns).toBeGreaterThan(5);
    expect(drift.trainingAuc!).toBeGreaterThan(0.7);
    expect(drift.auc!).toBeLessThan(drift.trainingAuc! - 0.1);
    expect(drift.drifted).toBe(true);
    // Without the shift the same measure stays near the training AUC.
    const steady = simulate(600, 36, 11);
    const steadyCard = trainChurn(asOf(steady.histories, trainedAt), ['logins'], ACCOUNT_DEFAULTS, trainedAt).card as LogisticCard;
    const steadyDrift = measureDrift(steadyCard, steady.histories, later, ACCOUNT_DEFAULTS.roleWeights);
    expect(steadyDrift.drifted).toBe(false);
  });
});

describe('theme mentions as a feature', () => {
  it("detractors' theme mentions of the last 90 days enter the model card, with a positive coefficient where they drive churn", () => {
    const world = simulate(500, 30, 13, { themes: 1, scoreBase: 6 });
    const now = monthStart(30);
    const { card } = trainChurn(world.histories, ['logins'], ACCOUNT_DEFAULTS, now);
    expect(card.kind).toBe('logistic');
    const c = card as LogisticCard;
    expect(c.features).toContain('detractorThemeMentions');
    const mentions = c.coefficients.find((x) => x.feature === 'detractorThemeMentions')!;
    // Planted: +1 log-odds a month per mention of the last six months; the feature (standardised) must carry it.
    expect(mentions.beta).toBeGreaterThan(0);
    expect(mentions.ci.low).toBeGreaterThan(0);
    // Without the mechanism (mentions absent), the feature is constant 0 and learns nothing.
    const plain = trainChurn(simulate(500, 30, 13, { scoreBase: 6 }).histories, ['logins'], ACCOUNT_DEFAULTS, now).card as LogisticCard;
    expect(plain.coefficients.find((x) => x.feature === 'detractorThemeMentions')!.beta).toBe(0);
  });

  it('counts the mentions of detractor answers in the 90 days before t only (a hand count)', () => {
    const t = monthStart(6);
    const h: AccountHistory = {
      id: 'acc',
      externalId: 'a',
      name: 'A',
      ownerUserId: null,
      annualRevenue: null,
      segment: null,
      createdAt: START,
      answers: [
        // 100 days before: outside the window.
        { contactId: 'c1', role: 'user', score: 2, at: t - 100 * DAY, caseOpenedAt: null, caseDoneAt: null, caseDueAt: null, themes: 5 },
        // A passive's comment: not a detractor's.
        { contactId: 'c2', role: 'user', score: 7, at: t - 50 * DAY, caseOpenedAt: null, caseDoneAt: null, caseDueAt: null, themes: 4 },
        // Two detractor answers inside: 2 + 1.
        { contactId: 'c3', role: 'decision_maker', score: 6, at: t - 80 * DAY, caseOpenedAt: null, caseDoneAt: null, caseDueAt: null, themes: 2 },
        { contactId: 'c1', role: 'user', score: 0, at: t - DAY, caseOpenedAt: null, caseDoneAt: null, caseDueAt: null, themes: 1 },
        // At t itself: not before t.
        { contactId: 'c1', role: 'user', score: 0, at: t, caseOpenedAt: null, caseDoneAt: null, caseDueAt: null, themes: 9 },
      ],
      signals: new Map(),
      outcomes: [],
    };
    expect(featuresAt(h, t, [], ACCOUNT_DEFAULTS.roleWeights).detractorThemeMentions).toBe(3);
  });
});
