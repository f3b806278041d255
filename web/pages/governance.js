// The program's governance reviews of a unit and period (docs/governance.md): representativeness of
// the respondents, data quality and fatigue over four periods, and the exceptions log. Every number
// comes from the governance API; the sections are drawn as on the quarterly review page.
import { api, attempt, h, main, managedUnits, setTitle, today, unitSelect } from '../lib.js';
import { exceptionsSection, qualitySection, quarterBefore, quarterOf, representativenessSection } from './review.js';

const KINDS = [
  ['', 'Every kind'],
  ['drop', 'Significant drops'],
  ['reconciliation', 'Reconciliation mismatches'],
  ['recalculation', 'Recalculations'],
  ['survey_change', 'Survey and sampling changes'],
  ['rebaseline', 'Rebaselines'],
];

/** The months before today's, newest first (`YYYY-MM`). */
function monthsBefore(day, count) {
  const [y, m] = day.split('-').map(Number);
  return Array.from({ length: count }, (_, i) => {
    const k = y * 12 + (m - 1) - i;
    return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
  });
}

/** The first and last day of a quarter `YYYY-Qn` or a month `YYYY-MM`. */
function daysOf(period) {
  const y = Number(period.slice(0, 4));
  const [first, count] = period[5] === 'Q' ? [(Number(period[6]) - 1) * 3, 3] : [Number(period.slice(5, 7)) - 1, 1];
  const iso = (ms) => new Date(ms).toISOString().slice(0, 10);
  return { from: iso(Date.UTC(y, first, 1)), to: iso(Date.UTC(y, first + count, 1) - 86_400_000) };
}

export default async function governance({ params }) {
  setTitle('Program governance');
  const units = managedUnits(['admin', 'analyst', 'manager']);
  const current = quarterOf(today());
  const chosen = params.get('period') ?? quarterBefore(current);
  const kind = params.get('kind') ?? '';
  const option = (v, label = v) => h('option', { value: v, selected: v === chosen }, label);
  const f = {
    unit: unitSelect('gov-unit', units, params.get('unit') ?? units[0]?.id),
    period: h(
      'select',
      { id: 'gov-period' },
      h(
        'optgroup',
        { label: 'Quarters' },
        Array.from({ length: 8 }, (_, i) => option(quarterBefore(current, i))),
      ),
      h(
        'optgroup',
        { label: 'Months' },
        monthsBefore(today(), 12).map((m) => option(m)),
      ),
    ),
    kind: h(
      'select',
      { id: 'gov-kind' },
      KINDS.map(([v, label]) => h('option', { value: v, selected: v === kind }, label)),
    ),
  };
  const out = h('div', { class: 'review', 'aria-live': 'polite' });
  main.append(
    h(
      'form',
      {
        class: 'row filters',
        onsubmit: (e) => {
          e.preventDefault();
          location.hash = `#/governance?${new URLSearchParams({ unit: f.unit.value, period: f.period.value, ...(f.kind.value ? { kind: f.kind.value } : {}) })}`;
        },
      },
      h('label', { for: 'gov-unit' }, 'Unit', f.unit),
      h('label', { for: 'gov-period' }, 'Period', f.period),
      h('label', { for: 'gov-kind' }, 'Exceptions', f.kind),
      h('button', { type: 'submit' }, 'Show'),
    ),
    out,
  );
  await attempt(out, async () => {
    const unitId = encodeURIComponent(f.unit.value);
    const period = f.period.value;
    const { from, to } = daysOf(period);
    const [representativeness, quality, exceptions] = await Promise.all([
      api('GET', `/api/v1/governance/representativeness?unitId=${unitId}&period=${period}`),
      api('GET', `/api/v1/governance/quality?unitId=${unitId}&period=${period}&periods=4`),
      api('GET', `/api/v1/governance/exceptions?unitId=${unitId}&from=${from}&to=${to}${kind ? `&kind=${kind}` : ''}&limit=200`),
    ]);
    const pack = { representativeness, quality, exceptions };
    out.append(
      h('p', {}, `${period} (${from} to ${to}). `, period[5] === 'Q' ? h('a', { href: `#/review?unit=${unitId}&period=${period}` }, 'The quarterly review pack of this quarter') : ''),
      representativenessSection(pack),
      qualitySection(pack),
      exceptionsSection(pack),
    );
    if (exceptions.truncated) out.append(h('p', { class: 'msg' }, 'More exceptions match: narrow the period or the kind.'));
    out.dataset.ready = 'true';
  });
}
