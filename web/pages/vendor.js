// The vendor's scorecard: the composite index with its components and weights, NPS with interval
// and n, cases within target, the NPS per region and per site, the monthly trend. All numbers from GET /api/v1/vendors/{id}/scorecard.
import { api, daysAgo, eventsCell, firstContent, fmtNps, h, lowSampleMark, main, nextFrame, npsCell, quiet, setTitle, table, today, topUnit } from '../lib.js';
import { trendChart } from '../charts.js';

const whereN = (regions) => regions.reduce((a, r) => a + r.score.n, 0);
const pct = (v) => (v === null || v === undefined ? '—' : `${Math.round(v * 100)}%`);
const COMPONENTS = [
  ['nps', 'NPS, as (NPS + 100) / 2'],
  ['contactedWithinTarget', 'Cases contacted within target'],
  ['resolvedWithinTarget', 'Cases resolved within target'],
];
const REASONS = {
  nps_suppressed: 'Not ranked: too few answers for a reliable NPS.',
  no_weighted_components: 'Not ranked: no weighted component has data yet.',
};

export default async function vendor() {
  const unit = topUnit();
  // Both calls at once; the cards are drawn and painted from the scorecard, the trend's annotations are awaited after.
  const cardCall = api('GET', `/api/v1/vendors/${unit.id}/scorecard?from=${daysAgo(179)}&to=${today()}`);
  const notesCall = quiet(api('GET', `/api/v1/annotations?unitId=${unit.id}&from=${daysAgo(179)}&to=${today()}`));
  const card = await cardCall;
  setTitle(`Scorecard: ${card.name}`);
  const { composite, nps } = card;
  main.append(
    h('p', {}, `${card.from} to ${card.to}`),
    firstContent(
      h(
        'div',
        { class: 'cards' },
        h(
          'div',
          { class: 'card' },
          h('div', {}, 'Composite index (0–100)'),
          h('div', { class: `big${composite.value === null ? ' suppressed' : ''}`, 'data-testid': 'composite' }, composite.value === null ? 'Not ranked' : fmtNps(composite.value)),
          composite.reason ? h('div', {}, REASONS[composite.reason] ?? composite.reason) : '',
        ),
        h(
          'div',
          { class: 'card' },
          h('div', {}, 'NPS (6 months)'),
          h('div', { class: `big${nps.suppressed ? ' suppressed' : ''}` }, nps.suppressed ? 'Too few answers' : fmtNps(nps.nps)),
          nps.ci ? h('div', {}, `interval ${fmtNps(nps.ci.low)} to ${fmtNps(nps.ci.high)}`, lowSampleMark(nps)) : '',
        ),
        h('div', { class: 'card' }, h('div', {}, 'Answers (n)'), h('div', { class: 'big' }, String(nps.n))),
        h('div', { class: 'card' }, h('div', {}, 'Cases contacted within target'), h('div', { class: 'big' }, pct(card.contactedWithinTarget))),
        h('div', { class: 'card' }, h('div', {}, 'Cases resolved within target'), h('div', { class: 'big' }, pct(card.resolvedWithinTarget))),
      ),
    ),
  );
  // The rest once the cards are painted: busy until then (tests and screen readers wait for the whole page).
  const drawn = main.lastElementChild;
  main.setAttribute('aria-busy', 'true');
  await nextFrame();
  let notes;
  try {
    notes = await notesCall;
  } finally {
    // Not on a page drawn meanwhile.
    if (drawn.isConnected) main.removeAttribute('aria-busy');
  }
  main.append(
    h('h2', {}, 'How the composite is made'),
    h('p', {}, 'The weighted mean of the components that have data, each on 0 to 100. The weights are set in your contract.'),
    table(
      'Composite components',
      ['Component', 'Value (0–100)', 'Weight'],
      COMPONENTS.map(([k, label]) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, label),
          h('td', { class: 'num' }, composite.components[k] === null ? '—' : fmtNps(composite.components[k])),
          h('td', { class: 'num' }, String(composite.weights[k])),
        ),
      ),
    ),
    h('h2', {}, 'Where the answers were'),
    h(
      'p',
      {},
      'Every answer whose job your company did, at every site. Answers filed under your company itself before sites were named count in the total but at no site',
      card.nps.n > whereN(card.regions) ? ` (${card.nps.n - whereN(card.regions)} in this period).` : '.',
    ),
    table(
      'NPS per region',
      ['Region', 'NPS [interval]', 'n'],
      card.regions.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.name), npsCell(r.score), h('td', { class: 'num' }, String(r.score.n)))),
    ),
    table(
      'NPS per site',
      ['Site', 'Region', 'NPS [interval]', 'n'],
      card.sites.map((s) =>
        h('tr', {}, h('th', { scope: 'row' }, s.name), h('td', {}, card.regions.find((r) => r.unitId === s.regionId)?.name ?? '—'), npsCell(s.score), h('td', { class: 'num' }, String(s.score.n))),
      ),
    ),
    h('h2', {}, 'Trend'),
    trendChart(card.trend, notes.items),
    table(
      'NPS per month, and what happened',
      ['Month', 'NPS', 'n', 'Events'],
      card.trend.map((i) => h('tr', {}, h('th', { scope: 'row' }, i.period ?? '—'), npsCell(i), h('td', { class: 'num' }, String(i.n)), eventsCell(notes.items, i.period))),
    ),
    h('p', {}, h('a', { href: '#/cases' }, `Cases of ${card.name} (${card.casesInWindow} opened in this period)`)),
    h('p', {}, h('a', { href: `#/targets?unit=${unit.id}` }, `Targets of ${card.name}`)),
  );
}
