// Integrity (docs/integrity.md): the signals of gaming per agent and per unit over a window, each
// with its evidence, for admins and analysts. Every number comes from GET /api/v1/integrity; no
// signal changes a score, and the page says so.
import { api, attempt, daysAgo, h, main, managedUnits, setTitle, today, unitSelect } from '../lib.js';

const LABELS = {
  response_rate: ['Response rate', 'invitations answered'],
  tens: ['Share of 10s', 'answers scoring 10'],
  own_network: ["From the agent's own network", 'answers sent from a network the agent signs in from'],
  bursts: ['Bursts right after the service', 'answers within minutes after the service'],
  near_duplicates: ['Near-identical comments', 'comments in clusters of near-identical ones'],
};

const pct = (v) => (v === null || v === undefined ? '—' : `${(Math.round(v * 1000) / 10).toFixed(1)} %`);
/** A p-value as people read it: small ones in scientific notation. */
const fmtP = (p) => (p === null ? '—' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));

function signalItem(s, method) {
  const [name, counted] = LABELS[s.signal];
  const verdict = s.status === 'flagged' ? 'Flagged' : s.status === 'too_few' ? `Not tested (fewer than ${method.minN}, or no peers)` : 'Not flagged';
  const detail = [
    `${s.count} of ${s.total} ${counted} (${pct(s.rate)}); peers ${s.peerCount} of ${s.peerTotal} (${pct(s.peerRate)}).`,
    s.testedRate !== null ? ` Tested against ${pct(s.testedRate)}: p = ${fmtP(s.p)}, Holm-adjusted ${fmtP(s.pAdjusted)}.` : '',
    s.clusters !== undefined ? ` ${s.clusters} ${s.clusters === 1 ? 'cluster' : 'clusters'}.` : '',
  ].join('');
  return h(
    'li',
    { class: s.flagged ? 'signal flagged' : 'signal', 'data-signal': s.signal, 'data-status': s.status },
    h('strong', {}, `${name}: ${verdict}. `),
    detail,
    s.examples.length
      ? h(
          'span',
          { class: 'examples' },
          ' Examples: ',
          s.examples.flatMap((id, i) => [i ? ', ' : '', h('code', {}, id)]),
        )
      : '',
  );
}

function subjectCard(kind, subject, title, method) {
  const flagged = subject.signals.filter((s) => s.flagged).length;
  const summary = `${title}: ${flagged ? `${flagged} ${flagged === 1 ? 'signal' : 'signals'} flagged` : 'nothing flagged'}, ${subject.answers} answers, ${subject.invitations} invitations`;
  const list = h(
    'ul',
    { class: 'signals' },
    subject.signals.map((s) => signalItem(s, method)),
  );
  // Flagged ones open; the rest folded, one line each.
  return h(
    'details',
    { class: 'integrity-card', open: flagged > 0, 'data-kind': kind, 'data-id': kind === 'agent' ? subject.agentId : subject.unitId, 'data-flagged': String(subject.flagged) },
    h('summary', {}, summary),
    list,
  );
}

export default async function integrity({ params }) {
  setTitle('Integrity');
  const units = managedUnits(['admin', 'analyst']);
  const f = {
    unit: unitSelect('int-unit', units, params.get('unit') ?? units[0]?.id),
    from: h('input', { id: 'int-from', type: 'date', value: params.get('from') ?? daysAgo(89) }),
    to: h('input', { id: 'int-to', type: 'date', value: params.get('to') ?? today() }),
  };
  const out = h('div', { 'aria-live': 'polite' });
  main.append(
    h(
      'p',
      { class: 'msg' },
      'Signs that answers may have been steered, per agent and per unit, compared with their peers. A signal is a reason to look at the answers behind it, not a verdict: it changes no score. Only admins and analysts see this page.',
    ),
    h(
      'form',
      {
        class: 'row filters',
        onsubmit: (e) => {
          e.preventDefault();
          location.hash = `#/integrity?${new URLSearchParams({ unit: f.unit.value, from: f.from.value, to: f.to.value })}`;
        },
      },
      h('label', { for: 'int-unit' }, 'Unit', f.unit),
      h('label', { for: 'int-from' }, 'From', f.from),
      h('label', { for: 'int-to' }, 'To', f.to),
      h('button', { type: 'submit' }, 'Show'),
    ),
    out,
  );
  await attempt(out, async () => {
    const q = new URLSearchParams({ unitId: f.unit.value, from: f.from.value, to: f.to.value });
    const r = await api('GET', `/api/v1/integrity?${q}`);
    const m = r.method;
    const flaggedAgents = r.agents.filter((a) => a.flagged).length;
    const flaggedSites = r.sites.filter((s) => s.flagged).length;
    out.append(
      h(
        'p',
        { id: 'int-summary' },
        `${r.from} to ${r.to} (${r.days} days): ${r.answers} answers, ${flaggedAgents} of ${r.agents.length} agents and ${flaggedSites} of ${r.sites.length} units flagged.`,
      ),
      h(
        'section',
        { 'aria-labelledby': 'int-agents' },
        h('h2', { id: 'int-agents' }, 'Agents'),
        r.agents.length ? r.agents.map((a) => subjectCard('agent', a, a.name ?? a.agentId, m)) : h('p', {}, 'No answers with an agent in this window.'),
      ),
      h(
        'section',
        { 'aria-labelledby': 'int-sites' },
        h('h2', { id: 'int-sites' }, 'Units'),
        r.sites.length ? r.sites.map((s) => subjectCard('unit', s, s.name, m)) : h('p', {}, 'No answers in this window.'),
      ),
      h(
        'section',
        { 'aria-labelledby': 'int-method' },
        h('h2', { id: 'int-method' }, 'How signals are raised'),
        h(
          'p',
          {},
          `Response rate, share of 10s and bursts (answers within ${m.burstMinutes} minutes after the service) are tested against the peers' pooled rate plus ${Math.round(m.margin * 100)} points, ` +
            `by an exact one-sided binomial test with at least ${m.minN} answers (or invitations), Holm-adjusted across those compared, flagged under ${m.alpha}. ` +
            `Answers from the agent's own sign-in network are flagged from ${m.ownNetworkMin}; near-identical comments from ${m.duplicateMin} in clusters and ${Math.round(m.duplicateShare * 100)} % of the comments compared.`,
        ),
      ),
    );
    out.dataset.ready = 'true';
  });
}
