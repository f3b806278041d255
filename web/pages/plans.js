// Action plans: list and board views, a new plan, a plan with its NPS before and after.
import { api, managedUnits, errorBox, fmtNps, h, main, session, setNotice, setTitle, table, Unauthorized } from '../lib.js';

const PLAN_STATUSES = ['planned', 'in_progress', 'done', 'cancelled'];
async function plansPage(params) {
  const list = await api('GET', '/api/v1/action-plans');
  setTitle('Action plans');
  const board = params.get('view') === 'board';
  const view = h('select', { id: 'view', onchange: (e) => (location.hash = e.target.value === 'board' ? '#/plans?view=board' : '#/plans') }, h('option', { value: 'list', selected: !board }, 'List'), h('option', { value: 'board', selected: board }, 'Board'));
  main.append(h('div', { class: 'row' }, h('label', { for: 'view' }, 'View', view)));
  const link = (p) => h('a', { href: `#/plans/${p.id}` }, p.title);
  if (!list.items.length) main.append(h('p', {}, 'No action plans yet.'));
  else if (board)
    main.append(h('div', { class: 'cards' }, PLAN_STATUSES.map((st) => h('section', { class: 'card', 'aria-label': st.replace('_', ' ') }, h('h2', {}, st.replace('_', ' ')), h('ul', {}, list.items.filter((p) => p.status === st).map((p) => h('li', {}, link(p), ` · ${p.unitName}${p.dueOn ? ` · due ${p.dueOn}` : ''}`)))))));
  else main.append(table(`${list.items.length} plans`, ['Plan', 'Unit', 'Status', 'Due'], list.items.map((p) => h('tr', {}, h('th', { scope: 'row' }, link(p)), h('td', {}, p.unitName), h('td', {}, h('span', { class: 'tag' }, p.status)), h('td', {}, p.dueOn ?? '—')))));
  const units = managedUnits();
  if (!units.length) return;
  const field = (id, label, input) => h('label', { for: id }, label, input);
  const f = {
    unitId: h('select', { id: 'plan-unit', required: true }, units.map((u) => h('option', { value: u.id }, `${'· '.repeat(Math.max(0, u.depth - (units[0].depth ?? 0)))}${u.name}`))),
    title: h('input', { id: 'plan-title', required: true, maxlength: 200 }),
    theme: h('input', { id: 'plan-theme', maxlength: 100 }),
    dueOn: h('input', { id: 'plan-due', type: 'date' }),
    beforeFrom: h('input', { id: 'plan-before-from', type: 'date' }),
    beforeTo: h('input', { id: 'plan-before-to', type: 'date' }),
    afterFrom: h('input', { id: 'plan-after-from', type: 'date' }),
    afterTo: h('input', { id: 'plan-after-to', type: 'date' }),
  };
  const out = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'New action plan'),
    h('form', { class: 'stack', onsubmit: async (e) => {
      e.preventDefault();
      const body = { ownerUserId: session().me.user?.id };
      for (const [k, el] of Object.entries(f)) if (el.value.trim()) body[k] = el.value.trim();
      try {
        const plan = await api('POST', '/api/v1/action-plans', body);
        setNotice('Action plan created.');
        location.hash = `#/plans/${plan.id}`;
      } catch (err) {
        if (!(err instanceof Unauthorized)) out.replaceChildren(errorBox(err));
      }
    } },
      field('plan-unit', 'Unit', f.unitId),
      field('plan-title', 'Title', f.title),
      field('plan-theme', 'Theme (optional)', f.theme),
      field('plan-due', 'Due on', f.dueOn),
      h('div', { class: 'row' }, field('plan-before-from', 'Before: from', f.beforeFrom), field('plan-before-to', 'to', f.beforeTo)),
      h('div', { class: 'row' }, field('plan-after-from', 'After: from', f.afterFrom), field('plan-after-to', 'to', f.afterTo)),
      h('button', { type: 'submit' }, 'Create plan'),
      out,
    ),
  );
}

function windowCard(label, w) {
  if (!w) return h('div', { class: 'card' }, h('div', {}, label), h('div', { class: 'big' }, '—'), h('div', {}, 'no window set'));
  return h('div', { class: 'card' }, h('div', {}, `${label}: ${w.from} to ${w.to}`), h('div', { class: `big${w.suppressed ? ' suppressed' : ''}` }, w.suppressed ? 'Too few answers' : fmtNps(w.nps)), h('div', {}, `n = ${w.n}`, w.ci ? `, interval ${fmtNps(w.ci.low)} to ${fmtNps(w.ci.high)}` : ''));
}

async function planPage(id) {
  const p = await api('GET', `/api/v1/action-plans/${id}`);
  setTitle(p.title);
  const status = h('select', { id: 'plan-status' }, PLAN_STATUSES.map((s) => h('option', { value: s, selected: s === p.status }, s.replace('_', ' '))));
  const out = h('div', { 'aria-live': 'polite' });
  main.append(
    h('p', {}, h('a', { href: '#/plans' }, '← All action plans')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Unit'), h('dd', {}, p.unitName),
      h('dt', {}, 'Status'), h('dd', { 'data-testid': 'plan-status' }, p.status),
      h('dt', {}, 'Theme'), h('dd', {}, p.theme ?? '—'),
      h('dt', {}, 'Due on'), h('dd', {}, p.dueOn ?? '—'),
      h('dt', {}, 'Description'), h('dd', {}, p.description ?? '—'),
    ),
    h('h2', {}, 'NPS before and after'),
    h('div', { class: 'cards' }, windowCard('Before', p.before), windowCard('After', p.after)),
    h('h2', {}, 'Update'),
    h('form', { class: 'stack', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api('PATCH', `/api/v1/action-plans/${p.id}`, { status: status.value });
        setNotice('Saved.');
        await planPage(id);
      } catch (err) {
        if (!(err instanceof Unauthorized)) out.replaceChildren(errorBox(err));
      }
    } }, h('label', { for: 'plan-status' }, 'Status', status), h('button', { type: 'submit' }, 'Save'), out),
  );
}


export default function plans({ parts, params }) {
  return parts[1] ? planPage(parts[1]) : plansPage(params);
}
