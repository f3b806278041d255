// Shared by every page of the portal: the element builder, the API client, the session and the
// score cells. Every number comes from the API; nothing here computes a score.

export const main = document.getElementById('main');

/** Element builder: h('p', {class: 'x'}, 'text', child). Text is always set as text, never HTML. */
export function h(tag, attrs, ...children) {
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

/** The signed-in user ({ me, units, byId, roles }) and a message for the next page drawn. */
/** Whether a session may be open: the server's `nps_signed_in` hint (the session cookie itself is HttpOnly). */
export const maybeSignedIn = () => document.cookie.split('; ').includes('nps_signed_in=1');
/** The hint goes with the session (expired, or signed out). */
// biome-ignore lint/suspicious/noDocumentCookie: one fixed cookie without a value; the Cookie Store API is not in every browser the portal serves
export const forgetSession = () => (document.cookie = 'nps_signed_in=; Max-Age=0; path=/; SameSite=Lax');

export const state = { session: null, notice: null, onUnauthorized: () => {}, route: 0 };
export const session = () => state.session;
export const setNotice = (text) => (state.notice = text);

export class Unauthorized extends Error {}
/** An answer that arrived after the user went to another page: dropped like an ended session's, so a slow page never draws over the next. */
export class Stale extends Unauthorized {}

/**
 * The API with the session cookie; a 401 ends the session and brings back the sign-in. Calls
 * that change state say JSON even without a body: the API refuses the cookie on any other type
 * (a cross-site form could send those).
 */
export async function api(method, path, body) {
  const route = state.route;
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined && (method === 'GET' || method === 'HEAD') ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401 && path !== '/api/v1/auth/login') {
    if (state.session) state.notice = 'Your session has expired. Please sign in again.';
    state.session = null;
    forgetSession();
    state.onUnauthorized();
    throw new Unauthorized();
  }
  const text = await res.text();
  if (route !== state.route) throw new Stale();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = new Error(data?.error?.message ?? `HTTP ${res.status}`);
    err.status = res.status;
    err.code = data?.error?.code;
    err.details = data?.error?.details;
    throw err;
  }
  return data;
}

export const fmtNps = (v) => (v === null || v === undefined ? '—' : (Math.round(v * 10) / 10).toFixed(1));
export const fmtDate = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
/**
 * Today as the scores mean it: the newest local day among the units in reach (a unit east of the
 * browser may already be a day ahead, and a range ending on the browser's day would miss its
 * answers of today); the browser's UTC day without a session.
 */
export function today() {
  const now = new Date();
  let day = now.toISOString().slice(0, 10);
  for (const tz of new Set((state.session?.units ?? []).map((u) => u.timezone).filter(Boolean))) {
    const local = dayFormat(tz).format(now);
    if (local > day) day = local;
  }
  return day;
}
/** One formatter per time zone, made once: building one is slow, and every page asks for today (twice on the dashboard). */
const dayFormats = new Map();
function dayFormat(tz) {
  if (!dayFormats.has(tz)) dayFormats.set(tz, new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }));
  return dayFormats.get(tz);
}
export const daysAgo = (n) => new Date(Date.parse(`${today()}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
export const unitName = (id) => state.session.byId.get(id)?.name ?? id;
/** "1 key", "2 keys": a count with its noun (regular plurals). */
export const plural = (n, noun) => `${n} ${n === 1 ? noun : `${noun}s`}`;

export const hasRole = (...roles) => roles.some((r) => state.session.roles.has(r));

export function setTitle(text) {
  document.title = `${text} · NPS Program`;
  const heading = h('h1', {}, text);
  main.replaceChildren(heading);
  // A page drawn in parts marks itself busy again (the dashboard): a new page starts whole.
  main.removeAttribute('aria-busy');
  if (state.notice) main.append(h('p', { class: 'msg', role: 'status' }, state.notice)), (state.notice = null);
  // The new page takes the focus (a screen reader announces it), unless the user has already put
  // it somewhere else while the page loaded, e.g. on a link of the navigation: never snatch it.
  const active = document.activeElement;
  if (!active || active === document.body || active === main) main.focus();
  return heading;
}

/**
 * Marks a page's first meaningful content (its first figures or table) as drawn: the element gets
 * `data-first-content`, and the page's clock a `first-content` mark in the first task after the
 * frame that paints it (bench:homes times a home's first load by it; docs/demo.md). Returns the element.
 */
export function firstContent(el) {
  el.setAttribute('data-first-content', '');
  requestAnimationFrame(() => setTimeout(() => performance.mark('first-content'), 0));
  return el;
}

/** A promise whose rejection is handled where it is awaited, later: no "unhandled rejection" meanwhile. */
export function quiet(promise) {
  promise.catch(() => {});
  return promise;
}

/** After the browser has painted what is in the document (the next frame, then a task; at most 100 ms, as a hidden tab has no frames). */
export const nextFrame = () =>
  new Promise((done) => {
    requestAnimationFrame(() => setTimeout(done, 0));
    setTimeout(done, 100);
  });

export function errorBox(err) {
  // Field errors are a list; other details (e.g. retryAfterSeconds) are not shown.
  const fields = Array.isArray(err.details) ? ` (${err.details.map((d) => `${d.path}: ${d.message}`).join('; ')})` : '';
  return h('p', { class: 'msg error', role: 'alert' }, err.message + fields);
}

/** Runs a form action; an API error shows in `out`, an expired session is handled by api(). */
export async function attempt(out, action) {
  try {
    out.replaceChildren();
    return await action();
  } catch (err) {
    if (!(err instanceof Unauthorized)) out.replaceChildren(errorBox(err));
  }
}

export const field = (id, label, input) => h('label', { for: id }, label, input);

/**
 * A captioned table in a scroll box that keyboard users can reach (focusable, labelled region).
 * A heading sits over its column: right-aligned where every cell below is a number (`.num`).
 */
export function table(caption, head, rows) {
  const list = [rows].flat().filter(Boolean);
  const numeric = head.map((_, k) => {
    const cells = list.map((r) => r.children?.[k]).filter(Boolean);
    return cells.length > 0 ? cells.every((c) => c.classList.contains('num')) : /NPS|n$|Change/.test(head[k]);
  });
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((c, k) => h('th', { scope: 'col', class: numeric[k] ? 'num' : undefined }, c)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

// ---- Score cells --------------------------------------------------------------------------

/** The interval as a band on the −100..100 scale, with the point estimate as a tick. */
export function band(item) {
  if (item.suppressed || !item.ci) return '';
  const x = (v) => `${((v + 100) / 2).toFixed(1)}%`;
  return h(
    'span',
    { class: 'band', role: 'img', 'aria-label': `interval ${fmtNps(item.ci.low)} to ${fmtNps(item.ci.high)}` },
    h('span', { style: `left:${x(item.ci.low)};right:${(100 - (item.ci.high + 100) / 2).toFixed(1)}%` }),
    h('i', { style: `left:${x(item.nps)}` }),
  );
}

/** The mark of a score shown from fewer answers than the tenant's reliability threshold (`lowSample` from the API). */
export function lowSampleMark(item) {
  return item.lowSample ? h('small', { class: 'low-sample', title: 'Fewer answers than the reliability threshold: read with care' }, ' low sample') : '';
}

const SUPPRESSED = { no_answers: 'no answers', below_min_n: 'too few answers', not_for_individual_evaluation: 'not for individual evaluation' };

export function npsCell(item) {
  if (item.suppressed) return h('td', { class: 'num suppressed' }, SUPPRESSED[item.suppressedReason] ?? 'too few answers');
  return h('td', { class: 'num' }, fmtNps(item.nps), ' ', h('small', {}, `[${fmtNps(item.ci.low)}, ${fmtNps(item.ci.high)}]`), lowSampleMark(item), band(item));
}

// ---- Annotations on trends ------------------------------------------------------------------

export const ANNOTATION_KINDS = { process_change: 'Process change', release: 'Release', outage: 'Outage', merger: 'Merger', other: 'Other' };

/** The annotations whose day falls in a trend's period (`YYYY-MM`, or a week's Monday with `days` 7), each a link to its before-and-after comparison. */
export function eventsCell(notes, period, days = 0) {
  // A month or quarter by its prefix; a week (its Monday) with `days` = 7.
  const end = days ? new Date(Date.parse(`${period}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10) : '';
  const mine = !period ? [] : days ? notes.filter((a) => a.date >= period && a.date < end) : notes.filter((a) => a.date.startsWith(period));
  return h(
    'td',
    {},
    mine.length
      ? h(
          'ul',
          { class: 'events' },
          mine.map((a) => h('li', {}, h('a', { href: `#/around?id=${a.id}` }, `${a.date} ${ANNOTATION_KINDS[a.kind] ?? a.kind}: ${a.title}`))),
        )
      : '',
  );
}

export function deltaCell(item) {
  if (!item.delta) return h('td', { class: 'num' }, '—');
  const sign = item.delta.points > 0 ? '+' : '';
  const significant = item.delta.p < 0.05;
  return h(
    'td',
    { class: 'num' },
    `${sign}${fmtNps(item.delta.points)}`,
    significant ? h('span', { class: 'sig', title: `significant, p = ${item.delta.p.toFixed(3)}` }, ' ★') : '',
    significant ? h('small', {}, ' significant') : '',
  );
}

/** The top unit of the caller's reach (the first root of the listed subtrees). */
export const topUnit = () => state.session.units.find((u) => !state.session.byId.has(u.parentId)) ?? state.session.units[0];

export function crumbs(unit, page = 'dashboard') {
  const chain = [];
  for (let u = unit; u; u = state.session.byId.get(u.parentId)) chain.unshift(u);
  return h(
    'nav',
    { class: 'crumbs', 'aria-label': 'Hierarchy' },
    h(
      'ol',
      {},
      chain.map((u, i) => h('li', {}, i === chain.length - 1 ? h('span', { 'aria-current': 'page' }, u.name) : h('a', { href: `#/${page}?unit=${u.id}` }, u.name))),
    ),
  );
}

/** Units under an admin or manager grant of the caller (the API still decides). */
export function managedUnits(roles = ['admin', 'manager']) {
  const s = state.session;
  const paths = s.me.grants
    .filter((g) => roles.includes(g.role))
    .map((g) => s.byId.get(g.unitId)?.path)
    .filter(Boolean);
  return s.units.filter((u) => paths.some((p) => u.path.startsWith(p)));
}

/** A unit picker indented by depth. */
export function unitSelect(id, units, selected) {
  const top = Math.min(...units.map((u) => u.depth ?? 0));
  return h(
    'select',
    { id, required: true },
    units.map((u) => h('option', { value: u.id, selected: u.id === selected }, `${'· '.repeat(Math.max(0, (u.depth ?? 0) - top))}${u.name}`)),
  );
}

/** A secret shown once (a password, an API key, a signing secret), with a copy button. */
export function shownOnce(label, value, hint) {
  const id = `once-${Math.random().toString(36).slice(2, 8)}`;
  const input = h('input', { id, value, readonly: true, class: 'secret', onfocus: (e) => e.target.select() });
  const copied = h('span', { 'aria-live': 'polite' });
  return h(
    'div',
    { class: 'msg once', role: 'status' },
    h('label', { for: id }, label, input),
    h('p', {}, hint),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(value);
            copied.textContent = ' Copied.';
          } catch {
            input.select();
            copied.textContent = ' Selected: press Ctrl+C (or ⌘C) to copy.';
          }
        },
      },
      'Copy',
    ),
    copied,
  );
}
