import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cases } from '../../src/db/schema';
import { SCHEDULES } from '../../src/jobs/cron';
import { caseOf, deliverCaptured, deliveriesOf, eventsOf, makeAnswer, mergeSettings, subscribeAll, withProviders } from './case-fixture';
import { makeTouchpoint } from './program-fixture';
import { call, db, makeTenant, type Fixture, runCron } from './support';

/**
 * Escalation under a controlled clock: answers given in March 2001 and cron ticks at chosen
 * 2001 instants (the scan is global; other suites' cases fall due in their own present, out of
 * reach of these ticks). The tenant works Mon–Fri 09:00–17:00 UTC. Expected times are worked
 * out by hand from that calendar: 2001-03-02 is a Friday.
 */

const at = (s: string) => Date.parse(`${s}Z`);
const tick = (time: number) => runCron(SCHEDULES.everyFiveMinutes, time);

let t: Fixture;
let stub: Awaited<ReturnType<typeof withProviders>>;
let touchpoint: { id: string; surveyId: string };

beforeAll(async () => {
  t = await makeTenant('Escalation');
  stub = await withProviders(t);
  await subscribeAll(t.tenantId);
  await mergeSettings(t.tenantId, { businessCalendar: { timezone: 'UTC', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', holidays: ['2001-03-07'] } });
  touchpoint = await makeTouchpoint(t.tenantId, { rules: { firstContactHours: 8, resolutionHours: 16 } });
});

const caseRow = async (id: string) =>
  (
    await db()
      .select()
      .from(cases)
      .where(and(eq(cases.tenantId, t.tenantId), eq(cases.id, id)))
  )[0]!;
const mailsAbout = async (caseId: string) => (await stub.requests()).filter((r) => r.path === '/messages' && r.body.includes(caseId)).map((r) => JSON.parse(r.body) as { to: string; subject: string });

describe('escalation', () => {
  it('the cron expression is wired: SCHEDULES and wrangler.toml agree (checked by the node suite), and a tick runs', async () => {
    expect(SCHEDULES.everyFiveMinutes).toBe('*/5 * * * *');
    await tick(at('2001-01-01T00:00:00'));
  });

  it('Friday 16:00 + 8 business hours: due Monday 16:00; escalates once to the next manager up, then for resolution', async () => {
    const a = await makeAnswer(t.tenantId, t.units.berlin, { score: 1, touchpoint, answeredAt: at('2001-03-02T16:00:00') });
    await deliverCaptured(t.tenantId, a.id);
    const [k] = await caseOf(t.tenantId, a.id);
    expect(k!.ownerUserId).toBe(t.userIds.manager); // EMEA's manager (Berlin has none)
    expect(k!.firstContactDueAt).toBe(at('2001-03-05T16:00:00'));
    // 16 business hours: Fri 16–17, Mon 9–17, Tue 9–16.
    expect(k!.resolutionDueAt).toBe(at('2001-03-06T16:00:00'));

    await tick(at('2001-03-05T15:55:00'));
    expect(await caseRow(k!.id)).toMatchObject({ escalationLevel: 0, escalated: [], ownerUserId: t.userIds.manager });

    await tick(at('2001-03-05T16:00:00'));
    const once = await caseRow(k!.id);
    expect(once).toMatchObject({ escalationLevel: 1, escalated: ['first_contact'], ownerUserId: t.userIds.admin }); // EMEA → root admin
    await tick(at('2001-03-05T16:05:00'));
    await tick(at('2001-03-05T16:10:00'));
    expect(await caseRow(k!.id)).toMatchObject({ escalationLevel: 1, escalated: ['first_contact'] });

    const events = (await eventsOf(t.tenantId, k!.id)).filter((e) => e.type === 'escalated');
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({ breach: 'first_contact', fromUserId: t.userIds.manager, toUserId: t.userIds.admin, level: 1 });
    const mails = await mailsAbout(k!.id);
    expect(mails.map((m) => m.to)).toEqual([t.email('manager'), t.email('admin')]);
    expect(mails[1]!.subject).toContain('Escalated');
    expect((await deliveriesOf(t.tenantId)).filter((d) => d.type === 'case.escalated' && d.data.id === k!.id).map((d) => d.data.breach)).toEqual(['first_contact']);
    const audit = await call('GET', `/api/v1/audit-log?targetType=case&targetId=${k!.id}`, { token: t.tokens.admin });
    expect(audit.body.items.map((r: any) => r.action).sort()).toEqual(['case.escalate', 'case.open']);

    // Contacted late (by the admin now owning it); resolution due Tuesday 16:00 passes.
    expect((await call('PATCH', `/api/v1/cases/${k!.id}`, { token: t.tokens.admin, body: { status: 'contacted' } })).status).toBe(200);
    await tick(at('2001-03-06T15:55:00'));
    expect((await caseRow(k!.id)).escalated).toEqual(['first_contact']);
    await tick(at('2001-03-06T16:00:00'));
    // At the top already: it stays with the root's admin, level 2, the breach recorded once.
    expect(await caseRow(k!.id)).toMatchObject({ escalationLevel: 2, escalated: ['first_contact', 'resolution'], ownerUserId: t.userIds.admin });
    await tick(at('2001-03-06T16:05:00'));
    expect((await eventsOf(t.tenantId, k!.id)).filter((e) => e.type === 'escalated')).toHaveLength(2);
  });

  it('a case contacted in time does not escalate for first contact; a holiday moves the due time', async () => {
    // Tuesday 2001-03-06 15:00 + 8 h: Tue 15–17 (2 h), Wednesday a holiday, Thu 9–15 → Thursday 15:00.
    const a = await makeAnswer(t.tenantId, t.units.paris, { score: 3, touchpoint, answeredAt: at('2001-03-06T15:00:00') });
    await deliverCaptured(t.tenantId, a.id);
    const [k] = await caseOf(t.tenantId, a.id);
    expect(k!.firstContactDueAt).toBe(at('2001-03-08T15:00:00'));
    await db()
      .update(cases)
      .set({ status: 'contacted', firstContactAt: at('2001-03-08T14:00:00') })
      .where(eq(cases.id, k!.id));
    await tick(at('2001-03-08T15:00:00'));
    expect(await caseRow(k!.id)).toMatchObject({ escalationLevel: 0, escalated: [] });
  });

  it('a vendor case escalates to the vendor contract owner first', async () => {
    const contract = await call('PUT', `/api/v1/vendor-contracts/${t.units.fastfix}`, { token: t.tokens.admin, body: { ownerUserId: t.userIds.siteManager, firstContactHours: 2 } });
    expect(contract.status).toBe(200);
    const a = await makeAnswer(t.tenantId, t.units.fastfix, { score: 0, touchpoint, answeredAt: at('2001-03-02T16:00:00') });
    await deliverCaptured(t.tenantId, a.id);
    const [k] = await caseOf(t.tenantId, a.id);
    expect(k!.ownerUserId).toBe(t.userIds.vendor);
    // Contract: 2 business hours (Fri 16–17, Mon 9–10); the touchpoint's 16 h for resolution.
    expect(k!.firstContactDueAt).toBe(at('2001-03-05T10:00:00'));
    expect(k!.resolutionDueAt).toBe(at('2001-03-06T16:00:00'));
    await tick(at('2001-03-05T10:00:00'));
    expect(await caseRow(k!.id)).toMatchObject({ ownerUserId: t.userIds.siteManager, escalationLevel: 1 });
    expect((await mailsAbout(k!.id)).map((m) => m.to)).toEqual([t.email('vendor'), t.email('siteManager')]);
    // Next breach: past the contract owner, the root's admin (FastFix hangs under the root, which has no manager).
    await tick(at('2001-03-06T16:00:00'));
    expect(await caseRow(k!.id)).toMatchObject({ ownerUserId: t.userIds.admin, escalationLevel: 2 });
  });

  it('an escalation whose notification fails for now is notified on a later tick, once', async () => {
    const a = await makeAnswer(t.tenantId, t.units.paris, { score: 2, touchpoint, answeredAt: at('2001-03-12T09:00:00') }); // a Monday
    await deliverCaptured(t.tenantId, a.id);
    const [k] = await caseOf(t.tenantId, a.id);
    expect(k!.firstContactDueAt).toBe(at('2001-03-12T17:00:00'));
    await tick(at('2001-03-12T16:55:00')); // the earlier tests' cases, late by now, escalate first: the failure below is this case's
    await tick(at('2001-03-12T16:56:00'));
    await stub.failNext(1, 503);
    await tick(at('2001-03-12T17:00:00'));
    expect(await caseRow(k!.id)).toMatchObject({ escalationLevel: 1, ownerUserId: t.userIds.admin });
    const answered = async () => (await stub.requests()).filter((r) => r.path === '/messages' && r.body.includes(k!.id) && JSON.parse(r.body).to === t.email('admin')).map((r) => r.answered);
    expect(await answered()).toEqual([503]);
    await tick(at('2001-03-12T17:05:00'));
    expect(await answered()).toEqual([503, 200]);
    await tick(at('2001-03-12T17:10:00'));
    expect(await answered()).toEqual([503, 200]);
    expect(
      (await eventsOf(t.tenantId, k!.id))
        .filter((e) => e.type === 'notified')
        .map((e) => (e.details as any).kind)
        .sort(),
    ).toEqual(['escalated:first_contact', 'opened']);
  });

  it('a closed or resolved case never escalates', async () => {
    const a = await makeAnswer(t.tenantId, t.units.berlin, { score: 2, touchpoint, answeredAt: at('2001-03-02T16:00:00') });
    await deliverCaptured(t.tenantId, a.id);
    const [k] = await caseOf(t.tenantId, a.id);
    expect((await call('PATCH', `/api/v1/cases/${k!.id}`, { token: t.tokens.manager, body: { status: 'closed', reason: 'customer unreachable, duplicate' } })).status).toBe(200);
    await tick(at('2001-03-09T12:00:00'));
    expect(await caseRow(k!.id)).toMatchObject({ status: 'closed', escalationLevel: 0 });
  });
});
