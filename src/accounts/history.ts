import { and, asc, eq, gte, inArray, or } from 'drizzle-orm';
import { accountOutcomes, accountRisks, accountSignalValues, cases, contacts, measures, STAKEHOLDER_ROLES, type StakeholderRole, responses } from '../db/schema';
import type { Deps } from '../lib/deps';
import { addAnswer, emptyTally, score, type Tally } from '../scoring/nps';
import { getSettings } from '../settings/settings';
import { stakeholderAnswers } from './account-nps';
import { monthsBefore, presentAccount, readableAccount } from './accounts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const monthOf = (at: number) => new Date(at).toISOString().slice(0, 7);

/**
 * An account's page (docs/accounts.md "The account's history"), score.read on its unit: its NPS per
 * month and stakeholder role over the last `months` months (every counted answer of the month, each
 * role scored alone, suppressed below the tenant's minimum), its behaviour signals by day, its
 * outcomes, its cases (the at-risk cases naming it and the detractor cases of its stakeholders'
 * answers: kind, status, dates, no verbatim) and its latest churn risk.
 */
export async function accountHistory(d: Deps, externalId: string, q: { months: number }) {
  const account = await readableAccount(d, externalId);
  const { t } = d;
  const now = Date.now();
  const from = monthsBefore(now, q.months);
  const fromDay = new Date(from).toISOString().slice(0, 10);
  const settings = await getSettings(t);
  const [answers, people, signals, outcomes, [risk]] = await Promise.all([
    stakeholderAnswers(t, account.externalId, { from, to: now }),
    t.select({ id: contacts.id }).from(contacts).where(eq(contacts.accountId, account.externalId)),
    t
      .select({ key: measures.key, name: measures.name, day: accountSignalValues.day, value: accountSignalValues.value })
      .from(accountSignalValues)
      .innerJoin(measures, eq(measures.id, accountSignalValues.measureId))
      .where(and(eq(accountSignalValues.accountId, account.id), gte(accountSignalValues.day, fromDay)))
      .orderBy(asc(measures.key), asc(accountSignalValues.day)),
    t.select().from(accountOutcomes).where(eq(accountOutcomes.accountId, account.id)).orderBy(asc(accountOutcomes.occurredAt)),
    t.select().from(accountRisks).where(eq(accountRisks.accountId, account.id)),
  ]);
  const ids = people.map((p) => p.id);
  const caseRows = await t
    .select({
      id: cases.id,
      kind: cases.kind,
      status: cases.status,
      score: cases.score,
      ownerUserId: cases.ownerUserId,
      createdAt: cases.createdAt,
      resolvedAt: cases.resolvedAt,
      closedAt: cases.closedAt,
    })
    .from(cases)
    // Each branch an index read: the account's at-risk cases, and the cases of its stakeholders' answers.
    .where(
      or(
        eq(cases.accountId, account.id),
        ...(ids.length
          ? [
              inArray(
                cases.responseId,
                t
                  .select({ id: responses.id })
                  .from(responses)
                  .where(inArray(responses.contactId, ids.slice(0, 500))),
              ),
            ]
          : []),
      ),
    )
    .orderBy(asc(cases.createdAt));
  const byMonth = new Map<string, Record<StakeholderRole, Tally>>();
  for (const a of answers) {
    const m = monthOf(a.at);
    const tallies = byMonth.get(m) ?? (Object.fromEntries(STAKEHOLDER_ROLES.map((r) => [r, emptyTally()])) as Record<StakeholderRole, Tally>);
    tallies[a.role] = addAnswer(tallies[a.role], a.score);
    byMonth.set(m, tallies);
  }
  const nps = [...byMonth.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([month, tallies]) =>
      STAKEHOLDER_ROLES.filter((role) => tallies[role].promoters + tallies[role].passives + tallies[role].detractors > 0).map((role) => {
        const s = score(tallies[role], { minN: settings.minResponses });
        return { month, role, nps: s.suppressed ? null : s.nps, n: s.n, ci: s.suppressed ? null : s.ci, suppressed: s.suppressed };
      }),
    );
  const bySignal = new Map<string, { signal: string; name: string; values: { date: string; value: number }[] }>();
  for (const s of signals) {
    const entry = bySignal.get(s.key) ?? { signal: s.key, name: s.name, values: [] };
    entry.values.push({ date: s.day, value: s.value });
    bySignal.set(s.key, entry);
  }
  return {
    account: presentAccount(account),
    months: q.months,
    risk: risk
      ? { probability: risk.probability, revenueAtRisk: risk.revenueAtRisk, reasons: risk.reasons, atRisk: risk.atRisk, crossedAt: iso(risk.crossedAt), computedAt: iso(risk.computedAt)! }
      : null,
    nps,
    signals: [...bySignal.values()],
    outcomes: outcomes.map((o) => ({ type: o.type, occurredAt: iso(o.occurredAt)!, revenueDelta: o.revenueDelta })),
    cases: caseRows.map((c) => ({
      id: c.id,
      kind: c.kind,
      status: c.status,
      score: c.score,
      ownerUserId: c.ownerUserId,
      createdAt: iso(c.createdAt)!,
      resolvedAt: iso(c.resolvedAt),
      closedAt: iso(c.closedAt),
    })),
  };
}
