import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tenants } from '../../src/db/schema';
import { spearman } from '../../src/measures/spearman';
import { makeSurvey, type SurveySetup } from './capture-fixture';
import { lcg, type PlantedAnswer, plantAnswers } from './measures-fixture';
import { call, db, type Fixture, makeTenant } from './support';

/*
 * KPI correlation and the efficiency quadrant through the Worker, on planted data: the root's
 * four children over the twelve months of 2024, the measure of month t deciding the NPS of
 * month t + 2 (it leads by two periods), everything else noise.
 */

let t: Fixture;
let s: SurveySetup;
const CHILDREN = ['emea', 'americas', 'fastfix', 'quickserve'] as const;
const MONTHS = Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}`);
/** The measure per child and month: an integer 0..10. */
const measure = new Map<string, number[]>();
/** Promoters of the ten planted answers per child and month (the rest detractors): NPS = 20·k − 100. */
const promoters = new Map<string, number[]>();

beforeAll(async () => {
  t = await makeTenant('Correlation');
  s = await makeSurvey(t.tenantId);
  // Ten answers per child and month are enough here (the default minimum is 30).
  await db(t.tenantId)
    .update(tenants)
    .set({ settings: { minResponses: 10 } })
    .where(eq(tenants.id, t.tenantId));
  const next = lcg(2024);
  const planted: PlantedAnswer[] = [];
  const values: { unitId: string; date: string; value: number }[] = [];
  for (const c of CHILDREN) {
    const m = MONTHS.map(() => Math.floor(next() * 11));
    // The NPS of month i follows the measure of month i − 2; the first two months are noise.
    const k = MONTHS.map((_, i) => (i >= 2 ? m[i - 2]! : Math.floor(next() * 11)));
    measure.set(c, m);
    promoters.set(c, k);
    MONTHS.forEach((month, i) => {
      values.push({ unitId: t.units[c]!, date: `${month}-15`, value: m[i]! });
      for (let a = 0; a < 10; a++)
        planted.push({ unitId: t.units[c]!, at: Date.parse(`${month}-10T10:00:00Z`) + a * 60_000, score: a < k[i]! ? 10 : 0, attributes: { firstResponseMinutes: 100 - 5 * m[i]! } });
    });
  }
  await plantAnswers(t.tenantId, s, planted);
  expect(
    (await call('POST', '/api/v1/measures', { token: t.tokens.admin, body: { key: 'slaAdherence', name: 'SLA adherence', unit: '%', direction: 'higher_is_better', source: 'unit' } })).status,
  ).toBe(201);
  expect(
    (await call('POST', '/api/v1/measures', { token: t.tokens.admin, body: { key: 'firstResponseMinutes', name: 'First response', unit: 'minutes', direction: 'lower_is_better', source: 'event' } }))
      .status,
  ).toBe(201);
  const put = await call('PUT', '/api/v1/measures/slaAdherence/values', { token: t.tokens.admin, body: { values } });
  expect(put.body).toEqual({ accepted: 48, rejected: [] });
});

/** The expected ρ at a lag from the planted numbers: NPS of month i against the measure of month i − lag. */
function expectedRho(lag: number) {
  const x: number[] = [];
  const y: number[] = [];
  for (const c of CHILDREN)
    MONTHS.forEach((_, i) => {
      if (i - lag < 0 || i - lag >= MONTHS.length) return;
      x.push(measure.get(c)![i - lag]!);
      y.push(20 * promoters.get(c)![i]! - 100);
    });
  return { ...spearman(x, y)!, pairs: x.length };
}

describe('KPI correlation', () => {
  it('a measure planted to lead NPS by two months is named leading at lag 2', async () => {
    const res = await call('GET', `/api/v1/measures/slaAdherence/correlation?unitId=${t.units.root}&from=2024-01-01&to=2024-12-31&period=month`, { token: t.tokens.admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.relation).toBe('leading');
    expect(res.body.lag).toBe(2);
    const two = res.body.lags.find((l: any) => l.lag === 2);
    // 4 children × 10 months with a measure two months before; the planted NPS is a monotone function of it.
    expect(two.rho).toBeCloseTo(1, 12);
    expect(expectedRho(2).pairs).toBe(40);
    // Every lag as a direct recount of the planted numbers says.
    for (const l of res.body.lags) {
      const e = expectedRho(l.lag);
      expect(l.rho).toBeCloseTo(e.rho, 10);
      expect(l.p).toBeCloseTo(e.p, 10);
    }
    expect(res.body.lags.map((l: any) => l.lag).sort((a: number, b: number) => a - b)).toEqual([-3, -2, -1, 1, 2, 3]);
    const same = expectedRho(0);
    expect(res.body).toMatchObject({ pairs: 48 });
    expect(res.body.rho).toBeCloseTo(same.rho, 10);
  });

  it('an event measure: the mean over the answers its events invited, with the same lead', async () => {
    // firstResponseMinutes = 100 − 5·m: a decreasing function of the measure, so ρ = −1 at lag 2.
    const res = await call('GET', `/api/v1/measures/firstResponseMinutes/correlation?unitId=${t.units.root}&from=2024-01-01&to=2024-12-31&period=month`, { token: t.tokens.admin });
    expect(res.body.relation).toBe('leading');
    expect(res.body.lag).toBe(2);
    expect(res.body.lags.find((l: any) => l.lag === 2).rho).toBeCloseTo(-1, 12);
  });

  it('no relation named below 20 pairs', async () => {
    // One quarter: 4 children × 3 months = 12 pairs at most.
    const res = await call('GET', `/api/v1/measures/slaAdherence/correlation?unitId=${t.units.root}&from=2024-01-01&to=2024-03-31&period=month`, { token: t.tokens.admin });
    expect(res.body.pairs).toBe(12);
    expect(res.body.relation).toBeNull();
  });

  it('the series: NPS and the measure per child and month', async () => {
    const res = await call('GET', `/api/v1/measures/slaAdherence/series?unitId=${t.units.root}&from=2024-01-01&to=2024-12-31&period=month`, { token: t.tokens.admin });
    const emeaMarch = res.body.items.find((p: any) => p.unitId === t.units.emea && p.period === '2024-03');
    expect(emeaMarch).toEqual({ unitId: t.units.emea, period: '2024-03', nps: 20 * promoters.get('emea')![2]! - 100, n: 10, measure: measure.get('emea')![2] });
  });

  it('reach and bad input', async () => {
    // The EMEA manager sees EMEA's children only; the root answers 404.
    expect((await call('GET', `/api/v1/measures/slaAdherence/correlation?unitId=${t.units.root}`, { token: t.tokens.manager })).status).toBe(404);
    expect((await call('GET', `/api/v1/measures/slaAdherence/correlation?unitId=${t.units.emea}`, { token: t.tokens.manager })).status).toBe(200);
    expect((await call('GET', `/api/v1/measures/nothing/correlation?unitId=${t.units.root}`, { token: t.tokens.admin })).status).toBe(404);
    expect((await call('GET', `/api/v1/measures/slaAdherence/correlation?unitId=${t.units.root}&period=year`, { token: t.tokens.admin })).status).toBe(400);
  });
});

describe('efficiency quadrant', () => {
  it('each child against the medians of NPS and of the measure', async () => {
    const res = await call('GET', `/api/v1/measures/slaAdherence/quadrant?unitId=${t.units.root}&from=2024-01-01&to=2024-12-31`, { token: t.tokens.admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Recount: NPS over the year = (promoters − detractors)/120·100; the measure = the mean of the twelve values.
    const rows = CHILDREN.map((c) => {
      const k = promoters.get(c)!.reduce((a, b) => a + b, 0);
      return { c, nps: ((k - (120 - k)) / 120) * 100, m: measure.get(c)!.reduce((a, b) => a + b, 0) / 12 };
    });
    const median = (xs: number[]) => {
      const v = [...xs].sort((a, b) => a - b);
      return (v[1]! + v[2]!) / 2;
    };
    const npsMedian = median(rows.map((r) => r.nps));
    const mMedian = median(rows.map((r) => r.m));
    expect(res.body.medians.nps).toBeCloseTo(npsMedian, 10);
    expect(res.body.medians.measure).toBeCloseTo(mMedian, 10);
    for (const r of rows) {
      const item = res.body.items.find((i: any) => i.unitId === t.units[r.c]);
      expect(item.nps).toBeCloseTo(r.nps, 10);
      expect(item.n).toBe(120);
      expect(item.ci.low).toBeLessThan(item.nps);
      expect(item.measure).toBeCloseTo(r.m, 10);
      expect(item.quadrant).toBe(`${r.nps >= npsMedian ? 'high' : 'low'}_nps_${r.m >= mMedian ? 'efficient' : 'inefficient'}`);
    }
  });
});
