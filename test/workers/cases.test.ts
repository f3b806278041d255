import { and, eq, like } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { contacts, jobSteps, units } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { env } from 'cloudflare:workers';
import { notifyDueCases } from '../../src/cases/notify-due';
import type { Env } from '../../src/env';
import { loadConfig } from '../../src/env';
import { makeInvitation, makeSurvey, send } from './capture-fixture';
import { caseOf, deliverCaptured, deliveriesOf, eventsOf, makeAnswer, mergeSettings, subscribeAll, withProviders } from './case-fixture';
import { makeTouchpoint } from './program-fixture';
import { call, db, makeTenant, uniq, type Fixture, jobRun } from './support';

/**
 * Recovery cases through the real queue consumer, the real API and the stub providers. The
 * rules (docs/cases.md): a counted detractor (0–6; passives when the touchpoint says so) opens
 * one case per answer, routed to the unit's manager, else the nearest ancestor's, a vendor's
 * lead for a vendor unit, and before all that the tenant's rules on contact attributes; the
 * owner gets one email per case however often the message comes.
 */

let t: Fixture;
let stub: Awaited<ReturnType<typeof withProviders>>;

beforeAll(async () => {
  t = await makeTenant('Cases');
  stub = await withProviders(t);
  await subscribeAll(t.tenantId);
});

const emailsTo = async (email: string) => (await stub.requests()).filter((r) => r.path === '/messages' && JSON.parse(r.body).to === email);

describe('the follow-up consumer', () => {
  it('opens one case for a detractor and notifies the owner once, however often the message comes', async () => {
    const a = await makeAnswer(t.tenantId, t.units.berlin, { score: 2 });
    expect(await deliverCaptured(t.tenantId, a.id)).toEqual({ acked: true, retried: false });
    expect(await deliverCaptured(t.tenantId, a.id)).toEqual({ acked: true, retried: false });
    const found = await caseOf(t.tenantId, a.id);
    expect(found).toHaveLength(1);
    const k = found[0]!;
    // Berlin has no manager: the nearest ancestor's (EMEA) owns it.
    expect(k).toMatchObject({ status: 'open', score: 2, ownerUserId: t.userIds.manager, unitId: t.units.berlin });
    // Tenant default targets: 48 h and 168 h from the answer, no calendar.
    expect(k.firstContactDueAt! - k.createdAt).toBe(48 * 3_600_000);
    expect(k.resolutionDueAt! - k.createdAt).toBe(168 * 3_600_000);
    const mails = await emailsTo(t.email('manager'));
    const mine = mails.filter((m) => m.body.includes(k.id));
    expect(mine).toHaveLength(1);
    const text = JSON.parse(mine[0]!.body).text as string;
    expect(text).toContain('score 2');
    expect(text).toContain(a.comment);
    expect(text).toContain(`/#/cases/${k.id}`);
    expect(mine[0]!.headers['idempotency-key']).toBe(`response.captured:${a.id}:notify:email`);
    const events = await eventsOf(t.tenantId, k.id);
    expect(events.map((e) => e.type)).toEqual(['opened', 'notified']);
    const hooks = (await deliveriesOf(t.tenantId)).filter((d) => d.data.id === k.id || d.data.id === a.id);
    expect(hooks.map((h) => h.type).sort()).toEqual(['case.opened', 'response.created']);
  });

  it("a message naming the unit's path routes by that chain; a path that is no longer the unit's (moved since capture) is read afresh", async () => {
    const named = await makeAnswer(t.tenantId, t.units.newYork, { score: 1 });
    expect(await deliverCaptured(t.tenantId, named.id, 1, t.paths.newYork!.path)).toEqual({ acked: true, retried: false });
    // New York has its own manager.
    expect((await caseOf(t.tenantId, named.id))[0]).toMatchObject({ ownerUserId: t.userIds.siteManager, unitId: t.units.newYork });
    // Berlin's answer with New York's path: the answer's own unit decides (EMEA's manager), not the stale path.
    const stale = await makeAnswer(t.tenantId, t.units.berlin, { score: 1 });
    expect(await deliverCaptured(t.tenantId, stale.id, 1, t.paths.newYork!.path)).toEqual({ acked: true, retried: false });
    expect((await caseOf(t.tenantId, stale.id))[0]).toMatchObject({ ownerUserId: t.userIds.manager, unitId: t.units.berlin });
  });

  it('a notification that fails half-way is retried and completes once, without reopening', async () => {
    const a = await makeAnswer(t.tenantId, t.units.paris, { score: 0 });
    await stub.failNext(1, 503);
    expect(await deliverCaptured(t.tenantId, a.id)).toEqual({ acked: false, retried: true });
    const [k] = await caseOf(t.tenantId, a.id);
    expect(k).toBeDefined();
    expect((await eventsOf(t.tenantId, k!.id)).map((e) => e.type)).toEqual(['opened']);
    expect(await deliverCaptured(t.tenantId, a.id, 2)).toEqual({ acked: true, retried: false });
    expect(await deliverCaptured(t.tenantId, a.id, 3)).toEqual({ acked: true, retried: false });
    expect(await caseOf(t.tenantId, a.id)).toHaveLength(1);
    const tries = (await emailsTo(t.email('manager'))).filter((m) => m.body.includes(k!.id));
    expect(tries.map((m) => m.answered)).toEqual([503, 200]);
    expect((await eventsOf(t.tenantId, k!.id)).map((e) => e.type)).toEqual(['opened', 'notified']);
    const hooks = (await deliveriesOf(t.tenantId)).filter((d) => d.data.id === k!.id);
    expect(hooks.map((h) => h.type)).toEqual(['case.opened']);
    // The case is the open step (its unique key); only the notification keeps a step row.
    const steps = await db()
      .select()
      .from(jobSteps)
      .where(and(eq(jobSteps.tenantId, t.tenantId), like(jobSteps.key, `response.captured:${a.id}:%`)));
    expect(steps.map((s) => s.key)).toEqual([`response.captured:${a.id}:notify:email`]);
  });

  it('promoters, passives (unless the touchpoint includes them), unscored and flagged answers open no case', async () => {
    const plain = await makeTouchpoint(t.tenantId);
    const withPassives = await makeTouchpoint(t.tenantId, { rules: { includePassives: true } });
    const expectations: [number | null, boolean, { id: string; surveyId: string }, boolean][] = [
      [9, true, plain, false],
      [7, true, plain, false],
      [8, true, withPassives, true],
      [9, true, withPassives, false],
      [6, true, plain, true],
      [null, true, plain, false],
      [1, false, plain, false], // flagged (not counted): no case
    ];
    for (const [score, counted, touchpoint, opens] of expectations) {
      const a = await makeAnswer(t.tenantId, t.units.paris, { score, counted, touchpoint });
      expect((await deliverCaptured(t.tenantId, a.id)).acked).toBe(true);
      expect((await deliverCaptured(t.tenantId, a.id, 2)).acked).toBe(true); // redelivered
      expect(await caseOf(t.tenantId, a.id), `score ${score} counted ${counted}`).toHaveLength(opens ? 1 : 0);
      // Every answer is a response.created event, once, however often its message comes.
      expect((await deliveriesOf(t.tenantId)).filter((d) => d.type === 'response.created' && d.data.id === a.id)).toHaveLength(1);
    }
  });

  it('a missing response is retried (and ends in the dead-letter queue)', async () => {
    expect(await deliverCaptured(t.tenantId, newId('rsp'))).toEqual({ acked: false, retried: true });
  });
});

describe('routing', () => {
  it("a vendor unit's case goes to its lead; the root's admin when nobody else is there", async () => {
    const a = await makeAnswer(t.tenantId, t.units.fastfix, { score: 4 });
    await deliverCaptured(t.tenantId, a.id);
    expect((await caseOf(t.tenantId, a.id))[0]!.ownerUserId).toBe(t.userIds.vendor);
    const b = await makeAnswer(t.tenantId, t.units.americas, { score: 4 });
    await deliverCaptured(t.tenantId, b.id);
    expect((await caseOf(t.tenantId, b.id))[0]!.ownerUserId).toBe(t.userIds.admin);
    const c = await makeAnswer(t.tenantId, t.units.newYork, { score: 4 });
    await deliverCaptured(t.tenantId, c.id);
    expect((await caseOf(t.tenantId, c.id))[0]!.ownerUserId).toBe(t.userIds.siteManager);
  });

  it('rules on contact attributes first, then the account owner, and SMS when the owner has a number', async () => {
    const f = await makeTenant('Routing');
    const s = await withProviders(f);
    await mergeSettings(f.tenantId, { routingRules: [{ attribute: 'supportTier', equals: 'gold', ownerUserId: f.userIds.analyst }], casePhones: { [f.userIds.analyst!]: '+49301234567' } });
    const contact = async (fields: Record<string, unknown>) => {
      const id = newId('con');
      await db()
        .insert(contacts)
        .values({ id, tenantId: f.tenantId, externalId: `crm-${uniq()}`, email: 'x@y.test', ...fields });
      return id;
    };
    const gold = await makeAnswer(f.tenantId, f.units.berlin, { score: 1, contactId: await contact({ supportTier: 'gold', attributes: { accountOwner: f.email('siteManager') } }) });
    const owned = await makeAnswer(f.tenantId, f.units.berlin, { score: 1, contactId: await contact({ supportTier: 'silver', attributes: { accountOwner: f.email('siteManager') } }) });
    const plain = await makeAnswer(f.tenantId, f.units.berlin, { score: 1, contactId: await contact({ supportTier: 'gold-ish' }) });
    for (const a of [gold, owned, plain]) await deliverCaptured(f.tenantId, a.id);
    expect((await caseOf(f.tenantId, gold.id))[0]!.ownerUserId).toBe(f.userIds.analyst);
    expect((await caseOf(f.tenantId, owned.id))[0]!.ownerUserId).toBe(f.userIds.siteManager);
    expect((await caseOf(f.tenantId, plain.id))[0]!.ownerUserId).toBe(f.userIds.manager);
    const sms = (await s.requests()).filter((r) => r.path.endsWith('/Messages.json'));
    expect(sms).toHaveLength(1);
    expect(new URLSearchParams(sms[0]!.body).get('To')).toBe('+49301234567');
  });
});

describe('the cases API', () => {
  let caseId: string;
  beforeAll(async () => {
    const a = await makeAnswer(t.tenantId, t.units.berlin, { score: 5 });
    await deliverCaptured(t.tenantId, a.id);
    caseId = (await caseOf(t.tenantId, a.id))[0]!.id;
  });

  it('open → contacted → resolved (with a reason), invalid moves 409, reopen; timeline, audit and case.resolved', async () => {
    const token = t.tokens.manager;
    const patch = (body: unknown) => call('PATCH', `/api/v1/cases/${caseId}`, { token, body });
    expect((await patch({ status: 'resolved', reason: 'fixed it' })).status).toBe(409); // not contacted yet
    const contacted = await patch({ status: 'contacted', note: 'called the customer' });
    expect(contacted.status).toBe(200);
    expect(contacted.body.firstContactAt).not.toBeNull();
    const noReason = await patch({ status: 'resolved' });
    expect(noReason.status).toBe(422);
    expect(noReason.body.error.code).toBe('UNPROCESSABLE');
    const resolved = await patch({ status: 'resolved', reason: 'sent a technician', rootCause: 'late technician', tags: ['scheduling', 'staff'] });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', rootCause: 'late technician', tags: ['scheduling', 'staff'] });
    expect(resolved.body.resolvedAt).not.toBeNull();
    expect((await patch({ status: 'contacted' })).status).toBe(409);
    const reopened = await patch({ status: 'open', note: 'customer called back' });
    expect(reopened.body).toMatchObject({ status: 'open', resolvedAt: null });
    const closed = await patch({ status: 'closed', reason: 'duplicate complaint' });
    expect(closed.body.closedAt).not.toBeNull();
    expect((await patch({ status: 'bogus' })).status).toBe(400);
    expect((await patch({ status: 'open', surprise: 1 })).status).toBe(400);

    const got = await call('GET', `/api/v1/cases/${caseId}`, { token });
    expect(got.status).toBe(200);
    expect(got.body.timeline.map((e: any) => e.type)).toEqual(['opened', 'notified', 'contacted', 'resolved', 'reopened', 'closed']);
    expect(got.body.timeline[3]).toMatchObject({ fromStatus: 'contacted', toStatus: 'resolved', reason: 'sent a technician', actorId: t.userIds.manager });
    const log = await call('GET', `/api/v1/audit-log?targetType=case&targetId=${caseId}`, { token: t.tokens.admin });
    expect(log.body.items.filter((r: any) => r.action === 'case.update')).toHaveLength(4);
    expect((await deliveriesOf(t.tenantId)).filter((d) => d.type === 'case.resolved' && d.data.id === caseId)).toHaveLength(1);
  });

  it('who sees what: scope, filters, roles', async () => {
    const ids = (res: any) => res.body.items.map((c: any) => c.id);
    const mine = await call('GET', '/api/v1/cases?scope=mine', { token: t.tokens.manager });
    expect(mine.status).toBe(200);
    expect(ids(mine)).toContain(caseId);
    expect(mine.body.items.every((c: any) => c.ownerUserId === t.userIds.manager)).toBe(true);
    expect(ids(await call('GET', '/api/v1/cases?scope=subtree', { token: t.tokens.analyst }))).toContain(caseId);
    expect(ids(await call('GET', '/api/v1/cases', { token: t.tokens.siteManager }))).not.toContain(caseId);
    expect((await call('GET', `/api/v1/cases/${caseId}`, { token: t.tokens.siteManager })).status).toBe(404);
    // The agent in Berlin owns nothing: sees nothing; the viewer none.
    expect(ids(await call('GET', '/api/v1/cases', { token: t.tokens.agent }))).toEqual([]);
    expect((await call('GET', `/api/v1/cases/${caseId}`, { token: t.tokens.agent })).status).toBe(404);
    expect(ids(await call('GET', '/api/v1/cases', { token: t.tokens.viewer }))).toEqual([]);
    // Vendor: the cases of its vendor unit only, without verbatims unless it owns them.
    const vendor = await call('GET', `/api/v1/cases?vendorId=${t.units.fastfix}`, { token: t.tokens.vendor });
    expect(vendor.status).toBe(200);
    expect(vendor.body.items.length).toBeGreaterThan(0);
    expect(vendor.body.items.every((c: any) => c.unitId === t.units.fastfix)).toBe(true);
    expect((await call('GET', `/api/v1/cases?vendorId=${t.units.quickserve}`, { token: t.tokens.vendor })).status).toBe(404);
    expect((await call('GET', `/api/v1/cases?vendorId=${t.units.berlin}`, { token: t.tokens.admin })).status).toBe(400);
    const closed = await call('GET', '/api/v1/cases?status=closed', { token: t.tokens.admin });
    expect(closed.body.items.every((c: any) => c.status === 'closed')).toBe(true);
    expect(ids(closed)).toContain(caseId);
    expect(ids(await call('GET', '/api/v1/cases?overdue=true', { token: t.tokens.admin }))).not.toContain(caseId);
    // A viewer may not change a case; the agent may not see it.
    expect((await call('PATCH', `/api/v1/cases/${caseId}`, { token: t.tokens.analyst, body: { note: 'x' } })).status).toBe(403);
  });

  it('reply templates per theme and locale, rendered for the case', async () => {
    const post = (body: unknown, token = t.tokens.admin) => call('POST', '/api/v1/reply-templates', { token, body });
    expect((await post({ theme: 'delay', locale: 'en', subject: 'Sorry, {contactName}', body: 'You gave {unitName} a {score}. {unknown}' })).status).toBe(201);
    expect((await post({ theme: 'delay', locale: 'de', subject: 'Entschuldigung, {contactName}', body: 'Sie gaben {unitName} eine {score}.' })).status).toBe(201);
    expect((await post({ theme: 'delay', locale: 'en', subject: 'We are sorry, {contactName}', body: 'You gave {unitName} a {score}. {unknown}' })).status).toBe(200);
    expect((await post({ theme: 'delay', locale: 'en', subject: 'x', body: 'y' }, t.tokens.manager)).status).toBe(403);
    expect((await call('GET', '/api/v1/reply-templates?theme=delay', { token: t.tokens.agent })).body.items).toHaveLength(2);
    const contactId = newId('con');
    await db()
      .insert(contacts)
      .values({ id: contactId, tenantId: t.tenantId, externalId: `crm-${uniq()}`, locale: 'de-AT', attributes: { name: 'Frau Berg' } });
    const a = await makeAnswer(t.tenantId, t.units.berlin, { score: 4, contactId });
    await deliverCaptured(t.tenantId, a.id);
    const k = (await caseOf(t.tenantId, a.id))[0]!;
    const reply = await call('GET', `/api/v1/cases/${k.id}/reply?theme=delay`, { token: t.tokens.manager });
    expect(reply.body).toEqual({ caseId: k.id, theme: 'delay', locale: 'de', subject: 'Entschuldigung, Frau Berg', body: 'Sie gaben Berlin eine 4.' });
    const english = await call('GET', `/api/v1/cases/${caseId}/reply?theme=delay`, { token: t.tokens.manager });
    expect(english.body).toMatchObject({ locale: 'en', body: 'You gave Berlin a 5. {unknown}' });
    expect((await call('GET', `/api/v1/cases/${caseId}/reply?theme=none`, { token: t.tokens.manager })).status).toBe(404);
  });

  it('vendor contracts: admin only, vendor units only', async () => {
    const put = (unit: string | undefined, body: unknown, token = t.tokens.admin) => call('PUT', `/api/v1/vendor-contracts/${unit}`, { token, body });
    const ok = await put(t.units.quickserve, { ownerUserId: t.userIds.siteManager, firstContactHours: 4, resolutionHours: 24 });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ unitId: t.units.quickserve, ownerUserId: t.userIds.siteManager, firstContactHours: 4, resolutionHours: 24 });
    expect((await put(t.units.quickserve, { resolutionHours: 48 })).body).toMatchObject({ firstContactHours: 4, resolutionHours: 48 });
    expect((await put(t.units.berlin, { firstContactHours: 4 })).status).toBe(422);
    expect((await put(t.units.quickserve, { firstContactHours: 4 }, t.tokens.otherVendor)).status).toBe(403);
    expect((await put(t.units.quickserve, { ownerUserId: newId('usr') })).status).toBe(404);
    // A case in the vendor unit takes the contract's targets.
    const a = await makeAnswer(t.tenantId, t.units.quickserve, { score: 3 });
    await deliverCaptured(t.tenantId, a.id);
    const k = (await caseOf(t.tenantId, a.id))[0]!;
    expect([k.firstContactDueAt! - k.createdAt, k.resolutionDueAt! - k.createdAt]).toEqual([4 * 3_600_000, 48 * 3_600_000]);
    expect(k.ownerUserId).toBe(t.userIds.otherVendor);
  });

  it('case settings: targets, calendar, routing rules and phones, validated; admins only', async () => {
    const f = await makeTenant('CaseSettings');
    const put = (body: unknown, token = f.tokens.admin) => call('PUT', '/api/v1/case-settings', { token, body });
    expect((await call('GET', '/api/v1/case-settings', { token: f.tokens.admin })).body).toEqual({
      caseTargets: { firstContactHours: 48, resolutionHours: 168 },
      businessCalendar: null,
      routingRules: [],
      casePhones: {},
      caseNotifyGraceMinutes: 10,
    });
    const calendar = { timezone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '08:00', end: '16:30', holidays: ['2026-12-25'] };
    const ok = await put({ caseTargets: { firstContactHours: 8 }, businessCalendar: calendar, routingRules: [{ attribute: 'supportTier', equals: 'gold', ownerUserId: f.userIds.analyst }] });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toEqual({
      caseTargets: { firstContactHours: 8, resolutionHours: 168 },
      businessCalendar: calendar,
      routingRules: [{ attribute: 'supportTier', equals: 'gold', ownerUserId: f.userIds.analyst }],
      casePhones: {},
      caseNotifyGraceMinutes: 10,
    });
    expect((await put({ businessCalendar: { ...calendar, end: '07:00' } })).status).toBe(400);
    expect((await put({ businessCalendar: { ...calendar, timezone: 'Nowhere/Land' } })).status).toBe(400);
    expect((await put({ caseTargets: { firstContactHours: 0 } })).status).toBe(400);
    expect((await put({ routingRules: [{ attribute: 'x', equals: 'y', ownerUserId: newId('usr') }] })).status).toBe(404);
    expect((await put({ casePhones: { [f.userIds.manager!]: 'not a phone' } })).status).toBe(400);
    expect((await put({ caseTargets: { firstContactHours: 9 } }, f.tokens.manager)).status).toBe(403);
    expect((await put({ businessCalendar: null })).body.businessCalendar).toBeNull();
    // The other settings are untouched by these changes.
    expect((await call('GET', '/api/v1/settings', { token: f.tokens.admin })).body.fatigueDays).toBe(90);
  });

  it('loop metrics per child unit, vendor and owner', async () => {
    const f = await makeTenant('Metrics');
    const H = 3_600_000;
    const day = Date.UTC(2026, 1, 2, 8);
    const tp = await makeTouchpoint(f.tenantId);
    // Three cases written with known times: Berlin contacted after 2 h and resolved after 10 h; Paris contacted after 6 h (due 4 h); FastFix still open past due.
    const rows = [
      { unit: f.units.berlin, owner: f.userIds.manager, contact: 2, resolve: 10 },
      { unit: f.units.paris, owner: f.userIds.manager, contact: 6, resolve: null },
      { unit: f.units.fastfix, owner: f.userIds.vendor, contact: null, resolve: null },
    ];
    const { cases: casesTable } = await import('../../src/db/schema');
    for (const r of rows) {
      const a = await makeAnswer(f.tenantId, r.unit, { score: 2, touchpoint: tp });
      await db()
        .insert(casesTable)
        .values({
          id: newId('case'),
          tenantId: f.tenantId,
          responseId: a.id,
          unitId: r.unit!,
          touchpointId: tp.id,
          ownerUserId: r.owner ?? null,
          status: r.resolve ? 'resolved' : r.contact ? 'contacted' : 'open',
          score: 2,
          createdAt: day,
          firstContactDueAt: day + 4 * H,
          resolutionDueAt: day + 24 * H,
          firstContactAt: r.contact ? day + r.contact * H : null,
          resolvedAt: r.resolve ? day + r.resolve * H : null,
        });
    }
    const res = await call('GET', '/api/v1/cases/metrics?from=2026-02-01&to=2026-02-28', { token: f.tokens.admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.total).toMatchObject({
      cases: 3,
      contacted: 2,
      resolved: 1,
      hoursToFirstContact: { median: 4, mean: 4 },
      hoursToResolve: { median: 10, mean: 10 },
      withinTarget: { firstContact: 0.33, resolution: 0.33 },
    }); // both unresolved cases are past their resolution due time: missed
    const emea = res.body.units.find((u: any) => u.unitId === f.units.emea);
    expect(emea).toMatchObject({ cases: 2, withinTarget: { firstContact: 0.5 } });
    expect(res.body.vendors.find((u: any) => u.unitId === f.units.fastfix)).toMatchObject({ cases: 1, contacted: 0, withinTarget: { firstContact: 0 } });
    expect(res.body.owners.find((o: any) => o.userId === f.userIds.manager)).toMatchObject({ cases: 2, hoursToFirstContact: { median: 4 } });
    expect((await call('GET', '/api/v1/cases/metrics', { token: f.tokens.viewer })).status).toBe(403);
    expect((await call('GET', `/api/v1/cases/metrics?unitId=${f.units.emea}&from=2026-02-01&to=2026-02-28`, { token: f.tokens.manager })).body.total.cases).toBe(2);
    expect((await call('GET', '/api/v1/cases/metrics?from=2026-03-01&to=2026-02-01', { token: f.tokens.admin })).status).toBe(400);
  });
});

describe('the owner hears about a new case with its comment (score first, comment later)', () => {
  const MINUTE = 60_000;
  let n: Fixture;
  let mail: Awaited<ReturnType<typeof withProviders>>;
  beforeAll(async () => {
    n = await makeTenant('Notify');
    mail = await withProviders(n);
    expect((await call('PATCH', `/api/v1/units/${n.units.berlin}`, { token: n.tokens.admin, body: { timezone: 'Europe/Berlin' } })).status).toBe(200);
  });
  /** The every-minute job at `now` (the cron runs it with the tick's time). */
  const tick = (now: number) => notifyDueCases(jobRun(), now);
  const mailsAbout = async (caseId: string) =>
    (await mail.requests()).filter((r) => r.path === '/messages' && r.body.includes(caseId)).map((r) => JSON.parse(r.body) as { to: string; subject: string; text: string });

  /** A detractor's score through the survey link, and its follow-up through the real consumer: the case is open. */
  async function scoreOnly(score: number) {
    const survey = await makeSurvey(n.tenantId);
    const inv = await makeInvitation(survey, n.units.berlin);
    const res = await send('POST', inv.path, { json: { score } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const responseId = res.body.responseId as string;
    expect(await deliverCaptured(n.tenantId, responseId)).toEqual({ acked: true, retried: false });
    const [k] = await caseOf(n.tenantId, responseId);
    expect(k).toMatchObject({ status: 'open', ownerUserId: n.userIds.manager });
    return { inv, responseId, k: k! };
  }

  it('the comment within the grace: one email, with the comment, the portal link and local times, never a second', async () => {
    const { inv, responseId, k } = await scoreOnly(2);
    // Opened without its comment: nobody told yet, by the follow-up or by a tick within the grace.
    expect(await mailsAbout(k.id)).toEqual([]);
    await tick(Date.now());
    expect(await mailsAbout(k.id)).toEqual([]);

    const comment = `The engineer never came ${uniq()}`;
    expect((await send('POST', inv.path, { json: { comment } })).body.status).toBe('updated');
    await tick(Date.now());
    const mails = await mailsAbout(k.id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toBe(n.email('manager'));
    expect(mails[0]!.text).toContain(`Comment: ${comment}`);
    expect(mails[0]!.text).toContain(`Case: ${loadConfig(env as Env).publicBaseUrl}/#/cases/${k.id}`);
    expect(mails[0]!.text).toMatch(/First contact due: .+ \d{2}:\d{2} \(Europe\/Berlin\)/);
    expect(mails[0]!.text).not.toContain('/api/v1/cases/');

    // Redelivered follow-up, later ticks, the grace's end: nothing more.
    expect(await deliverCaptured(n.tenantId, responseId, 2)).toEqual({ acked: true, retried: false });
    await tick(Date.now() + 11 * MINUTE);
    await tick(Date.now() + 60 * MINUTE);
    expect(await mailsAbout(k.id)).toHaveLength(1);
    expect((await eventsOf(n.tenantId, k.id)).map((e) => e.type)).toEqual(['opened', 'notified']);
    expect((await caseOf(n.tenantId, responseId))[0]!.notifyDueAt).toBeNull();
  });

  it('no comment: one email once the grace (10 minutes by default) has passed, never a second', async () => {
    const { responseId, k } = await scoreOnly(1);
    expect(k.notifyDueAt! - Date.now()).toBeGreaterThan(9 * MINUTE);
    await tick(Date.now() + 9 * MINUTE);
    expect(await mailsAbout(k.id)).toEqual([]);
    await tick(k.notifyDueAt!);
    const mails = await mailsAbout(k.id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('Comment: (none)');
    expect(mails[0]!.text).toContain(`/#/cases/${k.id}`);
    // A comment after the notification, a redelivery, later ticks: still one.
    expect(await deliverCaptured(n.tenantId, responseId, 2)).toEqual({ acked: true, retried: false });
    await tick(k.notifyDueAt! + 60 * MINUTE);
    expect(await mailsAbout(k.id)).toHaveLength(1);
    expect((await eventsOf(n.tenantId, k.id)).map((e) => e.type)).toEqual(['opened', 'notified']);
  });

  it('CR and LF never reach the subject: refused in a unit name at the door, dropped by the sender from one stored earlier', async () => {
    const rename = await call('PATCH', `/api/v1/units/${n.units.newYork}`, { token: n.tokens.admin, body: { name: 'New York\r\nBcc: victim@example.test' } });
    expect(rename.status).toBe(400);
    expect(rename.body.error.details).toEqual([expect.objectContaining({ path: 'body.name' })]);
    await db()
      .update(units)
      .set({ name: 'New York\r\nBcc: victim@example.test' })
      .where(and(eq(units.tenantId, n.tenantId), eq(units.id, n.units.newYork!)));
    const a = await makeAnswer(n.tenantId, n.units.newYork, { score: 2 });
    expect(await deliverCaptured(n.tenantId, a.id)).toEqual({ acked: true, retried: false });
    const [k] = await caseOf(n.tenantId, a.id);
    const [m] = await mailsAbout(k!.id);
    expect(m!.subject).toBe('New recovery case: score 2 at New York Bcc: victim@example.test');
    expect(m!.subject).not.toMatch(/[\r\n]/);
  });

  it('the grace is a tenant setting; a provider down at the grace is retried after the lease, once', async () => {
    expect((await call('PUT', '/api/v1/case-settings', { token: n.tokens.admin, body: { caseNotifyGraceMinutes: 30 } })).body.caseNotifyGraceMinutes).toBe(30);
    try {
      const { k } = await scoreOnly(0);
      expect(k.notifyDueAt! - Date.now()).toBeGreaterThan(29 * MINUTE);
      await tick(Date.now() + 11 * MINUTE);
      expect(await mailsAbout(k.id)).toEqual([]);
      await mail.failNext(1, 503);
      await expect(tick(k.notifyDueAt!)).rejects.toThrow(/failed for now/);
      await tick(k.notifyDueAt! + MINUTE); // within the lease: left alone
      await tick(k.notifyDueAt! + 6 * MINUTE);
      const tries = (await mail.requests()).filter((r) => r.path === '/messages' && r.body.includes(k.id));
      expect(tries.map((r) => r.answered)).toEqual([503, 200]);
      expect((await eventsOf(n.tenantId, k.id)).map((e) => e.type)).toEqual(['opened', 'notified']);
    } finally {
      await call('PUT', '/api/v1/case-settings', { token: n.tokens.admin, body: { caseNotifyGraceMinutes: 10 } });
    }
  });
});
