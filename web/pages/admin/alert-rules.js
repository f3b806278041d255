// Administration › Alert rules: significant-drop rules of units in reach, a new rule, and the
// alerts they raised (the exception log). The API offers create and list; rules are not edited.
import { api, attempt, field, fmtDate, fmtNps, h, main, managedUnits, setNotice, setTitle, state, table, unitName, unitSelect } from '../../lib.js';

const num = (id, attrs = {}) => h('input', { id, type: 'number', ...attrs });
const baselineText = (r) => (r.baselineFrom ? `${r.baselineFrom} to ${r.baselineTo}` : `${r.baselineDays} days before`);

/** The evidence the API stored with an alert: window against baseline, the drop and its p value. */
function evidenceText(e) {
  if (!e?.window || !e?.baseline) return '—';
  const drop = typeof e.dropPoints === 'number' ? `, drop ${fmtNps(e.dropPoints)} points` : '';
  const p = typeof e.p === 'number' ? ` (p = ${e.p.toFixed(3)})` : '';
  return `NPS ${fmtNps(e.window.nps)} (n = ${e.window.n}) against ${fmtNps(e.baseline.nps)} (n = ${e.baseline.n})${drop}${p}`;
}

export default async function alertRules({ back }) {
  if (!state.session) return;
  const [rules, alerts, touchpoints, doc] = await Promise.all([
    api('GET', '/api/v1/alert-rules'),
    api('GET', '/api/v1/alerts?limit=50'),
    api('GET', '/api/v1/touchpoints'),
    api('GET', '/api/openapi.json'),
  ]);
  // The defaults as the API document states them, so the labels never drift from the API.
  const props = doc.components.schemas.CreateAlertRule.properties;
  const dflt = (k) => (props[k]?.default === undefined ? 'the default' : String(props[k].default));
  setTitle('Alert rules');
  main.append(
    back,
    h(
      'p',
      {},
      'A rule raises an alert when the NPS of the unit\u2019s subtree over the window is lower than over the baseline by at least the drop given, and the drop is statistically significant. Rules are checked every hour.',
    ),
  );
  const tpName = new Map(touchpoints.items.map((t) => [t.id, t.name]));
  if (!rules.items.length) main.append(h('p', {}, 'No alert rules yet.'));
  else
    main.append(
      table(
        `${rules.items.length} rule${rules.items.length === 1 ? '' : 's'}`,
        ['Unit', 'Touchpoint', 'Window', 'Baseline', 'Least drop', 'Significance', 'Least n each side', 'Status'],
        rules.items.map((r) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, unitName(r.unitId)),
            h('td', {}, r.touchpointId ? (tpName.get(r.touchpointId) ?? r.touchpointId) : 'all'),
            h('td', {}, `${r.windowDays} days`),
            h('td', {}, baselineText(r)),
            h('td', {}, `${r.minDropPoints} points`),
            h('td', {}, `α = ${r.alpha}`),
            h('td', {}, String(r.minN)),
            h('td', {}, h('span', { class: 'tag' }, r.active ? 'active' : 'off')),
          ),
        ),
      ),
    );

  const units = managedUnits(['admin']);
  if (units.length) {
    const f = {
      unitId: unitSelect('rule-unit', units, units[0].id),
      touchpointId: h(
        'select',
        { id: 'rule-touchpoint' },
        h('option', { value: '' }, 'All touchpoints'),
        touchpoints.items.map((t) => h('option', { value: t.id }, t.name)),
      ),
      windowDays: num('rule-window', { min: 1, max: 90, step: 1 }),
      baselineDays: num('rule-baseline-days', { min: 1, max: 365, step: 1 }),
      baselineFrom: h('input', { id: 'rule-baseline-from', type: 'date' }),
      baselineTo: h('input', { id: 'rule-baseline-to', type: 'date' }),
      minDropPoints: num('rule-drop', { min: 0.1, max: 200, step: 0.1 }),
      alpha: num('rule-alpha', { min: 0.001, max: 0.999, step: 0.001 }),
      minN: num('rule-min-n', { min: 1, step: 1 }),
    };
    const out = h('div', { 'aria-live': 'polite' });
    main.append(
      h('h2', {}, 'New alert rule'),
      h(
        'form',
        {
          class: 'stack',
          onsubmit: (e) => {
            e.preventDefault();
            // Empty fields are left out: the API applies its defaults, and the list above shows them.
            const body = { unitId: f.unitId.value };
            if (f.touchpointId.value) body.touchpointId = f.touchpointId.value;
            for (const k of ['windowDays', 'baselineDays', 'minDropPoints', 'alpha', 'minN']) if (f[k].value !== '') body[k] = Number(f[k].value);
            for (const k of ['baselineFrom', 'baselineTo']) if (f[k].value) body[k] = f[k].value;
            attempt(out, async () => {
              await api('POST', '/api/v1/alert-rules', body);
              setNotice(`Alert rule for ${unitName(body.unitId)} created.`);
              await alertRules({ back });
            });
          },
        },
        field('rule-unit', 'Unit (its whole subtree counts)', f.unitId),
        field('rule-touchpoint', 'Touchpoint', f.touchpointId),
        field('rule-window', `Window: the last days (empty: ${dflt('windowDays')})`, f.windowDays),
        h(
          'fieldset',
          {},
          h('legend', {}, 'Baseline: the days just before the window, or a fixed range'),
          field('rule-baseline-days', 'Days before the window (empty: the default)', f.baselineDays),
          h('div', { class: 'row' }, field('rule-baseline-from', 'Or from', f.baselineFrom), field('rule-baseline-to', 'to', f.baselineTo)),
        ),
        field('rule-drop', `Least drop in NPS points (empty: ${dflt('minDropPoints')})`, f.minDropPoints),
        field('rule-alpha', `Significance level α (empty: ${dflt('alpha')})`, f.alpha),
        field('rule-min-n', `Answers needed on each side (empty: ${dflt('minN')})`, f.minN),
        h('button', { type: 'submit' }, 'Create rule'),
        out,
      ),
    );
  }

  main.append(h('h2', {}, 'Alerts raised'));
  if (!alerts.items.length) main.append(h('p', {}, 'No alerts raised.'));
  else
    main.append(
      table(
        `${alerts.items.length} newest alert${alerts.items.length === 1 ? '' : 's'}`,
        ['Unit', 'Status', 'Raised', 'Evidence', 'Root cause', 'Corrective action'],
        alerts.items.map((a) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, unitName(a.unitId)),
            h('td', {}, h('span', { class: `tag${a.status === 'open' ? ' overdue' : ''}` }, a.status === 'open' ? 'open' : `recovered ${fmtDate(a.recoveredAt)}`)),
            h('td', {}, fmtDate(a.createdAt)),
            h('td', {}, evidenceText(a.evidence)),
            h('td', {}, a.rootCause ?? '—'),
            h('td', {}, a.correctiveAction ?? '—'),
          ),
        ),
      ),
    );
}
