// Targets: attainment per unit for a period with the bands (threshold, target, stretch), the
// interval against them, reached with confidence or within noise, the frozen record of a closed
// period with its corrections, sustained improvement; setting a target and rebaselining (admins).
// Every number from GET /api/v1/targets/attainment.
import { api, attempt, crumbs, field, fmtNps, h, hasRole, lowSampleMark, main, session, setNotice, setTitle, table, today, topUnit } from '../lib.js';

const BAND = { below_threshold: 'Below threshold', threshold: 'Threshold', target: 'Target', stretch: 'Stretch' };
const STATUS = { upcoming: 'not started', open: 'running', closing: 'ended, closing after the grace for late answers', closed: 'closed, frozen' };

const currentQuarter = () => {
  const d = today();
  return `${d.slice(0, 4)}-Q${Math.floor((Number(d.slice(5, 7)) + 2) / 3)}`;
};

/** The bands and the interval on one scale: a picture of what the table says in words. */
function bandBar(item) {
  const t = item.target;
  const [lo, hi] = t.basis === 'composite' ? [0, 100] : [-100, 100];
  const x = (v) => `${(((v - lo) / (hi - lo)) * 100).toFixed(1)}%`;
  const label = item.valueCi
    ? `interval ${fmtNps(item.valueCi.low)} to ${fmtNps(item.valueCi.high)} against threshold ${fmtNps(t.threshold)}, target ${fmtNps(t.target)}, stretch ${fmtNps(t.stretch)}`
    : `no score; threshold ${fmtNps(t.threshold)}, target ${fmtNps(t.target)}, stretch ${fmtNps(t.stretch)}`;
  return h(
    'span',
    { class: 'bands', role: 'img', 'aria-label': label },
    ...['threshold', 'target', 'stretch'].map((k) => h('b', { class: `mark ${k}`, style: `left:${x(t[k])}` })),
    item.valueCi ? h('span', { class: 'ci', style: `left:${x(item.valueCi.low)};right:${(100 - ((item.valueCi.high - lo) / (hi - lo)) * 100).toFixed(1)}%` }) : '',
    item.value !== null ? h('i', { style: `left:${x(item.value)}` }) : '',
  );
}

function verdict(item) {
  if (item.band === null) return h('span', { class: 'suppressed' }, item.n ? 'too few answers' : 'no answers');
  const sure = item.reached === 'with_confidence';
  return h(
    'span',
    {},
    h('strong', {}, BAND[item.band]),
    sure ? ' reached with confidence' : ' within noise',
    item.bandWithConfidence !== item.band ? h('small', {}, ` (with confidence: ${BAND[item.bandWithConfidence]})`) : '',
  );
}

function sustainedCell(s) {
  const share =
    s.shareAboveBaseline === null ? '—' : `${Math.round(s.shareAboveBaseline * 100)}% of periods above the baseline (${Math.round(s.shareAboveBaselineWithConfidence * 100)}% with confidence)`;
  const trend = s.trend
    ? `trend ${s.trend.slopePerPeriod > 0 ? '+' : ''}${fmtNps(s.trend.slopePerPeriod)} per period [${fmtNps(s.trend.ci.low)}, ${fmtNps(s.trend.ci.high)}]${s.trend.p < 0.05 ? ' ★' : ''}`
    : 'no trend (too few periods)';
  const base = s.baseline ? `baseline ${fmtNps(s.baseline.nps)} (${s.baseline.source === 'rebaseline' ? 'rebaselined' : s.baseline.period})` : 'no baseline';
  return h('td', {}, share, h('br'), trend, h('br'), h('small', {}, base));
}

export default async function targets({ params }) {
  const unit = session().byId.get(params.get('unit') ?? '') || topUnit();
  const period = params.get('period') || currentQuarter();
  const [res, notes] = await Promise.all([
    api('GET', `/api/v1/targets/attainment?unitId=${unit.id}&period=${encodeURIComponent(period)}`),
    hasRole('admin') ? api('GET', `/api/v1/annotations?unitId=${unit.id}`) : { items: [] },
  ]);
  setTitle(`Targets: ${unit.name}, ${res.period}`);
  const periodInput = h('input', { id: 'tg-period', value: period, required: true, pattern: '\\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?', 'aria-describedby': 'tg-period-help' });
  main.append(
    crumbs(unit, 'targets'),
    h(
      'form',
      { class: 'row', onsubmit: (e) => (e.preventDefault(), (location.hash = `#/targets?unit=${unit.id}&period=${encodeURIComponent(periodInput.value)}`)) },
      field('tg-period', 'Period', periodInput),
      h('p', { id: 'tg-period-help', class: 'help' }, 'A year (2027), a quarter (2027-Q1) or a month (2027-03).'),
      h('button', { type: 'submit', class: 'secondary' }, 'Show'),
    ),
    h('p', {}, `${res.from} to ${res.to}. A band is reached with confidence when the interval\u2019s lower bound is at or above it; otherwise the score is within noise of it.`),
  );
  if (res.items.length === 0) main.append(h('p', {}, 'No targets for this period under this unit.'));
  else
    main.append(
      table(
        `Attainment for ${res.period}`,
        ['Unit', 'Score', 'n', 'Bands', 'Attainment', 'Sustained improvement'],
        res.items.map((i) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, i.unitName, h('br'), h('small', {}, STATUS[i.status] ?? i.status)),
            h(
              'td',
              { class: 'num' },
              i.value === null ? '—' : fmtNps(i.value),
              i.valueCi ? h('small', {}, ` [${fmtNps(i.valueCi.low)}, ${fmtNps(i.valueCi.high)}]`) : '',
              i.target.basis === 'composite' ? h('small', {}, ' composite') : '',
              lowSampleMark(i),
            ),
            h('td', { class: 'num' }, String(i.n)),
            h('td', {}, `${fmtNps(i.target.threshold)} / ${fmtNps(i.target.target)} / ${fmtNps(i.target.stretch)}`, h('br'), bandBar(i)),
            h('td', { 'data-testid': 'verdict' }, verdict(i), i.status === 'closed' ? corrections(i) : ''),
            sustainedCell(i.sustained),
          ),
        ),
      ),
    );
  if (hasRole('admin')) main.append(setForm(unit, period, params), rebaselineForm(unit, notes.items, params));
}

function corrections(item) {
  if (!item.corrections.length && !item.current) return h('p', {}, h('small', {}, `Frozen ${item.closedAt.slice(0, 10)}; no corrections since.`));
  return h(
    'div',
    { class: 'corrections' },
    h('small', {}, `Frozen ${item.closedAt.slice(0, 10)}. Corrections since (the record does not change):`),
    h(
      'ul',
      {},
      item.corrections.map((c) => h('li', {}, `${c.at.slice(0, 10)}: answer ${c.change} (score ${c.score ?? '—'})${c.reason ? `, \u201c${c.reason}\u201d` : ''}`)),
    ),
    item.current ? h('small', { 'data-testid': 'current' }, `Recomputed now: ${fmtNps(item.current.value)} (n = ${item.current.n}), ${BAND[item.current.band] ?? 'no band'}.`) : '',
  );
}

function setForm(unit, period, params) {
  const num = (id, value) => h('input', { id, type: 'number', step: 'any', required: true, value });
  const f = {
    period: h('input', { id: 'set-period', required: true, value: period }),
    threshold: num('set-threshold', 0),
    target: num('set-target', 20),
    stretch: num('set-stretch', 40),
    basis: h('select', { id: 'set-basis' }, h('option', { value: 'nps' }, 'NPS'), unit.kind === 'vendor' ? h('option', { value: 'composite' }, 'Composite index') : ''),
  };
  const out = h('div', { 'aria-live': 'polite' });
  return h(
    'form',
    {
      class: 'stack',
      'aria-labelledby': 'set-heading',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { period: f.period.value, threshold: Number(f.threshold.value), target: Number(f.target.value), stretch: Number(f.stretch.value), basis: f.basis.value };
        if (await attempt(out, () => api('PUT', `/api/v1/units/${unit.id}/targets`, body))) {
          setNotice(`Target for ${body.period} saved.`);
          location.hash = `#/targets?unit=${unit.id}&period=${encodeURIComponent(body.period)}`;
          if (params.get('period') === body.period) await targets({ params });
        }
      },
    },
    h('h2', { id: 'set-heading' }, `Set a target for ${unit.name}`),
    field('set-period', 'Period of the target', f.period),
    field('set-threshold', 'Threshold', f.threshold),
    field('set-target', 'Target', f.target),
    field('set-stretch', 'Stretch', f.stretch),
    field('set-basis', 'Basis', f.basis),
    h('button', { type: 'submit' }, 'Save target'),
    out,
  );
}

function rebaselineForm(unit, notes, params) {
  const changes = notes.filter((a) => a.kind === 'process_change');
  if (!changes.length) return h('p', {}, 'Rebaseline: no process change is annotated on this unit yet (annotate one on its dashboard).');
  const note = h(
    'select',
    { id: 'rb-note' },
    changes.map((a) => h('option', { value: a.id }, `${a.date}: ${a.title}`)),
  );
  const reason = h('input', { id: 'rb-reason', required: true, maxlength: 1000 });
  const out = h('div', { 'aria-live': 'polite' });
  return h(
    'form',
    {
      class: 'stack',
      'aria-labelledby': 'rb-heading',
      onsubmit: async (e) => {
        e.preventDefault();
        const r = await attempt(out, () => api('POST', `/api/v1/units/${unit.id}/targets/rebaseline`, { annotationId: note.value, reason: reason.value }));
        if (r) {
          setNotice(
            `Rebaselined ${r.targets.length} target${r.targets.length === 1 ? '' : 's'} by ${r.targets[0].shift > 0 ? '+' : ''}${fmtNps(r.targets[0].shift)} points (${fmtNps(r.before.nps)} before, ${fmtNps(r.after.nps)} after).`,
          );
          await targets({ params });
        }
      },
    },
    h('h2', { id: 'rb-heading' }, `Rebaseline ${unit.name} after a process change`),
    h('p', { class: 'help' }, 'The NPS of the 8 weeks after a 2-week grace becomes the baseline; every open NPS target moves by the change from the 8 weeks before.'),
    field('rb-note', 'Process change', note),
    field('rb-reason', 'Reason', reason),
    h('button', { type: 'submit' }, 'Rebaseline'),
    out,
  );
}
