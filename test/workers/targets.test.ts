import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { responses, surveys, targetAttainments, touchpoints } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import { call, db, type Fixture, makeTenant, runCron } from './support';

/**
 * Targets with bands (issue 17, items 2–4): setting them (bad input refused), attainment with the
 * interval and the band reached with confidence or within noise, the close that freezes a
 * period's attainment (an exclusion afterwards is listed, never applied to the record),
 * sustained improvement, and the rebaseline after a process change. Expected numbers come from
 * the hand formulas below (adjusted Wald, docs/scoring.md §4.1), not from the API.
 */

let t: Fixture;
let other: Fixture;
let tp: string;
let sid: string;
const Z95 = 1.959963984540054;
const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const YEAR = new Date().getUTCFullYear();

/** The adjusted-Wald interval of P promoters, A passives, D detractors, written out. */
function wald(p: number, a: number, d: number) {
  const m = p + a + d + 3;
  const pp = (p + 0.75) / m;
  const pm = (d + 0.75) / m;
  const centre = pp - pm;
  const half = Z95 * Math.sqrt((pp + pm - centre * centre) / m);
  return { low: Math.max(-100, 100 * (centre - half)), high: Math.min(100, 100 * (centre + half)) };
}

const ids: Record<string, string[]> = {};
async function plant(unit: keyof Fixture['units'], at: number, [p, a, d]: [number, number, number], tag?: string) {
  const rows = [...Array.from({ length: p }, () => 10), ...Array.from({ length: a }, () => 8), ...Array.from({ length: d }, () => 2)].map((score) => ({
    id: newId('rsp'),
    tenantId: t.tenantId,
    touchpointId: tp,
    unitId: t.units[unit]!,
    surveyId: sid,
    surveyVersion: 1,
    channel: 'email' as const,
    locale: 'en',
    score,
    counted: true,
    createdAt: at,
    updatedAt: at,
  }));
  await db().insert(responses).values(rows);
  if (tag) ids[tag] = rows.map((r) => r.id);
}

const put = (unit: string, body: unknown, token = t.tokens.admin) => call('PUT', `/api/v1/units/${unit}/targets`, { token, body });
const attain = (qs: string, token = t.tokens.admin) => call('GET', `/api/v1/targets/attainment?${qs}`, { token });
const noon = (day: string) => Date.parse(`${day}T12:00:00Z`);

beforeAll(async () => {
  [t, other] = await Promise.all([makeTenant('Targets'), makeTenant('OtherTargets')]);
  const d = db();
  const now = Date.now();
  sid = newId('srv');
  tp = newId('tp');
  await commit(d, [
    d.insert(surveys).values({ id: sid, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(touchpoints).values({ id: tp, tenantId: t.tenantId, key: 'tp', name: 'TP', kind: 'site_visit', surveyId: sid, channels: ['email'], createdAt: now, updatedAt: now }),
  ]);
  // March 2025 (long closed whatever the day the suite runs): Berlin 30/10/10 (NPS 40),
  // Paris 45/5/0 (NPS 90), New York 2/6/12 (NPS −50), FastFix 8/2/0 (NPS 80).
  await plant('berlin', noon('2025-03-10'), [30, 10, 10], 'berlinMarch');
  await plant('paris', noon('2025-03-11'), [45, 5, 0]);
  await plant('newYork', noon('2025-03-12'), [2, 6, 12]);
  await plant('fastfix', noon('2025-03-13'), [8, 2, 0]);
  // Berlin's months before: Nov 2/4/14 (−60), Dec 6/4/10 (−20), Jan 10/5/5 (25), Feb 12/4/4 (40).
  await plant('berlin', noon('2024-11-10'), [2, 4, 14]);
  await plant('berlin', noon('2024-12-10'), [6, 4, 10]);
  await plant('berlin', noon('2025-01-10'), [10, 5, 5]);
  await plant('berlin', noon('2025-02-10'), [12, 4, 4]);
});

describe('setting targets', () => {
  it('an admin sets a band; the same period again replaces it; audited; managers read them', async () => {
    const res = await put(t.units.berlin!, { period: '2025-03', threshold: 0, target: 20, stretch: 40, basis: 'nps' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      unitId: t.units.berlin,
      period: '2025-03',
      from: '2025-03-01',
      to: '2025-03-31',
      basis: 'nps',
      threshold: 0,
      target: 20,
      stretch: 40,
      closed: false,
      baseline: null,
    });
    const again = await put(t.units.berlin!, { period: '2025-03', threshold: 0, target: 20, stretch: 40 });
    expect(again.body.id).toBe(res.body.id);
    const list = await call('GET', `/api/v1/units/${t.units.berlin}/targets`, { token: t.tokens.manager });
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: any) => x.period)).toEqual(['2025-03']);
    const audit = (await call('GET', `/api/v1/audit-log?targetType=target&targetId=${res.body.id}`, { token: t.tokens.admin })).body.items;
    expect(audit.map((a: any) => a.action)).toEqual(['target.set', 'target.set']);
    for (const [unit, body] of [
      [t.units.paris, { period: '2025-03', threshold: 0, target: 20, stretch: 40 }],
      [t.units.newYork, { period: '2025-03', threshold: 0, target: 20, stretch: 40 }],
      [t.units.fastfix, { period: '2025-03', threshold: 50, target: 60, stretch: 70, basis: 'composite' }],
      [t.units.berlin, { period: '2025', threshold: -10, target: 10, stretch: 30 }],
    ] as const)
      expect((await put(unit!, body)).status).toBe(200);
  });

  it('refuses bands out of order, periods that do not parse, composite on a site, other tenants and other roles; changes nothing', async () => {
    const bad: [unknown, number, string][] = [
      [{ period: '2025-04', threshold: 0, target: 40, stretch: 20 }, 400, 'body.stretch'],
      [{ period: '2025-04', threshold: 30, target: 20, stretch: 40 }, 400, 'body.target'],
      [{ period: '2025-13', threshold: 0, target: 20, stretch: 40 }, 400, 'body.period'],
      [{ period: '2025-Q5', threshold: 0, target: 20, stretch: 40 }, 400, 'body.period'],
      [{ period: 'Q1-2025', threshold: 0, target: 20, stretch: 40 }, 400, 'body.period'],
      [{ period: '2025-04', threshold: 0, target: 20, stretch: 140 }, 400, 'body.stretch'],
      [{ period: '2025-04', threshold: 0, target: 20 }, 400, 'body.stretch'],
      [{ period: '2025-04', threshold: 0, target: 20, stretch: 40, basis: 'composite' }, 422, 'body.basis'],
    ];
    for (const [body, status, path] of bad) {
      const res = await put(t.units.berlin!, body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      expect(res.body.error.details.map((x: any) => x.path)).toContain(path);
    }
    expect((await put(other.units.berlin!, { period: '2025-04', threshold: 0, target: 20, stretch: 40 })).status).toBe(404);
    expect((await put(t.units.berlin!, { period: '2025-04', threshold: 0, target: 20, stretch: 40 }, t.tokens.manager)).status).toBe(403);
    expect((await call('GET', `/api/v1/units/${t.units.berlin}/targets`, { token: t.tokens.agent })).status).toBe(403);
    const list = await call('GET', `/api/v1/units/${t.units.berlin}/targets`, { token: t.tokens.admin });
    expect(list.body.items.map((x: any) => x.period)).toEqual(['2025', '2025-03']);
  });
});

describe('attainment', () => {
  it('per unit: NPS with interval and n, the band reached, with confidence or within noise', async () => {
    const res = await attain('period=2025-03');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ period: '2025-03', from: '2025-03-01', to: '2025-03-31' });
    const byUnit = Object.fromEntries(res.body.items.map((i: any) => [i.unitName, i]));
    expect(Object.keys(byUnit).sort()).toEqual(['Berlin', 'FastFix', 'New York', 'Paris']);

    // Berlin 30/10/10: NPS 40 reaches the stretch (40) by its point estimate, but its lower bound
    // (≈ 16.2) only clears the threshold (0): within noise, and the threshold with confidence.
    const berlin = byUnit.Berlin;
    const ciB = wald(30, 10, 10);
    expect(berlin).toMatchObject({ status: 'closing', n: 50, nps: 40, value: 40, band: 'stretch', reached: 'within_noise', bandWithConfidence: 'threshold' });
    expect(berlin.ci.low).toBeCloseTo(ciB.low, 9);
    expect(berlin.ci.high).toBeCloseTo(ciB.high, 9);
    expect(ciB.low).toBeGreaterThan(0);
    expect(ciB.low).toBeLessThan(20);
    // Paris 45/5/0: NPS 90, lower bound ≈ 74.3 ≥ 40: the stretch with confidence.
    expect(wald(45, 5, 0).low).toBeGreaterThan(40);
    expect(byUnit.Paris).toMatchObject({ nps: 90, band: 'stretch', reached: 'with_confidence', bandWithConfidence: 'stretch' });
    // New York 2/6/12: NPS −50, upper bound ≈ −15 < 0: below the threshold with confidence.
    expect(wald(2, 6, 12).high).toBeLessThan(0);
    expect(byUnit['New York']).toMatchObject({ nps: -50, band: 'below_threshold', reached: 'with_confidence', bandWithConfidence: 'below_threshold' });
    // FastFix, composite: no cases, so the index is (NPS + 100)/2 = 90 and its interval the NPS interval mapped the same way.
    const ciF = wald(8, 2, 0);
    const fastfix = byUnit.FastFix;
    expect(fastfix).toMatchObject({ nps: 80, value: 90, band: 'stretch', lowSample: true });
    expect(fastfix.valueCi.low).toBeCloseTo((ciF.low + 100) / 2, 9);
    expect(fastfix.valueCi.high).toBeCloseTo((ciF.high + 100) / 2, 9);
    expect(fastfix.reached).toBe((ciF.low + 100) / 2 >= 70 ? 'with_confidence' : 'within_noise');

    // The EMEA manager sees EMEA's units only; the year 2025 target of Berlin in its own period.
    const emea = await attain(`unitId=${t.units.emea}&period=2025-03`, t.tokens.manager);
    expect(emea.body.items.map((i: any) => i.unitName).sort()).toEqual(['Berlin', 'Paris']);
    const year = await attain(`unitId=${t.units.berlin}&period=2025`);
    expect(year.body.items).toHaveLength(1);
    // 2025: January 20, February 20, March 50 answers.
    expect(year.body.items[0]).toMatchObject({ n: 90, target: { period: '2025' } });
    expect((await attain('period=2025-3')).status).toBe(400);
    expect((await attain(`unitId=${other.units.berlin}&period=2025-03`)).status).toBe(404);
  });

  it('sustained improvement: the last periods against the baseline, with the weighted trend', async () => {
    const res = await attain(`unitId=${t.units.berlin}&period=2025-03`);
    const s = res.body.items[0].sustained;
    // Baseline: November 2024 (2/4/14, NPS −60), the period before the four.
    expect(s.baseline).toEqual({ nps: -60, source: 'previous_period', period: '2024-11' });
    expect(s.periods.map((p: any) => [p.period, p.n, p.nps])).toEqual([
      ['2024-12', 20, -20],
      ['2025-01', 20, 25],
      ['2025-02', 20, 40],
      ['2025-03', 50, 40],
    ]);
    // Each lower bound above −60? December's: by hand, 6/4/10.
    expect(wald(6, 4, 10).low).toBeGreaterThan(-60);
    expect(s.shareAboveBaseline).toBe(1);
    expect(s.shareAboveBaselineWithConfidence).toBe(1);
    // The weighted least-squares slope, by its normal equations with adjusted-Wald variances.
    const pts = [
      [6, 4, 10],
      [10, 5, 5],
      [12, 4, 4],
      [30, 10, 10],
    ];
    let [s0, s1, s2, t0, t1] = [0, 0, 0, 0, 0];
    pts.forEach(([p, a, d], x) => {
      const m = p! + a! + d! + 3;
      const pp = (p! + 0.75) / m;
      const pm = (d! + 0.75) / m;
      const w = 1 / ((10_000 * (pp + pm - (pp - pm) ** 2)) / m);
      const y = (100 * (p! - d!)) / (p! + a! + d!);
      [s0, s1, s2, t0, t1] = [s0 + w, s1 + w * x, s2 + w * x * x, t0 + w * y, t1 + w * x * y];
    });
    const det = s0 * s2 - s1 * s1;
    expect(s.trend.slopePerPeriod).toBeCloseTo((s0 * t1 - s1 * t0) / det, 9);
    expect(s.trend.ci.high - s.trend.slopePerPeriod).toBeCloseTo(Z95 * Math.sqrt(s0 / det), 9);
    expect(s.trend.p).toBeLessThan(0.05);
    // Five periods: the baseline would be October 2024, which has no answers: no shares.
    const five = (await attain(`unitId=${t.units.berlin}&period=2025-03&periods=5`)).body.items[0].sustained;
    expect(five.baseline).toBeNull();
    expect(five.shareAboveBaseline).toBeNull();
    expect(five.periods).toHaveLength(5);
  });
});

describe('closing a period', () => {
  it('freezes the attainment; an answer excluded later is listed as a correction and never moves the record', async () => {
    await runCron('0 3 * * *');
    const closed = (await attain(`unitId=${t.units.berlin}&period=2025-03`)).body.items[0];
    expect(closed).toMatchObject({ status: 'closed', n: 50, nps: 40, band: 'stretch', corrections: [], current: null });
    expect(closed.closedAt).toEqual(expect.any(String));
    const [row] = (await call('GET', `/api/v1/audit-log?targetType=target&targetId=${closed.target.id}`, { token: t.tokens.admin })).body.items;
    expect(row).toMatchObject({ action: 'target.close', actorType: 'system' });

    const excluded = ids.berlinMarch![0]!;
    const ex = await call('POST', `/api/v1/responses/${excluded}/exclude`, { token: t.tokens.admin, body: { reason: 'Test response from staff' } });
    expect(ex.status, JSON.stringify(ex.body)).toBe(200);
    const after = (await attain(`unitId=${t.units.berlin}&period=2025-03`)).body.items[0];
    // The record stands: 50 answers, NPS 40, the same interval.
    expect(after).toMatchObject({ status: 'closed', n: 50, nps: 40, promoters: 30, band: 'stretch', ci: closed.ci });
    expect(after.corrections).toEqual([{ at: expect.any(String), change: 'excluded', responseId: excluded, score: 10, reason: 'Test response from staff', actorId: t.userIds.admin }]);
    // Beside it, the recomputation: 29/10/10 → 100·19/49.
    expect(after.current).toMatchObject({ n: 49, promoters: 29 });
    expect(after.current.nps).toBeCloseTo((100 * 19) / 49, 12);

    // Closed: the target no longer changes, and a second close records nothing more.
    expect((await put(t.units.berlin!, { period: '2025-03', threshold: 0, target: 10, stretch: 20 })).status).toBe(409);
    await runCron('0 3 * * *');
    expect(await db().select().from(targetAttainments).where(eq(targetAttainments.targetId, closed.target.id))).toHaveLength(1);
    const closes = (await call('GET', `/api/v1/audit-log?targetType=target&targetId=${closed.target.id}`, { token: t.tokens.admin })).body.items.filter((a: any) => a.action === 'target.close');
    expect(closes).toHaveLength(1);
  });
});

describe('rebaselining after a process change', () => {
  it("moves the unit's open NPS targets by the change from before to the weeks after the grace; audited with the reason", async () => {
    // QuickServe: a process change 80 days ago; 8 weeks before it 10/10/20 (NPS −25), 8 weeks after
    // a 2-week grace 24/8/8 (NPS 40). Its targets for next year and next year's first quarter are open.
    const D = dayOf(Date.now() - 80 * DAY);
    await plant('quickserve', Date.parse(`${D}T12:00:00Z`) - 30 * DAY, [10, 10, 20]);
    await plant('quickserve', Date.parse(`${D}T12:00:00Z`) + 30 * DAY, [24, 8, 8]);
    // Inside the grace: left out.
    await plant('quickserve', Date.parse(`${D}T12:00:00Z`) + 3 * DAY, [0, 0, 10]);
    const year = await put(t.units.quickserve!, { period: String(YEAR + 1), threshold: -20, target: 0, stretch: 20 });
    const quarter = await put(t.units.quickserve!, { period: `${YEAR + 1}-Q1`, threshold: -10, target: 10, stretch: 30 });
    expect([year.status, quarter.status]).toEqual([200, 200]);
    const note = await call('POST', '/api/v1/annotations', { token: t.tokens.admin, body: { unitId: t.units.quickserve, date: D, kind: 'process_change', title: 'New dispatch' } });
    const release = await call('POST', '/api/v1/annotations', { token: t.tokens.admin, body: { unitId: t.units.quickserve, date: D, kind: 'release', title: 'App 2.0' } });
    const recent = await call('POST', '/api/v1/annotations', {
      token: t.tokens.admin,
      body: { unitId: t.units.quickserve, date: dayOf(Date.now() - 10 * DAY), kind: 'process_change', title: 'Too recent' },
    });
    const elsewhere = await call('POST', '/api/v1/annotations', { token: t.tokens.admin, body: { unitId: t.units.berlin, date: D, kind: 'process_change', title: 'Berlin change' } });
    const go = (body: unknown, token = t.tokens.admin) => call('POST', `/api/v1/units/${t.units.quickserve}/targets/rebaseline`, { token, body });

    expect((await go({ annotationId: release.body.id, reason: 'x' })).status).toBe(422);
    expect((await go({ annotationId: recent.body.id, reason: 'x' })).status).toBe(422);
    expect((await go({ annotationId: elsewhere.body.id, reason: 'x' })).status).toBe(422);
    expect((await go({ annotationId: note.body.id })).status).toBe(400);
    expect((await go({ annotationId: note.body.id, reason: 'x' }, t.tokens.viewer)).status).toBe(403);
    expect((await call('POST', `/api/v1/units/${other.units.quickserve}/targets/rebaseline`, { token: t.tokens.admin, body: { annotationId: note.body.id, reason: 'x' } })).status).toBe(404);
    expect((await call('GET', `/api/v1/units/${t.units.quickserve}/targets`, { token: t.tokens.admin })).body.items.map((x: any) => x.threshold)).toEqual([-20, -10]);

    const res = await go({ annotationId: note.body.id, reason: 'Dispatch redesigned: the old level no longer applies' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.before).toMatchObject({ n: 40, nps: -25 });
    expect(res.body.after).toMatchObject({ n: 40, nps: 40 });
    // 40 − (−25) = 65 points; z = 0.65/√(varA + varB) = 0.65/√((0.8 − 0.16)/40 + (0.75 − 0.0625)/40) ≈ 3.57, p < 0.001.
    expect(res.body.change.points).toBeCloseTo(65, 12);
    expect(res.body.change.p).toBeLessThan(0.001);
    const moved = Object.fromEntries(res.body.targets.map((x: any) => [x.period, [x.threshold, x.target, x.stretch, x.baseline, x.shift]]));
    expect(moved[String(YEAR + 1)]).toEqual([45, 65, 85, 40, 65]);
    expect(moved[`${YEAR + 1}-Q1`]).toEqual([55, 75, 95, 40, 65]);
    const audit = (await call('GET', `/api/v1/audit-log?targetType=target&targetId=${year.body.id}`, { token: t.tokens.admin })).body.items[0];
    expect(audit).toMatchObject({ action: 'target.rebaseline', details: { annotationId: note.body.id, reason: 'Dispatch redesigned: the old level no longer applies', shift: 65, baseline: 40 } });
    // The sustained improvement now stands against the rebaselined level.
    const att = (await attain(`unitId=${t.units.quickserve}&period=${YEAR + 1}`)).body.items[0];
    expect(att.sustained.baseline).toEqual({ nps: 40, source: 'rebaseline', period: null });
    expect(att.target).toMatchObject({ rebaselinedFrom: note.body.id, rebaselineReason: 'Dispatch redesigned: the old level no longer applies' });
  });
});
