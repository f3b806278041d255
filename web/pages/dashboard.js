// Dashboard: NPS with its interval, the trend, and breakdowns with drill-down through the hierarchy.
import {
  ANNOTATION_KINDS,
  api,
  attempt,
  crumbs,
  daysAgo,
  deltaCell,
  eventsCell,
  field,
  firstContent,
  nextFrame,
  quiet,
  fmtNps,
  h,
  hasRole,
  lowSampleMark,
  main,
  npsCell,
  plural,
  session,
  setNotice,
  setTitle,
  table,
  today,
  topUnit,
} from '../lib.js';
import { distributionChart, mixChart, sparkline, trendChart } from '../charts.js';

const RANGES = { 90: 'Last 90 days', 180: 'Last 6 months', 365: 'Last 12 months' };

/** Pages of the same unit reached from here (they are not in the main navigation). */
const COMPARE = [
  ['league', 'League table'],
  ['targets', 'Targets'],
  ['clusters', 'Peer clusters'],
];

const PERIODS = { month: 'Month', week: 'Week' };

const GROUPS = { unit: 'Unit', touchpoint: 'Touchpoint', channel: 'Channel', segment: 'Segment' };

export default async function dashboard({ params }) {
  const unitId = params.get('unit');
  const by = params.get('by');
  const unit = (unitId && session().byId.get(unitId)) || topUnit();
  const group = GROUPS[by] ? by : 'unit';
  const days = Number(sessionStorage.getItem('range') ?? 180);
  const period = PERIODS[sessionStorage.getItem('period')] ? sessionStorage.getItem('period') : 'month';
  const from = daysAgo(days - 1);
  const to = today();
  const q = `unitId=${unit.id}&from=${from}&to=${to}`;
  // Every call of the page's scores at once; each part is drawn when its own answer arrives (the
  // NPS cards first), not after the slowest. A rejection is handled where the part is drawn.
  const total = api('GET', `/api/v1/scores?${q}&compare=previous&distribution=true`);
  const trend = quiet(api('GET', `/api/v1/scores?${q}&period=${period}`));
  const children = quiet(api('GET', `/api/v1/scores?${q}&groupBy=${group}&compare=previous`));
  const touchpoints = group === 'touchpoint' ? api('GET', '/api/v1/touchpoints').catch(() => ({ items: [] })) : { items: [] };
  const notes = quiet(api('GET', `/api/v1/annotations?${q}`));
  const all = (await total).items[0];
  // The rest of the home (program health, a manager's part, the sparklines) is asked for once the
  // cards' scores are in: before, it would share the server with the calls the first figures wait for.
  const managerOnly = hasRole('manager') && !hasRole('admin', 'analyst');
  const health = hasRole('admin', 'analyst', 'manager') ? healthCalls(unit, from, to) : null;
  const mine = managerOnly ? managerCalls(unit) : null;
  const sparks = api('GET', `/api/v1/scores?${q}&groupBy=${group}&period=month`).catch(() => null);
  setTitle(`Dashboard: ${unit.name}`);
  // Drawn in parts: busy until the last (tests and screen readers wait for the whole page).
  const drawing = ++drawings;
  main.setAttribute('aria-busy', 'true');
  const go = (u, g) => (location.hash = `#/dashboard?unit=${u}${g === 'unit' ? '' : `&by=${g}`}`);
  const range = h(
    'select',
    { id: 'range', onchange: (e) => (sessionStorage.setItem('range', e.target.value), dashboard({ params })) },
    Object.entries(RANGES).map(([v, l]) => h('option', { value: v, selected: Number(v) === days }, l)),
  );
  const periodSel = h(
    'select',
    { id: 'period', onchange: (e) => (sessionStorage.setItem('period', e.target.value), dashboard({ params })) },
    Object.entries(PERIODS).map(([v, l]) => h('option', { value: v, selected: v === period }, l)),
  );
  const groupSel = h(
    'select',
    { id: 'group', onchange: (e) => go(unit.id, e.target.value) },
    Object.entries(GROUPS).map(([v, l]) => h('option', { value: v, selected: v === group }, l)),
  );
  main.append(
    crumbs(unit),
    h('div', { class: 'row' }, h('label', { for: 'range' }, 'Period', range), h('label', { for: 'period' }, 'Trend by', periodSel), h('label', { for: 'group' }, 'Break down by', groupSel)),
    h(
      'nav',
      { class: 'more', 'aria-label': 'Compare and targets' },
      h(
        'ul',
        {},
        COMPARE.map(([page, label]) => h('li', {}, h('a', { href: `#/${page}?unit=${unit.id}` }, label))),
        // The quarterly review pack: for the roles that read it (scores, invitations and alerts).
        hasRole('admin', 'analyst', 'manager') ? h('li', {}, h('a', { href: `#/review?unit=${unit.id}` }, 'Quarterly review')) : '',
        hasRole('admin', 'analyst', 'manager') ? h('li', {}, h('a', { href: `#/governance?unit=${unit.id}` }, 'Program governance')) : '',
      ),
    ),
    firstContent(
      h(
        'div',
        { class: 'cards' },
        h(
          'div',
          { class: 'card' },
          h('div', {}, 'NPS'),
          h('div', { class: `big${all.suppressed ? ' suppressed' : ''}`, 'data-testid': 'nps' }, all.suppressed ? 'Too few answers' : fmtNps(all.nps)),
          all.ci ? h('div', {}, `95% interval ${fmtNps(all.ci.low)} to ${fmtNps(all.ci.high)}`, lowSampleMark(all)) : '',
        ),
        h(
          'div',
          { class: 'card' },
          h('div', {}, 'Answers (n)'),
          h('div', { class: 'big' }, String(all.n)),
          h('div', {}, `${all.promoters} promoters · ${all.passives} passives · ${all.detractors} detractors`),
        ),
        h(
          'div',
          { class: 'card' },
          h('div', {}, 'Change vs previous period'),
          h('div', { class: 'big' }, all.delta ? `${all.delta.points > 0 ? '+' : ''}${fmtNps(all.delta.points)}` : '—'),
          all.delta ? h('div', {}, all.delta.p < 0.05 ? '★ significant' : 'not significant') : h('div', {}, 'not comparable'),
        ),
      ),
    ),
  );
  // The places of the parts, in the page's order; each filled when its answers arrive.
  // A manager's home (not an admin's or analyst's): their units ranked, the cases due next, the plans under way.
  const mineBox = managerOnly ? h('section', { 'aria-labelledby': 'mine-heading', 'data-testid': 'manager-home' }) : null;
  const overTime = h('div', {});
  const distributionBox = h('div', {});
  // Program health comes after the scores, without holding them up.
  const healthBox = health ? h('section', { 'aria-labelledby': 'health-heading', 'data-testid': 'health' }) : null;
  const byGroup = h('div', {});
  main.append(...[mineBox, overTime, distributionBox, healthBox, hasRole('admin', 'manager') ? annotateForm(unit, params) : null, byGroup].filter(Boolean));
  // The cards are painted before the charts and tables below are built.
  await nextFrame();
  const parts = [
    Promise.all([trend, notes]).then(([trend, notes]) => overTime.append(...overTimePart(trend.items, notes.items, period))),
    (async () => distributionBox.append(h('h2', {}, 'Score distribution'), distribution(all)))(),
    Promise.all([children, touchpoints]).then(([children, touchpoints]) => byGroup.append(...breakdownPart(unit, group, children.items, touchpoints.items, sparks))),
    mineBox ? Promise.all([mine, group === 'unit' ? children.then((c) => c.items) : null]).then(([calls, units]) => managerHome(mineBox, unit, units, calls)) : null,
    healthBox ? health.then((calls) => programHealth(healthBox, unit, calls)) : null,
  ];
  try {
    await Promise.all(parts);
  } finally {
    // Not when the dashboard is being drawn again meanwhile (another period, an annotation added).
    if (drawing === drawings) main.removeAttribute('aria-busy');
  }
}

/** How many times the dashboard was drawn: only the latest clears the page's busy state. */
let drawings = 0;

/** The trend of the unit: the NPS with its band, the mix, and their table with the annotations. */
function overTimePart(items, notes, period) {
  return [
    h('h2', {}, 'Over time'),
    trendChart(items, notes, { unit: period }),
    mixChart(items, { unit: period }),
    table(
      `NPS per ${period} with its interval and n, and what happened`,
      [PERIODS[period], 'NPS', 'n', 'Events', 'Promoters · passives · detractors'],
      items.map((i) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, i.period ?? '—'),
          npsCell(i),
          h('td', { class: 'num' }, String(i.n)),
          eventsCell(notes, i.period, period === 'week' ? 7 : 0),
          h('td', { class: 'num' }, i.suppressed ? '—' : `${i.promoters} · ${i.passives} · ${i.detractors}`),
        ),
      ),
    ),
  ];
}

/** The breakdown by unit, touchpoint, channel or segment; its sparklines filled when their scores arrive. */
function breakdownPart(unit, group, items, touchpoints, sparks) {
  const tpName = new Map(touchpoints.map((t) => [t.id, t.name]));
  const sparkCells = new Map();
  const rows = items
    .filter((i) => i.key !== 'all')
    .map((i) => {
      let label = i.key || '(none)';
      let cell = label;
      if (group === 'unit') {
        const child = session().byId.get(i.key);
        label = child ? (child.id === unit.id ? `${child.name} (itself)` : child.name) : i.key;
        cell = child && child.id !== unit.id ? h('a', { href: `#/dashboard?unit=${child.id}` }, label) : label;
      } else if (group === 'touchpoint') cell = tpName.get(i.key) ?? i.key;
      const sparkCell = h('td', {});
      sparkCells.set(i.key, sparkCell);
      return h('tr', {}, h('th', { scope: 'row' }, cell), npsCell(i), h('td', { class: 'num' }, String(i.n)), deltaCell(i), sparkCell);
    });
  const caption = group === 'unit' ? `Units under ${unit.name}` : `By ${GROUPS[group].toLowerCase()}`;
  if (rows.length) fillSparklines(sparkCells, sparks);
  return [
    h('h2', {}, `By ${GROUPS[group].toLowerCase()}`),
    rows.length ? table(`${caption}; ★ marks a significant change (p < 0.05)`, [GROUPS[group], 'NPS', 'n', 'Change', 'By month'], rows) : h('p', {}, 'No answers in the period.'),
  ];
}

/** A manager's calls: the cases due next, the plans; the cases page's module only for the time left of each case. */
function managerCalls(unit) {
  return Promise.all([
    api('GET', `/api/v1/cases?scope=subtree&unitId=${unit.id}&sort=due&limit=20`).catch(() => ({ items: [] })),
    api('GET', `/api/v1/action-plans?unitId=${unit.id}`).catch(() => ({ items: [] })),
    import('./cases.js'),
  ]);
}

/**
 * A manager's home: the units under the unit ranked by NPS (suppressed ones last, by n), the
 * cases whose next target comes soonest (late ones first), and the plans not yet done. Every
 * number from the API.
 */
function managerHome(box, unit, units, [due, plans, { timeLeft }]) {
  if (!box.isConnected) return;
  const names = session().byId;
  const ranked = (units ?? []).filter((i) => i.key !== 'all' && i.key !== unit.id).sort((a, b) => (a.suppressed === b.suppressed ? (a.suppressed ? b.n - a.n : b.nps - a.nps) : a.suppressed ? 1 : -1));
  const open = due.items.filter((k) => k.nextDueAt).slice(0, 5);
  const active = plans.items.filter((p) => p.status === 'planned' || p.status === 'in_progress');
  box.append(
    h('h2', { id: 'mine-heading' }, 'Your part of the organisation'),
    ranked.length
      ? table(
          `${unit.name}: your units ranked by NPS`,
          ['Rank', 'Unit', 'NPS', 'n'],
          ranked.map((i, k) =>
            h(
              'tr',
              {},
              h('td', { class: 'num' }, i.suppressed ? '—' : String(k + 1)),
              h('th', { scope: 'row' }, h('a', { href: `#/dashboard?unit=${i.key}` }, names.get(i.key)?.name ?? i.key)),
              npsCell(i),
              h('td', { class: 'num' }, String(i.n)),
            ),
          ),
        )
      : '',
    open.length
      ? table(
          'Cases due next',
          ['Case', 'Unit', 'Owner', 'Time left'],
          open.map((k) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, h('a', { href: `#/cases/${k.id}` }, k.comment ? k.comment.slice(0, 40) : `Case ${k.id.slice(-6)}`)),
              h('td', {}, k.unitName),
              h('td', {}, k.ownerName ?? 'nobody'),
              h('td', { class: k.overdue ? 'late' : undefined }, timeLeft(k)),
            ),
          ),
        )
      : h('p', {}, 'No case is waiting.'),
    active.length
      ? table(
          'Action plans under way',
          ['Plan', 'Unit', 'Owner', 'Status', 'Due'],
          active.map((p) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, h('a', { href: `#/plans/${p.id}` }, p.title)),
              h('td', {}, p.unitName),
              h('td', {}, p.ownerName ?? 'nobody'),
              h('td', {}, p.status.replace('_', ' ')),
              h('td', {}, p.dueOn ?? '—'),
            ),
          ),
        )
      : h('p', {}, 'No action plan under way.'),
  );
}

/** Each group's NPS per month as a sparkline in its row, with the numbers for screen readers. */
async function fillSparklines(cells, answer) {
  const sparks = await answer;
  if (!sparks) return;
  const months = [...new Set(sparks.items.map((i) => i.period).filter(Boolean))].sort();
  const nps = new Map(sparks.items.filter((i) => !i.suppressed).map((i) => [`${i.key}\u0000${i.period}`, i.nps]));
  for (const [key, cell] of cells) {
    const series = months.map((m) => nps.get(`${key}\u0000${m}`) ?? null);
    const said = months.map((m, k) => `${m} ${series[k] === null ? '—' : fmtNps(series[k])}`).join(', ');
    cell.replaceChildren(sparkline(series), h('span', { class: 'sr-only' }, `NPS by month: ${said}`));
  }
}

/** The calls of program health (each answers something, an empty list at worst: never a rejection). */
function healthCalls(unit, from, to) {
  return Promise.all([
    api('GET', `/api/v1/program/funnel?unitId=${unit.id}&from=${from}&to=${to}`).catch(() => null),
    api('GET', '/api/v1/alerts?status=open&limit=20').catch(() => ({ items: [] })),
    api('GET', `/api/v1/themes?unitId=${unit.id}&from=${from}&to=${to}`).catch(() => ({ items: [] })),
    api('GET', '/api/v1/cases?scope=subtree&overdue=true&limit=100').catch(() => ({ items: [] })),
  ]);
}

/**
 * Program health for admins, analysts and managers, from its calls (healthCalls): invited →
 * delivered → answered with the response rate by touchpoint and channel, the open alerts, the
 * top themes, the cases late.
 */
function programHealth(box, unit, [funnel, alerts, themes, late]) {
  if (!box.isConnected) return;
  const pct = (r) => (r === null ? '—' : `${(100 * r).toFixed(1)}%`);
  const names = session().byId;
  const inReach = alerts.items.filter((a) => names.get(a.unitId)?.path?.startsWith(unit.path) ?? true);
  box.append(h('h2', { id: 'health-heading' }, 'Program health'));
  if (funnel) {
    const t = funnel.total;
    box.append(
      h(
        'div',
        { class: 'cards' },
        [
          ['Invited', t.invited],
          ['Delivered', t.delivered],
          ['Answered', t.answered],
        ].map(([label, n]) => h('div', { class: 'card' }, h('div', {}, label), h('div', { class: 'big' }, String(n)))),
        h('div', { class: 'card' }, h('div', {}, 'Response rate'), h('div', { class: 'big' }, pct(t.responseRate)), h('div', {}, `${t.failed} failed for good`)),
      ),
      table(
        'Response rate by touchpoint and channel (answered of delivered)',
        ['Touchpoint or channel', 'Invited', 'Delivered', 'Answered', 'Rate'],
        [...funnel.byTouchpoint.map((r) => [r.name ?? r.key ?? r.touchpointId, r]), ...funnel.byChannel.map((r) => [`Channel: ${r.channel}`, r])].map(([label, r]) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, label),
            h('td', { class: 'num' }, String(r.invited)),
            h('td', { class: 'num' }, String(r.delivered)),
            h('td', { class: 'num' }, String(r.answered)),
            h('td', { class: 'num' }, pct(r.responseRate)),
          ),
        ),
      ),
    );
  }
  box.append(
    h('h3', {}, 'Open alerts'),
    inReach.length
      ? h(
          'ul',
          {},
          inReach.map((a) =>
            h(
              'li',
              {},
              h('a', { href: `#/dashboard?unit=${a.unitId}` }, names.get(a.unitId)?.name ?? a.unitId),
              `: a drop of ${fmtNps(a.evidence.dropPoints)} points since ${a.createdAt.slice(0, 10)}${a.rootCause ? ` (${a.rootCause})` : ''}`,
            ),
          ),
        )
      : h('p', {}, 'No open alerts.'),
    h('h3', {}, 'Cases late'),
    h('p', {}, late.items.length ? h('a', { href: '#/cases' }, `${plural(late.items.length, 'case')}${late.nextCursor ? ' or more' : ''} past a due time`) : 'No case is late.'),
    h('h3', {}, 'Top themes'),
    themes.items.length
      ? table(
          'Top themes of the comments, by impact on NPS',
          ['Theme', 'Comments', 'NPS', 'Impact'],
          themes.items
            .slice(0, 5)
            .map((i) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, i.name),
                h('td', { class: 'num' }, String(i.comments)),
                h('td', { class: 'num' }, i.nps === null ? '—' : fmtNps(i.nps)),
                h('td', { class: 'num' }, i.impact === null ? '—' : fmtNps(i.impact)),
              ),
            ),
        )
      : h('p', {}, 'No comments in the period.'),
  );
}

/** Annotating the unit: a release, an outage, a process change on a day (the API checks the role on the unit). */
function annotateForm(unit, params) {
  const date = h('input', { id: 'ann-date', type: 'date', required: true, value: today() });
  const kind = h(
    'select',
    { id: 'ann-kind' },
    Object.entries(ANNOTATION_KINDS).map(([v, l]) => h('option', { value: v }, l)),
  );
  const title = h('input', { id: 'ann-title', required: true, maxlength: 200 });
  const subtree = h('input', { id: 'ann-subtree', type: 'checkbox' });
  const out = h('div', { 'aria-live': 'polite' });
  return h(
    'form',
    {
      class: 'stack',
      'aria-labelledby': 'ann-heading',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { unitId: unit.id, date: date.value, kind: kind.value, title: title.value, appliesToSubtree: subtree.checked };
        if (await attempt(out, () => api('POST', '/api/v1/annotations', body))) {
          setNotice(`Annotated ${unit.name}.`);
          await dashboard({ params });
        }
      },
    },
    h('h2', { id: 'ann-heading' }, `Annotate ${unit.name}`),
    field('ann-date', 'Day', date),
    field('ann-kind', 'What happened', kind),
    field('ann-title', 'Title', title),
    h('label', { for: 'ann-subtree', class: 'check' }, subtree, ' Also for every unit below'),
    h('button', { type: 'submit' }, 'Add annotation'),
    out,
  );
}

/** The 0–10 distribution from the API: columns coloured by category, and the table of its counts (no scoring here). */
function distribution(item) {
  if (!item.distribution) return h('p', { class: 'suppressed' }, item.n ? 'Too few answers to show the distribution.' : 'No answers in the period.');
  return h(
    'div',
    {},
    distributionChart(item.distribution),
    table(
      'Answers per score, 0 to 10',
      ['Score', 'Answers (n)'],
      item.distribution.map((count, score) => h('tr', {}, h('th', { scope: 'row' }, String(score)), h('td', { class: 'num' }, String(count)))),
    ),
  );
}
