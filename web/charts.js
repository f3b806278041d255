// Charts (docs/portal.md "Charts"): drawings of numbers the API gave, never a computation of
// scores. Each chart is hidden from assistive technology and sits beside a table holding the same
// numbers (the table is what a screen reader reads). The trend uses uPlot (web/vendor, served as a
// static asset); the bars and sparklines are plain HTML and SVG.
import uPlot from '/vendor/uPlot.esm.js';
import { ANNOTATION_KINDS, fmtNps, h } from './lib.js';

export const COLORS = { promoter: '#2e7d32', passive: '#b07d00', detractor: '#b3261e', line: '#12355b', band: 'rgba(91,143,199,0.28)' };
const categoryOfScore = (s) => (s >= 9 ? 'promoter' : s >= 7 ? 'passive' : 'detractor');

/** A period key of the scores API (`YYYY-MM`, a Monday `YYYY-MM-DD`, `YYYY-Qn`) as epoch seconds of its first day (UTC). */
export function periodStart(period) {
  const q = /^(\d{4})-Q([1-4])$/.exec(period);
  if (q) return Date.UTC(Number(q[1]), (Number(q[2]) - 1) * 3, 1) / 1000;
  const [y, m, d] = period.split('-').map(Number);
  return Date.UTC(y, m - 1, d || 1) / 1000;
}

/** A figure for a chart: the drawing is aria-hidden, the caption says where its numbers are. */
function figure(caption, drawing, testId) {
  drawing.setAttribute('aria-hidden', 'true');
  return h('figure', { class: 'chart', 'data-testid': testId }, drawing, h('figcaption', {}, caption));
}

/**
 * The NPS trend: the line through each period's NPS, its interval as a band, n in the legend, the
 * annotations as dashed lines with their titles. Suppressed periods leave a gap.
 */
export function trendChart(items, notes, { unit = 'month' } = {}) {
  const rows = items.filter((i) => i.period);
  const box = h('div', { class: 'trend-chart' });
  if (rows.length === 0) return figure('No answers in the period.', box, 'trend-chart');
  const x = rows.map((i) => periodStart(i.period));
  const nps = rows.map((i) => (i.suppressed ? null : i.nps));
  const low = rows.map((i) => (i.suppressed || !i.ci ? null : i.ci.low));
  const high = rows.map((i) => (i.suppressed || !i.ci ? null : i.ci.high));
  const n = rows.map((i) => i.n);
  const marks = notes.map((a) => ({ at: Date.parse(`${a.date}T00:00:00Z`) / 1000, label: `${ANNOTATION_KINDS[a.kind] ?? a.kind}: ${a.title}` }));
  const fmtPeriod = (s) => {
    const d = new Date(s * 1000);
    return unit === 'week' ? d.toISOString().slice(0, 10) : d.toLocaleDateString('en', { month: 'short', year: 'numeric', timeZone: 'UTC' });
  };
  const opts = {
    width: 600,
    height: 260,
    // Room on the right for the last period's label (else cut at the canvas's edge).
    padding: [null, 32, null, null],
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.max(-100, Math.floor(Math.min(min ?? 0, 0) / 10) * 10), Math.min(100, Math.ceil((max ?? 50) / 10) * 10 + 10)] }, n: {} },
    // One tick per period, labelled as often as the width allows.
    axes: [
      {
        splits: () => x,
        values: (u, splits) => {
          const step = Math.max(1, Math.ceil(splits.length / Math.max(1, Math.floor(u.bbox.width / devicePixelRatio / (unit === 'week' ? 90 : 70)))));
          return splits.map((v, i) => ((splits.length - 1 - i) % step === 0 ? fmtPeriod(v) : ''));
        },
      },
      { label: 'NPS', values: (_u, splits) => splits.map((v) => String(v)) },
    ],
    legend: { live: true },
    series: [
      { label: unit === 'week' ? 'Week of' : 'Month', value: (_u, v) => (v == null ? '—' : fmtPeriod(v)) },
      { label: 'Interval low', stroke: 'rgba(91,143,199,0.7)', width: 1, value: (_u, v) => (v == null ? '—' : fmtNps(v)), points: { show: false } },
      { label: 'Interval high', stroke: 'rgba(91,143,199,0.7)', width: 1, value: (_u, v) => (v == null ? '—' : fmtNps(v)), points: { show: false } },
      { label: 'NPS', stroke: COLORS.line, width: 2.5, value: (_u, v, _s, idx) => (idx == null ? '—' : v == null ? 'too few answers' : fmtNps(v)), points: { size: 6, fill: COLORS.line } },
      { label: 'n', scale: 'n', value: (_u, v) => (v == null ? '—' : String(v)), paths: () => null, points: { show: false } },
    ],
    bands: [{ series: [2, 1], fill: COLORS.band }],
    hooks: {
      draw: [
        (u) => {
          const { ctx, bbox } = u;
          ctx.save();
          ctx.setLineDash([5, 4]);
          ctx.strokeStyle = '#8a4b00';
          ctx.fillStyle = '#8a4b00';
          ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
          for (const m of marks) {
            const px = u.valToPos(m.at, 'x', true);
            if (px < bbox.left || px > bbox.left + bbox.width) continue;
            ctx.beginPath();
            ctx.moveTo(px, bbox.top);
            ctx.lineTo(px, bbox.top + bbox.height);
            ctx.stroke();
            ctx.fillText(m.label, Math.min(px + 4, bbox.left + bbox.width - ctx.measureText(m.label).width), bbox.top + 14 * devicePixelRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
  const chart = new uPlot(opts, [x, low, high, nps, n], box);
  const fit = () => box.clientWidth && chart.setSize({ width: box.clientWidth, height: box.clientWidth < 480 ? 200 : 260 });
  new ResizeObserver(fit).observe(box);
  requestAnimationFrame(fit);
  return figure(`NPS per ${unit} with its 95% interval (band)${marks.length ? ' and what happened (dashed lines)' : ''}; the numbers are in the table below.`, box, 'trend-chart');
}

/** Promoters, passives and detractors per period as 100% stacked columns (shares of n). */
export function mixChart(items, { unit = 'month' } = {}) {
  const rows = items.filter((i) => i.period && i.n > 0 && !i.suppressed);
  const cols = h('div', { class: 'mix-chart' });
  for (const i of rows) {
    const total = i.promoters + i.passives + i.detractors || 1;
    cols.append(
      h(
        'div',
        { class: 'mix-col', title: i.period },
        h(
          'div',
          { class: 'bars' },
          ['promoter', 'passive', 'detractor'].map((c) => h('span', { class: `seg ${c}`, style: `height:${((100 * i[`${c}s`]) / total).toFixed(2)}%` })),
        ),
        h('small', {}, unit === 'week' ? i.period.slice(5) : i.period.slice(2)),
      ),
    );
  }
  return figure(
    h(
      'span',
      {},
      legendItem('promoter', 'Promoters'),
      legendItem('passive', 'Passives'),
      legendItem('detractor', 'Detractors'),
      ` per ${unit}, as shares of the answers; the counts are in the table below.`,
    ),
    cols,
    'mix-chart',
  );
}

const legendItem = (c, label) => h('span', { class: 'key' }, h('span', { class: `swatch ${c}` }), label, ' ');

/** The 0–10 distribution as columns coloured by category (detractors 0–6, passives 7–8, promoters 9–10). */
export function distributionChart(counts) {
  const max = Math.max(1, ...counts);
  const cols = h('div', { class: 'dist-chart' });
  for (const [score, count] of counts.entries())
    cols.append(
      h(
        'div',
        { class: 'dist-col' },
        h('div', { class: 'bars' }, h('span', { class: `seg ${categoryOfScore(score)}`, style: `height:${((100 * count) / max).toFixed(2)}%` })),
        h('small', {}, String(score)),
      ),
    );
  return figure(
    h('span', {}, 'Answers per score, coloured by category: ', legendItem('detractor', '0–6'), legendItem('passive', '7–8'), legendItem('promoter', '9–10'), '; the counts are in the table below.'),
    cols,
    'dist-chart',
  );
}

/** A sparkline of a group's NPS per period (suppressed periods leave a gap), for a table cell; hidden from screen readers (the row has the numbers). */
export function sparkline(points) {
  const w = 96;
  const hgt = 24;
  const shown = points.filter((p) => p !== null);
  if (shown.length < 2) return h('span', { class: 'suppressed' }, '—');
  const min = Math.min(...shown, 0);
  const max = Math.max(...shown, 0);
  const span = max - min || 1;
  const xy = (v, i) => [((i / (points.length - 1)) * (w - 4) + 2).toFixed(1), (hgt - 2 - ((v - min) / span) * (hgt - 4)).toFixed(1)];
  let d = '';
  points.forEach((v, i) => {
    if (v === null) return;
    const [px, py] = xy(v, i);
    d += `${d && points[i - 1] !== null ? 'L' : 'M'}${px} ${py}`;
  });
  const zero = xy(0, 0)[1];
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(hgt));
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'spark');
  svg.innerHTML = `<line x1="0" x2="${w}" y1="${zero}" y2="${zero}" stroke="#bbb" stroke-width="1"/><path d="${d}" fill="none" stroke="${COLORS.line}" stroke-width="1.5"/>`;
  return svg;
}

/**
 * An action plan's NPS before and after (docs/portal.md "Charts"): each window's NPS as a point
 * with its 95% interval as a whisker, joined by a line; a window without enough answers leaves a
 * gap. The numbers are in the table beside it.
 */
export function beforeAfterChart(windows) {
  const box = h('div', { class: 'before-after-chart' });
  const shown = windows.filter((w) => w.item && !w.item.suppressed);
  if (shown.length === 0) return figure('Too few answers in both windows to draw them.', box, 'before-after-chart');
  const x = windows.map((_, i) => i);
  const nps = windows.map((w) => (w.item && !w.item.suppressed ? w.item.nps : null));
  const lows = windows.map((w) => (w.item && !w.item.suppressed && w.item.ci ? w.item.ci.low : null));
  const highs = windows.map((w) => (w.item && !w.item.suppressed && w.item.ci ? w.item.ci.high : null));
  const values = [...lows, ...highs, ...nps].filter((v) => v !== null);
  const yMin = Math.max(-100, Math.floor((Math.min(...values, 0) - 5) / 10) * 10);
  const yMax = Math.min(100, Math.ceil((Math.max(...values, 0) + 5) / 10) * 10);
  const opts = {
    width: 400,
    height: 220,
    scales: { x: { time: false, range: [-0.5, windows.length - 0.5] }, y: { range: [yMin, yMax] } },
    axes: [{ splits: () => x, values: (_u, splits) => splits.map((v) => windows[v]?.label ?? '') }, { label: 'NPS' }],
    legend: { show: false },
    series: [{}, { label: 'NPS', stroke: COLORS.line, width: 2, points: { size: 9, fill: COLORS.line } }],
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          ctx.save();
          ctx.strokeStyle = COLORS.line;
          ctx.fillStyle = '#1b1b1b';
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
          windows.forEach((w, i) => {
            const px = u.valToPos(i, 'x', true);
            if (lows[i] !== null && highs[i] !== null) {
              const [top, bottom] = [u.valToPos(highs[i], 'y', true), u.valToPos(lows[i], 'y', true)];
              const cap = 6 * devicePixelRatio;
              ctx.beginPath();
              ctx.moveTo(px, top);
              ctx.lineTo(px, bottom);
              ctx.moveTo(px - cap, top);
              ctx.lineTo(px + cap, top);
              ctx.moveTo(px - cap, bottom);
              ctx.lineTo(px + cap, bottom);
              ctx.stroke();
            }
            if (nps[i] !== null) ctx.fillText(`${fmtNps(nps[i])} (n = ${w.item.n})`, px + 10 * devicePixelRatio, u.valToPos(nps[i], 'y', true) - 6 * devicePixelRatio);
          });
          ctx.restore();
        },
      ],
    },
  };
  const chart = new uPlot(opts, [x, nps], box);
  const fit = () => box.clientWidth && chart.setSize({ width: box.clientWidth, height: 220 });
  new ResizeObserver(fit).observe(box);
  requestAnimationFrame(fit);
  return figure('NPS before and after with its 95% interval (whiskers); the numbers are in the table below.', box, 'before-after-chart');
}

/**
 * The churn model's calibration (docs/accounts.md "Validation by time"): each bin's mean predicted
 * probability against the churn rate observed in it, on the held-out months, with the diagonal of
 * perfect calibration. The bins' numbers (and n) are in the table beside it.
 */
export function calibrationChart(bins) {
  const box = h('div', { class: 'calibration-chart' });
  if (bins.length === 0) return figure('No held-out months to check the calibration on.', box, 'calibration-chart');
  const rows = [...bins].sort((a, b) => a.meanPredicted - b.meanPredicted);
  const x = rows.map((b) => b.meanPredicted);
  const top = Math.min(1, Math.ceil(Math.max(...rows.map((b) => Math.max(b.meanPredicted, b.observedRate)), 0.1) * 10) / 10);
  const pct = (v) => (v == null ? '—' : `${(v * 100).toFixed(1)}%`);
  const opts = {
    width: 480,
    height: 300,
    scales: { x: { time: false, range: () => [0, top] }, y: { range: () => [0, top] } },
    axes: [
      { label: 'Predicted probability', values: (_u, splits) => splits.map((v) => `${Math.round(v * 100)}%`) },
      { label: 'Observed churn rate', values: (_u, splits) => splits.map((v) => `${Math.round(v * 100)}%`) },
    ],
    series: [
      { label: 'Predicted', value: (_u, v) => pct(v) },
      { label: 'Observed', stroke: COLORS.line, width: 2, value: (_u, v) => pct(v), points: { size: 7, fill: COLORS.line } },
      { label: 'Perfect calibration', stroke: '#8a8a8a', width: 1, dash: [5, 4], value: (_u, v) => pct(v), points: { show: false } },
    ],
  };
  const chart = new uPlot(opts, [x, rows.map((b) => b.observedRate), x], box);
  const fit = () => box.clientWidth && chart.setSize({ width: Math.min(box.clientWidth, 600), height: box.clientWidth < 480 ? 240 : 300 });
  new ResizeObserver(fit).observe(box);
  requestAnimationFrame(fit);
  return figure(
    'Observed churn rate against the predicted probability, per bin of the held-out months (the dashed line is perfect calibration); the numbers are in the table below.',
    box,
    'calibration-chart',
  );
}

/** The stakeholder roles of account NPS, each with its own colour and dash (never told apart by colour alone). */
const ROLE_STYLES = {
  decision_maker: { label: 'Decision maker', stroke: '#12355b', dash: undefined },
  influencer: { label: 'Influencer', stroke: '#8a4b00', dash: [8, 4] },
  user: { label: 'User', stroke: '#2e7d32', dash: [2, 3] },
};

/**
 * An account's NPS per month and stakeholder role (docs/accounts.md "The account's history"):
 * one line per role, solid, dashed and dotted; a month with too few answers of a role leaves a
 * gap. The numbers (with n) are in the table below.
 */
export function roleTrendChart(rows) {
  const box = h('div', { class: 'role-trend-chart' });
  const months = [...new Set(rows.map((r) => r.month))].sort();
  const roles = Object.keys(ROLE_STYLES).filter((role) => rows.some((r) => r.role === role && !r.suppressed && r.nps !== null));
  if (months.length === 0 || roles.length === 0) return figure('Too few answers of any role to draw.', box, 'role-trend-chart');
  const x = months.map((m) => periodStart(m));
  const at = new Map(rows.map((r) => [`${r.month}|${r.role}`, r]));
  const line = (role) =>
    months.map((m) => {
      const r = at.get(`${m}|${role}`);
      return r && !r.suppressed ? r.nps : null;
    });
  const fmtMonth = (s) => new Date(s * 1000).toLocaleDateString('en', { month: 'short', year: 'numeric', timeZone: 'UTC' });
  const opts = {
    width: 600,
    height: 260,
    padding: [null, 32, null, null],
    scales: { x: { time: true }, y: { range: () => [-100, 100] } },
    axes: [
      {
        splits: () => x,
        values: (u, splits) => {
          const step = Math.max(1, Math.ceil(splits.length / Math.max(1, Math.floor(u.bbox.width / devicePixelRatio / 70))));
          return splits.map((v, i) => ((splits.length - 1 - i) % step === 0 ? fmtMonth(v) : ''));
        },
      },
      { label: 'NPS' },
    ],
    series: [
      { label: 'Month', value: (_u, v) => (v == null ? '—' : fmtMonth(v)) },
      ...roles.map((role) => ({
        label: ROLE_STYLES[role].label,
        stroke: ROLE_STYLES[role].stroke,
        dash: ROLE_STYLES[role].dash,
        width: 2,
        spanGaps: false,
        value: (_u, v) => (v == null ? 'too few answers' : fmtNps(v)),
        points: { size: 6, fill: ROLE_STYLES[role].stroke },
      })),
    ],
  };
  const chart = new uPlot(opts, [x, ...roles.map(line)], box);
  const fit = () => box.clientWidth && chart.setSize({ width: box.clientWidth, height: box.clientWidth < 480 ? 200 : 260 });
  new ResizeObserver(fit).observe(box);
  requestAnimationFrame(fit);
  return figure('NPS per month of each stakeholder role (decision makers solid, influencers dashed, users dotted); the numbers are in the table below.', box, 'role-trend-chart');
}

/**
 * An account's behaviour signals (docs/accounts.md): one small chart per signal, its daily values
 * over the window (each signal on its own scale: logins and tickets do not share an axis). The
 * first, latest and latest value are in the table below.
 */
export function signalsChart(signals) {
  const wrap = h('div', { class: 'signal-charts' });
  const shown = signals.filter((s) => s.values.length > 0);
  if (shown.length === 0) return figure('No signal values in the window.', wrap, 'signals-chart');
  for (const s of shown) {
    const box = h('div', { class: 'signal-chart', 'data-signal': s.name });
    const x = s.values.map((v) => Date.parse(`${v.date}T00:00:00Z`) / 1000);
    const y = s.values.map((v) => v.value);
    const opts = {
      title: s.name,
      width: 300,
      height: 150,
      scales: { x: { time: true } },
      axes: [{ values: (_u, splits) => splits.map((v) => new Date(v * 1000).toLocaleDateString('en', { month: 'short', day: 'numeric', timeZone: 'UTC' })) }, {}],
      legend: { show: false },
      series: [{}, { label: s.name, stroke: COLORS.line, width: 1.5, points: { show: s.values.length <= 40, size: 4, fill: COLORS.line } }],
    };
    const chart = new uPlot(opts, [x, y], box);
    const fit = () => box.clientWidth && chart.setSize({ width: box.clientWidth, height: 150 });
    new ResizeObserver(fit).observe(box);
    requestAnimationFrame(fit);
    wrap.append(box);
  }
  return figure('Daily values of each behaviour signal, one chart per signal on its own scale; the first and latest values are in the table below.', wrap, 'signals-chart');
}
