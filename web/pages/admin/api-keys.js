// API keys: the list (prefixes only, never secrets), a new key shown once, revoke after a confirm.
import { api, attempt, field, fmtDate, h, main, plural, setNotice, setTitle, shownOnce, state, table, topUnit, unitName, unitSelect } from '../../lib.js';

const ROLES = ['admin', 'analyst', 'manager', 'agent', 'vendor', 'viewer'];

function statusOf(k) {
  if (k.revokedAt) return `revoked ${fmtDate(k.revokedAt)}`;
  if (k.expiresAt && Date.parse(k.expiresAt) <= Date.now()) return 'expired';
  return 'active';
}

async function keysPage(back, created) {
  const { items } = await api('GET', '/api/v1/api-keys');
  setTitle('API keys');
  main.append(back);
  if (created)
    main.append(
      shownOnce(`New key ${created.name}`, created.secret, 'Copy it now and store it in your integration\u2019s secret store: it is not shown again. Send it as "Authorization: Bearer <key>".'),
    );

  const out = h('div', { 'aria-live': 'polite' });
  const revokeCell = (k) => {
    const cell = h('td', {});
    if (k.revokedAt) return cell;
    const ask = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'aria-label': `Revoke ${k.name} (${k.prefix})`,
        onclick: () => {
          const yes = h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                if (await attempt(out, async () => (await api('DELETE', `/api/v1/api-keys/${k.id}`), true))) {
                  setNotice(`Revoked ${k.name} (${k.prefix}); it stops working at once.`);
                  await keysPage(back);
                }
              },
            },
            `Yes, revoke ${k.prefix}`,
          );
          cell.replaceChildren(
            h('span', {}, 'Integrations using it stop working at once. '),
            yes,
            ' ',
            h('button', { type: 'button', class: 'secondary', onclick: () => cell.replaceChildren(ask) }, 'Cancel'),
          );
          yes.focus();
        },
      },
      'Revoke…',
    );
    cell.append(ask);
    return cell;
  };
  if (!items.length) main.append(h('p', {}, 'No API keys yet.'));
  else
    main.append(
      table(
        `${plural(items.length, 'key')}`,
        ['Key', 'Role and unit', 'Scopes', 'Created', 'Last used', 'Status', ''],
        items.map((k) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, k.name, h('br'), h('code', {}, k.prefix)),
            h('td', {}, `${k.role} on ${unitName(k.unitId)}`),
            h('td', {}, k.scopes.join(', ')),
            h('td', {}, fmtDate(k.createdAt)),
            h('td', {}, fmtDate(k.lastUsedAt)),
            h('td', {}, statusOf(k)),
            revokeCell(k),
          ),
        ),
      ),
    );
  main.append(out);

  const name = h('input', { id: 'key-name', required: true, maxlength: 200, value: 'integration' });
  const scope = h('select', { id: 'key-scope' }, h('option', { value: 'read' }, 'read only'), h('option', { value: 'read write', selected: true }, 'read and write'));
  const role = h(
    'select',
    { id: 'key-role' },
    ROLES.map((r) => h('option', { value: r, selected: r === 'admin' }, r)),
  );
  const unit = unitSelect('key-unit', state.session.units, topUnit()?.id);
  const expires = h('input', { id: 'key-expires', type: 'date' });
  const createOut = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'New key'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = { name: name.value.trim(), scopes: scope.value.split(' '), role: role.value, unitId: unit.value };
          if (expires.value) body.expiresAt = new Date(`${expires.value}T23:59:59Z`).toISOString();
          const key = await attempt(createOut, () => api('POST', '/api/v1/api-keys', body));
          if (key) await keysPage(back, key);
        },
      },
      field('key-name', 'Name', name),
      field('key-scope', 'Scope', scope),
      h('div', { class: 'row' }, field('key-role', 'Acts as', role), field('key-unit', 'on unit', unit)),
      field('key-expires', 'Expires after (optional)', expires),
      h('button', { type: 'submit' }, 'Create key'),
      createOut,
    ),
  );
}

export default function apiKeys({ back }) {
  return keysPage(back);
}
