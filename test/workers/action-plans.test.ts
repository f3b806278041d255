import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { alerts, responses, surveys, surveyVersions, tenants, touchpoints } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import { call, db, makeTenant, type Fixture } from './support';

/**
 * Action plans: created on a unit in the manager's subtree, listed within reach, read with the
 * NPS of the unit before and after (from the scores module, suppressed under the minimum n),
 * updated with an audit row.
 */

let t: Fixture;

/** Answers in Berlin: `scores` spread over the day `on` (UTC). */
async function answers(on: string, scores: number[]) {
  const d = db();
  const [tp] = await d.select().from(touchpoints).where(eq(touchpoints.tenantId, t.tenantId));
  const at = Date.parse(`${on}T12:00:00Z`);
  await d.insert(responses).values(
    scores.map((score, i) => ({
      id: newId('rsp'),
      tenantId: t.tenantId,
      touchpointId: tp!.id,
      unitId: t.units.berlin!,
      surveyId: tp!.surveyId,
      surveyVersion: 1,
      channel: 'email' as const,
      locale: 'en',
      score,
      counted: true,
      answeredAt: at + i,
      createdAt: at + i,
      updatedAt: at + i,
    })),
  );
}

beforeAll(async () => {
  t = await makeTenant('Plans');
  const d = db();
  const now = Date.now();
  const surveyId = newId('srv');
  await commit(d, [
    d.insert(surveys).values({ id: surveyId, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(surveyVersions).values({ id: newId('srv_v'), tenantId: t.tenantId, surveyId, version: 1, definition: standardSurvey('X'), createdAt: now }),
    d.insert(touchpoints).values({ id: newId('tp'), tenantId: t.tenantId, key: 'visit', name: 'Visit', kind: 'site_visit', surveyId, channels: ['email'], createdAt: now, updatedAt: now }),
    d
      .update(tenants)
      .set({ settings: { minResponses: 4 } })
      .where(eq(tenants.id, t.tenantId)),
  ]);
  // Before: 2 promoters, 2 detractors (NPS 0). After: 4 promoters, 1 passive (NPS 80). Another window: 2 answers (suppressed).
  await answers('2026-01-10', [10, 9, 3, 5]);
  await answers('2026-02-10', [10, 10, 9, 9, 8]);
  await answers('2026-03-10', [10, 2]);
});

const plan = (token: string, body: Record<string, unknown>) => call('POST', '/api/v1/action-plans', { token, body });

describe('action plans', () => {
  it('a manager creates a plan in the subtree; it reads back with before and after NPS from the scores module', async () => {
    const res = await plan(t.tokens.manager, {
      unitId: t.units.berlin,
      title: 'Call back within a day',
      theme: 'waiting time',
      ownerUserId: t.userIds.manager,
      dueOn: '2026-03-01',
      beforeFrom: '2026-01-01',
      beforeTo: '2026-01-31',
      afterFrom: '2026-02-01',
      afterTo: '2026-02-28',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ unitId: t.units.berlin, unitName: 'Berlin', status: 'planned', ownerUserId: t.userIds.manager, theme: 'waiting time', dueOn: '2026-03-01' });
    const got = await call('GET', `/api/v1/action-plans/${res.body.id}`, { token: t.tokens.manager });
    expect(got.status).toBe(200);
    expect(got.body.before).toMatchObject({ from: '2026-01-01', to: '2026-01-31', n: 4, nps: 0, suppressed: false });
    expect(got.body.after).toMatchObject({ from: '2026-02-01', to: '2026-02-28', n: 5, nps: 80, suppressed: false });
    expect(got.body.after.ci.low).toBeLessThan(80);
    // The same numbers as GET /scores over the same window.
    const scores = await call('GET', `/api/v1/scores?unitId=${t.units.berlin}&from=2026-02-01&to=2026-02-28`, { token: t.tokens.manager });
    expect(got.body.after.ci).toEqual(scores.body.items[0].ci);
  });

  it('a window under the minimum n is suppressed; no window, no score', async () => {
    const res = await plan(t.tokens.admin, { unitId: t.units.emea, title: 'Retrain', afterFrom: '2026-03-01', afterTo: '2026-03-31' });
    expect(res.status).toBe(201);
    const got = await call('GET', `/api/v1/action-plans/${res.body.id}`, { token: t.tokens.analyst });
    expect(got.body.before).toBeNull();
    expect(got.body.after).toMatchObject({ n: 2, nps: null, ci: null, suppressed: true, suppressedReason: 'below_min_n' });
  });

  it('from an alert in reach; an alert outside reach or elsewhere is 404', async () => {
    const rule = await call('POST', '/api/v1/alert-rules', { token: t.tokens.admin, body: { unitId: t.units.berlin } });
    const alertId = newId('alr');
    await db().insert(alerts).values({ id: alertId, tenantId: t.tenantId, ruleId: rule.body.id, unitId: t.units.berlin!, status: 'open', evidence: {} });
    expect((await plan(t.tokens.manager, { unitId: t.units.berlin, title: 'Answer the drop', alertId })).body.alertId).toBe(alertId);
    expect((await plan(t.tokens.siteManager, { unitId: t.units.newYork, title: 'x', alertId })).status).toBe(404);
    expect((await plan(t.tokens.manager, { unitId: t.units.berlin, title: 'x', alertId: newId('alr') })).status).toBe(404);
  });

  it('bad windows and unknown owners are refused', async () => {
    const half = await plan(t.tokens.manager, { unitId: t.units.berlin, title: 'x', beforeFrom: '2026-01-01' });
    expect(half.status).toBe(400);
    expect(half.body.error.details).toEqual([{ path: 'body.beforeTo', message: 'a window needs both ends' }]);
    expect((await plan(t.tokens.manager, { unitId: t.units.berlin, title: 'x', afterFrom: '2026-02-02', afterTo: '2026-02-01' })).status).toBe(400);
    expect((await plan(t.tokens.manager, { unitId: t.units.berlin, title: 'x', status: 'bogus' })).status).toBe(400);
    expect((await plan(t.tokens.manager, { unitId: t.units.berlin, title: 'x', tenantId: t.tenantId })).status).toBe(400);
    expect((await plan(t.tokens.manager, { unitId: t.units.berlin, title: 'x', ownerUserId: newId('usr') })).status).toBe(404);
  });

  it('the manager of EMEA may not plan for New York (404) nor may a vendor on its own unit (403)', async () => {
    expect((await plan(t.tokens.manager, { unitId: t.units.newYork, title: 'x' })).status).toBe(404);
    expect((await plan(t.tokens.vendor, { unitId: t.units.fastfix, title: 'x' })).status).toBe(403);
    expect((await plan(t.tokens.analyst, { unitId: t.units.berlin, title: 'x' })).status).toBe(403);
  });

  it('lists within reach, with filters', async () => {
    const ny = await plan(t.tokens.siteManager, { unitId: t.units.newYork, title: 'New York plan', ownerUserId: t.userIds.siteManager });
    expect(ny.status).toBe(201);
    const mine = await call('GET', '/api/v1/action-plans', { token: t.tokens.manager });
    expect(mine.status).toBe(200);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(mine.body.items.map((p: any) => p.id)).not.toContain(ny.body.id);
    const all = await call('GET', '/api/v1/action-plans', { token: t.tokens.admin });
    expect(all.body.items.map((p: any) => p.id)).toContain(ny.body.id);
    const byOwner = await call('GET', `/api/v1/action-plans?ownerUserId=${t.userIds.siteManager}`, { token: t.tokens.admin });
    expect(byOwner.body.items.map((p: any) => p.id)).toEqual([ny.body.id]);
    const byUnit = await call('GET', `/api/v1/action-plans?unitId=${t.units.americas}`, { token: t.tokens.admin });
    expect(byUnit.body.items.map((p: any) => p.id)).toEqual([ny.body.id]);
    expect((await call('GET', `/api/v1/action-plans?unitId=${t.units.americas}`, { token: t.tokens.manager })).status).toBe(404);
    const done = await call('GET', '/api/v1/action-plans?status=done', { token: t.tokens.admin });
    expect(done.body.items.every((p: any) => p.status === 'done')).toBe(true);
    expect((await call('GET', '/api/v1/action-plans', { token: t.tokens.vendor })).status).toBe(403);
  });

  it('PATCH moves status, owner, due date and windows, audited with the change', async () => {
    const created = await plan(t.tokens.manager, { unitId: t.units.paris, title: 'Paris plan' });
    const res = await call('PATCH', `/api/v1/action-plans/${created.body.id}`, {
      token: t.tokens.manager,
      body: { status: 'in_progress', ownerUserId: t.userIds.agent, dueOn: '2026-04-30', beforeFrom: '2026-01-01', beforeTo: '2026-01-31' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'in_progress', ownerUserId: t.userIds.agent, dueOn: '2026-04-30', beforeFrom: '2026-01-01', beforeTo: '2026-01-31', title: 'Paris plan' });
    const cleared = await call('PATCH', `/api/v1/action-plans/${created.body.id}`, { token: t.tokens.manager, body: { dueOn: null, status: 'done' } });
    expect(cleared.body).toMatchObject({ dueOn: null, status: 'done' });
    const half = await call('PATCH', `/api/v1/action-plans/${created.body.id}`, { token: t.tokens.manager, body: { beforeTo: null } });
    expect(half.status).toBe(400);
    expect((await call('PATCH', `/api/v1/action-plans/${created.body.id}`, { token: t.tokens.manager, body: {} })).status).toBe(400);
    const log = await call('GET', `/api/v1/audit-log?targetId=${created.body.id}`, { token: t.tokens.admin });
    expect(log.body.items.map((r: any) => r.action)).toEqual(['action_plan.update', 'action_plan.update', 'action_plan.create']);
    expect(log.body.items[0].details).toMatchObject({ fromStatus: 'in_progress', toStatus: 'done' });
    const read = await call('GET', `/api/v1/action-plans/${created.body.id}`, { token: t.tokens.manager });
    expect(read.body).toMatchObject({ status: 'done', dueOn: null, ownerUserId: t.userIds.agent });
  });
  it('every field a plan has after its unit and alert is editable; the owner reads back by name', async () => {
    const created = await plan(t.tokens.manager, { unitId: t.units.paris, title: 'Draft', ownerUserId: t.userIds.manager });
    // makeTenant names each user by its login.
    expect(created.body.ownerName).toBe('manager');
    const change = {
      title: 'Shorter waits in Paris',
      description: 'Two more engineers on Mondays.',
      theme: 'waiting time',
      status: 'in_progress',
      ownerUserId: t.userIds.agent,
      dueOn: '2026-05-31',
      beforeFrom: '2026-01-01',
      beforeTo: '2026-01-31',
      afterFrom: '2026-02-01',
      afterTo: '2026-02-28',
    };
    const res = await call('PATCH', `/api/v1/action-plans/${created.body.id}`, { token: t.tokens.manager, body: change });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ ...change, ownerName: 'agent' });
    const read = await call('GET', `/api/v1/action-plans/${created.body.id}`, { token: t.tokens.manager });
    expect(read.body).toMatchObject({ ...change, ownerName: 'agent' });
    const listed = (await call('GET', `/api/v1/action-plans?unitId=${t.units.paris}`, { token: t.tokens.manager })).body.items.find((p: { id: string }) => p.id === created.body.id);
    expect(listed).toMatchObject({ ...change, ownerName: 'agent' });
    // Cleared: theme, description, owner.
    const cleared = await call('PATCH', `/api/v1/action-plans/${created.body.id}`, { token: t.tokens.manager, body: { theme: null, description: null, ownerUserId: null } });
    expect(cleared.body).toMatchObject({ theme: null, description: null, ownerUserId: null, ownerName: null, title: 'Shorter waits in Paris' });
    for (const bad of [{ theme: '' }, { theme: 'x'.repeat(101) }, { unitId: t.units.berlin }, { alertId: 'alr_x' }]) {
      const r = await call('PATCH', `/api/v1/action-plans/${created.body.id}`, { token: t.tokens.manager, body: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    const log = await call('GET', `/api/v1/audit-log?targetId=${created.body.id}`, { token: t.tokens.admin });
    expect(log.body.items.map((r: any) => r.action)).toEqual(['action_plan.update', 'action_plan.update', 'action_plan.create']);
    expect(log.body.items[1].details.changed).toEqual(Object.keys(change));
  });
});
