// Users and roles: the list with grants, a new user (its one-time password shown once), and per
// user: grant a role on a unit, revoke a grant, rename, disable or re-enable.
import { api, attempt, field, fmtDate, h, main, plural, setNotice, setTitle, shownOnce, state, table, unitName, unitSelect } from '../../lib.js';

const ROLES = ['admin', 'analyst', 'manager', 'agent', 'vendor', 'viewer'];
const roleSelect = (id, selected) =>
  h(
    'select',
    { id },
    ROLES.map((r) => h('option', { value: r, selected: r === selected }, r)),
  );
const grantText = (g) => `${g.role} on ${unitName(g.unitId)}`;

async function usersPage(back, created) {
  const { items } = await api('GET', '/api/v1/users');
  setTitle('Users and roles');
  main.append(back);
  if (created)
    main.append(shownOnce(`One-time password for ${created.email}`, created.password, 'Give it to the user now, over a safe channel: it is not shown again. They can sign in with it at once.'));
  main.append(
    table(
      `${plural(items.length, 'user')}`,
      ['User', 'Status', 'Grants', 'Since'],
      items.map((u) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('a', { href: `#/admin/users/${u.id}` }, u.name || u.email), u.name ? h('small', {}, h('br'), u.email) : null),
          h('td', {}, h('span', { class: 'tag' }, u.status)),
          h('td', {}, u.grants.length ? u.grants.map(grantText).join('; ') : '—'),
          h('td', {}, fmtDate(u.createdAt)),
        ),
      ),
    ),
  );

  const email = h('input', { id: 'user-email', type: 'email', required: true, autocomplete: 'off' });
  const name = h('input', { id: 'user-name', maxlength: 200, autocomplete: 'off' });
  const role = h(
    'select',
    { id: 'user-role' },
    h('option', { value: '' }, '(none yet)'),
    ROLES.map((r) => h('option', { value: r }, r)),
  );
  const unit = unitSelect('user-unit', state.session.units);
  const out = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'New user'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = { email: email.value.trim() };
          if (name.value.trim()) body.name = name.value.trim();
          if (role.value) body.grants = [{ unitId: unit.value, role: role.value }];
          const user = await attempt(out, () => api('POST', '/api/v1/users', body));
          if (user) await usersPage(back, user);
        },
      },
      field('user-email', 'Email', email),
      field('user-name', 'Name (optional)', name),
      h('div', { class: 'row' }, field('user-role', 'Role', role), field('user-unit', 'on unit', unit)),
      h('p', {}, 'A one-time password is generated and shown once after creating.'),
      h('button', { type: 'submit' }, 'Create user'),
      out,
    ),
  );
}

async function userPage(id, back) {
  const u = await api('GET', `/api/v1/users/${id}`);
  setTitle(u.name || u.email);
  const reload = async (message) => {
    setNotice(message);
    await userPage(id, back);
  };
  main.append(
    back,
    h('p', {}, h('a', { href: '#/admin/users' }, '← Users and roles')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Email'),
      h('dd', {}, u.email),
      h('dt', {}, 'Status'),
      h('dd', { 'data-testid': 'user-status' }, u.status),
      h('dt', {}, 'Since'),
      h('dd', {}, fmtDate(u.createdAt)),
    ),
  );

  const grantsOut = h('div', { 'aria-live': 'polite' });
  main.append(h('h2', {}, 'Grants'));
  if (!u.grants.length) main.append(h('p', {}, 'No grants: the user can sign in but sees nothing.'));
  else
    main.append(
      table(
        'Roles by unit (each reaches the unit\u2019s whole subtree)',
        ['Unit', 'Role', ''],
        u.grants.map((g) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, unitName(g.unitId)),
            h('td', {}, g.role),
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-label': `Revoke ${grantText(g)}`,
                  onclick: async () => {
                    if (await attempt(grantsOut, async () => (await api('DELETE', `/api/v1/users/${id}/grants/${g.unitId}`), true))) await reload(`Revoked ${grantText(g)}.`);
                  },
                },
                'Revoke',
              ),
            ),
          ),
        ),
      ),
    );
  main.append(grantsOut);

  const unit = unitSelect('grant-unit', state.session.units);
  const role = roleSelect('grant-role', 'manager');
  const grantOut = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'Grant a role'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          if (await attempt(grantOut, () => api('PUT', `/api/v1/users/${id}/grants/${unit.value}`, { role: role.value }))) await reload(`Granted ${role.value} on ${unitName(unit.value)}.`);
        },
      },
      field('grant-unit', 'Unit', unit),
      field('grant-role', 'Role (replaces the user\u2019s role there, if any)', role),
      h('button', { type: 'submit' }, 'Grant'),
      grantOut,
    ),
  );

  const name = h('input', { id: 'rename', maxlength: 200, value: u.name });
  const renameOut = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'Name'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          if (await attempt(renameOut, () => api('PATCH', `/api/v1/users/${id}`, { name: name.value.trim() }))) await reload('Saved.');
        },
      },
      field('rename', 'Name', name),
      h('button', { type: 'submit' }, 'Save'),
      renameOut,
    ),
  );

  const next = u.status === 'active' ? 'disabled' : 'active';
  const statusOut = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'Access'),
    h('p', {}, u.status === 'active' ? 'Disabling ends the user\u2019s sessions at once; grants are kept for a re-enable.' : 'The user cannot sign in.'),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: async () => {
          if (await attempt(statusOut, () => api('PATCH', `/api/v1/users/${id}`, { status: next }))) await reload(next === 'disabled' ? 'User disabled.' : 'User re-enabled.');
        },
      },
      u.status === 'active' ? 'Disable user' : 'Re-enable user',
    ),
    statusOut,
  );
}

export default function users({ parts, back }) {
  return parts[1] ? userPage(parts[1], back) : usersPage(back);
}
