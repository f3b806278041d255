// Administration › Vendor contracts: each vendor's scorecard at a glance, and its case targets
// and composite weights (PUT /api/v1/vendor-contracts/{unitId}). The API computes every number.
import { api, attempt, field, fmtNps, h, lowSampleMark, main, plural, setNotice, setTitle, state, table } from '../../lib.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${Math.round(v * 100)}%`);
const num = (id, value, attrs = {}) => h('input', { id, type: 'number', value: value ?? '', inputmode: 'decimal', ...attrs });

export default async function vendors({ parts, back }) {
  if (!state.session) return;
  const units = state.session.units.filter((u) => u.kind === 'vendor');
  const cards = await Promise.all(units.map((u) => api('GET', `/api/v1/vendors/${u.id}/scorecard`)));
  setTitle('Vendor contracts');
  main.append(back, h('p', {}, 'Case targets (hours; empty: the tenant\u2019s defaults) and the weights of each vendor\u2019s composite index over the last 90 days.'));
  if (!units.length) return void main.append(h('p', {}, 'No vendor units yet: add one under Hierarchy.'));
  const w = (c) => `${c.composite.weights.nps} : ${c.composite.weights.contactedWithinTarget} : ${c.composite.weights.resolvedWithinTarget}`;
  main.append(
    table(
      `${plural(units.length, 'vendor')}`,
      ['Vendor', 'Composite', 'NPS', 'Contacted in time', 'Resolved in time', 'Weights (NPS : contacted : resolved)', 'Targets (h)'],
      cards.map((c) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('a', { href: `#/admin/vendors/${c.unitId}` }, c.name)),
          h('td', { class: 'num' }, c.composite.value === null ? (c.composite.reason === 'nps_suppressed' ? 'too few answers' : '—') : fmtNps(c.composite.value)),
          h('td', { class: 'num' }, c.nps.suppressed ? 'too few answers' : fmtNps(c.nps.nps), lowSampleMark(c.nps)),
          h('td', { class: 'num' }, pct(c.contactedWithinTarget)),
          h('td', { class: 'num' }, pct(c.resolvedWithinTarget)),
          h('td', { class: 'num' }, w(c)),
          h('td', {}, `${c.targets.firstContactHours ?? 'default'} / ${c.targets.resolutionHours ?? 'default'}`),
        ),
      ),
    ),
  );

  const chosen = cards.find((c) => c.unitId === parts[1]) ?? cards[0];
  const f = {
    unit: h(
      'select',
      { id: 'vendor-unit', onchange: (e) => (location.hash = `#/admin/vendors/${e.target.value}`) },
      cards.map((c) => h('option', { value: c.unitId, selected: c.unitId === chosen.unitId }, c.name)),
    ),
    firstContactHours: num('vendor-first-contact', chosen.targets.firstContactHours, { min: 1, max: 8760, step: 1 }),
    resolutionHours: num('vendor-resolution', chosen.targets.resolutionHours, { min: 1, max: 8760, step: 1 }),
    nps: num('weight-nps', chosen.composite.weights.nps, { min: 0, step: 'any', required: true }),
    contactedWithinTarget: num('weight-contacted', chosen.composite.weights.contactedWithinTarget, { min: 0, step: 'any', required: true }),
    resolvedWithinTarget: num('weight-resolved', chosen.composite.weights.resolvedWithinTarget, { min: 0, step: 'any', required: true }),
  };
  const out = h('div', { 'aria-live': 'polite' });
  const hours = (el) => (el.value.trim() === '' ? null : Number(el.value));
  main.append(
    h('h2', {}, `Contract of ${chosen.name}`),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: (e) => {
          e.preventDefault();
          attempt(out, async () => {
            await api('PUT', `/api/v1/vendor-contracts/${chosen.unitId}`, {
              firstContactHours: hours(f.firstContactHours),
              resolutionHours: hours(f.resolutionHours),
              compositeWeights: { nps: Number(f.nps.value), contactedWithinTarget: Number(f.contactedWithinTarget.value), resolvedWithinTarget: Number(f.resolvedWithinTarget.value) },
            });
            setNotice(`Contract of ${chosen.name} saved.`);
            await vendors({ parts, back });
          });
        },
      },
      field('vendor-unit', 'Vendor', f.unit),
      h('div', { class: 'row' }, field('vendor-first-contact', 'First contact within (hours)', f.firstContactHours), field('vendor-resolution', 'Resolved within (hours)', f.resolutionHours)),
      h(
        'fieldset',
        { class: 'choices' },
        h('legend', {}, 'Composite weights (non-negative, not all zero)'),
        field('weight-nps', 'NPS', f.nps),
        field('weight-contacted', 'Contacted within target', f.contactedWithinTarget),
        field('weight-resolved', 'Resolved within target', f.resolvedWithinTarget),
      ),
      h('button', { type: 'submit' }, 'Save contract'),
      out,
    ),
  );
}
