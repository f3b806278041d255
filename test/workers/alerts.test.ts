import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { alerts, responses, tenants, webhookDeliveries } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { answerRow, makeTouchpoint } from './program-fixture';
import { providerSpace } from './provider';
import { call, db, makeTenant, type Fixture, runCron } from './support';

/**
 * Significant-drop alerts through the real hourly cron. Rule (docs/alerts.md): the window is the
 * last 7 local days (today included), the baseline the 28 days before; raise when the window NPS
 * is lower by ≥ 10 points, p < 0.05 (two-sided) and n ≥ 30 on both sides; once per breach; the
 * open alert recovers when the drop falls below 10 points with n ≥ 30 on both sides.
 * Units are in UTC, so local days are UTC days.
 */

const HOUR = 3600_000;
/** Thursday 2025-03-20 10:00 UTC: window 2025-03-14..20, baseline 2025-02-14..03-13. */
const NOW = Date.UTC(2025, 2, 20, 10);
const IN_WINDOW = Date.UTC(2025, 2, 17, 12);
const IN_BASELINE = Date.UTC(2025, 2, 1, 12);
const BEFORE_BASELINE = Date.UTC(2025, 1, 13, 12);

let t: Fixture;
let tp1: { id: string; surveyId: string };
let tp2: { id: string; surveyId: string };
let mail: ReturnType<typeof providerSpace>;

async function answers(unit: keyof Fixture['units'], tp: { id: string; surveyId: string }, score: number, count: number, at: number) {
  const rows = Array.from({ length: count }, (_, i) => answerRow(t.tenantId, tp, t.units[unit]!, score, at, { createdAt: at + i * 1000 }));
  await db().insert(responses).values(rows);
}

const quiet = { send: async () => undefined, sendBatch: async () => undefined };
const hourly = (at: number) => runCron('0 * * * *', at, { ...(env as Env), WORKFLOW_QUEUE: quiet, DELIVERY_QUEUE: quiet } as unknown as Env);
const alertsOf = (ruleId: string) =>
  db()
    .select()
    .from(alerts)
    .where(and(eq(alerts.tenantId, t.tenantId), eq(alerts.ruleId, ruleId)))
    .orderBy(alerts.createdAt);

async function rule(body: Record<string, unknown>, token = t.tokens.admin) {
  const res = await call('POST', '/api/v1/alert-rules', { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

beforeAll(async () => {
  t = await makeTenant('Alerts');
  [tp1, tp2] = [await makeTouchpoint(t.tenantId), await makeTouchpoint(t.tenantId)];
  mail = providerSpace();
  await db()
    .update(tenants)
    .set({ settings: { email: { baseUrl: mail.url, apiKey: 'mail-key-alerts-0000', from: 'alerts@acme.test' } } })
    .where(eq(tenants.id, t.tenantId));
});

describe('alert rules API', () => {
  it('creates a rule with the defaults and lists it in reach', async () => {
    const res = await call('POST', '/api/v1/alert-rules', { token: t.tokens.admin, body: { unitId: t.units.americas } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      unitId: t.units.americas,
      touchpointId: null,
      windowDays: 7,
      baselineDays: 28,
      baselineFrom: null,
      baselineTo: null,
      minDropPoints: 10,
      alpha: 0.05,
      minN: 30,
      active: true,
    });
    const fixed = await rule({ unitId: t.units.americas, baselineFrom: '2024-01-01', baselineTo: '2024-12-31', windowDays: 14 });
    expect((await call('GET', '/api/v1/alert-rules', { token: t.tokens.admin })).body.items.map((r: any) => r.id)).toEqual(expect.arrayContaining([res.body.id, fixed.id]));
    // The EMEA manager does not see Americas' rules; the New York manager does not either (a sibling's parent).
    expect((await call('GET', '/api/v1/alert-rules', { token: t.tokens.manager })).body.items.map((r: any) => r.id)).not.toContain(res.body.id);
    expect((await call('GET', '/api/v1/alert-rules', { token: t.tokens.siteManager })).body.items).toEqual([]);
    const log = await call('GET', `/api/v1/audit-log?targetId=${res.body.id}`, { token: t.tokens.admin });
    expect(log.body.items.map((r: any) => r.action)).toEqual(['alert_rule.create']);
  });

  it('refuses bad input (400), foreign or missing units and touchpoints (404), non-admins (403)', async () => {
    for (const body of [
      { unitId: t.units.berlin, baselineDays: 28, baselineFrom: '2024-01-01', baselineTo: '2024-02-01' },
      { unitId: t.units.berlin, baselineFrom: '2024-01-01' },
      { unitId: t.units.berlin, baselineFrom: '2024-03-01', baselineTo: '2024-02-01' },
      { unitId: t.units.berlin, baselineFrom: '2024-02-30', baselineTo: '2024-03-01' },
      { unitId: t.units.berlin, alpha: 1.5 },
      { unitId: t.units.berlin, minN: 0 },
      { unitId: t.units.berlin, windowDays: 2.5 },
      { unitId: t.units.berlin, tenantId: 'ten_x' },
      {},
    ]) {
      const res = await call('POST', '/api/v1/alert-rules', { token: t.tokens.admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await call('POST', '/api/v1/alert-rules', { token: t.tokens.admin, body: { unitId: 'unit_missing' } })).status).toBe(404);
    expect((await call('POST', '/api/v1/alert-rules', { token: t.tokens.admin, body: { unitId: t.units.berlin, touchpointId: 'tp_missing' } })).status).toBe(404);
    expect((await call('POST', '/api/v1/alert-rules', { token: t.tokens.manager, body: { unitId: t.units.berlin } })).status).toBe(403);
    expect((await call('POST', '/api/v1/alert-rules', { token: t.tokens.manager, body: { unitId: t.units.newYork } })).status).toBe(404);
  });
});

describe('evaluation (hourly cron)', () => {
  it('a large drop on a small n raises nothing', async () => {
    // Paris: baseline 10 promoters (NPS 100), window 10 detractors (NPS −100): 200 points, n 10 < 30.
    await answers('paris', tp1, 10, 10, IN_BASELINE);
    await answers('paris', tp1, 0, 10, IN_WINDOW);
    const small = await rule({ unitId: t.units.paris });
    await hourly(NOW);
    expect(await alertsOf(small.id)).toEqual([]);
  });

  it('a significant drop raises exactly one alert (webhook, email), none again until recovery; a new breach raises a new one', async () => {
    const hook = await call('POST', '/api/v1/webhooks', { token: t.tokens.admin, body: { url: 'https://hooks.example.test/alerts', events: ['alert.raised'] } });
    expect(hook.status).toBe(201);
    // Touchpoint 1 in Berlin. Baseline: 20 promoters, 10 passives, 10 detractors → NPS 25, n 40.
    // Window: 8 promoters, 12 passives, 20 detractors → NPS −30, n 40. Drop 55 points.
    // Variances on the proportion scale: window (0.2 + 0.5 − 0.3²)/40 = 0.01525, baseline
    // (0.5 + 0.25 − 0.25²)/40 = 0.0171875; se = √0.0324375 = 0.18010; z = −0.55/0.18010 = −3.054;
    // p = 2·(1 − Φ(3.054)) ≈ 0.00226.
    await answers('berlin', tp1, 10, 20, IN_BASELINE);
    await answers('berlin', tp1, 8, 10, IN_BASELINE);
    await answers('berlin', tp1, 3, 10, IN_BASELINE);
    await answers('berlin', tp1, 10, 8, IN_WINDOW);
    await answers('berlin', tp1, 7, 12, IN_WINDOW);
    await answers('berlin', tp1, 2, 20, IN_WINDOW);
    // Outside both periods, and another touchpoint's promoters in the window: neither counts.
    await answers('berlin', tp1, 10, 50, BEFORE_BASELINE);
    await answers('berlin', tp2, 10, 50, IN_WINDOW);
    const r = await rule({ unitId: t.units.berlin, touchpointId: tp1.id });
    // The same drop for the whole of Berlin is no drop: touchpoint 2's promoters lift the window to 58 P, 12 A, 20 D.
    const whole = await rule({ unitId: t.units.berlin });

    await hourly(NOW);
    const raised = await alertsOf(r.id);
    expect(raised).toHaveLength(1);
    expect(await alertsOf(whole.id)).toEqual([]);
    const a = raised[0]!;
    expect(a).toMatchObject({ status: 'open', unitId: t.units.berlin, createdAt: NOW, recoveredAt: null });
    const e = a.evidence as any;
    expect(e.window).toMatchObject({ from: '2025-03-14', to: '2025-03-20', n: 40 });
    expect(e.baseline).toMatchObject({ from: '2025-02-14', to: '2025-03-13', n: 40 });
    expect(e.window.nps).toBeCloseTo(-30, 9);
    expect(e.baseline.nps).toBeCloseTo(25, 9);
    expect(e.dropPoints).toBeCloseTo(55, 9);
    expect(e.p).toBeGreaterThan(0.0021);
    expect(e.p).toBeLessThan(0.0024);

    // The alert.raised event, queued in the same batch.
    const events = await db()
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.tenantId, t.tenantId), eq(webhookDeliveries.webhookId, hook.body.id)));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ type: 'alert.raised', data: { alert: { id: a.id, ruleId: r.id, unitId: t.units.berlin, touchpointId: tp1.id } } });
    // Berlin's managers: the EMEA manager (a grant above Berlin), by email; nobody else.
    const sent = await mail.requests();
    expect(sent.map((m) => JSON.parse(m.body).to)).toEqual([t.email('manager')]);
    expect(JSON.parse(sent[0]!.body).subject).toBe('NPS alert: Berlin dropped 55.0 points');
    expect(JSON.parse(sent[0]!.body).text).toContain(`/api/v1/alerts/${a.id}`);

    // Still breached an hour later: nothing new.
    await hourly(NOW + HOUR);
    expect(await alertsOf(r.id)).toHaveLength(1);
    expect(await mail.requests()).toHaveLength(1);

    // 60 more promoters in the window: 68 P, 12 A, 20 D of 100 → NPS 48, above the baseline: recovered.
    await answers('berlin', tp1, 9, 60, IN_WINDOW);
    await hourly(NOW + 2 * HOUR);
    expect(await alertsOf(r.id)).toMatchObject([{ id: a.id, status: 'recovered', recoveredAt: NOW + 2 * HOUR }]);

    // 150 detractors: 68 P, 12 A, 170 D of 250 → NPS −40.8, 65.8 points below: a new alert.
    await answers('berlin', tp1, 0, 150, IN_WINDOW);
    await hourly(NOW + 3 * HOUR);
    const both = await alertsOf(r.id);
    expect(both.map((x) => x.status)).toEqual(['recovered', 'open']);
    expect((both[1]!.evidence as any).window.nps).toBeCloseTo(-40.8, 9);
    // Now Berlin as a whole drops too: 118 P, 12 A, 170 D of 300 → NPS −17.3, 42.3 points below 25.
    expect((await alertsOf(whole.id)).map((x) => x.status)).toEqual(['open']);
    expect(await mail.requests()).toHaveLength(3);
  });

  it('the exception log: managers in reach list alerts and record root cause and corrective action (audited)', async () => {
    const list = await call('GET', '/api/v1/alerts', { token: t.tokens.manager });
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThanOrEqual(2);
    expect(list.body.items.every((a: any) => a.unitId === t.units.berlin)).toBe(true);
    const open = (await call('GET', '/api/v1/alerts?status=open', { token: t.tokens.manager })).body.items;
    expect(open).toHaveLength(2);
    expect((await call('GET', '/api/v1/alerts', { token: t.tokens.siteManager })).body.items).toEqual([]);
    expect((await call('GET', '/api/v1/alerts', { token: t.tokens.viewer })).status).toBe(403);

    const id = open[0].id;
    const res = await call('PATCH', `/api/v1/alerts/${id}`, { token: t.tokens.manager, body: { rootCause: 'New dispatcher rota', correctiveAction: 'Two-person shift from Monday' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, rootCause: 'New dispatcher rota', correctiveAction: 'Two-person shift from Monday', status: 'open' });
    const log = await call('GET', `/api/v1/audit-log?targetId=${id}`, { token: t.tokens.admin });
    expect(log.body.items.map((r: any) => r.action)).toContain('alert.annotate');
    expect((await call('PATCH', `/api/v1/alerts/${id}`, { token: t.tokens.manager, body: {} })).status).toBe(400);
    expect((await call('PATCH', `/api/v1/alerts/${id}`, { token: t.tokens.manager, body: { rootCause: 'x', status: 'recovered' } })).status).toBe(400);
    expect((await call('PATCH', `/api/v1/alerts/${id}`, { token: t.tokens.siteManager, body: { rootCause: 'x' } })).status).toBe(404);
    expect((await call('PATCH', `/api/v1/alerts/${id}`, { token: t.tokens.viewer, body: { rootCause: 'x' } })).status).toBe(403);
    expect((await call('PATCH', '/api/v1/alerts/alr_missing', { token: t.tokens.admin, body: { rootCause: 'x' } })).status).toBe(404);
  });
});
