import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { auditLog, cases, responses, tenants, vendorContracts } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { answerRow, makeTouchpoint } from './program-fixture';
import { call, db, makeTenant, type Fixture } from './support';

/**
 * The vendor scorecard and its composite index, with golden numbers worked out by hand.
 *
 * FastFix answers (UTC units, minimum n 5):
 *   January  10 10 9 8 3       → P 3, passive 1, D 1, n 5 → NPS 40
 *   February 10 9 6 0 7 8      → P 2, passive 2, D 2, n 6 → NPS 0
 *   March    9 9               → n 2 → suppressed
 *   total                      → P 7, passive 3, D 3, n 13 → NPS 400/13 = 30.769…
 * FastFix cases opened in February (targets long past, so every outcome is known):
 *   1 contacted in time, resolved in time
 *   2 contacted late,    resolved in time
 *   3 never contacted,   never resolved
 *   4 contacted in time, closed without resolution (not in the resolution share)
 *   contacted within target 2 of 4 = 0.5; resolved within target 2 of 3 = 0.67 (two decimals)
 * Equal weights: ((30.769… + 100) / 2 + 50 + 67) / 3 = (65.3846… + 117) / 3 = 60.7948…
 * Weights 2 : 1 : 0:  (2 · 65.3846… + 50) / 3 = 60.2564…
 */

let t: Fixture;
const FROM = '2025-01-01';
const TO = '2025-03-31';
const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const card = (unit: string | undefined, token = t.tokens.admin, range = `from=${FROM}&to=${TO}`) => call('GET', `/api/v1/vendors/${unit}/scorecard?${range}`, { token });
const put = (body: unknown, token = t.tokens.admin) => call('PUT', `/api/v1/vendor-contracts/${t.units.fastfix}`, { token, body });

beforeAll(async () => {
  t = await makeTenant('Scorecard');
  const tp = await makeTouchpoint(t.tenantId);
  const d = db();
  const answer = (unitId: string, score: number, when: string) => answerRow(t.tenantId, tp, unitId, score, at(when));
  const ff = t.units.fastfix!;
  const rows = [
    ...[10, 10, 9, 8, 3].map((s) => answer(ff, s, '2025-01-15T12:00:00Z')),
    ...[10, 9, 6, 0, 7, 8].map((s) => answer(ff, s, '2025-02-10T12:00:00Z')),
    ...[9, 9].map((s) => answer(ff, s, '2025-03-05T12:00:00Z')),
    // QuickServe's answers and an April answer of FastFix: in no FastFix scorecard for Q1.
    ...[0, 0, 0, 0, 0].map((s) => answer(t.units.quickserve!, s, '2025-02-10T12:00:00Z')),
    answer(ff, 0, '2025-04-02T12:00:00Z'),
  ];
  const opened = at('2025-02-10T12:00:00Z');
  const kase = (unitId: string, responseId: string, k: Partial<typeof cases.$inferInsert>) => ({
    id: newId('case'),
    tenantId: t.tenantId,
    responseId,
    unitId,
    touchpointId: tp.id,
    status: 'open' as const,
    score: 3,
    firstContactDueAt: opened + 4 * H,
    resolutionDueAt: opened + 48 * H,
    createdAt: opened,
    updatedAt: opened,
    ...k,
  });
  await commit(d, [
    d.insert(responses).values(rows),
    d
      .update(tenants)
      .set({ settings: { minResponses: 5 } })
      .where(eq(tenants.id, t.tenantId)),
    d.insert(cases).values([
      kase(ff, rows[4]!.id, { status: 'resolved', firstContactAt: opened + 1 * H, resolvedAt: opened + 24 * H }),
      kase(ff, rows[7]!.id, { status: 'resolved', firstContactAt: opened + 6 * H, resolvedAt: opened + 30 * H }),
      kase(ff, rows[8]!.id, { status: 'open' }),
      kase(ff, rows[9]!.id, { status: 'closed', firstContactAt: opened + 2 * H, closedAt: opened + 10 * H }),
      // QuickServe's case, and FastFix's in April: not counted.
      kase(t.units.quickserve!, rows[13]!.id, { status: 'open' }),
      kase(ff, rows[18]!.id, { status: 'open', createdAt: at('2025-04-02T12:00:00Z') }),
    ]),
  ]);
});

describe('vendor scorecard', () => {
  it('NPS, case shares and the composite with equal weights when none are set', async () => {
    const res = await card(t.units.fastfix);
    expect(res.status).toBe(200);
    const b = res.body;
    expect([b.unitId, b.name, b.from, b.to]).toEqual([t.units.fastfix, 'FastFix', FROM, TO]);
    expect(b.nps).toMatchObject({ key: 'all', n: 13, promoters: 7, passives: 3, detractors: 3, suppressed: false });
    expect(b.nps.nps).toBeCloseTo(400 / 13, 9);
    // Exactly an item of the scores API for the same unit and range.
    const scores = await call('GET', `/api/v1/scores?unitId=${t.units.fastfix}&from=${FROM}&to=${TO}`, { token: t.tokens.admin });
    expect(b.nps).toEqual(scores.body.items[0]);
    expect([b.contactedWithinTarget, b.resolvedWithinTarget, b.casesInWindow]).toEqual([0.5, 0.67, 4]);
    expect(b.composite.weights).toEqual({ nps: 1, contactedWithinTarget: 1, resolvedWithinTarget: 1 });
    expect(b.composite.components.nps).toBeCloseTo(65.3846153846, 8);
    expect([b.composite.components.contactedWithinTarget, b.composite.components.resolvedWithinTarget]).toEqual([50, 67]);
    expect(b.composite.value).toBeCloseTo(60.7948717949, 8);
    expect(b.composite.reason).toBeUndefined();
    // The trend: one item per month, March suppressed.
    expect(b.trend.map((i: any) => [i.period, i.n, i.nps, i.suppressed])).toEqual([
      ['2025-01', 5, 40, false],
      ['2025-02', 6, 0, false],
      ['2025-03', 2, null, true],
    ]);
  });

  it('the admin sets weights (validated: 422 for negative or all zero, nothing changes), the targets stay', async () => {
    expect((await put({ firstContactHours: 4, resolutionHours: 48 })).status).toBe(200);
    for (const bad of [
      { nps: -1, contactedWithinTarget: 1, resolvedWithinTarget: 1 },
      { nps: 0, contactedWithinTarget: 0, resolvedWithinTarget: 0 },
    ]) {
      const res = await put({ compositeWeights: bad });
      expect([res.status, res.body.error.code]).toEqual([422, 'UNPROCESSABLE']);
    }
    expect((await put({ compositeWeights: { nps: 1, contactedWithinTarget: 1 } })).status).toBe(400);
    expect((await put({ compositeWeights: { nps: 1, contactedWithinTarget: 1, resolvedWithinTarget: 1, speed: 2 } })).status).toBe(400);
    expect((await put({ compositeWeights: { nps: 2, contactedWithinTarget: 1, resolvedWithinTarget: 0 } }, t.tokens.vendor)).status).toBe(403);
    const [stored] = await db().select().from(vendorContracts).where(eq(vendorContracts.unitId, t.units.fastfix!));
    expect(stored!.compositeWeights).toEqual({});

    const ok = await put({ compositeWeights: { nps: 2, contactedWithinTarget: 1, resolvedWithinTarget: 0 } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ firstContactHours: 4, resolutionHours: 48, compositeWeights: { nps: 2, contactedWithinTarget: 1, resolvedWithinTarget: 0 } });
    // A later PUT of targets alone keeps the weights (and the weights alone kept the targets).
    expect((await put({ resolutionHours: 72 })).body).toMatchObject({ firstContactHours: 4, resolutionHours: 72, compositeWeights: { nps: 2, contactedWithinTarget: 1, resolvedWithinTarget: 0 } });
    const b = (await card(t.units.fastfix, t.tokens.vendor)).body;
    expect(b.composite.weights).toEqual({ nps: 2, contactedWithinTarget: 1, resolvedWithinTarget: 0 });
    expect(b.composite.value).toBeCloseTo(60.2564102564, 8);
    expect(b.targets).toEqual({ firstContactHours: 4, resolutionHours: 72 });
    const audits = await db().select().from(auditLog).where(eq(auditLog.targetId, t.units.fastfix!));
    expect(audits.filter((a) => a.action === 'vendor_contract.update').map((a) => (a.details as any).changed)).toEqual([
      ['firstContactHours', 'resolutionHours'],
      ['compositeWeights'],
      ['resolutionHours'],
    ]);
    // null goes back to equal weights.
    expect((await put({ compositeWeights: null })).body.compositeWeights).toEqual({ nps: 1, contactedWithinTarget: 1, resolvedWithinTarget: 1 });
  });

  it('too few answers: no composite, with the reason; no cases: the shares are null', async () => {
    const res = await card(t.units.fastfix, t.tokens.vendor, 'from=2025-03-01&to=2025-03-31');
    expect(res.status).toBe(200);
    expect(res.body.nps).toMatchObject({ n: 2, nps: null, suppressed: true, suppressedReason: 'below_min_n' });
    expect([res.body.contactedWithinTarget, res.body.resolvedWithinTarget, res.body.casesInWindow]).toEqual([null, null, 0]);
    expect(res.body.composite).toEqual({
      value: null,
      weights: { nps: 1, contactedWithinTarget: 1, resolvedWithinTarget: 1 },
      components: { nps: null, contactedWithinTarget: null, resolvedWithinTarget: null },
      reason: 'nps_suppressed',
    });
  });

  it('who sees which scorecard: a vendor its own only, others in reach; bad input', async () => {
    expect((await card(t.units.quickserve, t.tokens.vendor)).status).toBe(404);
    expect((await card(t.units.fastfix, t.tokens.otherVendor)).status).toBe(404);
    expect((await card(t.units.fastfix, t.tokens.manager)).status).toBe(404); // EMEA's manager: FastFix hangs off the root
    expect((await card(t.units.fastfix, t.tokens.agent)).status).toBe(404);
    expect((await card(t.units.fastfix, t.tokens.analyst)).status).toBe(200);
    expect((await card(t.units.fastfix, t.tokens.viewer)).status).toBe(200);
    expect((await card(t.units.berlin)).status).toBe(422);
    expect((await card('unit_nope')).status).toBe(404);
    expect((await card(t.units.fastfix, t.tokens.admin, 'from=2025-03-31&to=2025-01-01')).status).toBe(400);
    expect((await card(t.units.fastfix, t.tokens.admin, 'from=2025-02-30')).status).toBe(400);
  });
});
