// The program's governance reviews of a unit and period (docs/governance.md): representativeness of
// the respondents, data quality and fatigue over four periods, and the exceptions log. Every number
// comes from the governance API; the sections are drawn as on the quarterly review page.
import { api, attempt, errorBox, h, hasRole, main, managedUnits, setTitle, table, today, unitSelect } from '../lib.js';
import { exceptionsSection, qualitySection, quarterBefore, quarterOf, representativenessSection, section } from './review.js';

const pct = (v) => `${(v * 100).toFixed(1)}%`;

/**
 * The review's sampling suggestion for the chosen touchpoint (docs/governance.md
 * "Representativeness"): the rates per segment today and suggested, and for an admin the way to
 * apply them to the touchpoint's rules: a reason, then a confirmation naming what changes; the
 * change is the audited `POST /api/v1/touchpoints/{id}/sampling`.
 */
function samplingSection(r, touchpoint, reload) {
  const sg = r.suggestion;
  if (!sg) {
    return section(
      'Sampling suggestion',
      'sampling-suggestion',
      h('p', { class: 'suppressed' }, `No suggestion for ${touchpoint.name}: fewer than two segments with enough invitations (30) and answers to balance.`),
    );
  }
  const rows = sg.segments.map((s) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, s.segment),
      h('td', { class: 'num' }, pct(s.currentRate)),
      h('td', { class: 'num' }, pct(s.suggestedRate)),
      h('td', { class: 'num' }, pct(s.responseRate)),
      h('td', { class: 'num' }, pct(s.eligibleShare)),
      h('td', { class: 'num' }, pct(s.expectedRespondentShare)),
    ),
  );
  const parts = [
    h('p', {}, `Rates of ${touchpoint.name} that would give each segment its share of the eligible contacts among respondents; a wave would send ${pct(sg.invitationsRatio)} of today's invitations.`),
    table('Sampling rate per segment, today and suggested', ['Segment', 'Rate today', 'Suggested rate', 'Response rate', 'Share of eligible', 'Expected share of respondents'], rows),
  ];
  if (hasRole('admin')) {
    const out = h('div', { 'aria-live': 'polite' });
    const reason = h('input', { id: 'sampling-reason', name: 'reason', required: true, minlength: 3, maxlength: 500, value: `Representativeness review ${r.period}` });
    const confirmBox = h('div', { class: 'confirm', hidden: true, role: 'group', 'aria-labelledby': 'sampling-confirm-q' });
    const form = h(
      'form',
      {
        class: 'stack',
        onsubmit: (e) => {
          e.preventDefault();
          if (reason.value.trim().length < 3) return out.replaceChildren(errorBox(new Error('Give a reason of at least 3 characters: it goes into the audit log.')));
          out.replaceChildren();
          const changes = sg.segments.map((s) => `${s.segment} ${pct(s.currentRate)} → ${pct(s.suggestedRate)}`).join(', ');
          const yes = h('button', { type: 'button' }, 'Yes, apply');
          const no = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
          confirmBox.replaceChildren(
            h('p', { id: 'sampling-confirm-q' }, `Replace the sampling rule of ${touchpoint.name}? ${changes}. Invitations follow the new rates from the next event on.`),
            h('div', { class: 'row' }, yes, no),
          );
          confirmBox.hidden = false;
          no.addEventListener('click', () => {
            confirmBox.hidden = true;
            form.querySelector('button[type=submit]').focus();
          });
          yes.addEventListener('click', async () => {
            yes.disabled = true;
            try {
              const res = await api('POST', `/api/v1/touchpoints/${encodeURIComponent(touchpoint.id)}/sampling`, { sampling: sg.sampling, reason: reason.value.trim() });
              confirmBox.hidden = true;
              out.replaceChildren(
                h(
                  'p',
                  { class: 'msg', 'data-testid': 'sampling-applied' },
                  `Applied to ${touchpoint.name}: ${Object.entries(res.sampling)
                    .map(([k, v]) => `${k} ${pct(v)}`)
                    .join(', ')}. Recorded in the audit log.`,
                ),
              );
              reload?.();
            } catch (err) {
              yes.disabled = false;
              out.replaceChildren(errorBox(err));
            }
          });
          yes.focus();
        },
      },
      h('label', { for: 'sampling-reason' }, 'Reason (for the audit log)', reason),
      h('button', { type: 'submit' }, "Apply to the touchpoint's rules"),
    );
    parts.push(form, confirmBox, out);
  }
  return section('Sampling suggestion', 'sampling-suggestion', ...parts);
}

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
    touchpoint: h('select', { id: 'gov-touchpoint' }, h('option', { value: '' }, 'Every touchpoint')),
  };
  const chosenTouchpoint = params.get('touchpoint') ?? '';
  // The touchpoints (for the sampling suggestion); a role that cannot list them reviews every touchpoint.
  const touchpointList = await api('GET', '/api/v1/touchpoints')
    .then((r) => r.items)
    .catch(() => []);
  for (const tp of touchpointList) f.touchpoint.append(h('option', { value: tp.id, selected: tp.id === chosenTouchpoint }, tp.name));
  const out = h('div', { class: 'review', 'aria-live': 'polite' });
  main.append(
    h(
      'form',
      {
        class: 'row filters',
        onsubmit: (e) => {
          e.preventDefault();
          location.hash = `#/governance?${new URLSearchParams({
            unit: f.unit.value,
            period: f.period.value,
            ...(f.kind.value ? { kind: f.kind.value } : {}),
            ...(f.touchpoint.value ? { touchpoint: f.touchpoint.value } : {}),
          })}`;
        },
      },
      h('label', { for: 'gov-unit' }, 'Unit', f.unit),
      h('label', { for: 'gov-period' }, 'Period', f.period),
      h('label', { for: 'gov-kind' }, 'Exceptions', f.kind),
      h('label', { for: 'gov-touchpoint' }, 'Touchpoint', f.touchpoint),
      h('button', { type: 'submit' }, 'Show'),
    ),
    out,
  );
  await attempt(out, async () => {
    const unitId = encodeURIComponent(f.unit.value);
    const period = f.period.value;
    const { from, to } = daysOf(period);
    const [representativeness, quality, exceptions] = await Promise.all([
      api('GET', `/api/v1/governance/representativeness?unitId=${unitId}&period=${period}${f.touchpoint.value ? `&touchpointId=${encodeURIComponent(f.touchpoint.value)}` : ''}`),
      api('GET', `/api/v1/governance/quality?unitId=${unitId}&period=${period}&periods=4`),
      api('GET', `/api/v1/governance/exceptions?unitId=${unitId}&from=${from}&to=${to}${kind ? `&kind=${kind}` : ''}&limit=200`),
    ]);
    const pack = { representativeness, quality, exceptions };
    const touchpoint = touchpointList.find((tp) => tp.id === f.touchpoint.value);
    out.append(
      h('p', {}, `${period} (${from} to ${to}). `, period[5] === 'Q' ? h('a', { href: `#/review?unit=${unitId}&period=${period}` }, 'The quarterly review pack of this quarter') : ''),
      representativenessSection(pack),
      ...(touchpoint ? [samplingSection(representativeness, touchpoint)] : []),
      qualitySection(pack),
      exceptionsSection(pack),
    );
    if (exceptions.truncated) out.append(h('p', { class: 'msg' }, 'More exceptions match: narrow the period or the kind.'));
    out.dataset.ready = 'true';
  });
}
