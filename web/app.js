// The portal: plain ES module, hash routes, every number from the API (no scoring in the browser).
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

/** Element builder: h('p', {class: 'x'}, 'text', child). Text is always set as text, never HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

let session = null; // { me, units, byId, roles }
let notice = null;

class Unauthorized extends Error {}

/** The API with the session cookie; a 401 ends the session and brings back the sign-in. */
async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401 && path !== '/api/v1/auth/login') {
    if (session) notice = 'Your session has expired. Please sign in again.';
    session = null;
    showSignIn();
    throw new Unauthorized();
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = new Error(data?.error?.message ?? `HTTP ${res.status}`);
    err.status = res.status;
    err.details = data?.error?.details;
    throw err;
  }
  return data;
}

const fmtNps = (v) => (v === null || v === undefined ? '—' : (Math.round(v * 10) / 10).toFixed(1));
const fmtDate = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const rolesOf = (me) => new Set(me.grants.map((g) => g.role));
const unitName = (id) => session.byId.get(id)?.name ?? id;

function setTitle(text) {
  document.title = `${text} · NPS Program`;
  const heading = h('h1', {}, text);
  main.replaceChildren(heading);
  if (notice) main.append(h('p', { class: 'msg', role: 'status' }, notice)), (notice = null);
  main.focus();
  return heading;
}

function errorBox(err) {
  return h('p', { class: 'msg error', role: 'alert' }, err.message + (err.details ? ` (${err.details.map((d) => `${d.path}: ${d.message}`).join('; ')})` : ''));
}

// ---- Sign in / out ------------------------------------------------------------------------

function showSignIn() {
  nav.replaceChildren();
  who.replaceChildren();
  setTitle('Sign in');
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'stack', onsubmit: async (e) => {
      e.preventDefault();
      out.replaceChildren();
      try {
        await api('POST', '/api/v1/auth/login', { email: email.value, password: password.value });
        await start();
      } catch (err) {
        out.replaceChildren(errorBox(err.status === 401 ? new Error('Email or password is wrong.') : err));
      }
    } },
    h('label', { for: 'email' }, 'Email', email),
    h('label', { for: 'password' }, 'Password', password),
    h('button', { type: 'submit' }, 'Sign in'),
    out,
  );
  main.append(form);
}

async function signOut() {
  try {
    await api('POST', '/api/v1/auth/logout');
  } catch {}
  session = null;
  location.hash = '';
  showSignIn();
}

// ---- Navigation ---------------------------------------------------------------------------

const PAGES = [
  { hash: '#/dashboard', label: 'Dashboard', roles: ['admin', 'analyst', 'manager', 'viewer'] },
  { hash: '#/vendor', label: 'Scorecard', roles: ['vendor'] },
  { hash: '#/cases', label: 'Cases', roles: ['admin', 'analyst', 'manager', 'vendor', 'agent'] },
  { hash: '#/plans', label: 'Action plans', roles: ['admin', 'analyst', 'manager'] },
];
const allowedPages = () => PAGES.filter((p) => p.roles.some((r) => session.roles.has(r)));

function renderNav(current) {
  nav.replaceChildren(...allowedPages().map((p) => h('a', { href: p.hash, 'aria-current': current.startsWith(p.hash) ? 'page' : undefined }, p.label)));
  who.replaceChildren(h('span', {}, session.me.user?.email ?? ''), h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'));
}

async function start() {
  const [me, units] = await Promise.all([api('GET', '/api/v1/me'), api('GET', '/api/v1/units')]);
  const byId = new Map(units.items.map((u) => [u.id, u]));
  session = { me, units: units.items, byId, roles: rolesOf(me) };
  if (!location.hash || location.hash === '#') location.hash = allowedPages()[0]?.hash ?? '#/cases';
  else route();
}

async function route() {
  if (!session) return;
  const [path, query] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(query ?? '');
  const parts = path.split('/').filter(Boolean);
  renderNav(`#/${parts[0] ?? ''}`);
  try {
    if (parts[0] === 'dashboard') await dashboard(params.get('unit'), params.get('by'));
    else if (parts[0] === 'vendor') await vendor();
    else if (parts[0] === 'cases' && parts[1]) await casePage(parts[1]);
    else if (parts[0] === 'cases') await casesPage(params);
    else if (parts[0] === 'plans' && parts[1]) await planPage(parts[1]);
    else if (parts[0] === 'plans') await plansPage(params);
    else location.hash = allowedPages()[0]?.hash ?? '#/cases';
  } catch (err) {
    if (!(err instanceof Unauthorized)) main.append(errorBox(err));
  }
}

// ---- Scores helpers -----------------------------------------------------------------------

/** The interval as a band on the −100..100 scale, with the point estimate as a tick. */
function band(item) {
  if (item.suppressed || !item.ci) return '';
  const x = (v) => `${((v + 100) / 2).toFixed(1)}%`;
  return h(
    'span',
    { class: 'band', role: 'img', 'aria-label': `interval ${fmtNps(item.ci.low)} to ${fmtNps(item.ci.high)}` },
    h('span', { style: `left:${x(item.ci.low)};right:${(100 - (item.ci.high + 100) / 2).toFixed(1)}%` }),
    h('i', { style: `left:${x(item.nps)}` }),
  );
}

function npsCell(item) {
  if (item.suppressed) return h('td', { class: 'num suppressed' }, item.suppressedReason === 'no_answers' ? 'no answers' : `too few answers`);
  return h('td', { class: 'num' }, fmtNps(item.nps), ' ', h('small', {}, `[${fmtNps(item.ci.low)}, ${fmtNps(item.ci.high)}]`), band(item));
}

function deltaCell(item) {
  if (!item.delta) return h('td', { class: 'num' }, '—');
  const sign = item.delta.points > 0 ? '+' : '';
  const significant = item.delta.p < 0.05;
  return h('td', { class: 'num' }, `${sign}${fmtNps(item.delta.points)}`, significant ? h('span', { class: 'sig', title: `significant, p = ${item.delta.p.toFixed(3)}` }, ' ★') : '', significant ? h('small', {}, ' significant') : '');
}

function table(caption, head, rows) {
  return h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col', class: /NPS|n$|Change/.test(c) ? 'num' : undefined }, c)))), h('tbody', {}, rows)));
}

/** The top unit of the caller's reach (the first root of the listed subtrees). */
const topUnit = () => session.units.find((u) => !session.byId.has(u.parentId)) ?? session.units[0];

function crumbs(unit) {
  const chain = [];
  for (let u = unit; u; u = session.byId.get(u.parentId)) chain.unshift(u);
  return h('nav', { class: 'crumbs', 'aria-label': 'Hierarchy' }, h('ol', {}, chain.map((u, i) => h('li', {}, i === chain.length - 1 ? h('span', { 'aria-current': 'page' }, u.name) : h('a', { href: `#/dashboard?unit=${u.id}` }, u.name)))));
}

const RANGES = { 90: 'Last 90 days', 180: 'Last 6 months', 365: 'Last 12 months' };

// ---- Dashboard ----------------------------------------------------------------------------

const GROUPS = { unit: 'Unit', touchpoint: 'Touchpoint', channel: 'Channel', segment: 'Segment' };

async function dashboard(unitId, by) {
  const unit = (unitId && session.byId.get(unitId)) || topUnit();
  const group = GROUPS[by] ? by : 'unit';
  const days = Number(sessionStorage.getItem('range') ?? 180);
  const from = daysAgo(days - 1);
  const to = today();
  const q = `unitId=${unit.id}&from=${from}&to=${to}`;
  const [total, trend, children, touchpoints] = await Promise.all([
    api('GET', `/api/v1/scores?${q}&compare=previous`),
    api('GET', `/api/v1/scores?${q}&period=month`),
    api('GET', `/api/v1/scores?${q}&groupBy=${group}&compare=previous`),
    group === 'touchpoint' ? api('GET', '/api/v1/touchpoints').catch(() => ({ items: [] })) : { items: [] },
  ]);
  setTitle(`Dashboard: ${unit.name}`);
  const go = (u, g) => (location.hash = `#/dashboard?unit=${u}${g === 'unit' ? '' : `&by=${g}`}`);
  const range = h('select', { id: 'range', onchange: (e) => (sessionStorage.setItem('range', e.target.value), route()) }, Object.entries(RANGES).map(([v, l]) => h('option', { value: v, selected: Number(v) === days }, l)));
  const groupSel = h('select', { id: 'group', onchange: (e) => go(unit.id, e.target.value) }, Object.entries(GROUPS).map(([v, l]) => h('option', { value: v, selected: v === group }, l)));
  main.append(crumbs(unit), h('div', { class: 'row' }, h('label', { for: 'range' }, 'Period', range), h('label', { for: 'group' }, 'Break down by', groupSel)));
  const all = total.items[0];
  main.append(
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('div', {}, 'NPS'), h('div', { class: `big${all.suppressed ? ' suppressed' : ''}`, 'data-testid': 'nps' }, all.suppressed ? 'Too few answers' : fmtNps(all.nps)), all.ci ? h('div', {}, `95% interval ${fmtNps(all.ci.low)} to ${fmtNps(all.ci.high)}`) : ''),
      h('div', { class: 'card' }, h('div', {}, 'Answers (n)'), h('div', { class: 'big' }, String(all.n)), h('div', {}, `${all.promoters} promoters · ${all.passives} passives · ${all.detractors} detractors`)),
      h('div', { class: 'card' }, h('div', {}, 'Change vs previous period'), h('div', { class: 'big' }, all.delta ? `${all.delta.points > 0 ? '+' : ''}${fmtNps(all.delta.points)}` : '—'), all.delta ? h('div', {}, all.delta.p < 0.05 ? '★ significant' : 'not significant') : h('div', {}, 'not comparable')),
    ),
  );
  main.append(h('h2', {}, 'Over time'), table('NPS per month with its interval and n', ['Month', 'NPS', 'n'], trend.items.map((i) => h('tr', {}, h('th', { scope: 'row' }, i.period ?? '—'), npsCell(i), h('td', { class: 'num' }, String(i.n))))));
  const tpName = new Map(touchpoints.items.map((t) => [t.id, t.name]));
  const rows = children.items
    .filter((i) => i.key !== 'all')
    .map((i) => {
      let label = i.key || '(none)';
      let cell = label;
      if (group === 'unit') {
        const child = session.byId.get(i.key);
        label = child ? (child.id === unit.id ? `${child.name} (itself)` : child.name) : i.key;
        cell = child && child.id !== unit.id ? h('a', { href: `#/dashboard?unit=${child.id}` }, label) : label;
      } else if (group === 'touchpoint') cell = tpName.get(i.key) ?? i.key;
      return h('tr', {}, h('th', { scope: 'row' }, cell), npsCell(i), h('td', { class: 'num' }, String(i.n)), deltaCell(i));
    });
  const caption = group === 'unit' ? `Units under ${unit.name}` : `By ${GROUPS[group].toLowerCase()}`;
  main.append(h('h2', {}, `By ${GROUPS[group].toLowerCase()}`), rows.length ? table(`${caption}; ★ marks a significant change (p < 0.05)`, [GROUPS[group], 'NPS', 'n', 'Change'], rows) : h('p', {}, 'No answers in the period.'));
}

// ---- Vendor scorecard ---------------------------------------------------------------------

async function vendor() {
  const unit = topUnit();
  const q = `unitId=${unit.id}&from=${daysAgo(179)}&to=${today()}`;
  const [total, trend, metrics] = await Promise.all([
    api('GET', `/api/v1/scores?${q}&compare=previous`),
    api('GET', `/api/v1/scores?${q}&period=month`),
    api('GET', `/api/v1/cases/metrics?unitId=${unit.id}`),
  ]);
  setTitle(`Scorecard: ${unit.name}`);
  const all = total.items[0];
  const pct = (v) => (v === null || v === undefined ? '—' : `${Math.round(v * 100)}%`);
  main.append(
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('div', {}, 'NPS (6 months)'), h('div', { class: `big${all.suppressed ? ' suppressed' : ''}` }, all.suppressed ? 'Too few answers' : fmtNps(all.nps)), all.ci ? h('div', {}, `interval ${fmtNps(all.ci.low)} to ${fmtNps(all.ci.high)}`) : ''),
      h('div', { class: 'card' }, h('div', {}, 'Answers (n)'), h('div', { class: 'big' }, String(all.n))),
      h('div', { class: 'card' }, h('div', {}, 'Cases contacted within target'), h('div', { class: 'big' }, pct(metrics.total.withinTarget.firstContact))),
      h('div', { class: 'card' }, h('div', {}, 'Cases resolved within target'), h('div', { class: 'big' }, pct(metrics.total.withinTarget.resolution))),
    ),
    h('h2', {}, 'Trend'),
    table('NPS per month', ['Month', 'NPS', 'n'], trend.items.map((i) => h('tr', {}, h('th', { scope: 'row' }, i.period ?? '—'), npsCell(i), h('td', { class: 'num' }, String(i.n))))),
    h('p', {}, h('a', { href: '#/cases' }, `Cases of ${unit.name} (${metrics.total.cases} in the last 28 days)`)),
  );
}

// ---- Cases --------------------------------------------------------------------------------

const TRANSITIONS = { open: ['contacted', 'closed'], contacted: ['resolved', 'closed'], resolved: ['open'], closed: ['open'] };

async function casesPage(params) {
  const scope = params.get('scope') ?? 'subtree';
  const overdue = params.get('overdue') === 'true';
  const list = await api('GET', `/api/v1/cases?scope=${scope}${overdue ? '&overdue=true' : ''}`);
  setTitle('Cases');
  const go = (s, o) => (location.hash = `#/cases?scope=${s}${o ? '&overdue=true' : ''}`);
  const scopeSel = h('select', { id: 'scope', onchange: (e) => go(e.target.value, overdue) }, h('option', { value: 'mine', selected: scope === 'mine' }, 'Mine'), h('option', { value: 'subtree', selected: scope === 'subtree' }, 'My team (all in reach)'));
  const overdueBox = h('input', { id: 'overdue', type: 'checkbox', checked: overdue, onchange: (e) => go(scope, e.target.checked) });
  main.append(h('div', { class: 'row' }, h('label', { for: 'scope' }, 'Show', scopeSel), h('label', { for: 'overdue', style: 'display:flex;gap:.5rem;align-items:center' }, overdueBox, 'Overdue only')));
  if (!list.items.length) return main.append(h('p', {}, 'No cases.'));
  main.append(
    table(`${list.items.length} cases`, ['Case', 'Unit', 'Score', 'Status', 'Resolve by'], list.items.map((k) =>
      h('tr', {}, h('th', { scope: 'row' }, h('a', { href: `#/cases/${k.id}` }, k.comment ? k.comment.slice(0, 40) : `Case ${k.id.slice(-6)}`)), h('td', {}, k.unitName), h('td', { class: 'num' }, String(k.score)), h('td', {}, h('span', { class: 'tag' }, k.status), k.overdue ? h('span', { class: 'tag overdue' }, ' overdue') : ''), h('td', {}, fmtDate(k.resolutionDueAt))),
    )),
  );
}

async function casePage(id) {
  const k = await api('GET', `/api/v1/cases/${id}`);
  setTitle(`Case in ${k.unitName}`);
  main.append(
    h('p', {}, h('a', { href: '#/cases' }, '← All cases')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', { 'data-testid': 'case-status' }, k.status, k.overdue ? ' (overdue)' : ''),
      h('dt', {}, 'Score'), h('dd', {}, String(k.score)),
      h('dt', {}, 'Comment'), h('dd', {}, k.comment ?? '—'),
      h('dt', {}, 'Contact'), h('dd', {}, k.contact ? [k.contact.email, k.contact.phone].filter(Boolean).join(', ') || k.contact.externalId : '—'),
      h('dt', {}, 'First contact by'), h('dd', {}, fmtDate(k.firstContactDueAt)),
      h('dt', {}, 'Resolve by'), h('dd', {}, fmtDate(k.resolutionDueAt)),
    ),
  );
  const next = TRANSITIONS[k.status] ?? [];
  const out = h('div', { 'aria-live': 'polite' });
  const status = h('select', { id: 'status' }, h('option', { value: '' }, '(keep)'), next.map((s) => h('option', { value: s }, s)));
  const note = h('textarea', { id: 'note', rows: 2 });
  const reason = h('input', { id: 'reason', type: 'text' });
  main.append(
    h('h2', {}, 'Work the case'),
    h('form', { class: 'stack', onsubmit: async (e) => {
      e.preventDefault();
      const body = {};
      if (status.value) body.status = status.value;
      if (note.value.trim()) body.note = note.value.trim();
      if (reason.value.trim()) body.reason = reason.value.trim();
      try {
        await api('PATCH', `/api/v1/cases/${k.id}`, body);
        notice = 'Saved.';
        await casePage(id);
      } catch (err) {
        if (!(err instanceof Unauthorized)) out.replaceChildren(errorBox(err));
      }
    } },
      h('label', { for: 'status' }, 'New status', status),
      h('label', { for: 'reason' }, 'Reason (needed to resolve or close)', reason),
      h('label', { for: 'note' }, 'Note', note),
      h('button', { type: 'submit' }, 'Save'),
      out,
    ),
    h('h2', {}, 'Timeline'),
    h('ol', { class: 'timeline' }, (k.timeline ?? []).map((ev) => h('li', {}, h('strong', {}, ev.type), ` ${fmtDate(ev.createdAt)}`, ev.fromStatus !== ev.toStatus && ev.toStatus ? ` · ${ev.fromStatus ?? '—'} → ${ev.toStatus}` : '', ev.note ? ` · ${ev.note}` : '', ev.reason ? ` · reason: ${ev.reason}` : ''))),
  );
}

// ---- Action plans -------------------------------------------------------------------------

const PLAN_STATUSES = ['planned', 'in_progress', 'done', 'cancelled'];
/** Units the caller may plan for: in the subtree of an admin or manager grant (the API decides). */
function plannableUnits() {
  const paths = session.me.grants.filter((g) => g.role === 'admin' || g.role === 'manager').map((g) => session.byId.get(g.unitId)?.path).filter(Boolean);
  return session.units.filter((u) => paths.some((p) => u.path.startsWith(p)));
}

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
  const units = plannableUnits();
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
      const body = { ownerUserId: session.me.user?.id };
      for (const [k, el] of Object.entries(f)) if (el.value.trim()) body[k] = el.value.trim();
      try {
        const plan = await api('POST', '/api/v1/action-plans', body);
        notice = 'Action plan created.';
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
        notice = 'Saved.';
        await planPage(id);
      } catch (err) {
        if (!(err instanceof Unauthorized)) out.replaceChildren(errorBox(err));
      }
    } }, h('label', { for: 'plan-status' }, 'Status', status), h('button', { type: 'submit' }, 'Save'), out),
  );
}

// ---- Boot ---------------------------------------------------------------------------------

window.addEventListener('hashchange', route);
start().catch((err) => {
  if (!(err instanceof Unauthorized)) main.replaceChildren(errorBox(err));
});
