import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { auditLog, contacts, invitations, responses, reviewDeliveries, reviewPacks, targets, tenants, units } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { newId } from '../../src/lib/ids';
import { reviewMailWindow } from '../../src/reviews/deliver';
import { makeTouchpoint } from './program-fixture';
import { providerSpace } from './provider';
import { call, db, makeTenant, runCron, uniq, type Fixture } from './support';

/**
 * The quarterly review pack (docs/governance.md "The quarterly review pack"). A planted 2026-Q3
 * (closed: its last day plus the 7-day grace is long past) and a planted 2026-Q2. Every expected
 * number is counted here from the planted score lists, never read from the code's answer; the
 * sections the pack takes from other features are compared with those features' own endpoints.
 */

let t: Fixture;
let tp: { id: string; key: string; surveyId: string };

type Site = 'berlin' | 'paris' | 'newYork';
/** The planted answers: unit, month (2026), scores. Each answer is on the 10th to 19th day at noon UTC (the fixture's units are in UTC). */
const PLANT: { unit: Site; month: number; scores: number[] }[] = [
  { unit: 'berlin', month: 5, scores: [10, 9, 8, 7, 6, 5, 4, 3, 2, 1] },
  { unit: 'berlin', month: 7, scores: [10, 10, 10, 9, 9, 8, 7, 6, 3, 0] },
  { unit: 'berlin', month: 8, scores: [10, 9, 9, 9, 8, 8, 5, 2, 10, 10] },
  { unit: 'paris', month: 8, scores: [10, 10, 9, 9, 9, 9, 8, 3, 2, 1] },
  { unit: 'berlin', month: 9, scores: [9, 9, 8, 7, 7, 6, 4, 1, 0, 10] },
  { unit: 'newYork', month: 9, scores: [10, 10, 10, 10, 9, 9, 9, 8, 7, 6] },
];
/** Besides, per planted month and unit, this many delivered invitations nobody answered. */
const UNANSWERED = 6;

/** NPS by hand: promoters 9–10, detractors 0–6, 100 · (P − D) / n. */
function count(scores: number[]) {
  const promoters = scores.filter((s) => s >= 9).length;
  const detractors = scores.filter((s) => s <= 6).length;
  return { n: scores.length, promoters, passives: scores.length - promoters - detractors, detractors, nps: (100 * (promoters - detractors)) / scores.length };
}
const scoresOf = (pred: (p: (typeof PLANT)[number]) => boolean) => PLANT.filter(pred).flatMap((p) => p.scores);

const answerIds: Record<string, string[]> = {};

async function plant() {
  const d = db(t.tenantId);
  const rows: unknown[] = [];
  let i = 0;
  for (const p of PLANT) {
    const unitId = t.units[p.unit]!;
    const key = `${p.unit}-${p.month}`;
    answerIds[key] = [];
    const invite = (answered: number | null, k: number) => {
      const at = Date.parse(`2026-${String(p.month).padStart(2, '0')}-${10 + (k % 10)}T12:00:00Z`) + i++ * 1000;
      const contactId = newId('con');
      const invitationId = newId('inv');
      rows.push(
        d.insert(contacts).values({ id: contactId, tenantId: t.tenantId, externalId: `rv-${uniq()}-${i}`, email: `r${i}@example.test`, segment: k % 2 ? 'smb' : 'ent', createdAt: at, updatedAt: at }),
        d.insert(invitations).values({
          id: invitationId,
          tenantId: t.tenantId,
          contactId,
          unitId,
          touchpointId: tp.id,
          surveyId: tp.surveyId,
          surveyVersion: 1,
          channel: 'email',
          locale: 'en',
          status: answered === null ? 'expired' : 'answered',
          source: 'test',
          dueAt: at,
          sentAt: at,
          expiresAt: at + 30 * 86_400_000,
          createdAt: at,
          updatedAt: at,
        }),
      );
      if (answered !== null) {
        const id = newId('rsp');
        answerIds[key]!.push(id);
        rows.push(
          d.insert(responses).values({
            id,
            tenantId: t.tenantId,
            invitationId,
            touchpointId: tp.id,
            unitId,
            contactId,
            surveyId: tp.surveyId,
            surveyVersion: 1,
            channel: 'email',
            locale: 'en',
            score: answered,
            counted: true,
            segment: k % 2 ? 'smb' : 'ent',
            createdAt: at + 3_600_000,
            updatedAt: at + 3_600_000,
          }),
        );
      }
    };
    for (const [k, s] of p.scores.entries()) invite(s, k);
    for (let k = 0; k < UNANSWERED; k++) invite(null, k);
  }
  // A target of Berlin for the quarter (written as it stood before the close), and a sampling change audited in August.
  rows.push(
    d.insert(targets).values({
      id: newId('tgt'),
      tenantId: t.tenantId,
      unitId: t.units.berlin!,
      period: '2026-Q3',
      basis: 'nps',
      threshold: 0,
      target: 20,
      stretch: 40,
      closesAt: Date.parse('2026-10-08T00:00:00Z'),
    }),
    d.insert(auditLog).values({
      id: newId('aud'),
      tenantId: t.tenantId,
      actorType: 'user',
      actorId: t.userIds.admin!,
      action: 'touchpoint.sampling',
      targetType: 'touchpoint',
      targetId: tp.id,
      details: { reason: 'rebalance the slow segment' },
      createdAt: Date.parse('2026-08-20T09:00:00Z'),
    }),
  );
  for (let k = 0; k < rows.length; k += 200) await d.batch(rows.slice(k, k + 200) as never);
}

const review = (period: string, query = '', token = t.tokens.admin) => call('GET', `/api/v1/reviews/${period}${query}`, { token });

beforeAll(async () => {
  t = await makeTenant('Reviews');
  tp = await makeTouchpoint(t.tenantId, { rules: { dailyCap: 5000 } });
  await plant();
});

describe('the review pack of a closed quarter', () => {
  let first: Awaited<ReturnType<typeof review>>;
  beforeAll(async () => {
    first = await review('2026-Q3');
  });

  it('holds the quarter, counted by hand, with its distribution and the change from the quarter before', async () => {
    expect(first.status).toBe(200);
    const r = first.body;
    expect(r).toMatchObject({ unitId: t.units.root, period: '2026-Q3', from: '2026-07-01', to: '2026-09-30', status: 'closed', closesAt: '2026-10-08T00:00:00.000Z' });
    const q3 = count(scoresOf((p) => p.month >= 7 && p.month <= 9));
    // 50 answers: promoters 5+6+6+3+7 = 27, detractors 3+2+3+4+1 = 13: NPS 100·14/50 = 28.
    expect(q3).toMatchObject({ n: 50, promoters: 27, detractors: 13, nps: 28 });
    expect(r.pack.score).toMatchObject({ key: 'all', n: q3.n, promoters: q3.promoters, passives: q3.passives, detractors: q3.detractors, suppressed: false });
    expect(r.pack.score.nps).toBeCloseTo(q3.nps, 9);
    // Q2: Berlin's May only, promoters 2, detractors 6 of 10: NPS −40; the change is 28 − (−40) = 68 points.
    const q2 = count(scoresOf((p) => p.month >= 4 && p.month <= 6));
    expect(q2.nps).toBe(-40);
    expect(r.pack.previous).toEqual({ period: '2026-Q2', from: '2026-04-01', to: '2026-06-30' });
    expect(r.pack.score.delta.points).toBeCloseTo(q3.nps - q2.nps, 9);
    // The distribution: how many of the quarter's scores are each of 0..10.
    const dist = Array.from({ length: 11 }, (_, s) => scoresOf((p) => p.month >= 7).filter((x) => x === s).length);
    expect(r.pack.distribution).toEqual(dist);
    expect(dist.reduce((a, b) => a + b, 0)).toBe(50);
  });

  it('has the trend by month with intervals, as the scores API gives it, over four quarters', async () => {
    const trend = first.body.pack.trend;
    expect(trend).toMatchObject({ period: 'month', from: '2025-10-01', to: '2026-09-30' });
    const byMonth = new Map(trend.items.map((i: { period: string }) => [i.period, i]));
    for (const month of [5, 7, 8, 9]) {
      const c = count(scoresOf((p) => p.month === month));
      const item = byMonth.get(`2026-${String(month).padStart(2, '0')}`) as { n: number; nps: number; ci: { low: number; high: number } };
      expect(item.n, `month ${month}`).toBe(c.n);
      expect(item.nps).toBeCloseTo(c.nps, 9);
      expect(item.ci.low).toBeLessThan(c.nps);
      expect(item.ci.high).toBeGreaterThan(c.nps);
    }
    const api = await call('GET', `/api/v1/scores?unitId=${t.units.root}&from=2025-10-01&to=2026-09-30&period=month`, { token: t.tokens.admin });
    expect(trend.items).toEqual(api.body.items);
  });

  it('takes representativeness, data quality, targets, drivers and the exceptions from their own features', async () => {
    const p = first.body.pack;
    // Invited in Q3: 5 planted unit-months × (10 answered + 6 unanswered) = 80, of whom 50 answered.
    expect(p.representativeness).toMatchObject({ period: '2026-Q3', invited: 80, responded: 50 });
    const rep = await call('GET', `/api/v1/governance/representativeness?period=2026-Q3&unitId=${t.units.root}`, { token: t.tokens.admin });
    expect(p.representativeness).toEqual(rep.body);
    const quality = await call('GET', `/api/v1/governance/quality?period=2026-Q3&periods=4&unitId=${t.units.root}`, { token: t.tokens.admin });
    expect(p.quality).toEqual(quality.body);
    expect(p.quality.periods).toEqual(['2025-Q4', '2026-Q1', '2026-Q2', '2026-Q3']);
    // Berlin's target: its 30 Q3 answers, promoters 5+6+3 = 14, detractors 3+2+4 = 9: NPS 100·5/30 ≈ 16.7, between threshold 0 and target 20.
    const berlin = count(scoresOf((x) => x.unit === 'berlin' && x.month >= 7));
    expect(p.targets).toHaveLength(1);
    expect(p.targets[0]).toMatchObject({ unitId: t.units.berlin, n: berlin.n });
    expect(p.targets[0].nps).toBeCloseTo(berlin.nps, 9);
    // No measures, questions or analysed comments here: drivers have nothing to weigh.
    expect(p.drivers).toMatchObject({ suppressed: true, suppressedReason: 'no_predictors' });
    expect(p.themes).toEqual([]);
    // The exceptions of the quarter's days: the sampling change of 20 August with its reason and who made it.
    expect(p.exceptions.items).toHaveLength(1);
    expect(p.exceptions.items[0]).toMatchObject({ kind: 'survey_change', rootCause: 'rebalance the slow segment', trail: [{ actorId: t.userIds.admin }] });
  });

  it('is saved at the first read, audited as the system, once', async () => {
    const saved = await db(t.tenantId).select().from(reviewPacks).where(eq(reviewPacks.tenantId, t.tenantId));
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ unitId: t.units.root, period: '2026-Q3', closedAt: Date.parse('2026-10-08T00:00:00Z') });
    expect(first.body.savedAt).toBe(new Date(saved[0]!.createdAt).toISOString());
    const audits = await db(t.tenantId)
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.action, 'review.save')));
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorType: 'system', targetType: 'review_pack', targetId: saved[0]!.id, details: { unitId: t.units.root, period: '2026-Q3', readBy: t.userIds.admin } });
    expect(first.body.corrections).toEqual([]);
    expect(first.body.current).toBeNull();
  });

  it('is identical before and after a later exclusion, which shows in its corrections list', async () => {
    // Exclude one of Berlin's July promoters (a 10): the quarter counted today has 49 answers, 26 promoters.
    const excluded = answerIds['berlin-7']![0]!;
    const ex = await call('POST', `/api/v1/responses/${excluded}/exclude`, { token: t.tokens.admin, body: { reason: 'a test submission found late' } });
    expect(ex.status).toBe(200);
    const live = await call('GET', `/api/v1/scores?unitId=${t.units.root}&from=2026-07-01&to=2026-09-30`, { token: t.tokens.admin });
    expect(live.body.items[0]).toMatchObject({ n: 49, promoters: 26, detractors: 13 });

    const again = await review('2026-Q3');
    expect(again.status).toBe(200);
    expect(again.body.pack).toEqual(first.body.pack);
    expect(again.body.savedAt).toBe(first.body.savedAt);
    expect(again.body.corrections).toEqual([
      { at: expect.any(String), change: 'excluded', responseId: excluded, score: 10, reason: 'a test submission found late', actorId: t.userIds.admin, inPack: false },
    ]);
    // Today's count beside it: 100·(26 − 13)/49.
    expect(again.body.current).toMatchObject({ n: 49, promoters: 26, detractors: 13, suppressed: false });
    expect(again.body.current.nps).toBeCloseTo((100 * 13) / 49, 9);
    expect(await db(t.tenantId).select().from(reviewPacks).where(eq(reviewPacks.tenantId, t.tenantId))).toHaveLength(1);
  });
});

describe('scope and open quarters', () => {
  it("the EMEA manager's pack of EMEA counts EMEA's answers only, and is saved apart", async () => {
    const res = await review('2026-Q3', `?unitId=${t.units.emea}`, t.tokens.manager);
    expect(res.status).toBe(200);
    // Berlin's 30 and Paris's 10: promoters 14 + 6, detractors 9 + 3 of 40: 100·8/40 = 20 (the exclusion above made before this pack was saved: 39 answers, 19 promoters).
    const emea = count(scoresOf((p) => (p.unit === 'berlin' || p.unit === 'paris') && p.month >= 7));
    expect(emea).toMatchObject({ n: 40, promoters: 20, detractors: 12 });
    expect(res.body.pack.score).toMatchObject({ n: 39, promoters: 19, detractors: 12 });
    expect(res.body.pack.score.nps).toBeCloseTo((100 * 7) / 39, 9);
    // The exclusion made after the close but before this pack was saved is listed, and counted in it.
    expect(res.body.corrections).toMatchObject([{ change: 'excluded', inPack: true }]);
    expect(res.body.current).toBeNull();
  });

  it('an open quarter is computed on each read and saved nowhere', async () => {
    const today = new Date();
    const quarter = `${today.getUTCFullYear()}-Q${Math.floor(today.getUTCMonth() / 3) + 1}`;
    const res = await review(quarter);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ period: quarter, status: 'open', savedAt: null, corrections: [], current: null });
    expect(
      await db(t.tenantId)
        .select()
        .from(reviewPacks)
        .where(and(eq(reviewPacks.tenantId, t.tenantId), eq(reviewPacks.period, quarter))),
    ).toHaveLength(0);
  });
});

describe('bad input and reach', () => {
  it('a period that does not parse, or a quarter not started: 422 with the envelope, nothing saved', async () => {
    for (const period of ['2026-Q5', '2026-07', 'last-quarter', '2026-Q3x', '1999-Q1', '2999-Q1']) {
      const res = await review(period);
      expect(res.status, period).toBe(422);
      expect(res.body.error.code).toBe('UNPROCESSABLE');
      expect(res.body.error.details[0].path).toBe('path.period');
    }
    expect((await review('2026-Q3', '?bogus=1')).status).toBe(400);
    expect((await db(t.tenantId).select().from(reviewPacks).where(eq(reviewPacks.tenantId, t.tenantId))).map((r) => r.period).sort()).toEqual(['2026-Q3', '2026-Q3']);
  });

  it("a unit outside the caller's reach: 404; roles that do not read the review: 403", async () => {
    expect((await review('2026-Q3', `?unitId=${t.units.americas}`, t.tokens.manager)).status).toBe(404);
    expect((await review('2026-Q3', `?unitId=${t.units.fastfix}`, t.tokens.otherVendor)).status).toBe(404);
    expect((await review('2026-Q3', '', t.tokens.viewer)).status).toBe(403);
    expect((await review('2026-Q3', `?unitId=${t.units.fastfix}`, t.tokens.vendor)).status).toBe(403);
    expect((await review('2026-Q3', `?unitId=${t.units.newYork}`, t.tokens.siteManager)).status).toBe(200);
  });
});

describe('the review pack by email, to each manager for their own domain', () => {
  /*
   * A tenant of its own whose units are all on Kiritimati (UTC+14): 2026-Q3 closes there at local
   * midnight of 8 October, 10:00 UTC on 7 October, and the pack is mailed from 08:00 local, 18:00
   * UTC. Units elsewhere (the other suites' tenants, in UTC and in Europe or America) are not due
   * before 8 October: at 18:30 UTC on 7 October this tenant's managers are the ones mailed.
   */
  let m: Fixture;
  let mail: ReturnType<typeof providerSpace>;
  const quiet = { send: async () => undefined, sendBatch: async () => undefined };
  const hourly = (at: number) => runCron('0 * * * *', at, { ...(env as Env), WORKFLOW_QUEUE: quiet, DELIVERY_QUEUE: quiet } as unknown as Env);
  const mails = async () => (await mail.requests()).map((r) => JSON.parse(r.body) as { to: string; subject: string; text: string });
  const BERLIN = [10, 10, 10, 9, 9, 8, 7, 6, 3, 0];
  const NEW_YORK = [10, 9, 6, 5, 4];

  beforeAll(async () => {
    m = await makeTenant('Review mail');
    mail = providerSpace();
    const mtp = await makeTouchpoint(m.tenantId);
    const d = db(m.tenantId);
    const answer = (unitId: string, score: number, k: number) => ({
      id: newId('rsp'),
      tenantId: m.tenantId,
      touchpointId: mtp.id,
      unitId,
      surveyId: mtp.surveyId,
      surveyVersion: 1,
      channel: 'link' as const,
      locale: 'en',
      score,
      counted: true,
      createdAt: Date.parse('2026-08-10T12:00:00Z') + k * 60_000,
      updatedAt: Date.parse('2026-08-10T12:00:00Z') + k * 60_000,
    });
    await commit(d, [
      d.insert(responses).values([...BERLIN.map((s, k) => answer(m.units.berlin!, s, k)), ...NEW_YORK.map((s, k) => answer(m.units.newYork!, s, 20 + k))]),
      d.update(units).set({ timezone: 'Pacific/Kiritimati' }).where(eq(units.tenantId, m.tenantId)),
      d
        .update(tenants)
        .set({ settings: { email: { baseUrl: mail.url, apiKey: 'mail-key-reviews-00', from: 'review@acme.test' } } })
        .where(eq(tenants.id, m.tenantId)),
    ]);
  });

  it('waits for 08:00 on the close day where the units are, then mails each manager their pack once', async () => {
    expect(reviewMailWindow(Date.parse('2026-10-07T18:30:00Z'))).toBe(true);
    expect(reviewMailWindow(Date.parse('2026-12-05T12:00:00Z'))).toBe(false);
    await hourly(Date.parse('2026-10-07T17:00:00Z'));
    expect(await mails()).toEqual([]);

    await hourly(Date.parse('2026-10-07T18:30:00Z'));
    const sent = await mails();
    // Only the managers: the EMEA manager (EMEA) and the New York site manager (New York); not the admin, analyst or viewer.
    expect(sent.map((s) => s.to).sort()).toEqual([m.email('manager'), m.email('siteManager')].sort());
    const emea = sent.find((s) => s.to === m.email('manager'))!;
    expect(emea.subject).toBe('Quarterly review: EMEA, 2026-Q3');
    // EMEA is Berlin's 10 answers: promoters 10,10,10,9,9 (5), detractors 6,3,0 (3): NPS 100·2/10 = 20.
    expect(emea.text).toContain('NPS 20.0 (95% interval');
    expect(emea.text).toContain('from 10 answers: 5 promoters, 2 passives, 3 detractors.');
    expect(emea.text).toContain(`#/review?unit=${m.units.emea}&period=2026-Q3`);
    const ny = sent.find((s) => s.to === m.email('siteManager'))!;
    expect(ny.subject).toBe('Quarterly review: New York, 2026-Q3');
    // New York: promoters 10, 9 (2), detractors 6, 5, 4 (3) of 5: NPS −20; nothing of EMEA in it.
    expect(ny.text).toContain('from 5 answers: 2 promoters, 0 passives, 3 detractors.');
    expect(ny.text).toContain('NPS -20.0');
    expect(ny.text).not.toContain('EMEA');
    expect(ny.text).not.toContain('Berlin');

    // The mailed packs are the saved ones, read as each manager.
    const saved = await db(m.tenantId).select().from(reviewPacks).where(eq(reviewPacks.tenantId, m.tenantId));
    expect(saved.map((s) => s.unitId).sort()).toEqual([m.units.emea, m.units.newYork].sort());
    const audits = await db(m.tenantId)
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, m.tenantId), eq(auditLog.action, 'review.save')));
    expect(audits.map((a) => (a.details as { readBy: string }).readBy).sort()).toEqual([m.userIds.manager, m.userIds.siteManager].sort());

    // Later runs in the window send nothing more.
    await hourly(Date.parse('2026-10-07T19:30:00Z'));
    expect(await mails()).toHaveLength(2);
    expect(await db(m.tenantId).select().from(reviewDeliveries).where(eq(reviewDeliveries.tenantId, m.tenantId))).toHaveLength(2);
  });
});
