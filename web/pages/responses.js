// Responses: the answers in reach, filtered, searched and paged; verbatims and the customer's name
// where the role reads them; the case of an answer; exclude / include with a reason for admins;
// the same selection as CSV. Answers that do not count (flagged on capture or excluded) are left
// out unless asked for. The category and every count come from the API.
import { api, attempt, fmtDate, h, hasRole, main, managedUnits, session, setTitle, topUnit, unitSelect } from '../lib.js';

const CATEGORIES = ['detractor', 'passive', 'promoter'];

/** The quality flags in words (docs/capture.md), never their codes. */
const FLAGS = {
  honeypot: 'a hidden field was filled in (a robot)',
  too_fast: 'sent too fast after the page opened',
  duplicate: 'a second answer from the same address',
  bulk: 'one of many answers from one address',
  test_contact: 'a test contact',
  employee_contact: 'an employee',
};
export const flagWords = (flags) => flags.map((f) => FLAGS[f] ?? f.replace(/_/g, ' ')).join('; ');

/** Which answers the page shows by default: the counted ones (flagged and excluded ones on request). */
const showing = (params) => params.get('excluded') ?? 'false';

/** The API query of the page's hash parameters (only the filters the API knows). */
function query(params) {
  const q = new URLSearchParams();
  const map = { unit: 'unitId', from: 'from', to: 'to', category: 'category', touchpoint: 'touchpoint', q: 'q' };
  for (const [p, k] of Object.entries(map)) if (params.get(p)) q.set(k, params.get(p));
  q.set('excluded', showing(params));
  if (params.get('comment') === '1') q.set('hasComment', 'true');
  return q;
}

/** The CSV export of the same selection (GET /api/v1/exports/responses.csv, with the session cookie). */
function csvLink(params) {
  const q = new URLSearchParams();
  q.set('unitId', params.get('unit') || topUnit().id);
  for (const k of ['from', 'to', 'category', 'touchpoint', 'q']) if (params.get(k)) q.set(k, params.get(k));
  if (showing(params) !== 'false') q.set('includeUncounted', 'true');
  return h('a', { href: `/api/v1/exports/responses.csv?${q}`, download: 'responses.csv', class: 'button secondary' }, 'Download CSV');
}

function filters(params, touchpoints) {
  const s = session();
  const unit = unitSelect('f-unit', s.units, params.get('unit') ?? '');
  unit.required = false;
  unit.prepend(h('option', { value: '', selected: !params.get('unit') }, 'Everything in reach'));
  const from = h('input', { id: 'f-from', type: 'date', value: params.get('from') ?? '' });
  const to = h('input', { id: 'f-to', type: 'date', value: params.get('to') ?? '' });
  const category = h(
    'select',
    { id: 'f-category' },
    h('option', { value: '' }, 'Any'),
    CATEGORIES.map((c) => h('option', { value: c, selected: params.get('category') === c }, c)),
  );
  const excluded = h(
    'select',
    { id: 'f-excluded' },
    [
      ['false', 'Counted answers'],
      ['all', 'Not counted too'],
      ['true', 'Not counted only'],
    ].map(([v, label]) => h('option', { value: v, selected: showing(params) === v }, label)),
  );
  const touchpoint = touchpoints
    ? h(
        'select',
        { id: 'f-touchpoint' },
        h('option', { value: '' }, 'Any'),
        touchpoints.map((t) => h('option', { value: t.key, selected: params.get('touchpoint') === t.key }, t.name)),
      )
    : null;
  // Only roles that read verbatims may filter on them or search them (the API refuses the others).
  const verbatims = hasRole('admin', 'analyst', 'manager');
  const comment = verbatims ? h('input', { id: 'f-comment', type: 'checkbox', checked: params.get('comment') === '1' }) : null;
  const search = verbatims ? h('input', { id: 'f-q', type: 'search', maxlength: 200, value: params.get('q') ?? '', placeholder: 'Words in comments or names' }) : null;
  return h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filters',
      onsubmit: (e) => {
        e.preventDefault();
        const p = new URLSearchParams();
        if (unit.value) p.set('unit', unit.value);
        if (from.value) p.set('from', from.value);
        if (to.value) p.set('to', to.value);
        if (category.value) p.set('category', category.value);
        if (touchpoint?.value) p.set('touchpoint', touchpoint.value);
        if (excluded.value !== 'false') p.set('excluded', excluded.value);
        if (comment?.checked) p.set('comment', '1');
        if (search?.value.trim()) p.set('q', search.value.trim());
        location.hash = `#/responses${p.toString() ? `?${p}` : ''}`;
      },
    },
    search ? h('label', { for: 'f-q' }, 'Search', search) : null,
    h('label', { for: 'f-unit' }, 'Unit', unit),
    h('label', { for: 'f-from' }, 'From', from),
    h('label', { for: 'f-to' }, 'To', to),
    h('label', { for: 'f-category' }, 'Category', category),
    touchpoint ? h('label', { for: 'f-touchpoint' }, 'Touchpoint', touchpoint) : null,
    h('label', { for: 'f-excluded' }, 'Show', excluded),
    comment ? h('label', { for: 'f-comment', class: 'check' }, comment, 'With a comment only') : null,
    h('button', { type: 'submit' }, 'Apply filters'),
  );
}

/** Admins of the answer's unit may take it out of the scores or count it again, with a reason. */
function moderation(item, moderatable, redraw) {
  if (!moderatable.has(item.unitId)) return null;
  const verb = item.excluded ? 'include' : 'exclude';
  const id = `reason-${item.id}`;
  const reason = h('input', { id, required: true, minlength: 3, maxlength: 500 });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'row moderate',
      onsubmit: (e) => {
        e.preventDefault();
        attempt(out, async () => {
          const r = await api('POST', `/api/v1/responses/${item.id}/${verb}`, { reason: reason.value.trim() });
          Object.assign(item, { excluded: !r.counted, exclusionReason: r.counted ? null : reason.value.trim() });
          redraw(`${verb === 'exclude' ? 'Excluded' : 'Included'}: the scores follow.`);
        });
      },
    },
    h('label', { for: id }, verb === 'exclude' ? 'Reason to exclude' : 'Reason to include', reason),
    h('button', { type: 'submit', class: 'secondary' }, verb === 'exclude' ? 'Exclude' : 'Include'),
    out,
  );
  return form;
}

function answerItem(item, moderatable) {
  const li = h('li', { class: 'answer', 'data-id': item.id });
  const draw = (notice) => {
    // replaceChildren would write a null as text: leave the absent parts out.
    li.replaceChildren(
      ...[
        h(
          'p',
          { class: 'answer-head' },
          h('strong', { class: 'score' }, item.score === null ? '—' : String(item.score)),
          ' ',
          item.category ? h('span', { class: `tag ${item.category}` }, item.category) : '',
          ' ',
          h('span', {}, item.unitName),
          ' · ',
          h('span', { class: 'touchpoint' }, item.touchpointName ?? item.touchpoint),
          item.contactName ? [' · ', h('span', { class: 'customer' }, item.contactName)] : '',
          ' · ',
          h('time', { datetime: item.answeredAt }, fmtDate(item.answeredAt)),
          item.excluded ? [' ', h('span', { class: 'tag overdue' }, item.exclusionReason || !item.qualityFlags.length ? 'excluded' : 'flagged')] : '',
          item.caseId ? [' ', h('a', { href: `#/cases/${item.caseId}`, class: 'case-link' }, 'Open the case')] : '',
        ),
        item.excluded && item.exclusionReason ? h('p', { class: 'help' }, `Reason: ${item.exclusionReason}`) : '',
        item.excluded && !item.exclusionReason && item.qualityFlags.length ? h('p', { class: 'help' }, `Not counted: ${flagWords(item.qualityFlags)}.`) : '',
        item.comment ? h('blockquote', {}, item.comment) : '',
        moderation(item, moderatable, draw),
        notice ? h('p', { class: 'msg', role: 'status' }, notice) : '',
      ].filter(Boolean),
    );
  };
  draw();
  return li;
}

export default async function responses({ params }) {
  const q = query(params);
  const [first, touchpoints] = await Promise.all([
    api('GET', `/api/v1/responses?${q}`),
    // Touchpoint names need the program read (not vendors): without it the filter is left out.
    api('GET', '/api/v1/touchpoints').then(
      (r) => r.items,
      () => null,
    ),
  ]);
  setTitle('Responses');
  const moderatable = new Set(managedUnits(['admin']).map((u) => u.id));
  const list = h('ol', { class: 'answers', 'aria-label': 'Answers' });
  const out = h('div', { 'aria-live': 'polite' });
  const count = h('p', { role: 'status' });
  let shown = 0;
  let cursor = null;
  const more = h('button', { type: 'button', class: 'secondary' }, 'Load more');
  const add = (page) => {
    list.append(...page.items.map((i) => answerItem(i, moderatable)));
    shown += page.items.length;
    cursor = page.nextCursor;
    more.hidden = !cursor;
    count.textContent = shown === 0 ? 'No answers match.' : `${shown === 1 ? '1 answer' : `${shown} answers`} shown${cursor ? ', more available' : ''}.`;
  };
  more.addEventListener('click', () =>
    attempt(out, async () => {
      const before = shown;
      add(await api('GET', `/api/v1/responses?${q}&cursor=${encodeURIComponent(cursor)}`));
      list.children[before]?.querySelector('strong')?.setAttribute('tabindex', '-1');
      list.children[before]?.querySelector('strong')?.focus();
    }),
  );
  main.append(filters(params, touchpoints), h('div', { class: 'row spread' }, count, csvLink(params)), list, more, out);
  add(first);
}
