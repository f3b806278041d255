// Action plans: list and board views with their owners, a new plan, a plan with its NPS before and
// after (a chart with its table) and every field editable.
import { beforeAfterChart } from '../charts.js';
import { api, daysAgo, errorBox, fmtDate, fmtNps, h, lowSampleMark, main, managedUnits, plural, session, setNotice, setTitle, table, today, Unauthorized, unitName } from '../lib.js';

const PLAN_STATUSES = ['planned', 'in_progress', 'done', 'cancelled'];
async function plansPage(params) {
  const list = await api('GET', '/api/v1/action-plans');
  setTitle('Action plans');
  const board = params.get('view') === 'board';
  const view = h(
    'select',
    { id: 'view', onchange: (e) => (location.hash = e.target.value === 'board' ? '#/plans?view=board' : '#/plans') },
    h('option', { value: 'list', selected: !board }, 'List'),
    h('option', { value: 'board', selected: board }, 'Board'),
  );
  main.append(h('div', { class: 'row' }, h('label', { for: 'view' }, 'View', view)));
  const link = (p) => h('a', { href: `#/plans/${p.id}` }, p.title);
  if (!list.items.length) main.append(h('p', {}, 'No action plans yet.'));
  else if (board)
    main.append(
      h(
        'div',
        { class: 'cards' },
        PLAN_STATUSES.map((st) =>
          h(
            'section',
            { class: 'card', 'aria-label': st.replace('_', ' ') },
            h('h2', {}, st.replace('_', ' ')),
            h(
              'ul',
              {},
              list.items.filter((p) => p.status === st).map((p) => h('li', {}, link(p), ` · ${p.unitName}${p.ownerName ? ` · ${p.ownerName}` : ''}${p.dueOn ? ` · due ${p.dueOn}` : ''}`)),
            ),
          ),
        ),
      ),
    );
  else
    main.append(
      table(
        `${plural(list.items.length, 'plan')}`,
        ['Plan', 'Unit', 'Owner', 'Status', 'Due'],
        list.items.map((p) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, link(p)),
            h('td', {}, p.unitName),
            h('td', {}, p.ownerName ?? 'nobody'),
            h('td', {}, h('span', { class: 'tag' }, p.status)),
            h('td', {}, p.dueOn ?? '—'),
          ),
        ),
      ),
    );
  const units = managedUnits();
  if (!units.length) return;
  const field = (id, label, input) => h('label', { for: id }, label, input);
  const f = {
    unitId: h(
      'select',
      { id: 'plan-unit', required: true },
      units.map((u) => h('option', { value: u.id }, `${'· '.repeat(Math.max(0, u.depth - (units[0].depth ?? 0)))}${u.name}`)),
    ),
    title: h('input', { id: 'plan-title', required: true, maxlength: 200 }),
    description: h('textarea', { id: 'plan-description', rows: 3, maxlength: 4000 }),
    theme: h('input', { id: 'plan-theme', maxlength: 100 }),
    ownerUserId: h('select', { id: 'plan-owner' }),
    dueOn: h('input', { id: 'plan-due', type: 'date' }),
    beforeFrom: h('input', { id: 'plan-before-from', type: 'date' }),
    beforeTo: h('input', { id: 'plan-before-to', type: 'date' }),
    afterFrom: h('input', { id: 'plan-after-from', type: 'date' }),
    afterTo: h('input', { id: 'plan-after-to', type: 'date' }),
  };
  const out = h('div', { 'aria-live': 'polite' });
  // The alert a plan answers, when started from one (sent as alertId).
  let alertId = null;
  const source = h('p', { class: 'help', 'aria-live': 'polite' });
  const themesBox = h('div', { 'aria-live': 'polite' });

  /** Owners and themes follow the unit chosen in the form. */
  async function loadOwners() {
    const me = session().me.user?.id;
    const unit = f.unitId.value;
    const owners = await api('GET', `/api/v1/action-plans/owners?unitId=${encodeURIComponent(unit)}`).then(
      (r) => r.items,
      () => [],
    );
    if (unit !== f.unitId.value) return; // another unit was chosen meanwhile: its answer wins
    const list = owners.some((o) => o.id === me) || !me ? owners : [{ id: me, name: session().me.user?.name ?? '', email: session().me.user?.email ?? '' }, ...owners];
    f.ownerUserId.replaceChildren(...list.map((o) => h('option', { value: o.id, selected: o.id === me }, o.name ? `${o.name} (${o.email})` : o.email)));
  }
  async function loadThemes() {
    const unit = f.unitId.value;
    const r = await api('GET', `/api/v1/themes?unitId=${encodeURIComponent(unit)}&from=${daysAgo(89)}&to=${today()}&category=detractor`).catch(() => null);
    if (unit !== f.unitId.value) return;
    if (!r) return themesBox.replaceChildren(h('p', {}, 'Themes need a role that reads scores.'));
    const name = f.unitId.selectedOptions[0]?.textContent.replace(/^(· )+/, '') ?? '';
    if (!r.items.length) return themesBox.replaceChildren(h('p', {}, `No themes in the comments of ${name} over the last 90 days.`));
    // Themes ranked by impact (docs/themes.md): what the unit's NPS would gain if those answers had been passives.
    themesBox.replaceChildren(
      table(
        `Themes in ${name}, last 90 days`,
        ['Theme', 'Mentions', 'NPS among them', 'Impact (points)', 'Action'],
        r.items.slice(0, 10).map((t) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, t.source === 'discovered' ? `${t.name} (discovered)` : t.name),
            h('td', { class: 'num' }, String(t.comments)),
            h('td', { class: 'num' }, t.nps === null ? '—' : String(t.nps)),
            h('td', { class: 'num' }, t.impact.toFixed(1)),
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-label': `Plan for this theme: ${t.name}`,
                  onclick: () => {
                    f.theme.value = t.name;
                    f.title.value = `Fewer detractors mentioning “${t.name}”`;
                    source.textContent = `Starts from the theme “${t.name}” (${t.comments} comments, impact ${t.impact.toFixed(1)} points).`;
                    f.title.focus();
                  },
                },
                'Plan for this theme',
              ),
            ),
          ),
        ),
      ),
    );
  }
  f.unitId.addEventListener('change', () => Promise.all([loadOwners(), loadThemes()]));

  // The form is drawn at once; the alerts, owners and themes fill in as they arrive.
  const alertsBox = h('div', { 'aria-live': 'polite' });
  main.append(h('h2', {}, 'Start from an alert'), alertsBox, h('h2', {}, 'Start from a theme'), themesBox);

  main.append(
    h('h2', {}, 'New action plan'),
    h(
      'form',
      {
        class: 'stack plan-form',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = {};
          for (const [k, el] of Object.entries(f)) if (el.value.trim()) body[k] = el.value.trim();
          if (alertId) body.alertId = alertId;
          try {
            const plan = await api('POST', '/api/v1/action-plans', body);
            setNotice('Action plan created.');
            location.hash = `#/plans/${plan.id}`;
          } catch (err) {
            if (!(err instanceof Unauthorized)) out.replaceChildren(errorBox(err));
          }
        },
      },
      source,
      field('plan-unit', 'Unit', f.unitId),
      field('plan-title', 'Title', f.title),
      field('plan-theme', 'Theme (optional)', f.theme),
      field('plan-owner', 'Owner', f.ownerUserId),
      field('plan-due', 'Due on', f.dueOn),
      h('div', { class: 'row' }, field('plan-before-from', 'Before: from', f.beforeFrom), field('plan-before-to', 'to', f.beforeTo)),
      h('div', { class: 'row' }, field('plan-after-from', 'After: from', f.afterFrom), field('plan-after-to', 'to', f.afterTo)),
      field('plan-description', 'Description (optional)', f.description),
      h('button', { type: 'submit' }, 'Create plan'),
      out,
    ),
  );
  await Promise.all([loadOwners(), loadThemes(), showAlerts()]);

  async function showAlerts() {
    const alerts = await api('GET', '/api/v1/alerts?status=open').then(
      (r) => r.items,
      () => [],
    );
    const mine = new Set(units.map((u) => u.id));
    if (!alerts.length) alertsBox.replaceChildren(h('p', {}, 'No open alerts in your part of the organisation.'));
    else
      alertsBox.replaceChildren(
        h(
          'ul',
          { class: 'alerts' },
          alerts.map((a) => {
            const w = a.evidence?.window;
            const b = a.evidence?.baseline;
            return h(
              'li',
              {},
              h('strong', {}, unitName(a.unitId)),
              ` · raised ${fmtDate(a.createdAt)}`,
              w ? ` · NPS ${fmtNps(w.nps)} (n = ${w.n}) from ${w.from} to ${w.to}` : '',
              b ? `, against ${fmtNps(b.nps)} before` : '',
              typeof a.evidence?.dropPoints === 'number' ? ` · down ${fmtNps(a.evidence.dropPoints)} points` : '',
              ' ',
              mine.has(a.unitId)
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary',
                      'aria-label': `Create an action plan for the alert in ${unitName(a.unitId)}`,
                      onclick: async () => {
                        f.unitId.value = a.unitId;
                        await Promise.all([loadOwners(), loadThemes()]);
                        f.title.value = `Recover the NPS drop in ${unitName(a.unitId)}`;
                        if (w?.from && w?.to) [f.beforeFrom.value, f.beforeTo.value] = [w.from, w.to];
                        alertId = a.id;
                        source.textContent = `Answers the alert in ${unitName(a.unitId)} raised ${fmtDate(a.createdAt)}.`;
                        f.title.focus();
                      },
                    },
                    'Create an action plan',
                  )
                : '',
            );
          }),
        ),
      );
  }
}

function windowCard(label, w) {
  if (!w) return h('div', { class: 'card' }, h('div', {}, label), h('div', { class: 'big' }, '—'), h('div', {}, 'no window set'));
  return h(
    'div',
    { class: 'card' },
    h('div', {}, `${label}: ${w.from} to ${w.to}`),
    h('div', { class: `big${w.suppressed ? ' suppressed' : ''}` }, w.suppressed ? 'Too few answers' : fmtNps(w.nps)),
    h('div', {}, `n = ${w.n}`, w.ci ? `, interval ${fmtNps(w.ci.low)} to ${fmtNps(w.ci.high)}` : '', lowSampleMark(w)),
    w.theme ? h('div', {}, `Theme: ${w.theme.comments} comments mention it (${(w.theme.share * 100).toFixed(1)}\u00a0% of comments)`) : '',
  );
}

/** The before/after windows as a table (what the chart shows, for screen readers and for reading). */
function windowsTable(p) {
  const rows = [
    ['Before', p.before],
    ['After', p.after],
  ].map(([label, w]) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, label),
      h('td', {}, w ? `${w.from} to ${w.to}` : 'no window set'),
      h('td', { class: 'num' }, !w ? '—' : w.suppressed ? (w.n ? 'too few answers' : 'no answers') : fmtNps(w.nps)),
      h('td', { class: 'num' }, !w?.ci || w.suppressed ? '—' : `${fmtNps(w.ci.low)} to ${fmtNps(w.ci.high)}`),
      h('td', { class: 'num' }, w ? String(w.n) : '—'),
    ),
  );
  return table('NPS of the unit before and after the plan, with the 95% interval', ['Window', 'Days', 'NPS', 'Interval', 'n'], rows);
}

/** Every field of a plan but its unit and alert, for those who write plans on the unit. */
function editForm(p, owners, reload) {
  const out = h('div', { 'aria-live': 'polite' });
  const input = (id, value, attrs = {}) => h('input', { id, value: value ?? '', ...attrs });
  const f = {
    title: input('edit-title', p.title, { required: true, maxlength: 200 }),
    description: h('textarea', { id: 'edit-description', rows: 3, maxlength: 4000 }, p.description ?? ''),
    theme: input('edit-theme', p.theme, { maxlength: 100 }),
    ownerUserId: h(
      'select',
      { id: 'edit-owner' },
      h('option', { value: '', selected: !p.ownerUserId }, 'nobody'),
      // The current owner stays choosable even when no longer among the possible owners.
      (owners.some((o) => o.id === p.ownerUserId) || !p.ownerUserId ? owners : [{ id: p.ownerUserId, name: p.ownerName ?? '', email: '' }, ...owners]).map((o) =>
        h('option', { value: o.id, selected: o.id === p.ownerUserId }, o.email ? `${o.name || o.email} (${o.email})` : o.name),
      ),
    ),
    status: h(
      'select',
      { id: 'plan-status' },
      PLAN_STATUSES.map((s) => h('option', { value: s, selected: s === p.status }, s.replace('_', ' '))),
    ),
    dueOn: input('edit-due', p.dueOn, { type: 'date' }),
    beforeFrom: input('edit-before-from', p.beforeFrom, { type: 'date' }),
    beforeTo: input('edit-before-to', p.beforeTo, { type: 'date' }),
    afterFrom: input('edit-after-from', p.afterFrom, { type: 'date' }),
    afterTo: input('edit-after-to', p.afterTo, { type: 'date' }),
  };
  const field = (id, label, el) => h('label', { for: id }, label, el);
  return h(
    'form',
    {
      class: 'stack plan-form',
      onsubmit: async (e) => {
        e.preventDefault();
        // Only what changed; an emptied optional field is cleared (null), the title is required.
        const body = {};
        for (const [k, el] of Object.entries(f)) {
          const v = el.value.trim();
          if (v !== (p[k] ?? '')) body[k] = v === '' && k !== 'title' ? null : v;
        }
        try {
          if (!Object.keys(body).length) throw new Error('Nothing changed.');
          await api('PATCH', `/api/v1/action-plans/${p.id}`, body);
          setNotice('Saved.');
          await reload();
        } catch (err) {
          if (!(err instanceof Unauthorized)) out.replaceChildren(errorBox(err));
        }
      },
    },
    field('edit-title', 'Title', f.title),
    field('edit-description', 'Description', f.description),
    field('edit-theme', 'Theme', f.theme),
    field('edit-owner', 'Owner', f.ownerUserId),
    field('plan-status', 'Status', f.status),
    field('edit-due', 'Due on', f.dueOn),
    h('div', { class: 'row' }, field('edit-before-from', 'Before: from', f.beforeFrom), field('edit-before-to', 'Before: to', f.beforeTo)),
    h('div', { class: 'row' }, field('edit-after-from', 'After: from', f.afterFrom), field('edit-after-to', 'After: to', f.afterTo)),
    h('button', { type: 'submit' }, 'Save'),
    out,
  );
}

async function planPage(id) {
  const p = await api('GET', `/api/v1/action-plans/${id}`);
  // Those who write plans on the unit may change it (the owners list answers 403 to others: no form).
  const owners = await api('GET', `/api/v1/action-plans/owners?unitId=${encodeURIComponent(p.unitId)}`).then(
    (r) => r.items,
    () => null,
  );
  setTitle(p.title);
  main.append(
    h('p', {}, h('a', { href: '#/plans' }, '← All action plans')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Unit'),
      h('dd', {}, p.unitName),
      h('dt', {}, 'Owner'),
      h('dd', { 'data-testid': 'plan-owner' }, p.ownerName ?? 'nobody'),
      h('dt', {}, 'Status'),
      h('dd', { 'data-testid': 'plan-status' }, p.status),
      h('dt', {}, 'Theme'),
      h('dd', {}, p.theme ?? '—'),
      h('dt', {}, 'Due on'),
      h('dd', { 'data-testid': 'plan-due' }, p.dueOn ?? '—'),
      h('dt', {}, 'Description'),
      h('dd', {}, p.description ?? '—'),
    ),
    h('h2', {}, 'NPS before and after'),
    h('div', { class: 'cards' }, windowCard('Before', p.before), windowCard('After', p.after)),
    p.before || p.after
      ? beforeAfterChart([
          { label: 'Before', item: p.before },
          { label: 'After', item: p.after },
        ])
      : h('p', {}, 'Set the before and after windows to compare the NPS.'),
    windowsTable(p),
    ...(owners ? [h('h2', {}, 'Update'), editForm(p, owners, () => planPage(id))] : []),
  );
}

export default function plans({ parts, params }) {
  return parts[1] ? planPage(parts[1]) : plansPage(params);
}
