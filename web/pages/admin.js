// Administration (admins only): a hub of sections, each its own module in pages/admin/.
import { h, main, setTitle } from '../lib.js';

const SECTIONS = [
  { path: 'units', label: 'Hierarchy', about: 'Regions, sites and vendors: add, rename, move, time zones.' },
  { path: 'users', label: 'Users and roles', about: 'People, their grants per unit, disabling and passwords.' },
  { path: 'api-keys', label: 'API keys', about: 'Keys for integrations, with read or write scope.' },
  { path: 'surveys', label: 'Surveys', about: 'Questions and their translations, with a live preview; publishing.' },
  { path: 'touchpoints', label: 'Touchpoints and rules', about: 'Service moments, their survey, channels, delay and eligibility rules.' },
  { path: 'alert-rules', label: 'Alert rules', about: 'Significant drops that raise an alert, per unit.' },
  { path: 'vendors', label: 'Vendor contracts', about: 'Case targets and the weights of each vendor\u2019s composite index.' },
  { path: 'webhooks', label: 'Webhooks', about: 'Signed events out: endpoints, secrets, the delivery log and replays.' },
  { path: 'agents', label: 'Agents', about: 'Roles and units not for individual evaluation; agent ids of your systems mapped to people.' },
  { path: 'thresholds', label: 'Score thresholds', about: 'How many answers a score needs to be shown, and to be shown without a low-sample mark.' },
  { path: 'themes', label: 'Theme library', about: 'Comment themes and their terms per language; starts from the service-operations library.' },
  { path: 'retention', label: 'Retention', about: 'How long answers\u2019 personal data and comments are kept.' },
  { path: 'audit', label: 'Audit log', about: 'Every change: who, what, when.' },
];

export default async function admin({ parts, params }) {
  const section = SECTIONS.find((s) => s.path === parts[1]);
  if (!section) {
    setTitle('Administration');
    main.append(
      h(
        'ul',
        { class: 'sections' },
        SECTIONS.map((s) => h('li', {}, h('a', { href: `#/admin/${s.path}` }, s.label), h('p', {}, s.about))),
      ),
    );
    return;
  }
  const mod = await import(`./admin/${section.path}.js`);
  await mod.default({ parts: parts.slice(1), params, back: h('p', {}, h('a', { href: '#/admin' }, '← Administration')) });
}
