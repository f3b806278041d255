// Accounts at risk (docs/accounts.md): the accounts of a unit by revenue at risk with their churn
// probability, reasons and owner, then the churn model's card: what kind of score it is, its
// validation (AUC, Brier), its calibration chart with the bins' table, drift and coefficients.
// Every number comes from GET /api/v1/accounts/at-risk and GET /api/v1/models/churn.
import { calibrationChart } from '../charts.js';
import { api, attempt, field, fmtDate, h, hasRole, main, managedUnits, setTitle, table, unitSelect } from '../lib.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
const money = (v) => Math.round(v).toLocaleString('en');
const num = (v, d = 3) => (v === null || v === undefined ? '—' : v.toFixed(d));

/** Feature keys in words (the API keeps the keys). */
const FEATURES = {
  accountNps: 'Account NPS',
  decisionMakerScore: "Decision makers' mean score",
  npsSlope: 'NPS trend (points a month)',
  detractorShare: 'Share of detractors',
  detractorThemeMentions: "Themes in detractors' comments",
  noRecentAnswers: 'No answer in a year',
  openCases: 'Open cases',
  lateCases: 'Late cases',
  tenureMonths: 'Tenure (months)',
  logRevenue: 'Revenue (log)',
  '(intercept)': 'Intercept',
};
const feature = (key) => FEATURES[key] ?? (key.startsWith('signalChange.') ? `Change in ${key.slice('signalChange.'.length)}` : key);

/** Owner names for admins (who may list users); others see the owner's id. */
async function ownerNames() {
  if (!hasRole('admin')) return new Map();
  try {
    const res = await api('GET', '/api/v1/users');
    return new Map((res.items ?? []).map((u) => [u.id, u.name || u.email]));
  } catch {
    return new Map();
  }
}

function modelSummary(res, card) {
  if (!card)
    return h(
      'p',
      { class: 'msg', 'data-testid': 'model-status' },
      res.status === 'pending' ? 'The churn model is being trained.' : 'No churn model yet: it is trained the day after the first account.',
    );
  if (card.kind === 'rules')
    return h(
      'div',
      { 'data-testid': 'model-status' },
      h('p', {}, h('strong', {}, 'Rules score'), ` (${card.churns} churns recorded; a model is fitted from ${card.minChurns}).`),
      h('p', { class: 'msg' }, card.note),
    );
  const v = card.validation;
  return h(
    'div',
    { 'data-testid': 'model-status' },
    h(
      'p',
      {},
      h('strong', {}, 'Logistic model'),
      ` trained ${fmtDate(card.trainedAt)} on ${card.rows} account-months of ${card.accounts} accounts (${card.churns} churns within ${card.horizonDays} days).`,
    ),
    v
      ? h(
          'p',
          {},
          `Tested on the newest months (${v.testFrom} to ${v.testTo}, ${v.testRows} account-months, ${v.testChurns} churns) after training on the older ones: AUC ${num(v.auc)}, Brier score ${num(v.brier, 4)}.`,
        )
      : h('p', { class: 'msg' }, card.validationNote ?? 'Not validated.'),
    card.drift
      ? h(
          'p',
          { class: card.drift.drifted ? 'msg error' : undefined },
          `Drift: AUC ${num(card.drift.auc)} on ${card.drift.rows} account-months since the last training, against ${num(card.drift.trainingAuc)} at training${card.drift.drifted ? ': the model has drifted.' : '.'}`,
        )
      : null,
  );
}

function modelCard(card) {
  if (card?.kind !== 'logistic') return [];
  const bins = card.validation?.calibration ?? [];
  return [
    h('h2', {}, 'Calibration'),
    calibrationChart(bins),
    table(
      'Calibration on the held-out months',
      ['Predicted probability', 'n', 'Mean predicted', 'Observed churn rate'],
      bins.map((b) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, `${pct(b.low)} to ${pct(b.high)}`),
          h('td', { class: 'num' }, String(b.n)),
          h('td', { class: 'num' }, pct(b.meanPredicted)),
          h('td', { class: 'num' }, pct(b.observedRate)),
        ),
      ),
    ),
    h('h2', {}, 'Coefficients'),
    h('p', {}, `On standardised features (one standard deviation), with ${card.intervals.method} 95% intervals; a positive coefficient raises the churn probability.`),
    table(
      'Coefficients with 95% intervals',
      ['Feature', 'Coefficient', 'Interval low', 'Interval high'],
      card.coefficients.map((c) =>
        h(
          'tr',
          { 'data-feature': c.feature },
          h('th', { scope: 'row' }, feature(c.feature)),
          h('td', { class: 'num' }, num(c.beta)),
          h('td', { class: 'num' }, num(c.ci.low)),
          h('td', { class: 'num' }, num(c.ci.high)),
        ),
      ),
    ),
  ];
}

export default async function accounts({ params }) {
  setTitle('Accounts at risk');
  const units = managedUnits(['admin', 'analyst', 'manager', 'viewer']);
  const unit = unitSelect('accounts-unit', units, params.get('unit') ?? units[0]?.id);
  const out = h('div', { 'aria-live': 'polite' });
  const show = async () =>
    attempt(out, async () => {
      const [list, model, names] = await Promise.all([api('GET', `/api/v1/accounts/at-risk?unitId=${unit.value}&limit=50`), api('GET', '/api/v1/models/churn'), ownerNames()]);
      out.append(
        h('h2', {}, 'Accounts by revenue at risk'),
        list.items.length === 0
          ? h('p', { class: 'msg' }, 'No scored accounts in this unit.')
          : table(
              `Accounts at risk (${list.model.kind === 'rules' ? 'rules score' : 'churn model'})`,
              ['Account', 'Churn probability', 'Revenue at risk', 'Reasons', 'Owner'],
              list.items.map((a) =>
                h(
                  'tr',
                  { 'data-account': a.accountId },
                  h('th', { scope: 'row' }, h('a', { href: `#/account?id=${encodeURIComponent(a.accountId)}` }, a.name)),
                  h('td', { class: 'num' }, pct(a.probability)),
                  h('td', { class: 'num' }, money(a.revenueAtRisk)),
                  h('td', {}, a.reasons.length ? a.reasons.map((r) => `${feature(r.feature)} (+${r.contribution.toFixed(2)})`).join(', ') : '—'),
                  h('td', {}, a.ownerUserId ? (names.get(a.ownerUserId) ?? a.ownerUserId) : '—'),
                ),
              ),
            ),
        h('h2', {}, 'The churn model'),
        modelSummary(model, model.card),
        ...modelCard(model.card),
      );
    });
  main.append(
    h(
      'form',
      {
        class: 'stack',
        onsubmit: (e) => {
          e.preventDefault();
          show();
        },
      },
      field('accounts-unit', 'Unit (with everything below it)', unit),
      h('button', { type: 'submit' }, 'Show accounts'),
    ),
    out,
  );
  await show();
}
