// A team lead's agents: each agent of a unit with their NPS over the last 90 days and its
// interval, hidden below the agent minimum or for agents not for individual evaluation.
// All numbers from GET /api/v1/agents?unitId=.
import { api, field, h, main, managedUnits, npsCell, plural, session, setTitle, table, unitSelect } from '../lib.js';

const WHY = { below_minimum: 'too few answers', not_for_individual_evaluation: 'not for individual evaluation' };

export default async function team({ params }) {
  const units = managedUnits();
  const unit = session().byId.get(params.get('unit') ?? '') ?? units[0];
  const res = await api('GET', `/api/v1/agents${unit ? `?unitId=${unit.id}` : ''}`);
  setTitle(`Team: ${session().byId.get(res.unitId)?.name ?? ''}`);
  const select = unitSelect('team-unit', units, res.unitId);
  select.addEventListener('change', () => (location.hash = `#/team?unit=${select.value}`));
  main.append(
    field('team-unit', 'Unit', select),
    h(
      'p',
      {},
      `The last ${res.windowDays} days: ${res.from} to ${res.to}. An agent's score is shown from ${plural(res.minimum, 'answer')}; below that, and for roles or units marked not for individual evaluation, only the count.`,
    ),
    table(
      'Agents and their NPS',
      ['Agent', 'NPS [interval]', 'n'],
      res.items.map((a) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('a', { href: `#/agent?id=${encodeURIComponent(a.userId)}` }, a.name || a.userId)),
          a.score ? npsCell(a.score) : h('td', { class: 'num suppressed' }, WHY[a.hidden]),
          h('td', { class: 'num' }, a.score ? String(a.score.n) : '—'),
        ),
      ),
    ),
  );
}
