// Key drivers: Johnson's relative weights of the event measures and numeric questions, as bars with
// their 95% intervals; drivers not significant (no better than a random predictor) are marked.
// Every number comes from GET /api/v1/drivers.
import { api, attempt, daysAgo, field, fmtDate, h, main, managedUnits, plural, setTitle, table, today, unitSelect } from '../lib.js';

const REASONS = {
  below_min_n: 'Not shown: fewer than 100 answers have every driver.',
  no_predictors: 'Not shown: no measure or numeric question is present on at least half of the answers.',
  constant_predictor: 'Not shown: one driver has the same value on every answer.',
  constant_outcome: 'Not shown: every answer gave the same score.',
  collinear_predictors: 'Not shown: two drivers carry the same information.',
};
const pct = (v) => `${(Math.max(0, Math.min(1, v)) * 100).toFixed(1)}%`;
const fmt = (v) => v.toFixed(3);

/** A bar for the weight on 0..max, with its interval as a line. */
function weightBar(item, max) {
  const x = (v) => `${((100 * Math.max(0, v)) / max).toFixed(1)}%`;
  return h(
    'span',
    { class: 'wbar', role: 'img', 'aria-label': `weight ${fmt(item.weight)}, interval ${fmt(item.ci.low)} to ${fmt(item.ci.high)}` },
    h('span', { class: item.significant ? 'fill' : 'fill ns', style: `width:${x(item.weight)}` }),
    h('i', { style: `left:${x(item.ci.low)};width:calc(${x(item.ci.high)} - ${x(item.ci.low)})` }),
  );
}

export default async function drivers({ params }) {
  setTitle('Key drivers');
  const units = managedUnits(['admin', 'analyst', 'manager', 'viewer', 'vendor']);
  const f = {
    unit: unitSelect('drivers-unit', units, params.get('unit') ?? units[0]?.id),
    from: h('input', { id: 'drivers-from', type: 'date', value: params.get('from') ?? daysAgo(89), required: true }),
    to: h('input', { id: 'drivers-to', type: 'date', value: params.get('to') ?? today(), required: true }),
  };
  const out = h('div', { 'aria-live': 'polite' });
  const show = async () =>
    attempt(out, async () => {
      const res = await api('GET', `/api/v1/drivers?unitId=${f.unit.value}&from=${f.from.value}&to=${f.to.value}`);
      if (res.status === 'computing') {
        out.append(h('p', { class: 'msg' }, 'This range is being computed. Try again in a few seconds.'));
        return;
      }
      out.append(h('p', {}, `${plural(res.n, 'answer')} with every driver; computed ${fmtDate(res.computedAt)}.`));
      if (res.suppressed) {
        out.append(h('p', { class: 'msg suppressed', 'data-testid': 'drivers-suppressed' }, REASONS[res.suppressedReason] ?? res.suppressedReason));
        return;
      }
      const max = Math.max(...res.items.map((i) => i.ci.high), 1e-9);
      out.append(
        h('p', {}, `Together the drivers explain ${pct(res.r2)} of the variation in the 0–10 score (R²). Each bar is a driver's share of it, with its 95% interval.`),
        table(
          'Relative weights',
          ['Driver', 'Kind', 'Weight', 'Share of R²', 'Correlation', 'Significant'],
          res.items.map((i) =>
            h(
              'tr',
              { 'data-driver': i.driver },
              h('th', { scope: 'row' }, i.kind === 'theme' && i.name ? `Mentions ${i.name}` : i.driver),
              h('td', {}, i.kind),
              h('td', { class: 'num' }, fmt(i.weight), ' ', h('small', {}, `[${fmt(i.ci.low)}, ${fmt(i.ci.high)}]`), weightBar(i, max)),
              h('td', { class: 'num' }, pct(i.share)),
              h('td', { class: 'num' }, i.correlation.toFixed(2)),
              h('td', {}, i.significant ? 'yes' : h('span', { class: 'ns-mark' }, 'no: not distinguishable from noise')),
            ),
          ),
        ),
        h('p', {}, h('small', {}, "Johnson's relative weights; a driver is significant when it explains more than a random predictor would (docs: drivers).")),
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
      field('drivers-unit', 'Unit (with everything below it)', f.unit),
      field('drivers-from', 'From', f.from),
      field('drivers-to', 'To', f.to),
      h('button', { type: 'submit' }, 'Show drivers'),
    ),
    out,
  );
  await show();
}
