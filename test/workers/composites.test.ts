import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tenants } from '../../src/db/schema';
import { makeSurvey } from './capture-fixture';
import { plantAnswers } from './measures-fixture';
import { call, db, type Fixture, makeTenant } from './support';

/* Composite indices for any unit: weights on a unit, inherited below it, the index recounted by hand. */

let t: Fixture;
const scores = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]; // 5 promoters, 3 detractors: NPS 20
const hours = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]; // mean 11

beforeAll(async () => {
  t = await makeTenant('Composite');
  const s = await makeSurvey(t.tenantId);
  await db(t.tenantId)
    .update(tenants)
    .set({ settings: { minResponses: 5 } })
    .where(eq(tenants.id, t.tenantId));
  await plantAnswers(
    t.tenantId,
    s,
    scores.map((score, i) => ({ unitId: t.units.berlin!, at: Date.parse(`2025-04-0${1 + (i % 9)}T10:00:00Z`), score, attributes: { resolutionHours: hours[i] } })),
  );
  for (const [key, source] of [
    ['sla', 'unit'],
    ['resolutionHours', 'event'],
  ] as const)
    expect(
      (await call('POST', '/api/v1/measures', { token: t.tokens.admin, body: { key, name: key, unit: 'x', direction: key === 'sla' ? 'higher_is_better' : 'lower_is_better', source } })).status,
    ).toBe(201);
  const values = [
    { unitId: t.units.berlin, date: '2025-04-02', value: 90 },
    { unitId: t.units.berlin, date: '2025-04-03', value: 95 },
  ];
  expect((await call('PUT', '/api/v1/measures/sla/values', { token: t.tokens.admin, body: { values } })).body.accepted).toBe(2);
});

const weights = {
  nps: 2,
  measures: [
    { key: 'sla', weight: 1, worst: 80, target: 100 },
    { key: 'resolutionHours', weight: 1, worst: 48, target: 4 },
  ],
};

describe('composite index', () => {
  it('weights set on EMEA hold for Berlin: the index recounted by hand', async () => {
    const set = await call('PUT', `/api/v1/composites/${t.units.emea}`, { token: t.tokens.admin, body: weights });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const res = await call('GET', `/api/v1/composites/${t.units.berlin}?from=2025-04-01&to=2025-04-30`, { token: t.tokens.manager });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // NPS 20 → 60; SLA mean 92.5 on 80..100 → 62.5; hours mean 11 on 48..4 → 100·37/44.
    const hoursComponent = (100 * (11 - 48)) / (4 - 48);
    expect(res.body).toMatchObject({ weightsFrom: t.units.emea, measures: { sla: 92.5, resolutionHours: 11 } });
    expect(res.body.nps).toMatchObject({ nps: 20, n: 10 });
    expect(res.body.value).toBeCloseTo((2 * 60 + 62.5 + hoursComponent) / 4, 10);
  });

  it("a unit's own weights win over its ancestor's; no weights, no index", async () => {
    await call('PUT', `/api/v1/composites/${t.units.berlin}`, { token: t.tokens.admin, body: { nps: 1, measures: [{ key: 'sla', weight: 1, worst: 80, target: 100 }] } });
    const res = await call('GET', `/api/v1/composites/${t.units.berlin}?from=2025-04-01&to=2025-04-30`, { token: t.tokens.admin });
    expect(res.body.weightsFrom).toBe(t.units.berlin);
    expect(res.body.value).toBeCloseTo((60 + 62.5) / 2, 10);
    const none = await call('GET', `/api/v1/composites/${t.units.newYork}`, { token: t.tokens.admin });
    expect(none.body).toMatchObject({ weightsFrom: null, value: null, reason: 'no_weights' });
  });

  it('bad weights: 422 with the reason, nothing changed; managers 403; outside reach 404', async () => {
    for (const body of [
      { nps: 1, measures: [{ key: 'nothing', weight: 1, worst: 0, target: 1 }] },
      { nps: 1, measures: [{ key: 'sla', weight: 1, worst: 80, target: 80 }] },
      { nps: 0, measures: [] },
    ]) {
      const res = await call('PUT', `/api/v1/composites/${t.units.emea}`, { token: t.tokens.admin, body });
      expect(res.status).toBe(422);
    }
    expect((await call('PUT', `/api/v1/composites/${t.units.emea}`, { token: t.tokens.admin, body: { nps: -1, measures: [] } })).status).toBe(400);
    expect((await call('PUT', `/api/v1/composites/${t.units.emea}`, { token: t.tokens.manager, body: weights })).status).toBe(403);
    expect((await call('GET', `/api/v1/composites/${t.units.newYork}`, { token: t.tokens.manager })).status).toBe(404);
    const after = await call('GET', `/api/v1/composites/${t.units.paris}?from=2025-04-01&to=2025-04-30`, { token: t.tokens.admin });
    expect(after.body.weights).toEqual(weights);
  });
});
