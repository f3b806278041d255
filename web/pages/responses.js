// Responses: the answers in reach, filtered and paged; verbatims where the role reads them;
// exclude / include with a reason for admins. The category and every count come from the API.
import { api, attempt, fmtDate, h, hasRole, main, managedUnits, session, setTitle, unitSelect } from '../lib.js';

const CATEGORIES = ['detractor', 'passive', 'promoter'];

/** The API query of the page's hash parameters (only the filters the API knows). */
function query(params) {
  const q = new URLSearchParams();
  const map = { unit: 'unitId', from: 'from', to: 'to', category: 'category', touchpoint: 'touchpoint', excluded: 'excluded' };
  for (const [p, k] of Object.entries(map)) if (params.get(p)) q.set(k, params.get(p));
  if (params.get('comment') === '1') q.set('hasComment', 'true');
  return q;
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
      ['all', 'Counted and not counted'],
      ['false', 'Counted only'],
      ['true', 'Not counted only'],
    ].map(([v, label]) => h('option', { value: v, selected: (params.get('excluded') ?? 'all') === v }, label)),
  );
  const touchpoint = touchpoints
    ? h(
        'select',
        { id: 'f-touchpoint' },
        h('option', { value: '' }, 'Any'),
        touchpoints.map((t) => h('option', { value: t.key, selected: params.get('touchpoint') === t.key }, t.name)),
      )
    : null;
  // Only roles that read verbatims may filter on them (the API refuses the others).
  const comment = hasRole('admin', 'analyst', 'manager') ? h('input', { id: 'f-comment', type: 'checkbox', checked: params.get('comment') === '1' }) : null;
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
        if (excluded.value !== 'all') p.set('excluded', excluded.value);
        if (comment?.checked) p.set('comment', '1');
        location.hash = `#/responses${p.toString() ? `?${p}` : ''}`;
      },
    },
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
          h('span', {}, item.touchpoint),
          ' · ',
          h('time', { datetime: item.answeredAt }, fmtDate(item.answeredAt)),
          item.excluded ? [' ', h('span', { class: 'tag overdue' }, 'excluded')] : '',
        ),
        item.excluded && item.exclusionReason ? h('p', { class: 'help' }, `Reason: ${item.exclusionReason}`) : '',
        item.excluded && !item.exclusionReason && item.qualityFlags.length ? h('p', { class: 'help' }, `Flagged: ${item.qualityFlags.join(', ')}`) : '',
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
    count.textContent = shown === 0 ? 'No answers match.' : `${shown} answers shown${cursor ? ', more available' : ''}.`;
  };
  more.addEventListener('click', () =>
    attempt(out, async () => {
      const before = shown;
      add(await api('GET', `/api/v1/responses?${q}&cursor=${encodeURIComponent(cursor)}`));
      list.children[before]?.querySelector('strong')?.setAttribute('tabindex', '-1');
      list.children[before]?.querySelector('strong')?.focus();
    }),
  );
  main.append(filters(params, touchpoints), count, list, more, out);
  add(first);
}
