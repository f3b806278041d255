// Saved reports: mine (and, for admins, everyone's in reach), a new or changed report, one report
// with its rows from GET /api/v1/scores (the saved filters over the range the API resolved) and
// its CSV. Every number comes from the API.
import { api, attempt, deltaCell, field, fmtDate, h, main, managedUnits, npsCell, setNotice, setTitle, state, table, unitName, unitSelect } from '../lib.js';

/** The planning cycle: mailed on the first day of each month (the monthly business review) or quarter, covering the period just ended. Short labels: the select fits 360 px. */
const CYCLE_OPTIONS = { monthly: 'Monthly (1st)', quarterly: 'Quarterly (1st)' };
const CYCLE_LABELS = { monthly: 'Monthly, on the 1st,', quarterly: 'Quarterly, on the 1st,' };
const RANGES = [7, 28, 90, 365];
const GROUPS = [
  ['', 'None (one row)'],
  ['unit', 'Unit'],
  ['touchpoint', 'Touchpoint'],
  ['channel', 'Channel'],
  ['segment', 'Segment'],
  ['locale', 'Language'],
  ['tenure', 'Tenure'],
  ['contractSize', 'Contract size'],
  ['supportTier', 'Support tier'],
  ['account', 'Account'],
];
const PERIODS = [
  ['', 'Whole range'],
  ['day', 'Day'],
  ['week', 'Week'],
  ['month', 'Month'],
  ['quarter', 'Quarter'],
];
const WEIGHTS = [
  ['none', 'None'],
  ['ltv', 'Lifetime value'],
  ['poststrat', 'Population shares'],
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const options = (list, selected) => list.map(([v, label]) => h('option', { value: v, selected: String(selected ?? '') === String(v) }, label));
const scheduleText = (s) =>
  s
    ? `${CYCLE_LABELS[s.weekday] ?? (s.weekday === 'daily' ? 'Daily' : `${WEEKDAYS[s.weekday]}s`)} at ${String(s.hour).padStart(2, '0')}:00 (${s.timezone}) to ${s.recipients.join(', ')}`
    : 'Not mailed';
/** Units whose scores the caller reads, from the grants (the API still decides). */
const reportUnits = () => managedUnits(['admin', 'analyst', 'manager', 'viewer']);

/** The form of a new or an existing report; `save(body)` sends it. */
function reportForm(report, save, submitLabel) {
  const units = reportUnits();
  const f0 = report?.filters ?? { rangeDays: 28, weight: 'none' };
  const s0 = report?.schedule;
  const f = {
    name: h('input', { id: 'report-name', required: true, maxlength: 200, value: report?.name ?? '' }),
    unitId: unitSelect('report-unit', units, report?.unitId ?? units[0]?.id),
    rangeDays: h(
      'select',
      { id: 'report-range' },
      options(
        RANGES.map((d) => [d, `Last ${d} days`]),
        f0.rangeDays,
      ),
    ),
    groupBy: h('select', { id: 'report-group' }, options(GROUPS, f0.groupBy)),
    period: h('select', { id: 'report-period' }, options(PERIODS, f0.period)),
    weight: h('select', { id: 'report-weight' }, options(WEIGHTS, f0.weight)),
    compare: h('input', { id: 'report-compare', type: 'checkbox', checked: f0.compare === 'previous' }),
    mailed: h('input', { id: 'report-mailed', type: 'checkbox', checked: !!s0 }),
    weekday: h('select', { id: 'report-weekday' }, options([['daily', 'Every day'], ...WEEKDAYS.map((d, i) => [i, d]), ...Object.entries(CYCLE_OPTIONS)], s0?.weekday ?? 1)),
    hour: h(
      'select',
      { id: 'report-hour' },
      options(
        Array.from({ length: 24 }, (_, i) => [i, `${String(i).padStart(2, '0')}:00`]),
        s0?.hour ?? 8,
      ),
    ),
    timezone: h('input', { id: 'report-timezone', maxlength: 64, value: s0?.timezone ?? '', placeholder: 'the unit\u2019s time zone', autocomplete: 'off' }),
    recipients: h('textarea', { id: 'report-recipients', rows: 2 }, (s0?.recipients ?? []).join(', ')),
  };
  const out = h('div', { 'aria-live': 'polite' });
  const schedule = h(
    'fieldset',
    { class: 'choices' },
    h('legend', {}, 'Schedule'),
    h('label', { for: 'report-mailed', class: 'check' }, f.mailed, 'Email it on a schedule'),
    h('div', { class: 'row' }, field('report-weekday', 'Day', f.weekday), field('report-hour', 'Local hour', f.hour)),
    field('report-timezone', 'Time zone (IANA, optional)', f.timezone),
    field('report-recipients', 'Recipients (emails, separated by commas)', f.recipients),
  );
  return h(
    'form',
    {
      class: 'stack wide',
      onsubmit: (e) => {
        e.preventDefault();
        const filters = { rangeDays: Number(f.rangeDays.value), weight: f.weight.value };
        if (f.groupBy.value) filters.groupBy = f.groupBy.value;
        if (f.period.value) filters.period = f.period.value;
        if (f.compare.checked) filters.compare = 'previous';
        const body = { name: f.name.value.trim(), unitId: f.unitId.value, filters, schedule: null };
        if (f.mailed.checked) {
          body.schedule = {
            weekday: Number.isNaN(Number(f.weekday.value)) ? f.weekday.value : Number(f.weekday.value),
            hour: Number(f.hour.value),
            recipients: f.recipients.value.split(/[\s,;]+/).filter(Boolean),
          };
          if (f.timezone.value.trim()) body.schedule.timezone = f.timezone.value.trim();
        }
        attempt(out, () => save(body));
      },
    },
    field('report-name', 'Name', f.name),
    field('report-unit', 'Unit (with everything below it)', f.unitId),
    h(
      'div',
      { class: 'row' },
      field('report-range', 'Range', f.rangeDays),
      field('report-group', 'Breakdown', f.groupBy),
      field('report-period', 'Per', f.period),
      field('report-weight', 'Weighting', f.weight),
    ),
    h('label', { for: 'report-compare', class: 'check' }, f.compare, 'Compare with the same number of days before'),
    schedule,
    h('button', { type: 'submit' }, submitLabel),
    out,
  );
}

async function listPage() {
  const list = await api('GET', '/api/v1/reports');
  setTitle('Reports');
  if (!list.items.length) main.append(h('p', {}, 'No saved reports yet.'));
  else
    main.append(
      table(
        `${list.items.length} saved reports`,
        ['Report', 'Unit', 'Range', 'Schedule', 'Next email'],
        list.items.map((r) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, h('a', { href: `#/reports/${r.id}` }, r.name)),
            h('td', {}, r.unitName),
            h('td', {}, `${r.filters.rangeDays} days`),
            h('td', {}, scheduleText(r.schedule)),
            h('td', {}, fmtDate(r.nextRunAt)),
          ),
        ),
      ),
    );
  if (!reportUnits().length) return;
  main.append(
    h('h2', {}, 'New report'),
    reportForm(
      null,
      async (body) => {
        const made = await api('POST', '/api/v1/reports', body);
        setNotice('Report saved.');
        location.hash = `#/reports/${made.id}`;
      },
      'Save report',
    ),
  );
}

async function reportPage(id) {
  const r = await api('GET', `/api/v1/reports/${id}`);
  const q = new URLSearchParams({ unitId: r.unitId, from: r.range.from, to: r.range.to, weight: r.filters.weight, confidence: String(r.filters.confidence) });
  for (const k of ['groupBy', 'period', 'compare']) if (r.filters[k]) q.set(k, r.filters[k]);
  // Every group of the report: the account and agent cuts come a page at a time (nextCursor).
  const scores = await api('GET', `/api/v1/scores?${q}`);
  for (let after = scores.nextCursor; after; ) {
    q.set('after', after);
    const page = await api('GET', `/api/v1/scores?${q}`);
    scores.items.push(...page.items);
    after = page.nextCursor;
  }
  setTitle(r.name);
  const groupLabel = (key) => (r.filters.groupBy === 'unit' ? unitName(key) : key === 'all' ? r.unitName : key);
  const head = [r.filters.groupBy ? 'Group' : 'Unit', ...(r.filters.period ? ['Period'] : []), 'NPS', 'n', ...(r.filters.compare ? ['Change'] : [])];
  main.append(
    h('p', {}, h('a', { href: '#/reports' }, '← All reports')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Unit'),
      h('dd', {}, r.unitName),
      h('dt', {}, 'Range'),
      h('dd', {}, `Last ${r.filters.rangeDays} complete days: ${r.range.from} to ${r.range.to}`),
      h('dt', {}, 'Schedule'),
      h('dd', {}, scheduleText(r.schedule)),
      h('dt', {}, 'Next email'),
      h('dd', {}, fmtDate(r.nextRunAt)),
      h('dt', {}, 'Last sent'),
      h('dd', {}, fmtDate(r.lastSentAt)),
    ),
    h('p', {}, h('a', { href: `/api/v1/reports/${r.id}/scores.csv`, download: `report-${r.id}.csv`, 'data-testid': 'report-csv' }, 'Download CSV')),
    table(
      `${r.unitName}, ${r.range.from} to ${r.range.to}`,
      head,
      scores.items.map((i) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, groupLabel(i.key)),
          r.filters.period ? h('td', {}, i.period ?? '—') : null,
          npsCell(i),
          h('td', { class: 'num' }, String(i.n)),
          r.filters.compare ? deltaCell(i) : null,
        ),
      ),
    ),
  );
  const mayChange = r.owner.id === state.session.me.user?.id || state.session.roles.has('admin');
  if (!mayChange) return;
  const out = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'Change'),
    reportForm(
      r,
      async (body) => {
        await api('PATCH', `/api/v1/reports/${r.id}`, body);
        setNotice('Report saved.');
        await reportPage(r.id);
      },
      'Save changes',
    ),
    h('h2', {}, 'Delete'),
    h(
      'div',
      { class: 'row actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () =>
            attempt(out, async () => {
              if (!confirm(`Delete the report \u201c${r.name}\u201d?`)) return;
              await api('DELETE', `/api/v1/reports/${r.id}`);
              setNotice('Report deleted.');
              location.hash = '#/reports';
            }),
        },
        'Delete report',
      ),
    ),
    out,
  );
}

export default async function reports({ parts }) {
  if (parts[1]) return reportPage(parts[1]);
  return listPage();
}
