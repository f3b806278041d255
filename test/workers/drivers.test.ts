import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { and, count, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, measureValues } from '../../src/db/schema';
import { HANDLERS } from '../../src/jobs/queue';
import worker from '../../src/worker';
import { independentWeights, leastSquaresR2, pearson } from '../independent-weights';
import { fullSurvey, makeSurvey, type SurveySetup } from './capture-fixture';
import { lcg, type PlantedAnswer, plantAnswers } from './measures-fixture';
import { call, db, type Fixture, makeTenant } from './support';

/*
 * Measures (definitions and daily values with per-row rejection) and key drivers through the
 * Worker. The expected weights are computed here from the planted data by an independent route
 * (test/independent-weights.ts), never read off the API.
 */

let t: Fixture;
let s: SurveySetup;
const DAY = 86_400_000;
const admin = () => t.tokens.admin;

beforeAll(async () => {
  t = await makeTenant('Drivers');
  s = await makeSurvey(t.tenantId, { definition: fullSurvey() });
});

const defineMeasure = (body: Record<string, unknown>, token = admin()) => call('POST', '/api/v1/measures', { token, body });

describe('measures', () => {
  it('an admin defines event and unit measures; a key is defined once; bad input changes nothing', async () => {
    const created = await defineMeasure({ key: 'resolutionHours', name: 'Resolution time', unit: 'hours', direction: 'lower_is_better', source: 'event' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ key: 'resolutionHours', source: 'event', direction: 'lower_is_better' });
    expect((await defineMeasure({ key: 'resolutionHours', name: 'Again', unit: 'hours', direction: 'lower_is_better', source: 'event' })).status).toBe(409);
    for (const bad of [
      { key: '1bad', name: 'x', unit: 'h', direction: 'lower_is_better', source: 'event' },
      { key: 'ok', name: 'x', unit: 'h', direction: 'sideways', source: 'event' },
      { key: 'ok', name: 'x', unit: 'h', direction: 'lower_is_better', source: 'survey' },
    ]) {
      const res = await defineMeasure(bad);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await defineMeasure({ key: 'sla', name: 'SLA', unit: '%', direction: 'higher_is_better', source: 'unit' }, t.tokens.manager)).status).toBe(403);
    expect((await defineMeasure({ key: 'reopened', name: 'Reopened', unit: '0/1', direction: 'lower_is_better', source: 'event' })).status).toBe(201);
    expect((await defineMeasure({ key: 'slaAdherence', name: 'SLA adherence', unit: '%', direction: 'higher_is_better', source: 'unit' })).status).toBe(201);
    const list = await call('GET', '/api/v1/measures', { token: t.tokens.manager });
    expect(list.body.items.map((m: any) => m.key)).toEqual(['reopened', 'resolutionHours', 'slaAdherence']);
  });

  const stored = async () => {
    const rows = await db(t.tenantId).select().from(measureValues).where(eq(measureValues.tenantId, t.tenantId));
    return rows.map((r) => `${r.unitId}|${r.day}|${r.value}`).sort();
  };

  it('daily values: each bad row reported with its reason, the good ones loaded, idempotent per unit and day', async () => {
    const other = await makeTenant('DriversOther');
    const values = [
      { unitId: t.units.berlin, date: '2025-03-01', value: 97.5 },
      { unitId: t.units.paris, date: '2025-03-01', value: 91 },
      { unitId: 'unit_nowhere', date: '2025-03-01', value: 90 }, // unknown unit
      { unitId: other.units.berlin, date: '2025-03-01', value: 90 }, // another tenant's unit
      { unitId: t.units.berlin, date: '2025-03-02', value: 'high' }, // not a number
      { unitId: t.units.berlin, date: '2025-02-30', value: 90 }, // not a calendar day
      { unitId: t.units.berlin, date: '1999-12-31', value: 90 }, // out of range
      { unitId: t.units.berlin, date: '2999-01-01', value: 90 }, // out of range
      { unitId: t.units.berlin, date: '2025-03-01', value: 12 }, // the same unit and day again
    ];
    const res = await call('PUT', '/api/v1/measures/slaAdherence/values', { token: admin(), body: { values } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected.map((r: any) => r.row)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(res.body.rejected[0].reason).toMatch(/not found/);
    expect(res.body.rejected[1].reason).toMatch(/not found/);
    expect(res.body.rejected[2].reason).toMatch(/number/);
    expect(res.body.rejected[3].reason).toMatch(/calendar day/);
    expect(res.body.rejected[4].reason).toMatch(/out of range/);
    expect(res.body.rejected[5].reason).toMatch(/out of range/);
    expect(res.body.rejected[6].reason).toMatch(/row 1/);
    expect(await stored()).toEqual([`${t.units.berlin}|2025-03-01|97.5`, `${t.units.paris}|2025-03-01|91`].sort());

    // A replay changes nothing; a new value for the same unit and day replaces the old one.
    await call('PUT', '/api/v1/measures/slaAdherence/values', { token: admin(), body: { values: values.slice(0, 2) } });
    expect(await stored()).toHaveLength(2);
    await call('PUT', '/api/v1/measures/slaAdherence/values', { token: admin(), body: { values: [{ unitId: t.units.berlin, date: '2025-03-01', value: 98 }] } });
    expect(await stored()).toContain(`${t.units.berlin}|2025-03-01|98`);

    // CSV: line numbers, the header is line 1.
    const csv = `unitId,date,value\n${t.units.newYork},2025-03-01,88.5\n${t.units.newYork},2025-03-02,n/a\n`;
    const fromCsv = await call('PUT', '/api/v1/measures/slaAdherence/values', { token: admin(), rawBody: csv, headers: { 'content-type': 'text/csv' } });
    expect(fromCsv.status, JSON.stringify(fromCsv.body)).toBe(200);
    expect(fromCsv.body).toEqual({ accepted: 1, rejected: [{ row: 3, unitId: t.units.newYork, date: '2025-03-02', reason: expect.stringMatching(/number/) }] });

    // The EMEA manager loads nothing (admins only).
    const manager = await call('PUT', '/api/v1/measures/slaAdherence/values', { token: t.tokens.manager, body: { values: [{ unitId: t.units.berlin, date: '2025-03-05', value: 1 }] } });
    expect(manager.status).toBe(403);
    expect(await stored()).toHaveLength(3);
  });

  it('a batch over its limit, an unknown measure, an event measure: refused whole, nothing written', async () => {
    const before = await stored();
    const audits = async () =>
      (
        await db(t.tenantId)
          .select({ n: count() })
          .from(auditLog)
          .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.action, 'measure.values')))
      )[0]!.n;
    const auditsBefore = await audits();
    const many = Array.from({ length: 10_001 }, (_, i) => ({ unitId: t.units.berlin, date: new Date(Date.UTC(2001, 0, 1) + i * DAY).toISOString().slice(0, 10), value: i }));
    const tooMany = await call('PUT', '/api/v1/measures/slaAdherence/values', { token: admin(), body: { values: many } });
    expect(tooMany.status).toBe(413);
    const unknown = await call('PUT', '/api/v1/measures/nothing/values', { token: admin(), body: { values: [{ unitId: t.units.berlin, date: '2025-03-01', value: 1 }] } });
    expect(unknown.status).toBe(404);
    const event = await call('PUT', '/api/v1/measures/resolutionHours/values', { token: admin(), body: { values: [{ unitId: t.units.berlin, date: '2025-03-01', value: 1 }] } });
    expect(event.status).toBe(422);
    expect(await stored()).toEqual(before);
    expect(await audits()).toBe(auditsBefore);
  });
});

/** Planted answers in Berlin: hours to resolve and reopening drive the score, CSAT goes with it, CES is noise on a few answers. */
function plantedAnswers(n: number, seed: number, start: number): PlantedAnswer[] {
  const next = lcg(seed);
  return Array.from({ length: n }, (_, i) => {
    const hours = 1 + Math.floor(next() * 72);
    const reopened = next() < 0.25;
    const sat = Math.min(5, Math.max(1, Math.round(5 - hours / 24 - (reopened ? 1 : 0) + next() * 1.5)));
    const score = Math.min(10, Math.max(0, Math.round(10 - hours / 12 - (reopened ? 2 : 0) + sat / 2 + (next() - 0.5) * 4)));
    // CES on one answer in five: under half the answers, so it does not enter.
    const answers: Record<string, unknown> = { sat, ...(i % 5 === 0 ? { effort: 1 + Math.floor(next() * 7) } : {}) };
    return { unitId: (i % 2 ? t.units.berlin : t.units.paris)!, at: start + i * 60_000, score, attributes: { resolutionHours: hours, reopened, channel: 'phone' }, answers };
  });
}

describe('key drivers', () => {
  const from = '2024-05-01';
  const to = '2024-05-31';
  const start = Date.parse('2024-05-10T08:00:00Z');
  let planted: PlantedAnswer[];

  beforeAll(async () => {
    planted = plantedAnswers(160, 11, start);
    await plantAnswers(t.tenantId, s, planted);
  });

  it('relative weights of the event measures and CSAT equal an independent computation; they sum to R²', async () => {
    const res = await call('GET', `/api/v1/drivers?unitId=${t.units.emea}&from=${from}&to=${to}`, { token: t.tokens.manager });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ n: 160, method: 'johnson-relative-weights', suppressed: false });
    // Columns in the module's order (event measures by key, then questions by id): reopened, resolutionHours, sat.
    const columns = [
      planted.map((a) => (a.attributes!.reopened ? 1 : 0)),
      planted.map((a) => a.attributes!.resolutionHours as number),
      planted.map((a) => a.answers!.sat as number),
      planted.map((a) => a.score),
    ];
    const expected = independentWeights(columns);
    const r = pearson(columns);
    const byDriver = new Map(res.body.items.map((i: any) => [i.driver, i]));
    expect([...byDriver.keys()].sort()).toEqual(['reopened', 'resolutionHours', 'sat']);
    ['reopened', 'resolutionHours', 'sat'].forEach((name, j) => {
      const item = byDriver.get(name) as any;
      expect(item.kind).toBe(name === 'sat' ? 'question' : 'measure');
      expect(item.weight).toBeCloseTo(expected[j]!, 9);
      expect(item.correlation).toBeCloseTo(r[j]![3]!, 9);
      expect(item.share).toBeCloseTo(expected[j]! / leastSquaresR2(columns), 9);
      expect(item.ci.low).toBeLessThanOrEqual(item.weight);
      expect(item.ci.high).toBeGreaterThanOrEqual(item.weight);
    });
    expect(res.body.r2).toBeCloseTo(leastSquaresR2(columns), 9);
    // Largest weight first; hours to resolve is planted as the strongest driver and is significant.
    expect(res.body.items[0].driver).toBe('resolutionHours');
    expect(res.body.items[0].significant).toBe(true);
  });

  it('kept until new answers arrive in the scope: the same computedAt, then a new one', async () => {
    const q = `/api/v1/drivers?unitId=${t.units.emea}&from=${from}&to=${to}`;
    const a = await call('GET', q, { token: admin() });
    const b = await call('GET', q, { token: admin() });
    expect(b.body).toEqual(a.body);
    // An answer elsewhere (New York) does not touch this scope.
    await plantAnswers(t.tenantId, s, [{ unitId: t.units.newYork!, at: start, score: 3, attributes: { resolutionHours: 5, reopened: false }, answers: { sat: 2 } }]);
    expect((await call('GET', q, { token: admin() })).body.computedAt).toBe(a.body.computedAt);
    await plantAnswers(t.tenantId, s, [{ unitId: t.units.berlin!, at: start + 3600_000, score: 9, attributes: { resolutionHours: 2, reopened: false }, answers: { sat: 5 } }]);
    const c = await call('GET', q, { token: admin() });
    expect(c.body.n).toBe(161);
    expect(c.body.computedAt).not.toBe(a.body.computedAt);
  });

  it('suppressed below 100 complete answers and with a constant predictor', async () => {
    // Paris alone holds 80 of the planted answers.
    const few = await call('GET', `/api/v1/drivers?unitId=${t.units.paris}&from=${from}&to=${to}`, { token: admin() });
    expect(few.body).toMatchObject({ n: 80, r2: null, items: [], suppressed: true, suppressedReason: 'below_min_n' });
    // A month where nothing was ever reopened.
    const june = Date.parse('2024-06-03T08:00:00Z');
    await plantAnswers(
      t.tenantId,
      s,
      plantedAnswers(120, 5, june).map((a) => ({ ...a, attributes: { ...a.attributes, reopened: false } })),
    );
    const constant = await call('GET', `/api/v1/drivers?unitId=${t.units.emea}&from=2024-06-01&to=2024-06-30`, { token: admin() });
    expect(constant.body).toMatchObject({ n: 120, suppressed: true, suppressedReason: 'constant_predictor' });
  });

  it('reach: outside it 404, without score reading 403; bad input 400', async () => {
    expect((await call('GET', `/api/v1/drivers?unitId=${t.units.newYork}`, { token: t.tokens.manager })).status).toBe(404);
    expect((await call('GET', `/api/v1/drivers?unitId=${t.units.berlin}`, { token: t.tokens.agent })).status).toBe(403);
    expect((await call('GET', `/api/v1/drivers?unitId=${t.units.emea}&from=2024-06-01&to=2024-05-01`, { token: admin() })).status).toBe(400);
    expect((await call('GET', `/api/v1/drivers?unitId=${t.units.emea}&touchpointId=tp_nowhere`, { token: admin() })).status).toBe(404);
  });

  it('a scope over the inline limit is computed by a queue job: 202, then the result', async () => {
    const sent: any[] = [];
    const e = { ...env, DRIVERS_INLINE_MAX: '100', WORKFLOW_QUEUE: { send: async (m: unknown) => void sent.push(m) } };
    const get = async () => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`http://nps.test/api/v1/drivers?unitId=${t.units.root}&from=${from}&to=${to}`, { headers: { authorization: `Bearer ${admin()}` } }), e as never, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
    };
    const first = await get();
    expect(first.status).toBe(202);
    expect(first.retryAfter).toBeTruthy();
    expect(sent).toHaveLength(1);
    expect((await get()).status).toBe(202);
    expect(sent).toHaveLength(1); // pending: not enqueued twice
    await HANDLERS['drivers.compute']!(sent[0], e as never);
    const done = await get();
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ n: 162, suppressed: false });
  });
});
