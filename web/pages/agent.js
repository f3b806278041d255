// An agent's page: their NPS with its interval over the last 90 days (or why it is not shown),
// the cases opened on their answers and their customers' comments. `#/me` for the agent,
// `#/agent?id=<agent id>` for their team lead. All numbers from GET /api/v1/agents/{me|id}.
import { api, fmtDate, fmtNps, h, lowSampleMark, main, plural, setTitle, table } from '../lib.js';

const HIDDEN = {
  not_for_individual_evaluation:
    'Your organisation has marked your role or your unit as not for individual evaluation: no personal score is shown, to you or anyone else. Your cases and your customers’ comments are still here.',
  below_minimum: 'Too few answers for a personal score yet: a score from so few answers would be mostly chance.',
};

export default async function agent({ parts, params }) {
  const id = parts[0] === 'agent' ? params.get('id') : null;
  const view = await api('GET', id ? `/api/v1/agents/${encodeURIComponent(id)}` : '/api/v1/agents/me');
  setTitle(id ? `Agent: ${view.agent.name || view.agent.userId}` : 'My page');
  const s = view.score;
  main.append(
    h('p', {}, `The last ${view.windowDays} days: ${view.from} to ${view.to}.`),
    h(
      'div',
      { class: 'cards' },
      h(
        'div',
        { class: 'card' },
        h('div', {}, 'NPS'),
        h('div', { class: `big${s === null || s.suppressed ? ' suppressed' : ''}`, 'data-testid': 'agent-nps' }, s === null ? 'Not shown' : s.suppressed ? 'Not yet' : fmtNps(s.nps)),
        s?.ci ? h('div', {}, `interval ${fmtNps(s.ci.low)} to ${fmtNps(s.ci.high)}`, lowSampleMark(s)) : '',
      ),
      s ? h('div', { class: 'card' }, h('div', {}, 'Answers (n)'), h('div', { class: 'big' }, String(s.n))) : '',
    ),
    view.hidden
      ? h(
          'p',
          { class: 'msg', role: 'status', 'data-testid': 'agent-hidden' },
          view.hidden === 'below_minimum' ? `${HIDDEN.below_minimum} It is shown from ${plural(view.minimum, 'answer')}.` : HIDDEN[view.hidden],
        )
      : '',
    h('h2', {}, 'Comments'),
    view.comments.length
      ? h(
          'ul',
          { class: 'stack', 'aria-label': 'Comments' },
          view.comments.map((c) => h('li', {}, h('blockquote', {}, c.comment), h('small', {}, `${c.unitName} · ${fmtDate(c.createdAt)}${c.score === null ? '' : ` · score ${c.score}`}`))),
        )
      : h('p', {}, 'No comments in this period.'),
    h('h2', {}, 'Cases'),
    table(
      'Cases opened on these answers',
      ['Opened', 'Site', 'Status', 'Contact due', 'Resolution due'],
      view.cases.map((c) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, fmtDate(c.createdAt)),
          h('td', {}, c.unitName),
          h('td', {}, c.status),
          h('td', {}, fmtDate(c.firstContactDueAt)),
          h('td', {}, fmtDate(c.resolutionDueAt)),
        ),
      ),
    ),
  );
}
