// The quarterly review pack (docs/governance.md "The quarterly review pack"), as a page to read and
// to print on A4 (the browser's print makes the PDF: docs/governance.md "The printable pack").
// Every number comes from GET /api/v1/reviews/{period}; each chart sits beside a table with the same
// numbers and is hidden from assistive technology.
import { distributionChart, trendChart } from '../charts.js';
import { api, attempt, fmtDate, fmtNps, h, main, managedUnits, npsCell, plural, setTitle, table, today, unitSelect } from '../lib.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(1)}%`);
const DIMENSIONS = { segment: 'Segment', tenure: 'Tenure', contractSize: 'Contract size', supportTier: 'Support tier', region: 'Region', channel: 'Channel', locale: 'Locale' };
const KINDS = { drop: 'Significant drop', reconciliation: 'Reconciliation mismatch', recalculation: 'Recalculation', survey_change: 'Survey or sampling change', rebaseline: 'Rebaseline' };
const DRIVER_REASONS = {
  below_min_n: 'Not shown: fewer than 100 answers have every driver.',
  no_predictors: 'Not shown: no measure, numeric question or theme is present on enough answers.',
  constant_predictor: 'Not shown: one driver has the same value on every answer.',
  constant_outcome: 'Not shown: every answer gave the same score.',
  collinear_predictors: 'Not shown: two drivers carry the same information.',
};

/** The quarter a day falls in, and the quarters before it. */
export const quarterOf = (day) => `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) + 2) / 3)}`;
export function quarterBefore(q, steps = 1) {
  const i = Number(q.slice(0, 4)) * 4 + Number(q.slice(6)) - 1 - steps;
  return `${Math.floor(i / 4)}-Q${(i % 4) + 1}`;
}

/** A chart's figure: the drawing hidden from screen readers, the caption saying where its numbers are. */
function figure(caption, drawing, testId) {
  drawing.setAttribute('aria-hidden', 'true');
  return h('figure', { class: 'chart', 'data-testid': testId }, drawing, h('figcaption', {}, caption));
}

/**
 * Horizontal bars on a fixed scale, each with its interval as a line and an optional reference
 * mark (plain HTML: it prints as it shows).
 */
function barsChart(rows, { min = 0, max, caption, testId, marks = [] }) {
  const span = max - min || 1;
  const x = (v) => `${(100 * (Math.min(max, Math.max(min, v)) - min)) / span}%`;
  const box = h('div', { class: 'hbars' });
  for (const r of rows) {
    const zero = x(Math.max(min, 0));
    const left = r.value >= 0 ? zero : x(r.value);
    const right = r.value >= 0 ? x(r.value) : zero;
    box.append(
      h(
        'div',
        { class: 'hbar-row' },
        h('span', { class: 'hbar-label' }, r.label),
        h(
          'span',
          { class: 'hbar-track' },
          h('span', { class: `hbar-fill ${r.tone ?? ''}`, style: `left:${left};width:calc(${right} - ${left})` }),
          r.low !== undefined && r.low !== null ? h('i', { class: 'hbar-ci', style: `left:${x(r.low)};width:calc(${x(r.high)} - ${x(r.low)})` }) : '',
          ...marks.map((m) => h('b', { class: `hbar-mark ${m.tone ?? ''}`, style: `left:${x(m.at)}` })),
          ...(r.marks ?? []).map((m) => h('b', { class: `hbar-mark ${m.tone ?? ''}`, style: `left:${x(m.at)}` })),
        ),
        h('span', { class: 'hbar-value' }, r.text),
      ),
    );
  }
  return figure(caption, box, testId);
}

/** A small line of a rate per period (SVG), for the data-quality chart. */
function rateLine(series) {
  const w = 120;
  const hgt = 28;
  const rates = series.map((p) => p.rate);
  const shown = rates.filter((r) => r !== null);
  const max = Math.max(...shown, 1e-9);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(hgt));
  let d = '';
  rates.forEach((r, i) => {
    if (r === null) return;
    const px = ((i / Math.max(1, rates.length - 1)) * (w - 8) + 4).toFixed(1);
    const py = (hgt - 4 - (r / max) * (hgt - 8)).toFixed(1);
    d += `${d && rates[i - 1] !== null ? 'L' : 'M'}${px} ${py}`;
  });
  svg.innerHTML = `<line x1="0" x2="${w}" y1="${hgt - 4}" y2="${hgt - 4}" stroke="#bbb"/><path d="${d}" fill="none" stroke="#12355b" stroke-width="2"/>`;
  return svg;
}

export function section(title, testId, ...children) {
  return h('section', { class: 'review-section', 'data-testid': testId, 'aria-labelledby': `${testId}-h` }, h('h2', { id: `${testId}-h` }, title), ...children);
}

function headline(r) {
  const s = r.pack.score;
  const delta = s.delta
    ? `${s.delta.points >= 0 ? '+' : ''}${fmtNps(s.delta.points)} points against ${r.pack.previous.period} (p = ${s.delta.p.toFixed(3)})`
    : `no comparison with ${r.pack.previous.period}`;
  return h(
    'div',
    { class: 'cards' },
    h(
      'div',
      { class: 'card' },
      h('div', {}, 'NPS'),
      h('div', { class: 'big', 'data-testid': 'review-nps' }, s.suppressed ? '—' : fmtNps(s.nps)),
      h('small', {}, s.ci ? `95% interval ${fmtNps(s.ci.low)} to ${fmtNps(s.ci.high)}` : 'too few answers'),
    ),
    h('div', { class: 'card' }, h('div', {}, 'Answers'), h('div', { class: 'big' }, String(s.n)), h('small', {}, `${s.promoters} promoters, ${s.passives} passives, ${s.detractors} detractors`)),
    h('div', { class: 'card' }, h('div', {}, 'Change'), h('div', { class: 'big' }, s.delta ? fmtNps(s.delta.points) : '—'), h('small', {}, delta)),
  );
}

function status(r) {
  const parts = [
    r.status === 'closed'
      ? h('p', { class: 'msg', 'data-testid': 'review-status' }, `Closed quarter: the pack as saved on ${fmtDate(r.savedAt)}. Later corrections are listed below and never change it.`)
      : h('p', { class: 'msg', 'data-testid': 'review-status' }, `Open quarter: the numbers as of ${fmtDate(r.generatedAt)}. The pack is saved once the quarter closes (${fmtDate(r.closesAt)}).`),
  ];
  if (r.corrections.length)
    parts.push(
      table(
        'Corrections since the close',
        ['When', 'Change', 'Score', 'Reason', 'In the pack'],
        r.corrections.map((c) =>
          h(
            'tr',
            {},
            h('td', {}, fmtDate(c.at)),
            h('td', {}, c.change),
            h('td', { class: 'num' }, c.score ?? '—'),
            h('td', {}, c.reason ?? '—'),
            h('td', {}, c.inPack ? 'yes (made before it was saved)' : 'no'),
          ),
        ),
      ),
    );
  if (r.current) parts.push(h('p', { 'data-testid': 'review-current' }, `Counted today, with the corrections: NPS ${fmtNps(r.current.nps)} from ${plural(r.current.n, 'answer')}.`));
  return parts;
}

function trendSection(p) {
  const items = p.trend.items.filter((i) => i.period);
  return section(
    'Trend by month',
    'review-trend',
    trendChart(items, [], { unit: 'month' }),
    table(
      'NPS by month with its 95% interval',
      ['Month', 'NPS', 'n'],
      items.map((i) => h('tr', {}, h('th', { scope: 'row' }, i.period), npsCell(i), h('td', { class: 'num' }, String(i.n)))),
    ),
  );
}

function distributionSection(p) {
  if (!p.distribution) return section('Distribution of scores', 'review-distribution', h('p', { class: 'suppressed' }, 'Too few answers to show.'));
  return section(
    'Distribution of scores',
    'review-distribution',
    distributionChart(p.distribution),
    table(
      'Answers per score',
      ['Score', 'Answers'],
      p.distribution.map((c, s) => h('tr', {}, h('th', { scope: 'row' }, String(s)), h('td', { class: 'num' }, String(c)))),
    ),
  );
}

function driversSection(p) {
  const d = p.drivers;
  if (d.suppressed) return section('Key drivers', 'review-drivers', h('p', { class: 'suppressed' }, DRIVER_REASONS[d.suppressedReason] ?? d.suppressedReason));
  const max = Math.max(...d.items.map((i) => i.ci.high), 1e-9);
  const name = (i) => (i.kind === 'theme' && i.name ? `Mentions ${i.name}` : i.driver);
  return section(
    'Key drivers',
    'review-drivers',
    h('p', {}, `Relative weights over ${plural(d.n, 'answer')}; together the drivers explain ${pct(d.r2)} of the variation in the score.`),
    barsChart(
      d.items.map((i) => ({ label: name(i), value: i.weight, low: i.ci.low, high: i.ci.high, text: i.weight.toFixed(3), tone: i.significant ? '' : 'ns' })),
      { max, caption: 'Weight of each driver with its 95% interval (hatched: not distinguishable from noise); the numbers are in the table below.', testId: 'drivers-chart' },
    ),
    table(
      'Relative weights',
      ['Driver', 'Weight', 'Interval', 'Significant'],
      d.items.map((i) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, name(i)),
          h('td', { class: 'num' }, i.weight.toFixed(3)),
          h('td', { class: 'num' }, `${i.ci.low.toFixed(3)} to ${i.ci.high.toFixed(3)}`),
          h('td', {}, i.significant ? 'yes' : 'no'),
        ),
      ),
    ),
  );
}

function themesSection(p) {
  if (!p.themes.length) return section('Themes', 'review-themes', h('p', { class: 'suppressed' }, 'No theme in the comments of the quarter.'));
  const max = Math.max(...p.themes.map((t) => Math.abs(t.impact)), 1);
  return section(
    'Themes',
    'review-themes',
    barsChart(
      p.themes.map((t) => ({ label: t.name, value: t.impact, text: `${t.impact >= 0 ? '+' : ''}${t.impact.toFixed(1)}`, tone: t.impact >= 0 ? 'neg' : 'pos' })),
      { min: -max, max, caption: 'Impact of each theme: the points the NPS would change if its answers were passives; the numbers are in the table below.', testId: 'themes-chart' },
    ),
    table(
      'The themes with the largest impact',
      ['Theme', 'Comments', 'Share', 'NPS among them', 'Impact'],
      p.themes.map((t) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, t.name, t.emerging ? h('small', {}, ' emerging') : ''),
          h('td', { class: 'num' }, String(t.comments)),
          h('td', { class: 'num' }, pct(t.share)),
          h('td', { class: 'num' }, fmtNps(t.nps)),
          h('td', { class: 'num' }, t.impact.toFixed(1)),
        ),
      ),
    ),
  );
}

function targetsSection(p) {
  if (!p.targets.length) return section('Targets and attainment', 'review-targets', h('p', { class: 'suppressed' }, 'No target was set for this quarter in this part of the hierarchy.'));
  const values = p.targets.flatMap((t) => [t.target.threshold, t.target.target, t.target.stretch, t.nps ?? 0, t.ci?.low ?? 0, t.ci?.high ?? 0]);
  const min = Math.max(-100, Math.floor(Math.min(...values) / 10) * 10 - 10);
  const max = Math.min(100, Math.ceil(Math.max(...values) / 10) * 10 + 10);
  return section(
    'Targets and attainment',
    'review-targets',
    barsChart(
      p.targets.map((t) => ({
        label: t.unitName,
        value: t.nps ?? 0,
        low: t.ci?.low,
        high: t.ci?.high,
        text: t.suppressed ? '—' : fmtNps(t.nps),
        marks: [
          { at: t.target.threshold, tone: 'threshold' },
          { at: t.target.target, tone: 'target' },
          { at: t.target.stretch, tone: 'stretch' },
        ],
      })),
      { min, max, caption: 'NPS of each unit with a target, its 95% interval, and its threshold, target and stretch (marks); the numbers are in the table below.', testId: 'targets-chart' },
    ),
    table(
      'Targets of the quarter',
      ['Unit', 'NPS', 'Threshold', 'Target', 'Stretch', 'Band reached'],
      p.targets.map((t) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, t.unitName),
          npsCell(t),
          h('td', { class: 'num' }, fmtNps(t.target.threshold)),
          h('td', { class: 'num' }, fmtNps(t.target.target)),
          h('td', { class: 'num' }, fmtNps(t.target.stretch)),
          h('td', {}, `${t.band ?? '—'}${t.reached ? ` (${t.reached.replace('_', ' ')})` : ''}`),
        ),
      ),
    ),
  );
}

export function representativenessSection(p) {
  const r = p.representativeness;
  const groups = r.groups.filter((g) => g.invited > 0);
  const label = (g) => `${DIMENSIONS[g.dimension] ?? g.dimension}: ${g.label ?? g.key}`;
  return section(
    'Representativeness',
    'review-representativeness',
    h(
      'p',
      {},
      `${plural(r.invited, 'invitation')} delivered, ${r.responded} answered: ${pct(r.rate)}. Under-represented: ${r.underRepresented.length ? r.underRepresented.map((u) => `${u.dimension} ${u.key}`).join(', ') : 'none'}.`,
    ),
    groups.length
      ? barsChart(
          groups.map((g) => ({ label: label(g), value: g.rate, low: g.ci?.low, high: g.ci?.high, text: pct(g.rate), tone: g.underRepresented ? 'neg' : '' })),
          {
            max: 1,
            marks: [{ at: r.rate, tone: 'target' }],
            caption: 'Response rate of each group with its 95% interval; the mark is the overall rate; red: under-represented. The numbers are in the table below.',
            testId: 'representativeness-chart',
          },
        )
      : h('p', { class: 'suppressed' }, 'No invitation was delivered in the period.'),
    table(
      'Response rate by group',
      ['Group', 'Invited', 'Answered', 'Rate', 'Interval', 'Under-represented'],
      groups.map((g) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, label(g)),
          h('td', { class: 'num' }, String(g.invited)),
          h('td', { class: 'num' }, String(g.responded)),
          h('td', { class: 'num' }, pct(g.rate)),
          h('td', { class: 'num' }, g.ci ? `${pct(g.ci.low)} to ${pct(g.ci.high)}` : '—'),
          h('td', {}, g.underRepresented ? 'yes' : g.test ? 'no' : 'not tested'),
        ),
      ),
    ),
    h('p', {}, `Post-stratification by segment would weigh ${plural(r.poststratification.n, 'answer')} as ${r.poststratification.effectiveN.toFixed(1)} effective answers.`),
  );
}

export function qualitySection(p) {
  const q = p.quality;
  const metrics = q.metrics.filter((m) => m.series.some((s) => s.count > 0));
  const box = h('div', { class: 'quality-lines' });
  for (const m of metrics) box.append(h('div', { class: 'quality-line' }, h('span', {}, m.label), rateLine(m.series), h('span', {}, pct(m.series.at(-1).rate))));
  return section(
    'Data quality and fatigue',
    'review-quality',
    metrics.length
      ? figure(`The rate of each rule over ${q.periods.join(', ')}; the numbers are in the table below.`, box, 'quality-chart')
      : h('p', {}, 'No answer flagged, no invitation skipped, bounced or dead, no late follow-up in these quarters.'),
    table(
      'Rates per period',
      ['What', ...q.periods, 'Trend'],
      metrics.map((m) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, m.label),
          ...m.series.map((s) => h('td', { class: 'num' }, `${s.count} (${pct(s.rate)})`)),
          h('td', {}, m.trend ? `${m.trend.direction} (${m.trend.points >= 0 ? '+' : ''}${m.trend.points.toFixed(1)} points)` : '—'),
        ),
      ),
    ),
  );
}

export function exceptionsSection(p) {
  const items = p.exceptions.items;
  return section(
    'Exceptions',
    'review-exceptions',
    items.length
      ? table(
          'Exceptions recorded in the period, newest first',
          ['When', 'Kind', 'What', 'Root cause', 'Action', 'Recorded by'],
          items.map((e) =>
            h(
              'tr',
              {},
              h('td', {}, e.occurredAt.slice(0, 10)),
              h('td', {}, KINDS[e.kind] ?? e.kind),
              h('td', {}, e.summary),
              h('td', {}, e.rootCause ?? '—'),
              h('td', {}, [e.correctiveAction, ...e.plans.map((pl) => `Plan: ${pl.title} (${pl.status})`)].filter(Boolean).join('; ') || '—'),
              h('td', {}, [...new Set(e.trail.map((x) => x.actorName ?? x.actorType))].join(', ')),
            ),
          ),
        )
      : h('p', {}, 'No exception was recorded in the period.'),
  );
}

export default async function review({ params }) {
  setTitle('Quarterly review');
  const units = managedUnits(['admin', 'analyst', 'manager']);
  const current = quarterOf(today());
  const quarters = Array.from({ length: 8 }, (_, i) => quarterBefore(current, i));
  const chosen = params.get('period') ?? quarterBefore(current);
  const f = {
    unit: unitSelect('review-unit', units, params.get('unit') ?? units[0]?.id),
    period: h(
      'select',
      { id: 'review-period' },
      quarters.map((q) => h('option', { value: q, selected: q === chosen }, q)),
    ),
  };
  const out = h('div', { class: 'review', 'aria-live': 'polite' });
  main.append(
    h(
      'form',
      {
        class: 'row filters no-print',
        onsubmit: (e) => {
          e.preventDefault();
          location.hash = `#/review?${new URLSearchParams({ unit: f.unit.value, period: f.period.value })}`;
        },
      },
      h('label', { for: 'review-unit' }, 'Unit', f.unit),
      h('label', { for: 'review-period' }, 'Quarter', f.period),
      h('button', { type: 'submit' }, 'Show'),
      h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, 'Print or save as PDF'),
    ),
    out,
  );
  await attempt(out, async () => {
    const r = await api('GET', `/api/v1/reviews/${encodeURIComponent(f.period.value)}?unitId=${encodeURIComponent(f.unit.value)}`);
    const p = r.pack;
    out.append(
      h('p', { class: 'review-title' }, h('strong', {}, `${r.unitName}, ${r.period}`), ` (${r.from} to ${r.to})`),
      ...status(r),
      headline(r),
      trendSection(p),
      distributionSection(p),
      driversSection(p),
      themesSection(p),
      targetsSection(p),
      representativenessSection(p),
      qualitySection(p),
      exceptionsSection(p),
    );
    out.dataset.ready = 'true';
  });
}
