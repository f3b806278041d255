// Hierarchy editor: the tree, a new child unit, and per unit rename, kind, time zone, move, delete.
import { api, attempt, field, h, main, setNotice, setTitle, state, unitSelect } from '../../lib.js';

const CHILD_KINDS = ['region', 'division', 'site', 'team', 'vendor'];

/** The session's copy of the hierarchy follows every change, so other pages' pickers see it. */
async function refreshUnits() {
  const { items } = await api('GET', '/api/v1/units');
  state.session.units = items;
  state.session.byId = new Map(items.map((u) => [u.id, u]));
  return items;
}

/** A time zone field with the browser's list of IANA names as suggestions (the API validates). */
function timezoneInput(id, value, required = false) {
  const list = `${id}-list`;
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [
    h('input', { id, list, value: value ?? '', required, autocomplete: 'off', placeholder: 'e.g. Europe/Berlin' }),
    h(
      'datalist',
      { id: list },
      zones.map((z) => h('option', { value: z })),
    ),
  ];
}

const kindSelect = (id, selected) =>
  h(
    'select',
    { id },
    CHILD_KINDS.map((k) => h('option', { value: k, selected: k === selected }, k)),
  );

function tree(units) {
  const children = new Map();
  for (const u of units) children.set(u.parentId, [...(children.get(u.parentId) ?? []), u]);
  const byId = new Map(units.map((u) => [u.id, u]));
  const branch = (u) =>
    h(
      'li',
      {},
      h('a', { href: `#/admin/units/${u.id}` }, u.name),
      ' ',
      h('span', { class: 'tag' }, u.kind),
      h('small', {}, ` ${u.timezone}`),
      children.has(u.id) ? h('ul', {}, children.get(u.id).map(branch)) : null,
    );
  const roots = units.filter((u) => !byId.has(u.parentId));
  return h('ul', { class: 'tree', 'aria-label': 'Units' }, roots.map(branch));
}

async function hierarchyPage(back) {
  const units = await refreshUnits();
  setTitle('Hierarchy');
  main.append(back, tree(units));

  const parent = unitSelect('unit-parent', units, units.find((u) => u.kind === 'region')?.id);
  const name = h('input', { id: 'unit-name', required: true, maxlength: 200 });
  const kind = kindSelect('unit-kind', 'site');
  const tz = timezoneInput('unit-tz');
  const out = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'Add a unit'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = { parentId: parent.value, name: name.value.trim(), kind: kind.value };
          if (tz[0].value.trim()) body.timezone = tz[0].value.trim();
          const unit = await attempt(out, () => api('POST', '/api/v1/units', body));
          if (!unit) return;
          setNotice(`Added ${unit.name}.`);
          await hierarchyPage(back);
        },
      },
      field('unit-parent', 'Parent', parent),
      field('unit-name', 'Name', name),
      field('unit-kind', 'Kind', kind),
      h('label', { for: 'unit-tz' }, 'Time zone (empty: inherited from above)', ...tz),
      h('button', { type: 'submit' }, 'Add unit'),
      out,
    ),
  );
}

async function unitPage(id, back) {
  const units = await refreshUnits();
  const unit = units.find((u) => u.id === id);
  if (!unit) throw new Error('That unit does not exist (or is outside your reach).');
  setTitle(`Unit: ${unit.name}`);
  main.append(back, h('p', {}, h('a', { href: '#/admin/units' }, '← Hierarchy')));
  const parentName = state.session.byId.get(unit.parentId)?.name ?? '—';
  main.append(
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Kind'),
      h('dd', {}, unit.kind),
      h('dt', {}, 'Parent'),
      h('dd', {}, parentName),
      h('dt', {}, 'Time zone'),
      h('dd', {}, unit.timezone),
      h('dt', {}, 'Id'),
      h('dd', {}, h('code', {}, unit.id)),
    ),
  );
  if (!unit.parentId) {
    main.append(h('p', {}, 'The root unit can be renamed and given a time zone; it cannot be moved, retyped or deleted.'));
  }

  const reload = async (message) => {
    setNotice(message);
    await unitPage(id, back);
  };

  // Rename, kind and time zone in one form: only what changed is sent.
  const name = h('input', { id: 'edit-name', required: true, maxlength: 200, value: unit.name });
  const kind = unit.parentId ? kindSelect('edit-kind', unit.kind) : null;
  const tz = timezoneInput('edit-tz', unit.timezone, true);
  const editOut = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'Name, kind and time zone'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = {};
          if (name.value.trim() !== unit.name) body.name = name.value.trim();
          if (kind && kind.value !== unit.kind) body.kind = kind.value;
          if (tz[0].value.trim() !== unit.timezone) body.timezone = tz[0].value.trim();
          if (!Object.keys(body).length) return editOut.replaceChildren(h('p', { class: 'msg' }, 'Nothing changed.'));
          if (await attempt(editOut, () => api('PATCH', `/api/v1/units/${id}`, body))) await reload('Saved.');
        },
      },
      field('edit-name', 'Name', name),
      kind ? field('edit-kind', 'Kind', kind) : null,
      h('label', { for: 'edit-tz' }, 'Time zone', ...tz),
      h('button', { type: 'submit' }, 'Save'),
      editOut,
    ),
  );
  if (!unit.parentId) return;

  // Move: any unit outside its own subtree can be the new parent.
  const targets = units.filter((u) => !u.path.startsWith(unit.path));
  const moveTo = unitSelect('move-parent', targets, unit.parentId);
  const moveOut = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'Move'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          if (moveTo.value === unit.parentId) return moveOut.replaceChildren(h('p', { class: 'msg' }, 'It is already there.'));
          if (await attempt(moveOut, () => api('PATCH', `/api/v1/units/${id}`, { parentId: moveTo.value })))
            await reload(`Moved under ${state.session.byId.get(moveTo.value)?.name ?? 'the new parent'}.`);
        },
      },
      field('move-parent', 'New parent (the whole subtree moves along)', moveTo),
      h('button', { type: 'submit' }, 'Move'),
      moveOut,
    ),
  );

  // Delete: only a leaf without grants or keys; the API says which when refused.
  const delOut = h('div', { 'aria-live': 'polite' });
  const confirmBox = h('div', { class: 'row' });
  const ask = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        confirmBox.replaceChildren(
          h('p', {}, `Delete ${unit.name}? This cannot be undone.`),
          h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                if (!(await attempt(delOut, async () => (await api('DELETE', `/api/v1/units/${id}`), true)))) return;
                setNotice(`Deleted ${unit.name}.`);
                location.hash = '#/admin/units';
              },
            },
            'Yes, delete',
          ),
          h('button', { type: 'button', class: 'secondary', onclick: () => confirmBox.replaceChildren() }, 'Cancel'),
        );
        confirmBox.querySelector('button').focus();
      },
    },
    'Delete this unit…',
  );
  main.append(h('h2', {}, 'Delete'), h('p', {}, 'Only a unit without children, role grants or API keys can be deleted.'), ask, confirmBox, delOut);
}

export default function units({ parts, back }) {
  return parts[1] ? unitPage(parts[1], back) : hierarchyPage(back);
}
