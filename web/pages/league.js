// League table: the units under a unit ranked by their score shrunk toward their peers
// (GET /api/v1/scores?groupBy=unit&estimate=shrunk), beside the raw score, its n and the low-sample
// mark. The ranking uses the API's numbers only; a unit without a shrunk score is listed after.
import { api, crumbs, daysAgo, fmtNps, h, main, npsCell, session, setTitle, table, today, topUnit } from '../lib.js';

const RANGES = { 90: 'Last 90 days', 180: 'Last 6 months', 365: 'Last 12 months' };

export default async function league({ params }) {
  const unit = session().byId.get(params.get('unit') ?? '') || topUnit();
  const days = Number(sessionStorage.getItem('league-range') ?? 180);
  const scores = await api('GET', `/api/v1/scores?unitId=${unit.id}&from=${daysAgo(days - 1)}&to=${today()}&groupBy=unit&estimate=shrunk`);
  setTitle(`League table: ${unit.name}`);
  const range = h(
    'select',
    { id: 'league-range', onchange: (e) => (sessionStorage.setItem('league-range', e.target.value), league({ params })) },
    Object.entries(RANGES).map(([v, l]) => h('option', { value: v, selected: Number(v) === days }, l)),
  );
  const items = scores.items.filter((i) => i.key !== unit.id && i.key !== 'all');
  const ranked = [...items.filter((i) => i.shrunk)].sort((a, b) => b.shrunk.nps - a.shrunk.nps || a.key.localeCompare(b.key));
  const unranked = items.filter((i) => !i.shrunk);
  const name = (id) => session().byId.get(id)?.name ?? id;
  const row = (i, rank) =>
    h(
      'tr',
      {},
      h('td', { class: 'num' }, rank ? String(rank) : '—'),
      h('th', { scope: 'row' }, session().byId.has(i.key) ? h('a', { href: `#/league?unit=${i.key}` }, name(i.key)) : name(i.key)),
      h('td', { class: 'num', 'data-testid': 'shrunk' }, i.shrunk ? `${fmtNps(i.shrunk.nps)} ` : '—', i.shrunk ? h('small', {}, `[${fmtNps(i.shrunk.ci.low)}, ${fmtNps(i.shrunk.ci.high)}]`) : ''),
      npsCell(i),
      h('td', { class: 'num' }, String(i.n)),
    );
  main.append(
    crumbs(unit, 'league'),
    h('div', { class: 'row' }, h('label', { for: 'league-range' }, 'Period', range)),
    h(
      'p',
      {},
      'Ranked by the fair score: each unit\u2019s NPS shrunk toward its peers (the units of its kind beside it), so a unit with few answers is not ranked on noise. A unit with more answers keeps more of its own score. Units without a fair score (too few answers, or too few peers) are listed last.',
    ),
    items.length
      ? table(`Units under ${unit.name}, ranked by fair score`, ['Rank', 'Unit', 'Fair NPS', 'Raw NPS', 'n'], [...ranked.map((i, k) => row(i, k + 1)), ...unranked.map((i) => row(i, 0))])
      : h('p', {}, 'No units with answers in the period.'),
  );
}
