// Audit log viewer: newest first, filtered by target type and id, paged with the API's cursor.
import { api, field, fmtDate, h, main, setTitle, state, table } from '../../lib.js';

const TARGET_TYPES = ['unit', 'user', 'grant', 'api_key', 'tenant', 'survey', 'touchpoint', 'contact', 'webhook', 'case', 'alert_rule', 'action_plan'];

/** The details object as `key: value` lines (values that are objects as compact JSON). */
function detailsList(details) {
  const entries = Object.entries(details ?? {});
  if (!entries.length) return '—';
  return h(
    'ul',
    { class: 'details' },
    entries.map(([k, v]) => h('li', {}, h('span', {}, `${k}: `), h('code', {}, typeof v === 'string' ? v : JSON.stringify(v)))),
  );
}

const hashFor = (q) => `#/admin/audit${q.toString() ? `?${q}` : ''}`;

export default async function audit({ params, back }) {
  const q = new URLSearchParams();
  for (const k of ['targetType', 'targetId', 'limit', 'before']) if (params.get(k)) q.set(k, params.get(k));
  const [page, users, keys] = await Promise.all([
    api('GET', `/api/v1/audit-log?${q}`),
    api('GET', '/api/v1/users').catch(() => ({ items: [] })),
    api('GET', '/api/v1/api-keys').catch(() => ({ items: [] })),
  ]);
  const userById = new Map(users.items.map((u) => [u.id, u]));
  const keyById = new Map(keys.items.map((k) => [k.id, k]));
  const who = (e) => {
    if (e.actorType === 'system') return 'system';
    if (e.actorType === 'api_key') return `API key ${keyById.get(e.actorId)?.prefix ?? e.actorId ?? ''}`;
    return userById.get(e.actorId)?.email ?? e.actorId ?? 'unknown user';
  };
  const target = (e) => {
    const name = e.targetType === 'unit' ? state.session.byId.get(e.targetId)?.name : e.targetType === 'user' ? userById.get(e.targetId)?.email : undefined;
    return [h('span', { class: 'tag' }, e.targetType), ' ', name ?? h('code', {}, e.targetId)];
  };

  setTitle('Audit log');
  const type = h('input', { id: 'audit-type', list: 'audit-types', value: params.get('targetType') ?? '', autocomplete: 'off' });
  const id = h('input', { id: 'audit-target', value: params.get('targetId') ?? '', autocomplete: 'off' });
  const perPage = params.get('limit') ?? '100';
  const limit = h(
    'select',
    { id: 'audit-limit' },
    [...new Set(['25', '100', '500', perPage])].map((n) => h('option', { value: n, selected: n === perPage }, n)),
  );
  main.append(
    back,
    h(
      'form',
      {
        class: 'row filters',
        'aria-label': 'Filters',
        onsubmit: (e) => {
          e.preventDefault();
          const next = new URLSearchParams();
          if (type.value.trim()) next.set('targetType', type.value.trim());
          if (id.value.trim()) next.set('targetId', id.value.trim());
          if (limit.value !== '100') next.set('limit', limit.value);
          location.hash = hashFor(next);
        },
      },
      field('audit-type', 'Target type', type),
      h(
        'datalist',
        { id: 'audit-types' },
        TARGET_TYPES.map((t) => h('option', { value: t })),
      ),
      field('audit-target', 'Target id', id),
      field('audit-limit', 'Per page', limit),
      h('button', { type: 'submit' }, 'Filter'),
    ),
  );
  if (!page.items.length) main.append(h('p', {}, q.get('before') ? 'No older entries.' : 'No entries.'));
  else {
    const caption = `${page.items.length} ${page.items.length === 1 ? 'entry' : 'entries'}${q.get('before') ? ' (older page)' : ', newest first'}`;
    const wrap = table(
      caption,
      ['Time', 'Who', 'What', 'Target', 'Details'],
      page.items.map((e) => h('tr', {}, h('td', {}, fmtDate(e.createdAt)), h('td', {}, who(e)), h('th', { scope: 'row' }, e.action), h('td', {}, target(e)), h('td', {}, detailsList(e.details)))),
    );
    // Wide on a phone: the scrolling box takes keyboard focus so it can be scrolled without a mouse.
    wrap.setAttribute('tabindex', '0');
    wrap.setAttribute('role', 'region');
    wrap.setAttribute('aria-label', caption);
    main.append(wrap);
  }

  const pager = h('nav', { class: 'row', 'aria-label': 'Pages' });
  if (q.get('before')) {
    const newest = new URLSearchParams(q);
    newest.delete('before');
    pager.append(h('a', { href: hashFor(newest) }, 'Newest entries'));
  }
  if (page.nextCursor) {
    const older = new URLSearchParams(q);
    older.set('before', page.nextCursor);
    pager.append(h('a', { href: hashFor(older) }, 'Older entries →'));
  }
  main.append(pager);
}
