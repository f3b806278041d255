// Operational measures beside NPS: per child unit, NPS against the measure over time, the lag
// profile (does the measure lead or follow NPS?), the efficiency quadrant and the unit's composite
// index. Every number comes from the API (series, correlation, quadrant, composites).
import { api, attempt, daysAgo, field, fmtNps, h, main, managedUnits, npsCell, setTitle, table, today, unitName, unitSelect } from '../lib.js';

const QUADRANTS = {
  high_nps_efficient: 'High NPS, efficient',
  high_nps_inefficient: 'High NPS, poor efficiency',
  low_nps_efficient: 'Low NPS, efficient',
  low_nps_inefficient: 'Low NPS, poor efficiency',
};
const RELATIONS = {
  leading: (lag, period) => `The measure leads NPS by ${lag} ${period}${lag === 1 ? '' : 's'}: it moves first.`,
  lagging: (lag, period) => `The measure follows NPS by ${-lag} ${period}${lag === -1 ? '' : 's'}.`,
  concurrent: () => 'The measure and NPS move together in the same period.',
};
const num = (v) => (v === null || v === undefined ? '—' : (Math.round(v * 100) / 100).toString());

/** ρ on −1..1 as a bar from the middle. */
function rhoBar(rho) {
  if (rho === null) return '';
  const w = `${(Math.abs(rho) * 50).toFixed(1)}%`;
  return h(
    'span',
    { class: 'rbar', role: 'img', 'aria-label': `rho ${rho.toFixed(2)}` },
    h('span', { class: rho < 0 ? 'neg' : 'pos', style: rho < 0 ? `right:50%;width:${w}` : `left:50%;width:${w}` }),
  );
}

export default async function measures({ params }) {
  setTitle('Measures');
  const list = (await api('GET', '/api/v1/measures')).items;
  if (list.length === 0) {
    main.append(h('p', {}, 'No measures are defined yet.'));
    return;
  }
  const units = managedUnits(['admin', 'analyst', 'manager', 'viewer', 'vendor']);
  const f = {
    measure: h(
      'select',
      { id: 'measure-key' },
      list.map((m) => h('option', { value: m.key, selected: m.key === params.get('measure') }, `${m.name} (${m.unit})`)),
    ),
    unit: unitSelect('measure-unit', units, params.get('unit') ?? units[0]?.id),
    from: h('input', { id: 'measure-from', type: 'date', value: params.get('from') ?? daysAgo(364), required: true }),
    to: h('input', { id: 'measure-to', type: 'date', value: params.get('to') ?? today(), required: true }),
    period: h('select', { id: 'measure-period' }, h('option', { value: 'month' }, 'Month'), h('option', { value: 'week' }, 'Week')),
  };
  const out = h('div', { 'aria-live': 'polite' });
  const show = () =>
    attempt(out, async () => {
      const q = `unitId=${f.unit.value}&from=${f.from.value}&to=${f.to.value}`;
      const key = encodeURIComponent(f.measure.value);
      const [corr, series, quadrant, composite] = await Promise.all([
        api('GET', `/api/v1/measures/${key}/correlation?${q}&period=${f.period.value}`),
        api('GET', `/api/v1/measures/${key}/series?${q}&period=${f.period.value}`),
        api('GET', `/api/v1/measures/${key}/quadrant?${q}`),
        api('GET', `/api/v1/composites/${f.unit.value}?from=${f.from.value}&to=${f.to.value}`),
      ]);
      const lags = [...corr.lags, { lag: 0, rho: corr.rho, p: corr.p }].sort((a, b) => b.lag - a.lag);
      out.append(
        h('h2', {}, 'Leading or lagging'),
        h('p', { 'data-testid': 'relation' }, corr.relation ? RELATIONS[corr.relation](corr.lag, corr.period) : `No lead or lag stands out (${corr.pairs} unit-periods compared; at least 20 needed).`),
        table(
          "Spearman's ρ between NPS and the measure, by lag",
          ['Lag', 'ρ', 'p'],
          lags.map((l) =>
            h(
              'tr',
              { 'data-lag': l.lag },
              h('th', { scope: 'row' }, l.lag > 0 ? `measure ${l.lag} ${corr.period}(s) earlier` : l.lag < 0 ? `measure ${-l.lag} ${corr.period}(s) later` : 'same period'),
              h('td', { class: 'num' }, l.rho === null ? '—' : l.rho.toFixed(2), rhoBar(l.rho)),
              h('td', { class: 'num' }, l.p === null ? '—' : l.p < 0.001 ? '< 0.001' : l.p.toFixed(3)),
            ),
          ),
        ),
        h('h2', {}, 'Efficiency quadrant'),
        h('p', {}, `Against the medians: NPS ${fmtNps(quadrant.medians.nps)}, measure ${num(quadrant.medians.measure)}.`),
        table(
          'Units by NPS and the measure',
          ['Unit', 'NPS', 'n', 'Measure', 'Quadrant'],
          quadrant.items.map((i) =>
            h(
              'tr',
              { 'data-unit': i.unitId },
              h('th', { scope: 'row' }, i.name),
              npsCell({ ...i, suppressedReason: i.n === 0 ? 'no_answers' : 'below_min_n' }),
              h('td', { class: 'num' }, String(i.n)),
              h('td', { class: 'num' }, num(i.measure)),
              h('td', {}, i.quadrant ? QUADRANTS[i.quadrant] : '—'),
            ),
          ),
        ),
        h('h2', {}, 'Over time'),
        table(
          'NPS and the measure per unit and period',
          ['Unit', 'Period', 'NPS', 'n', 'Measure'],
          series.items.map((p) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, unitName(p.unitId)),
              h('td', {}, p.period),
              h('td', { class: 'num' }, p.nps === null ? '—' : fmtNps(p.nps)),
              h('td', { class: 'num' }, String(p.n)),
              h('td', { class: 'num' }, num(p.measure)),
            ),
          ),
        ),
        h('h2', {}, 'Composite index'),
        h(
          'p',
          { 'data-testid': 'composite' },
          composite.value === null
            ? composite.reason === 'no_weights'
              ? 'No composite weights are set for this unit.'
              : 'Not shown: too few answers for a reliable NPS.'
            : `Composite ${fmtNps(composite.value)} of 100, beside NPS ${fmtNps(composite.nps.nps)}.`,
        ),
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
      field('measure-key', 'Measure', f.measure),
      field('measure-unit', 'Unit (its children are compared)', f.unit),
      field('measure-from', 'From', f.from),
      field('measure-to', 'To', f.to),
      field('measure-period', 'Period', f.period),
      h('button', { type: 'submit' }, 'Show'),
    ),
    out,
  );
  await show();
}
