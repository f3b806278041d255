// Agents: the agent minimum, the roles and units not for individual evaluation (no agent-level
// score shown to anyone), and the mapping of an integration's agent ids to users. Settings
// `notForIndividualEvaluation`, PUT /api/v1/agents/{agentId}; the API checks them and audits.
import { api, attempt, field, h, main, session, setNotice, setTitle, table } from '../../lib.js';

const ROLES = ['admin', 'analyst', 'manager', 'agent', 'vendor', 'viewer'];

const check = (name, value, label, checked) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value, checked }), ` ${label}`);

export default async function agents({ back }) {
  const [settings, users, mappings] = await Promise.all([api('GET', '/api/v1/settings'), api('GET', '/api/v1/users'), api('GET', '/api/v1/agent-mappings')]);
  setTitle('Agents');
  const marking = settings.notForIndividualEvaluation;
  const userName = (id) => users.items.find((u) => u.id === id)?.name || users.items.find((u) => u.id === id)?.email || id;
  const markOut = h('div', { 'aria-live': 'polite' });
  const mapOut = h('div', { 'aria-live': 'polite' });
  const agentId = h('input', { id: 'map-agent', required: true, maxlength: 128, pattern: '[\\x21-\\x7e]+', 'aria-describedby': 'map-agent-help' });
  const user = h(
    'select',
    { id: 'map-user' },
    h('option', { value: '' }, '— remove the mapping —'),
    users.items.map((u) => h('option', { value: u.id }, u.name ? `${u.name} (${u.email})` : u.email)),
  );
  const reload = () => agents({ back });
  main.append(
    back,
    h('p', {}, `An agent's score is shown from ${Math.max(settings.minResponses, settings.agentMinResponses)} answers (the larger of the anonymity threshold and the agent minimum).`),
    h('h2', {}, 'Not for individual evaluation'),
    h(
      'form',
      {
        class: 'stack wide',
        'aria-label': 'Not for individual evaluation',
        onsubmit: async (e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const picked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
          const body = { notForIndividualEvaluation: { roles: picked('role'), unitIds: picked('unit') } };
          if (await attempt(markOut, () => api('PATCH', '/api/v1/settings', body))) {
            setNotice('Saved.');
            await reload();
          }
        },
      },
      h('p', { class: 'help' }, 'Agents holding a role, or working in a unit, marked here get no personal score, shown to no one; their own page says why. Their answers still count everywhere else.'),
      h('fieldset', { class: 'choices' }, h('legend', {}, 'Roles'), ...ROLES.map((r) => check('role', r, r, marking.roles.includes(r)))),
      h('fieldset', { class: 'choices' }, h('legend', {}, 'Units (with everything below)'), ...session().units.map((u) => check('unit', u.id, u.name, marking.unitIds.includes(u.id)))),
      h('button', { type: 'submit' }, 'Save'),
      markOut,
    ),
    h('h2', {}, 'Agent ids of your systems'),
    h(
      'form',
      {
        class: 'stack agent-map',
        'aria-label': 'Map an agent id',
        onsubmit: async (e) => {
          e.preventDefault();
          const path = `/api/v1/agents/${encodeURIComponent(agentId.value.trim())}`;
          if (await attempt(mapOut, () => api('PUT', path, { userId: user.value || null }))) {
            setNotice('Mapping saved.');
            await reload();
          }
        },
      },
      field('map-agent', 'Agent id (as your ticket system sends it)', agentId),
      h('p', { id: 'map-agent-help', class: 'help' }, 'A user id needs no mapping. A mapping changes no answer: the person’s pages read every id mapped to them.'),
      field('map-user', 'Person', user),
      h('button', { type: 'submit' }, 'Save mapping'),
      mapOut,
    ),
    table(
      'Mapped agent ids',
      ['Agent id', 'Person', 'Since'],
      mappings.items.map((m) => h('tr', {}, h('th', { scope: 'row' }, m.agentId), h('td', {}, userName(m.userId)), h('td', {}, m.updatedAt.slice(0, 10)))),
    ),
  );
}
