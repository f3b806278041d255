// Peer clusters: the sites under a unit grouped by their NPS pattern (GET /api/v1/clusters), each
// cluster described in words with its sites, their percentile within it, and what worked there.
import { api, crumbs, daysAgo, fmtNps, h, main, session, setTitle, table, today, topUnit } from '../lib.js';

const REASONS = { too_few_answers: 'fewer answers than the reliability threshold', too_few_sites: 'fewer than three sites to compare' };
const signed = (v) => `${v > 0 ? '+' : ''}${fmtNps(v)}`;

export default async function clusters({ params }) {
  const unit = session().byId.get(params.get('unit') ?? '') || topUnit();
  const res = await api('GET', `/api/v1/clusters?unitId=${unit.id}&from=${daysAgo(179)}&to=${today()}`);
  setTitle(`Peer clusters: ${unit.name}`);
  main.append(
    crumbs(unit, 'clusters'),
    h(
      'p',
      {},
      `Sites under ${unit.name} from ${res.from} to ${res.to}, grouped by their NPS pattern: level, trend, volatility and share of detractors`,
      res.themes?.length ? `, what their detractors write about (${res.themes.map((t) => t.name).join(', ')}: detractor comments per 100 comments)` : '',
      res.measures?.length ? `, and how they work (${res.measures.map((m) => `${m.name}, ${m.unit}`).join('; ')}: the mean over the range)` : '',
      '. ',
      res.k ? `${res.k} clusters fit best (silhouette ${res.silhouette.toFixed(2)}; near 1: clearly apart, under 0.25: little structure).` : 'Not enough sites to group.',
    ),
  );
  for (const c of res.clusters) {
    main.append(
      h('h2', {}, `Cluster ${c.id}: ${c.description}`),
      table(
        `Cluster ${c.id}: ${c.size} site${c.size === 1 ? '' : 's'}; percentile of each site's NPS within the cluster`,
        [
          'Site',
          'NPS',
          'Trend per month',
          'Volatility',
          'Detractors per 100',
          ...(res.themes ?? []).map((t) => t.name),
          ...(res.measures ?? []).map((m) => `${m.name} (${m.unit})`),
          'Percentile',
          'n',
        ],
        c.sites.map((s) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, s.name),
            h('td', { class: 'num' }, fmtNps(s.level)),
            h('td', { class: 'num' }, signed(s.trend)),
            h('td', { class: 'num' }, fmtNps(s.volatility)),
            h('td', { class: 'num' }, fmtNps(s.detractorShare)),
            ...(res.themes ?? []).map((t) => {
              const v = s.themes?.find((x) => x.id === t.id)?.detractorShare;
              return h('td', { class: 'num' }, v == null ? '–' : fmtNps(v));
            }),
            ...(res.measures ?? []).map((m) => {
              const v = s.measures?.find((x) => x.key === m.key)?.mean;
              return h('td', { class: 'num' }, v == null ? '–' : v.toFixed(1));
            }),
            h('td', { class: 'num' }, `${Math.round(s.percentile)}`),
            h('td', { class: 'num' }, String(s.n)),
          ),
        ),
      ),
      whatWorked(c),
    );
  }
  if (res.unclustered.length)
    main.append(
      h('h2', {}, 'Not grouped'),
      h(
        'ul',
        {},
        res.unclustered.map((u) => h('li', {}, `${u.name}: ${REASONS[u.reason] ?? u.reason} (n = ${u.n})`)),
      ),
    );
}

function whatWorked(c) {
  if (c.whatWorked === null) return '';
  if (c.whatWorked.length === 0) return h('p', { class: 'help' }, 'What worked there: no action plan at these sites with a significant improvement yet.');
  return h(
    'div',
    {},
    h('h3', {}, 'What worked there'),
    h(
      'ul',
      {},
      c.whatWorked.map((p) =>
        h(
          'li',
          {},
          h('a', { href: `#/plans/${p.planId}` }, p.title),
          ` at ${p.unitName}: ${fmtNps(p.before.nps)} (n = ${p.before.n}) before, ${fmtNps(p.after.nps)} (n = ${p.after.n}) after, ${signed(p.change.points)} points (${p.change.p < 0.001 ? 'p < 0.001' : `p = ${p.change.p.toFixed(3)}`})`,
        ),
      ),
    ),
  );
}
