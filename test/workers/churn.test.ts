import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { churnModels, commentAnalyses, responses } from '../../src/db/schema';
import { featuresAt } from '../../src/accounts/churn';
import { loadHistories } from '../../src/accounts/risk';
import { TenantDb } from '../../src/db/tenant-db';
import { newId } from '../../src/lib/ids';
import { ACCOUNT_DEFAULTS } from '../../src/settings/settings';
import { beforeAll, describe, expect, it } from 'vitest';
import { handleChurnTrain } from '../../src/accounts/job';
import type { Env } from '../../src/env';
import { plantAccounts, type PlantedAccount } from './accounts-fixture';
import { makeSurvey } from './capture-fixture';
import { call, db, type Fixture, makeTenant, runCron } from './support';

/*
 * The churn model through the Worker: planted accounts in the database (accounts-fixture.ts), the
 * `churn.train` job, the model card and the at-risk list. The model must rank the accounts whose
 * hidden health is low first; the rules score stands below 30 churns.
 */

const train = (tenantId: string) => handleChurnTrain({ type: 'churn.train', tenantId, idempotencyKey: `churn.train:${tenantId}:test` }, env as unknown as Env);

/** AUC by brute force over every (positive, negative) pair: ties count one half. */
function pairAuc(scores: number[], labels: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((a, i) => {
    if (!labels[i]) return;
    scores.forEach((b, j) => {
      if (labels[j]) return;
      pairs++;
      wins += a > b ? 1 : a === b ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('from 30 churns on: a validated logistic model, the at-risk list by revenue at risk', () => {
  let t: Fixture;
  let planted: PlantedAccount[];
  const now = Date.now();

  beforeAll(async () => {
    t = await makeTenant('Churn');
    const s = await makeSurvey(t.tenantId);
    planted = await plantAccounts(t.tenantId, s, { accounts: 300, months: 26, now, seed: 5, units: [t.units.berlin!, t.units.paris!, t.units.newYork!], owner: t.userIds.manager!, signal: 'logins' });
  }, 120_000);

  it('before a training: untrained, and an empty list under the rules label', async () => {
    expect((await call('GET', '/api/v1/models/churn', { token: t.tokens.admin })).body).toEqual({ status: 'untrained', card: null });
    expect((await call('GET', '/api/v1/accounts/at-risk', { token: t.tokens.admin })).body).toEqual({ model: { kind: 'rules' }, items: [] });
  });

  it('trains: held-out AUC above 0.75, and the same data gives the same card', async () => {
    expect(planted.filter((p) => p.churned).length).toBeGreaterThanOrEqual(30);
    await train(t.tenantId);
    const first = (await call('GET', '/api/v1/models/churn', { token: t.tokens.analyst })).body;
    expect(first.status).toBe('ready');
    expect(first.card.kind).toBe('logistic');
    expect(first.card.validation.auc).toBeGreaterThan(0.75);
    expect(first.card.features).toEqual([
      'accountNps',
      'decisionMakerScore',
      'npsSlope',
      'detractorShare',
      'detractorThemeMentions',
      'noRecentAnswers',
      'openCases',
      'lateCases',
      'tenureMonths',
      'logRevenue',
      'signalChange.logins',
    ]);
    expect(first.card.coefficients).toHaveLength(12);
    for (const c of first.card.coefficients) expect(c.ci.low).toBeLessThanOrEqual(c.ci.high);
    expect(first.card.validation.calibration.reduce((n: number, b: { n: number }) => n + b.n, 0)).toBe(first.card.validation.testRows);
    await train(t.tenantId);
    const again = (await call('GET', '/api/v1/models/churn', { token: t.tokens.admin })).body;
    const { trainedAt: _a, drift: _d, impact: impactAgain, ...rest } = again.card;
    const { trainedAt: _b, drift: _e, impact: impactFirst, ...restFirst } = first.card;
    expect(rest).toEqual(restFirst);
    // The impact is of today's features (tenure moves with the clock): the same segments, not the same decimals.
    expect(impactAgain.segments.map((x: { segment: string }) => x.segment)).toEqual(impactFirst.segments.map((x: { segment: string }) => x.segment));
    // The second training measured the first model's drift: no new outcomes since, so no rows.
    expect(again.card.drift).toMatchObject({ rows: 0, auc: null, drifted: false });
  });

  it('ranks the planted low-health accounts first, sorted by revenue at risk with reasons and owner', async () => {
    const res = await call('GET', '/api/v1/accounts/at-risk?limit=500', { token: t.tokens.admin });
    expect(res.status).toBe(200);
    expect(res.body.model).toMatchObject({ kind: 'logistic', auc: expect.any(Number), trainedAt: expect.any(String) });
    const items = res.body.items as { accountId: string; probability: number; revenueAtRisk: number; reasons: { feature: string; contribution: number }[]; ownerUserId: string }[];
    const alive = planted.filter((p) => !p.churned);
    expect(items).toHaveLength(alive.length);
    for (let i = 1; i < items.length; i++) expect(items[i - 1]!.revenueAtRisk).toBeGreaterThanOrEqual(items[i]!.revenueAtRisk);
    const byId = new Map(planted.map((p) => [p.externalId, p]));
    for (const item of items) {
      expect(item.revenueAtRisk).toBeCloseTo(item.probability * byId.get(item.accountId)!.revenue, 6);
      expect(item.ownerUserId).toBe(t.userIds.manager);
      expect(item.reasons.length).toBeLessThanOrEqual(3);
      for (const r of item.reasons) expect(r.contribution).toBeGreaterThan(0);
    }
    // The probability ranks the accounts whose hidden health ended below −1 above the others.
    expect(
      pairAuc(
        items.map((i) => i.probability),
        items.map((i) => byId.get(i.accountId)!.health < -1),
      ),
    ).toBeGreaterThan(0.75);
  });

  it('what NPS is worth: 10 more points lower the modelled churn probability in every segment, with a range', async () => {
    const res = await call('GET', '/api/v1/analytics/nps-impact', { token: t.tokens.analyst });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ available: true, points: 10 });
    // The planted accounts have no segment: one row, every current account in it.
    expect(res.body.items).toHaveLength(1);
    const [all] = res.body.items;
    expect(all).toMatchObject({ segment: 'unknown', accounts: planted.filter((p) => !p.churned).length });
    expect(all.revenue).toBe(planted.filter((p) => !p.churned).reduce((s, p) => s + p.revenue, 0));
    expect(all.deltaProbability.value).toBeLessThan(0);
    expect(all.deltaProbability.low).toBeLessThanOrEqual(all.deltaProbability.value);
    expect(all.deltaProbability.high).toBeGreaterThanOrEqual(all.deltaProbability.value);
    expect(all.deltaRevenueAtRisk.value).toBeLessThan(0);
    expect((await call('GET', '/api/v1/analytics/nps-impact?segment=enterprise', { token: t.tokens.admin })).body.items).toEqual([]);
    expect((await call('GET', '/api/v1/analytics/nps-impact', { token: t.tokens.manager })).status).toBe(403);
  });

  it('is read within reach: a unit filter, the EMEA manager sees EMEA accounts only, outside reach 404', async () => {
    const emea = await call('GET', `/api/v1/accounts/at-risk?unitId=${t.units.emea}&limit=500`, { token: t.tokens.manager });
    expect(emea.status).toBe(200);
    const units = new Map(planted.map((p) => [p.externalId, p.unitId]));
    expect(emea.body.items.length).toBeGreaterThan(0);
    for (const i of emea.body.items) expect([t.units.berlin, t.units.paris]).toContain(units.get(i.accountId));
    expect((await call('GET', `/api/v1/accounts/at-risk?unitId=${t.units.newYork}`, { token: t.tokens.manager })).status).toBe(404);
    expect((await call('GET', `/api/v1/accounts/at-risk?unitId=${t.units.berlin}`, { token: t.tokens.agent })).status).toBe(403);
  });
});

describe('below 30 churns: the rules score, labelled as such', () => {
  it('lays a rules card and scores the accounts by its rules', async () => {
    const t = await makeTenant('ChurnFew');
    const s = await makeSurvey(t.tenantId);
    const planted = await plantAccounts(t.tenantId, s, { accounts: 40, months: 12, now: Date.now(), seed: 9, units: [t.units.berlin!], owner: t.userIds.manager!, signal: 'logins' });
    expect(planted.filter((p) => p.churned).length).toBeLessThan(30);
    await train(t.tenantId);
    const card = (await call('GET', '/api/v1/models/churn', { token: t.tokens.admin })).body.card;
    expect(card).toMatchObject({ kind: 'rules', minChurns: 30, base: 0.05 });
    expect(card.note).toMatch(/^A rules score, not a probability/);
    const list = (await call('GET', '/api/v1/accounts/at-risk', { token: t.tokens.admin })).body;
    expect(list.model).toEqual({ kind: 'rules', trainedAt: expect.any(String) });
    for (const item of list.items) expect(item.probability).toBeCloseTo(Math.min(0.95, 0.05 + item.reasons.reduce((a: number, r: { contribution: number }) => a + r.contribution, 0)), 10);
  });

  it('the first account lays the model due: the daily cron sends its training, which makes it due the next month', async () => {
    const t = await makeTenant('ChurnCron');
    expect((await call('PUT', '/api/v1/accounts/first', { token: t.tokens.admin, body: { name: 'First', unitId: t.units.berlin } })).status).toBe(201);
    const sent: { tenantId?: string }[] = [];
    const e = { ...env, WORKFLOW_QUEUE: { send: async (m: never) => void sent.push(m), sendBatch: async (ms: { body: never }[]) => void sent.push(...ms.map((m) => m.body)) } } as unknown as Env;
    const now = Date.now();
    await runCron('0 3 * * *', now, e);
    const mine = sent.filter((m) => m.tenantId === t.tenantId);
    expect(mine).toEqual([{ type: 'churn.train', tenantId: t.tenantId, idempotencyKey: `churn.train:${t.tenantId}:${new Date(now).toISOString().slice(0, 10)}` }]);
    await handleChurnTrain(mine[0] as never, env as unknown as Env);
    expect((await call('GET', '/api/v1/models/churn', { token: t.tokens.admin })).body).toMatchObject({ status: 'ready', card: { kind: 'rules', churns: 0 } });
    const [row] = await db(t.tenantId).select().from(churnModels).where(eq(churnModels.tenantId, t.tenantId));
    const d = new Date(now);
    expect(row!.dueAt).toBe(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
    sent.length = 0;
    await runCron('0 3 * * *', now + 60_000, e);
    expect(sent.filter((m) => m.tenantId === t.tenantId)).toEqual([]);
  });

  it('POST /api/v1/models/churn/train queues a training (202); a manager may not (403)', async () => {
    const t = await makeTenant('ChurnQueue');
    const res = await call('POST', '/api/v1/models/churn/train', { token: t.tokens.admin });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'pending', retryAfterSeconds: 30 });
    expect((await call('POST', '/api/v1/models/churn/train', { token: t.tokens.manager })).status).toBe(403);
  });
});

describe('theme mentions: the comment analyses of detractor answers reach the model', () => {
  it("an account's history carries the themes its stakeholders' comments mention; the feature counts the detractors' of 90 days", async () => {
    const t = await makeTenant('ChurnThemes');
    const s = await makeSurvey(t.tenantId);
    expect((await call('PUT', '/api/v1/accounts/themed', { token: t.tokens.admin, body: { name: 'Themed', unitId: t.units.berlin } })).status).toBe(201);
    const contact = await call('PUT', '/api/v1/contacts/themed-dm', { token: t.tokens.admin, body: { accountId: 'themed', stakeholderRole: 'decision_maker' } });
    const now = Date.now();
    const d = db(t.tenantId);
    // A detractor (3) naming two themes 10 days ago, a promoter (9) naming one 5 days ago, a detractor (1) naming three 200 days ago.
    const answers: [number, number, string[]][] = [
      [3, now - 10 * 86_400_000, ['thm_a', 'thm_b']],
      [9, now - 5 * 86_400_000, ['thm_c']],
      [1, now - 200 * 86_400_000, ['thm_a', 'thm_b', 'thm_c']],
    ];
    for (const [score, at, themes] of answers) {
      const id = newId('rsp');
      await d.insert(responses).values({
        id,
        tenantId: t.tenantId,
        touchpointId: s.touchpointId,
        unitId: t.units.berlin!,
        contactId: contact.body.id,
        surveyId: s.surveyId,
        surveyVersion: 1,
        channel: 'email',
        locale: 'en',
        score,
        comment: 'x',
        answers: {},
        qualityFlags: [],
        counted: true,
        answeredAt: at,
        createdAt: at,
        updatedAt: at,
      });
      await d.insert(commentAnalyses).values({
        id,
        tenantId: t.tenantId,
        kind: 'response',
        responseId: id,
        unitId: t.units.berlin!,
        score,
        counted: true,
        language: 'en',
        stems: '',
        phrases: [],
        themes,
        libraryVersion: 1,
        createdAt: at,
        analysedAt: at,
      });
    }
    const { histories } = await loadHistories(new TenantDb(d, t.tenantId), now);
    expect(histories[0]!.answers.map((a) => a.themes)).toEqual([3, 2, 1]);
    // Only the detractor of 10 days ago is in the window and a detractor's: 2.
    expect(featuresAt(histories[0]!, now, [], ACCOUNT_DEFAULTS.roleWeights).detractorThemeMentions).toBe(2);
  });
});
