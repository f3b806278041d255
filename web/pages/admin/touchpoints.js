// Administration › Touchpoints and rules: the service moments surveyed, each with its survey,
// channels, delay and eligibility rules; anonymous links (QR codes, receipts) per unit.
import { api, attempt, field, h, main, managedUnits, setNotice, setTitle, state, table, unitName, unitSelect } from '../../lib.js';

/** Kinds and channels as the API document lists them, so the portal never drifts from the API. */
async function enums() {
  const doc = await api('GET', '/api/openapi.json');
  const p = doc.components.schemas.CreateTouchpoint.properties;
  return { kinds: p.kind.enum, channels: p.channels.items.enum };
}

const label = (s) => s.replace(/_/g, ' ');
const num = (id, attrs = {}) => h('input', { id, type: 'number', inputmode: 'numeric', step: 1, ...attrs });
const check = (id, text, input) => h('label', { for: id, class: 'check' }, input, text);

async function listPage(back) {
  const [list, surveys, e] = await Promise.all([api('GET', '/api/v1/touchpoints'), api('GET', '/api/v1/surveys'), enums()]);
  setTitle('Touchpoints and rules');
  main.append(back);
  const surveyName = new Map(surveys.items.map((s) => [s.id, s.name]));
  if (!list.items.length) main.append(h('p', {}, 'No touchpoints yet.'));
  else
    main.append(
      table(
        `${list.items.length} touchpoint${list.items.length === 1 ? '' : 's'}`,
        ['Touchpoint', 'Key', 'Survey', 'Channels', 'Delay', 'Status'],
        list.items.map((t) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, h('a', { href: `#/admin/touchpoints/${t.id}` }, t.name)),
            h('td', {}, h('code', {}, t.key)),
            h('td', {}, surveyName.get(t.surveyId) ?? t.surveyId),
            h('td', {}, t.channels.join(' → ')),
            h('td', {}, `${t.delayMinutes} min`),
            h('td', {}, h('span', { class: 'tag' }, t.active ? 'active' : 'paused')),
          ),
        ),
      ),
    );
  main.append(h('h2', {}, 'New touchpoint'));
  touchpointForm({ surveys: surveys.items, ...e, onSaved: (saved) => (location.hash = `#/admin/touchpoints/${saved.id}`) });
}

/**
 * The create and edit form: plain fields for everything, the rules as labelled inputs (sampling,
 * the one free-form rule, as rows of segment and share). An empty rule field leaves the rule off.
 */
function touchpointForm({ surveys, kinds, channels, touchpoint, onSaved }) {
  const t = touchpoint;
  const r = t?.rules ?? {};
  const f = {
    key: t ? null : h('input', { id: 'tp-key', required: true, maxlength: 60, pattern: '[a-z0-9]+(-[a-z0-9]+)*', placeholder: 'support-resolution' }),
    name: h('input', { id: 'tp-name', required: true, maxlength: 200, value: t?.name ?? '' }),
    kind: h(
      'select',
      { id: 'tp-kind' },
      kinds.map((k) => h('option', { value: k, selected: k === t?.kind }, label(k))),
    ),
    surveyId: h(
      'select',
      { id: 'tp-survey', required: true },
      surveys.map((s) => h('option', { value: s.id, selected: s.id === t?.surveyId }, `${s.name}${s.publishedVersion === null ? ' (not published)' : ''}`)),
    ),
    delayMinutes: num('tp-delay', { min: 0, max: 86400, required: true, value: t?.delayMinutes ?? 0 }),
    reminderAfterDays: num('tp-reminder', { min: 1, max: 60, value: t?.reminderAfterDays ?? '' }),
    active: h('input', { id: 'tp-active', type: 'checkbox', checked: t ? t.active : true }),
  };
  // Channels in order of preference: the touchpoint's own order first, then the others.
  const order = [...(t?.channels ?? []), ...channels.filter((c) => !t?.channels.includes(c))];
  const channelBoxes = order.map((c) => h('input', { id: `tp-channel-${c}`, type: 'checkbox', value: c, checked: t?.channels.includes(c) }));
  const rules = {
    suppressAfterNegativeDays: num('rule-negative', { min: 1, max: 365, value: r.suppressAfterNegativeDays ?? '' }),
    fatigueDays: num('rule-fatigue', { min: 0, max: 3650, value: r.fatigueDays ?? '' }),
    dailyCap: num('rule-cap', { min: 1, value: r.dailyCap ?? '' }),
    firstContactHours: num('rule-first-contact', { min: 1, max: 8760, value: r.firstContactHours ?? '' }),
    resolutionHours: num('rule-resolution', { min: 1, max: 8760, value: r.resolutionHours ?? '' }),
  };
  const includePassives = h('input', { id: 'rule-passives', type: 'checkbox', checked: !!r.includePassives });
  const samplingRows = h('div', { class: 'stack-rows' });
  let sampleN = 0;
  const addSample = (segment = '', share = '') => {
    const i = sampleN++;
    const seg = h('input', { id: `sample-seg-${i}`, maxlength: 100, value: segment, class: 'sample-segment' });
    const sh = h('input', { id: `sample-share-${i}`, type: 'number', min: 0, max: 1, step: 0.01, value: share, class: 'sample-share' });
    const row = h(
      'div',
      { class: 'row' },
      field(`sample-seg-${i}`, 'Segment (* for any other)', seg),
      field(`sample-share-${i}`, 'Share invited (0 to 1)', sh),
      h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove sampling row ${i + 1}`, onclick: () => row.remove() }, 'Remove'),
    );
    samplingRows.append(row);
  };
  for (const [seg, share] of Object.entries(r.sampling ?? {})) addSample(seg, String(share));

  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'stack wide',
      onsubmit: (e) => {
        e.preventDefault();
        const body = {
          name: f.name.value.trim(),
          kind: f.kind.value,
          surveyId: f.surveyId.value,
          channels: channelBoxes.filter((b) => b.checked).map((b) => b.value),
          delayMinutes: Number(f.delayMinutes.value),
          active: f.active.checked,
          rules: {},
        };
        if (f.key) body.key = f.key.value.trim();
        if (f.reminderAfterDays.value) body.reminderAfterDays = Number(f.reminderAfterDays.value);
        else if (t) body.reminderAfterDays = null;
        for (const [k, input] of Object.entries(rules)) if (input.value !== '') body.rules[k] = Number(input.value);
        if (includePassives.checked) body.rules.includePassives = true;
        const sampling = {};
        for (const row of samplingRows.children) {
          const seg = row.querySelector('.sample-segment').value.trim();
          const share = row.querySelector('.sample-share').value;
          if (seg && share !== '') sampling[seg] = Number(share);
        }
        if (Object.keys(sampling).length) body.rules.sampling = sampling;
        attempt(out, async () => {
          const saved = t ? await api('PATCH', `/api/v1/touchpoints/${t.id}`, body) : await api('POST', '/api/v1/touchpoints', body);
          setNotice(t ? 'Touchpoint saved.' : 'Touchpoint created.');
          await onSaved(saved);
        });
      },
    },
    f.key && field('tp-key', 'Key (lower-case words joined by -; fixed once created)', f.key),
    field('tp-name', 'Name', f.name),
    field('tp-kind', 'Kind of service moment', f.kind),
    field('tp-survey', 'Survey', f.surveyId),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Channels, tried in this order'),
      h(
        'div',
        { class: 'row' },
        order.map((c, i) => check(`tp-channel-${c}`, c, channelBoxes[i])),
      ),
    ),
    h('div', { class: 'row' }, field('tp-delay', 'Delay after the event (minutes)', f.delayMinutes), field('tp-reminder', 'Reminder after (days; empty: none)', f.reminderAfterDays)),
    check('tp-active', 'Active (events invite)', f.active),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Eligibility rules (empty: off)'),
      h(
        'div',
        { class: 'row' },
        field('rule-negative', 'Skip after a negative interaction within (days)', rules.suppressAfterNegativeDays),
        field('rule-fatigue', 'One survey per contact per (days; 0: off; empty: the tenant default)', rules.fatigueDays),
        field('rule-cap', 'Daily cap (invitations per UTC day)', rules.dailyCap),
      ),
      h('h3', {}, 'Sampling per segment'),
      samplingRows,
      h('button', { type: 'button', class: 'secondary', onclick: () => addSample() }, 'Add a sampling row'),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Recovery cases'),
      check('rule-passives', 'Passives (7–8) open a case too', includePassives),
      h('div', { class: 'row' }, field('rule-first-contact', 'First contact target (hours)', rules.firstContactHours), field('rule-resolution', 'Resolution target (hours)', rules.resolutionHours)),
    ),
    h('button', { type: 'submit' }, t ? 'Save touchpoint' : 'Create touchpoint'),
    out,
  );
  main.append(form);
}

async function editPage(id, back) {
  const [t, surveys, e] = await Promise.all([api('GET', `/api/v1/touchpoints/${id}`), api('GET', '/api/v1/surveys'), enums()]);
  setTitle(`Touchpoint: ${t.name}`);
  main.append(back);
  main.append(h('p', {}, h('a', { href: '#/admin/touchpoints' }, '← All touchpoints')), h('p', {}, 'Key ', h('code', {}, t.key), ' (events name the touchpoint by it).'));
  touchpointForm({ surveys: surveys.items, ...e, touchpoint: t, onSaved: () => editPage(id, back) });

  // Anonymous links: for units where the caller is admin (the API decides).
  const units = managedUnits(['admin']);
  if (!units.length) return;
  const unit = unitSelect('link-unit', units, units[0].id);
  const days = num('link-days', { min: 1, max: 730, placeholder: '365' });
  const out = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'Anonymous link'),
    h('p', {}, 'A link for a QR code or a receipt: anyone who opens it answers for the unit, with this touchpoint\u2019s newest published survey.'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: (ev) => {
          ev.preventDefault();
          attempt(out, async () => {
            const link = await api('POST', `/api/v1/touchpoints/${t.id}/links`, { unitId: unit.value, ...(days.value ? { expiresInDays: Number(days.value) } : {}) });
            const url = h('input', { id: 'link-url', readonly: true, value: link.url });
            out.replaceChildren(
              h('p', { class: 'msg', role: 'status' }, `Link for ${unitName(link.unitId)}, valid until ${new Date(link.expiresAt).toLocaleDateString()}.`),
              field('link-url', 'Link', url),
            );
          });
        },
      },
      field('link-unit', 'Unit', unit),
      field('link-days', 'Valid for (days; empty: one year)', days),
      h('button', { type: 'submit' }, 'Create link'),
      out,
    ),
  );
}

export default function touchpoints({ parts, back }) {
  if (!state.session) return;
  return parts[1] ? editPage(parts[1], back) : listPage(back);
}
