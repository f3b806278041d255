// The vendor's scorecard: its NPS with interval, n, case targets met, trend.
import { api, daysAgo, fmtNps, h, main, npsCell, setTitle, table, today, topUnit } from '../lib.js';

export default async function vendor() {
  const unit = topUnit();
  const q = `unitId=${unit.id}&from=${daysAgo(179)}&to=${today()}`;
  const [total, trend, metrics] = await Promise.all([
    api('GET', `/api/v1/scores?${q}&compare=previous`),
    api('GET', `/api/v1/scores?${q}&period=month`),
    api('GET', `/api/v1/cases/metrics?unitId=${unit.id}`),
  ]);
  setTitle(`Scorecard: ${unit.name}`);
  const all = total.items[0];
  const pct = (v) => (v === null || v === undefined ? '—' : `${Math.round(v * 100)}%`);
  main.append(
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('div', {}, 'NPS (6 months)'), h('div', { class: `big${all.suppressed ? ' suppressed' : ''}` }, all.suppressed ? 'Too few answers' : fmtNps(all.nps)), all.ci ? h('div', {}, `interval ${fmtNps(all.ci.low)} to ${fmtNps(all.ci.high)}`) : ''),
      h('div', { class: 'card' }, h('div', {}, 'Answers (n)'), h('div', { class: 'big' }, String(all.n))),
      h('div', { class: 'card' }, h('div', {}, 'Cases contacted within target'), h('div', { class: 'big' }, pct(metrics.total.withinTarget.firstContact))),
      h('div', { class: 'card' }, h('div', {}, 'Cases resolved within target'), h('div', { class: 'big' }, pct(metrics.total.withinTarget.resolution))),
    ),
    h('h2', {}, 'Trend'),
    table('NPS per month', ['Month', 'NPS', 'n'], trend.items.map((i) => h('tr', {}, h('th', { scope: 'row' }, i.period ?? '—'), npsCell(i), h('td', { class: 'num' }, String(i.n))))),
    h('p', {}, h('a', { href: '#/cases' }, `Cases of ${unit.name} (${metrics.total.cases} in the last 28 days)`)),
  );
}
