// Themes: what the comments of a unit talk about (docs/themes.md), ranked by impact on its NPS,
// with a trend sparkline per theme and, for roles that read verbatims, examples. Every number
// comes from GET /api/v1/themes.
import { api, daysAgo, fmtNps, h, main, session, setTitle, table, today, topUnit, unitSelect } from '../lib.js';

const WINDOWS = 6;
const WINDOW_DAYS = 15;

/** The six 15-day windows of the last 90 days, oldest first. */
const windows = () => Array.from({ length: WINDOWS }, (_, i) => ({ from: daysAgo((WINDOWS - i) * WINDOW_DAYS - 1), to: daysAgo((WINDOWS - i - 1) * WINDOW_DAYS) }));

/** A small inline chart of mentions per window, with its numbers as the accessible name. */
function sparkline(counts, name) {
  const max = Math.max(1, ...counts);
  const points = counts.map((c, i) => `${(i * 60) / (counts.length - 1)},${(18 - (c / max) * 16).toFixed(1)}`).join(' ');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 60 20');
  svg.setAttribute('width', '60');
  svg.setAttribute('height', '20');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${name}: mentions per 15 days, oldest first: ${counts.join(', ')}`);
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', points);
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  line.setAttribute('stroke-width', '1.5');
  svg.append(line);
  return svg;
}

export default async function themes({ params }) {
  setTitle('Themes');
  const s = session();
  const unitId = params.get('unit') ?? topUnit()?.id ?? '';
  const category = params.get('category') ?? '';
  const unit = unitSelect('t-unit', s.units, unitId);
  const cat = h(
    'select',
    { id: 't-category' },
    h('option', { value: '' }, 'All answers'),
    ['detractor', 'passive', 'promoter'].map((c) => h('option', { value: c, selected: c === category }, `${c}s`)),
  );
  const form = h(
    'form',
    {
      class: 'row filters',
      onsubmit: (e) => {
        e.preventDefault();
        const q = new URLSearchParams({ unit: unit.value, ...(cat.value ? { category: cat.value } : {}) });
        location.hash = `#/themes?${q}`;
      },
    },
    h('label', { for: 't-unit' }, 'Unit', unit),
    h('label', { for: 't-category' }, 'Answers', cat),
    h('button', { type: 'submit' }, 'Show'),
  );
  main.append(form);
  const q = (from, to) => `/api/v1/themes?${new URLSearchParams({ unitId, from, to, ...(category ? { category } : {}) })}`;
  const [now, ...trend] = await Promise.all([api('GET', q(daysAgo(89), today())), ...windows().map((w) => api('GET', q(w.from, w.to)))]);
  const name = s.byId.get(unitId)?.name ?? '';
  if (!now.items.length) {
    main.append(h('p', {}, `No themes in the comments of ${name} over the last 90 days.`));
    return;
  }
  const series = (id) => trend.map((r) => r.items.find((i) => i.id === id)?.comments ?? 0);
  main.append(
    h('p', {}, 'Impact: how many points the NPS would gain if the answers mentioning the theme had been passives. Emerging: significantly more mentions per comment than in the 90 days before.'),
    table(
      `Themes in ${name}, last 90 days, by impact`,
      ['Theme', 'Mentions', 'Share', 'NPS among them', 'Impact (points)', 'Sentiment', 'Trend', 'Emerging'],
      now.items.map((t) =>
        h(
          'tr',
          {},
          h(
            'th',
            { scope: 'row' },
            t.name,
            t.source === 'discovered' ? h('small', {}, ' discovered') : '',
            t.examples.length
              ? h(
                  'details',
                  {},
                  h('summary', {}, 'Examples'),
                  h(
                    'ul',
                    {},
                    t.examples.map((x) => h('li', {}, x)),
                  ),
                )
              : '',
          ),
          h('td', { class: 'num' }, String(t.comments)),
          h('td', { class: 'num' }, `${(t.share * 100).toFixed(1)}\u00a0%`),
          h('td', { class: 'num' }, t.nps === null ? 'too few' : fmtNps(t.nps)),
          h('td', { class: 'num' }, t.impact.toFixed(1)),
          h('td', { class: 'num' }, t.sentiment === null ? '—' : t.sentiment.toFixed(2)),
          h('td', {}, sparkline(series(t.id), t.name)),
          h('td', {}, t.emerging ? 'emerging' : ''),
        ),
      ),
    ),
  );
}
