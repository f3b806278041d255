// One account (docs/accounts.md "The account's history"): its churn risk with the reasons, its NPS
// per month and stakeholder role, its behaviour signals, outcomes and cases. Every number comes
// from GET /api/v1/accounts/{externalId}/history.
import { roleTrendChart, signalsChart } from '../charts.js';
import { api, attempt, fmtDate, fmtNps, h, main, setTitle, table, unitName } from '../lib.js';

const ROLES = { decision_maker: 'Decision maker', influencer: 'Influencer', user: 'User' };
const pct = (v) => `${(v * 100).toFixed(1)}%`;
const day = (iso) => (iso ? iso.slice(0, 10) : '—');

export default async function account({ params }) {
  const id = params.get('id') ?? '';
  setTitle('Account');
  const out = h('div', { 'aria-live': 'polite' });
  const back = h('p', {}, h('a', { href: '#/accounts' }, 'All accounts at risk'));
  main.append(back, out);
  await attempt(out, async () => {
    const res = await api('GET', `/api/v1/accounts/${encodeURIComponent(id)}/history?months=${params.get('months') ?? 12}`);
    const a = res.account;
    // The title names the account (setTitle starts the page afresh: the parts go back under it).
    setTitle(a.name);
    main.append(back, out);
    const r = res.risk;
    out.append(
      h(
        'p',
        { 'data-testid': 'account-facts' },
        `${unitName(a.unitId)} · owner ${a.ownerUserId ?? '—'} · annual revenue ${a.annualRevenue === null ? '—' : Math.round(a.annualRevenue).toLocaleString('en')} · renewal ${a.renewalDate ?? '—'}`,
      ),
      r
        ? h(
            'p',
            { 'data-testid': 'account-risk', class: r.atRisk ? 'msg error' : 'msg' },
            `Churn probability ${pct(r.probability)} (${r.atRisk ? 'over the threshold' : 'under the threshold'}), revenue at risk ${Math.round(r.revenueAtRisk).toLocaleString('en')}; scored ${fmtDate(r.computedAt)}. Reasons: ${
              r.reasons.length ? r.reasons.map((x) => `${x.feature} (+${x.contribution.toFixed(2)})`).join(', ') : 'none'
            }.`,
          )
        : h('p', { class: 'msg', 'data-testid': 'account-risk' }, 'Not scored yet.'),
      h('h2', {}, 'NPS per month and stakeholder role'),
      ...(res.nps.length ? [roleTrendChart(res.nps)] : []),
      res.nps.length
        ? table(
            `NPS of ${a.name} by month and role`,
            ['Month', 'Role', 'NPS', 'n'],
            res.nps.map((x) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, x.month),
                h('td', {}, ROLES[x.role] ?? x.role),
                h('td', { class: 'num' }, x.suppressed ? 'too few answers' : fmtNps(x.nps)),
                h('td', { class: 'num' }, String(x.n)),
              ),
            ),
          )
        : h('p', { class: 'msg' }, 'No stakeholder answered in the window.'),
      h('h2', {}, 'Behaviour signals'),
      ...(res.signals.length ? [signalsChart(res.signals)] : []),
      res.signals.length
        ? table(
            `Signals of ${a.name}`,
            ['Signal', 'Days', 'First', 'Latest', 'Latest value'],
            res.signals.map((s) => {
              const last = s.values[s.values.length - 1];
              return h(
                'tr',
                {},
                h('th', { scope: 'row' }, s.name),
                h('td', { class: 'num' }, String(s.values.length)),
                h('td', {}, s.values[0].date),
                h('td', {}, last.date),
                h('td', { class: 'num' }, String(last.value)),
              );
            }),
          )
        : h('p', { class: 'msg' }, 'No signal values in the window.'),
      h('h2', {}, 'Outcomes'),
      res.outcomes.length
        ? table(
            `Outcomes of ${a.name}`,
            ['Date', 'Outcome', 'Revenue change'],
            res.outcomes.map((o) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, day(o.occurredAt)),
                h('td', {}, o.type),
                h('td', { class: 'num' }, o.revenueDelta === null ? '—' : Math.round(o.revenueDelta).toLocaleString('en')),
              ),
            ),
          )
        : h('p', { class: 'msg' }, 'No outcome recorded.'),
      h('h2', {}, 'Cases'),
      res.cases.length
        ? table(
            `Cases of ${a.name}`,
            ['Opened', 'Kind', 'Status', 'Score'],
            res.cases.map((c) =>
              h(
                'tr',
                { 'data-case': c.id },
                h('th', { scope: 'row' }, h('a', { href: `#/cases/${c.id}` }, day(c.createdAt))),
                h('td', {}, c.kind === 'at_risk' ? 'At risk' : 'Detractor'),
                h('td', {}, c.status),
                h('td', { class: 'num' }, c.score === null ? '—' : String(c.score)),
              ),
            ),
          )
        : h('p', { class: 'msg' }, 'No case.'),
    );
  });
}
