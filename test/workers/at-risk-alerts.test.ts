import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountRisks, accounts, caseEvents, cases, churnModels, responses } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { SCHEDULES } from '../../src/jobs/cron';
import { newId } from '../../src/lib/ids';
import worker from '../../src/worker';
import { makeSurvey, type SurveySetup } from './capture-fixture';
import { deliveriesOf, subscribeAll, withProviders } from './case-fixture';
import { call, db, type Fixture, makeTenant, runCron, uniq } from './support';

/*
 * Issue 15, item 5 (predictive alerts) and item 2 of its second part (daily re-scoring): the
 * daily cron sends `churn.train` / `churn.score` on the workflow queue, the real queue consumer
 * runs them, an account whose churn probability goes over the tenant's threshold opens an
 * at-risk case whose owner the every-minute cron tells by email (a provider stub records it),
 * with the reasons; re-scoring without a crossing sends nothing; falling under and going over
 * again is a new crossing; the case escalates as detractor cases do.
 *
 * Below 30 churns the model is the rules score (docs/accounts.md), so the probabilities are
 * worked out by hand from its table: base 0.05, +0.20 account NPS below 0, +0.20 decision
 * makers' mean below 7, +0.10 half or more detractors. An account whose one decision maker last
 * answered 2: NPS −100, mean 2, all detractors → 0.05 + 0.20 + 0.20 + 0.10 = 0.55, over the
 * default threshold 0.5. One whose decision maker answered 9 or 10: NPS +100, mean ≥ 9, no
 * detractor → 0.05. (Two answers in the last month fall in one of the six monthly bins of the
 * slope: no trend, no slope rule; no case, no signal: no other rule.)
 */

const DAILY = SCHEDULES.daily;
const MINUTE = SCHEDULES.everyMinute;

let t: Fixture;
let s: SurveySetup;
let stub: Awaited<ReturnType<typeof withProviders>>;
/** Messages the daily cron sent on the workflow queue (the producer is recorded; the consumer is the Worker's). */
const sent: { type: string; tenantId: string; idempotencyKey: string }[] = [];
const recording = {
  ...env,
  WORKFLOW_QUEUE: { send: async (m: never) => void sent.push(m), sendBatch: async (ms: { body: never }[]) => void sent.push(...ms.map((m) => m.body)) },
} as unknown as Env;

/** The daily cron at the real present, then this tenant's messages through the Worker's queue consumer (all acked). */
async function daily(): Promise<string[]> {
  sent.length = 0;
  await runCron(DAILY, Date.now(), recording);
  const mine = sent.filter((m) => m.tenantId === t.tenantId);
  if (mine.length) {
    const batch = createMessageBatch(
      'nps-workflow',
      mine.map((body) => ({ id: `m-${uniq()}`, timestamp: new Date(), attempts: 1, body })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env as never);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toEqual([]);
  }
  return mine.map((m) => m.type);
}

/** A day passes for the re-scoring: its due time (the next UTC midnight) is moved to now, as the calendar would. */
const dayPasses = () => db(t.tenantId).update(churnModels).set({ scoreDueAt: Date.now() }).where(eq(churnModels.tenantId, t.tenantId));

const contactIds = new Map<string, string>();
/** When A's decision maker answered (for the history's recount). */
const answeredA: number[] = [];
let last = 0;
/** An answer of the account's decision maker, newer than every earlier one. */
async function answer(account: string, score: number, at = Date.now() - 1) {
  last = Math.max(at, last + 1);
  if (account === A) answeredA.push(last);
  await db(t.tenantId)
    .insert(responses)
    .values({
      id: newId('rsp'),
      tenantId: t.tenantId,
      touchpointId: s.touchpointId,
      unitId: t.units.newYork!,
      contactId: contactIds.get(account)!,
      surveyId: s.surveyId,
      surveyVersion: 1,
      channel: 'email',
      locale: 'en',
      score,
      answers: {},
      qualityFlags: [],
      counted: true,
      answeredAt: last,
      createdAt: last,
      updatedAt: last,
    });
}

async function account(externalId: string, ownerUserId: string | null) {
  expect(
    (await call('PUT', `/api/v1/accounts/${externalId}`, { token: t.tokens.admin, body: { name: `Name of ${externalId}`, unitId: t.units.newYork, ownerUserId, annualRevenue: 50_000 } })).status,
  ).toBe(201);
  const res = await call('PUT', `/api/v1/contacts/${externalId}-dm`, {
    token: t.tokens.admin,
    body: { accountId: externalId, stakeholderRole: 'decision_maker', email: `${externalId}@customer.test` },
  });
  expect([200, 201]).toContain(res.status);
  contactIds.set(externalId, res.body.id);
}

const atRiskCases = () =>
  db(t.tenantId)
    .select()
    .from(cases)
    .where(and(eq(cases.tenantId, t.tenantId), eq(cases.kind, 'at_risk')))
    .orderBy(asc(cases.createdAt));
const eventsOf = (caseId: string) =>
  db(t.tenantId)
    .select()
    .from(caseEvents)
    .where(and(eq(caseEvents.tenantId, t.tenantId), eq(caseEvents.caseId, caseId)))
    .orderBy(asc(caseEvents.createdAt), asc(caseEvents.id));
const mails = async () => (await stub.requests()).filter((r) => r.path === '/messages').map((r) => JSON.parse(r.body) as { to: string; subject: string; text: string });
const risk = async (externalId: string) => {
  const [r] = await db(t.tenantId)
    .select({ probability: accountRisks.probability, atRisk: accountRisks.atRisk })
    .from(accountRisks)
    .innerJoin(accounts, eq(accounts.id, accountRisks.accountId))
    .where(and(eq(accountRisks.tenantId, t.tenantId), eq(accounts.externalId, externalId)));
  return r;
};

let A: string;
let C: string;

beforeAll(async () => {
  t = await makeTenant('AtRisk');
  s = await makeSurvey(t.tenantId);
  stub = await withProviders(t);
  await subscribeAll(t.tenantId);
  const tag = uniq();
  A = `risky-${tag}`;
  C = `ownerless-${tag}`;
  await account(A, t.userIds.analyst!); // owned by the analyst (granted on the root), not the site's manager
  await account(`healthy-${tag}`, t.userIds.manager!);
  await account(C, null); // no owner: the hierarchy's (New York's manager)
  const month = Date.now() - 20 * 86_400_000;
  await answer(A, 2, month);
  await answer(`healthy-${tag}`, 9, month + 1);
  await answer(C, 1, month + 2);
});

describe('predictive alerts: each crossing of the threshold opens (or adds to) an at-risk case and tells its owner once', () => {
  let caseA: typeof cases.$inferSelect;

  it('the first training (daily cron → churn.train on the queue) scores the accounts: two cross, two at-risk cases open in the loop', async () => {
    expect(await daily()).toEqual(['churn.train']);
    expect(await risk(A)).toEqual({ probability: expect.closeTo(0.55, 10), atRisk: true });
    expect((await risk(`healthy-${A.slice(6)}`))?.atRisk).toBe(false);
    const opened = await atRiskCases();
    expect(opened).toHaveLength(2);
    caseA = opened.find((c) => c.ownerUserId === t.userIds.analyst)!;
    const caseC = opened.find((c) => c !== caseA)!;
    expect(caseC.ownerUserId).toBe(t.userIds.siteManager); // New York's manager, as a detractor case there
    expect(caseA).toMatchObject({ kind: 'at_risk', responseId: null, score: null, touchpointId: null, status: 'open', unitId: t.units.newYork, escalationLevel: 0 });
    // The tenant's targets (48 h to first contact, 168 h to resolve; no business calendar) from the opening.
    expect(caseA.firstContactDueAt! - caseA.createdAt).toBe(48 * 3_600_000);
    expect(caseA.resolutionDueAt! - caseA.createdAt).toBe(168 * 3_600_000);
    expect(caseA.notifyDueAt).toBe(caseA.createdAt);
    const [opening] = await eventsOf(caseA.id);
    expect(opening).toMatchObject({
      type: 'opened',
      details: { routing: 'account_owner', accountId: A, account: { probability: expect.closeTo(0.55, 10), threshold: 0.5, horizonDays: 90, model: 'rules' } },
    });
    expect((opening!.details as { account: { reasons: unknown } }).account.reasons).toEqual([
      { feature: 'accountNps', contribution: 0.2 },
      { feature: 'decisionMakerScore', contribution: 0.2 },
      { feature: 'detractorShare', contribution: 0.1 },
    ]);
    // The webhook of the loop, with the account: responseId and score null.
    expect(
      (await deliveriesOf(t.tenantId))
        .filter((d) => d.type === 'case.opened')
        .map((d) => d.data.accountId)
        .sort(),
    ).toEqual([A, C].sort());
  });

  it('the API shows it as a case: kind at_risk, the account named, no answer', async () => {
    const res = await call('GET', `/api/v1/cases/${caseA.id}`, { token: t.tokens.admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: caseA.id, kind: 'at_risk', accountId: A, responseId: null, score: null, touchpointId: null, comment: null, contact: null, ownerUserId: t.userIds.analyst });
    const list = await call('GET', '/api/v1/cases?scope=mine', { token: t.tokens.analyst });
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([caseA.id]);
  });

  it('the every-minute cron tells the owners, with the probability and the reasons; once', async () => {
    expect(await mails()).toEqual([]);
    await runCron(MINUTE, Date.now());
    const sentMails = await mails();
    const toAnalyst = sentMails.filter((m) => m.to === t.email('analyst'));
    expect(toAnalyst).toHaveLength(1);
    expect(toAnalyst[0]!.subject).toBe(`Account at risk: account Name of ${A} at risk (55% churn probability) at New York`);
    expect(toAnalyst[0]!.text).toContain('Churn probability: 55% within 90 days, over the threshold of 50% (the rules score, not a fitted model).');
    expect(toAnalyst[0]!.text).toContain('Reasons: accountNps (+0.20), decisionMakerScore (+0.20), detractorShare (+0.10)');
    expect(toAnalyst[0]!.text).toContain(`/#/cases/${caseA.id}`);
    expect(sentMails.filter((m) => m.to === t.email('siteManager'))).toHaveLength(1);
    expect((await atRiskCases()).map((c) => c.notifyDueAt)).toEqual([null, null]);
    await runCron(MINUTE, Date.now());
    expect(await mails()).toHaveLength(2);
  });

  it('re-scoring is daily: not due the same day; a day later the cron sends churn.score, and without a crossing nothing is sent', async () => {
    expect(await daily()).toEqual([]);
    await dayPasses();
    expect(await daily()).toEqual(['churn.score']);
    expect(await risk(A)).toEqual({ probability: expect.closeTo(0.55, 10), atRisk: true });
    await runCron(MINUTE, Date.now());
    expect(await mails()).toHaveLength(2);
    expect(await eventsOf(caseA.id)).toHaveLength(2); // opened, notified
    expect(await atRiskCases()).toHaveLength(2);
  });

  it('falling under the threshold sends nothing; going over again is a new crossing: the open case hears of it and its owner is told again', async () => {
    await answer(A, 10); // NPS +100, mean 10: 0.05
    await dayPasses();
    expect(await daily()).toEqual(['churn.score']);
    expect(await risk(A)).toEqual({ probability: expect.closeTo(0.05, 10), atRisk: false });
    await runCron(MINUTE, Date.now());
    expect(await mails()).toHaveLength(2);

    await answer(A, 2); // 0.55 again
    await dayPasses();
    expect(await daily()).toEqual(['churn.score']);
    expect(await risk(A)).toMatchObject({ atRisk: true });
    expect(await atRiskCases()).toHaveLength(2); // the case is still open: no second case
    const events = await eventsOf(caseA.id);
    expect(events.map((e) => e.type)).toEqual(['opened', 'notified', 'risk_crossed']);
    await runCron(MINUTE, Date.now());
    const toAnalyst = (await mails()).filter((m) => m.to === t.email('analyst'));
    expect(toAnalyst).toHaveLength(2);
    expect(toAnalyst[1]!.text).toContain('Reasons: accountNps (+0.20), decisionMakerScore (+0.20), detractorShare (+0.10)');
    // A redelivered or repeated scoring finds no crossing.
    await dayPasses();
    expect(await daily()).toEqual(['churn.score']);
    await runCron(MINUTE, Date.now());
    expect(await mails()).toHaveLength(3);
  });

  it('a closed case is not reopened: the next crossing opens a new at-risk case', async () => {
    const closed = await call('PATCH', `/api/v1/cases/${caseA.id}`, { token: t.tokens.analyst, body: { status: 'closed', reason: 'called the sponsor, renewal agreed', note: 'spoke to the CFO' } });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', kind: 'at_risk' });
    await answer(A, 10);
    await dayPasses();
    await daily();
    await answer(A, 2);
    await dayPasses();
    await daily();
    const mine = (await atRiskCases()).filter((c) => c.accountId === caseA.accountId);
    expect(mine.map((c) => c.status)).toEqual(['closed', 'open']);
    await runCron(MINUTE, Date.now());
    expect((await mails()).filter((m) => m.to === t.email('analyst'))).toHaveLength(3);
  });

  it("the account's history shows its NPS per month and role, its cases and its risk", async () => {
    const res = await call('GET', `/api/v1/accounts/${A}/history?months=3`, { token: t.tokens.analyst });
    expect(res.status).toBe(200);
    // A's decision maker answered once 20 days ago and five times since (2, 10, 2, 10, 2): recounted per UTC month.
    const perMonth = new Map<string, number>();
    for (const at of answeredA) perMonth.set(new Date(at).toISOString().slice(0, 7), (perMonth.get(new Date(at).toISOString().slice(0, 7)) ?? 0) + 1);
    expect(res.body.nps.map((x: { month: string; role: string; n: number }) => [x.month, x.role, x.n])).toEqual([...perMonth.entries()].sort().map(([m, n]) => [m, 'decision_maker', n]));
    expect(res.body.cases.map((c: { id: string }) => c.id).sort()).toEqual(
      (await atRiskCases())
        .filter((c) => c.accountId === caseA.accountId)
        .map((c) => c.id)
        .sort(),
    );
    expect(res.body.cases.every((c: { kind: string; score: number | null }) => c.kind === 'at_risk' && c.score === null)).toBe(true);
    expect(res.body.risk).toMatchObject({ probability: expect.closeTo(0.55, 10), atRisk: true });
    expect(res.body).toMatchObject({ account: { externalId: A, ownerUserId: t.userIds.analyst }, signals: [], outcomes: [] });
  });

  it('escalates as detractor cases do: past first contact, to the next person up, who is told of the account', async () => {
    const [k] = (await atRiskCases()).filter((c) => c.accountId === caseA.accountId && c.status === 'open');
    // The scan is global: the tick runs in June 2000, when no other suite's case is due (their
    // controlled clocks start in 2001), and this case's due time is moved to just before it.
    const tickAt = Date.parse('2000-06-01T00:05:00Z');
    await db(t.tenantId)
      .update(cases)
      .set({ firstContactDueAt: tickAt - 60_000 })
      .where(and(eq(cases.tenantId, t.tenantId), eq(cases.id, k!.id)));
    await runCron(SCHEDULES.everyFiveMinutes, tickAt);
    const [after] = await db(t.tenantId)
      .select()
      .from(cases)
      .where(and(eq(cases.tenantId, t.tenantId), eq(cases.id, k!.id)));
    expect(after).toMatchObject({ escalationLevel: 1, escalated: ['first_contact'], ownerUserId: t.userIds.admin }); // no manager above New York: the root's admin
    const toAdmin = (await mails()).filter((m) => m.to === t.email('admin'));
    expect(toAdmin.map((m) => m.subject)).toEqual([`Escalated: no first contact in time: account Name of ${A} at risk (55% churn probability) at New York`]);
  });
});
