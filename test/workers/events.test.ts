import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, events, invitations, tenants } from '../../src/db/schema';
import { samplePoint, SKIP_REASONS } from '../../src/events/eligibility';
import { newId } from '../../src/lib/ids';
import { makeContact, makeKey, makeTouchpoint, stored } from './program-fixture';
import { call, db, makeTenant, uniq, type Fixture, type Login } from './support';

let t: Fixture;
let key: string;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface Ev {
  id?: string;
  type?: string;
  occurredAt?: string;
  contactId: string;
  unitId?: string;
  touchpoint?: string;
  attributes?: Record<string, unknown>;
}
const ev = (e: Ev) => ({ id: `ev-${uniq()}${uniq()}`, type: 'ticket.resolved', occurredAt: iso(Date.now() - 60_000), unitId: t.units.berlin, ...e });
const send = (list: unknown[], token = key) => call('POST', '/api/v1/events', { token, body: { events: list } });

/** One event for a new contact on a touchpoint; answers the event's result. */
async function decideOne(tp: { key: string }, contact: Record<string, unknown> = {}, event: Partial<Ev> = {}) {
  const c = await makeContact(t.tokens.admin, contact);
  const res = await send([ev({ contactId: c.externalId, touchpoint: tp.key, ...event })]);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { ...res.body.results[0], contact: c };
}

beforeAll(async () => {
  t = await makeTenant('Events');
  key = await makeKey(t.tokens.admin);
});

describe('an invitation from an eligible event', () => {
  it('is scheduled on the first channel that reaches the contact, delayMinutes after the event, with the stored decision', async () => {
    const tp = await makeTouchpoint(t.tenantId, { channels: ['sms', 'email', 'link'], delayMinutes: 24 * 60 });
    const c = await makeContact(t.tokens.admin, { locale: 'de-DE' });
    const occurredAt = Date.now() - 3600_000;
    const e = ev({ contactId: c.externalId, touchpoint: tp.key, occurredAt: iso(occurredAt), attributes: { ticketStatus: 'resolved', ticket: 'T-1' } });
    const before = Date.now();
    const res = await send([e]);
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([{ eventId: e.id, decision: 'invite', reason: 'eligible', invitationId: expect.stringMatching(/^inv_/) }]);
    const [inv] = await db().select().from(invitations).where(eq(invitations.id, res.body.results[0].invitationId));
    expect(inv).toMatchObject({
      tenantId: t.tenantId,
      contactId: c.id,
      unitId: t.units.berlin,
      touchpointId: tp.id,
      surveyId: tp.surveyId,
      surveyVersion: 1,
      channel: 'email', // no phone: sms does not reach
      locale: 'de-DE',
      status: 'scheduled',
      source: `event:${e.id}`,
      dueAt: occurredAt + 24 * 3600_000,
      expiresAt: occurredAt + 24 * 3600_000 + 30 * DAY,
      attempts: 0,
    });
    const [row] = await db()
      .select()
      .from(events)
      .where(and(eq(events.tenantId, t.tenantId), eq(events.eventId, e.id)));
    expect(row).toMatchObject({
      decision: 'invite',
      reason: 'eligible',
      invitationId: inv!.id,
      contactId: c.id,
      touchpointId: tp.id,
      occurredAt,
      attributes: { ticketStatus: 'resolved', ticket: 'T-1' },
    });
    expect(row!.createdAt).toBeGreaterThanOrEqual(before);
  });

  it('is due now when the delay has already passed; expiry follows the tenant setting', async () => {
    const T = await makeTenant('EventsExpiry');
    await db()
      .update(tenants)
      .set({ settings: { linkExpiryDays: 7 } })
      .where(eq(tenants.id, T.tenantId));
    const tp = await makeTouchpoint(T.tenantId, { delayMinutes: 60 });
    const c = await makeContact(T.tokens.admin);
    const before = Date.now();
    const res = await send([ev({ contactId: c.externalId, touchpoint: tp.key, unitId: T.units.root, occurredAt: iso(Date.now() - 5 * DAY) })], await makeKey(T.tokens.admin));
    const [inv] = await db().select().from(invitations).where(eq(invitations.id, res.body.results[0].invitationId));
    expect(inv!.dueAt).toBeGreaterThanOrEqual(before);
    expect(inv!.dueAt).toBeLessThanOrEqual(Date.now());
    expect(inv!.expiresAt).toBe(inv!.dueAt + 7 * DAY);
  });

  it('an event without a touchpoint is stored as skip / no_touchpoint and creates nothing', async () => {
    const c = await makeContact(t.tokens.admin);
    const e = ev({ contactId: c.externalId, type: 'interaction.negative', unitId: undefined });
    const res = await send([e]);
    expect(res.body.results).toEqual([{ eventId: e.id, decision: 'skip', reason: 'no_touchpoint' }]);
    expect(await db().select().from(invitations).where(eq(invitations.contactId, c.id))).toEqual([]);
  });
});

describe('the rules, each allowing and refusing', () => {
  it('touchpoint_inactive: an inactive touchpoint invites no one; an active one does', async () => {
    expect((await decideOne(await makeTouchpoint(t.tenantId, { active: false }))).reason).toBe('touchpoint_inactive');
    expect((await decideOne(await makeTouchpoint(t.tenantId, { active: true }))).decision).toBe('invite');
  });

  it('unresolved: a ticketStatus other than resolved or closed skips; resolved, closed (any case) or none invites', async () => {
    const tp = await makeTouchpoint(t.tenantId, { rules: { fatigueDays: 0 } });
    for (const status of ['open', 'pending', 'on-hold', '']) {
      const r = await decideOne(tp, {}, { attributes: { ticketStatus: status } });
      expect([status, r.decision, r.reason]).toEqual([status, 'skip', 'unresolved']);
      expect(r.invitationId).toBeUndefined();
    }
    for (const attributes of [{ ticketStatus: 'resolved' }, { ticketStatus: 'closed' }, { ticketStatus: 'Closed' }, { other: 1 }, undefined]) {
      const r = await decideOne(tp, {}, { attributes });
      expect([attributes, r.decision, r.reason]).toEqual([attributes, 'invite', 'eligible']);
    }
  });

  it('opted_out: an opted-out contact is skipped; after opting back in, invited', async () => {
    const tp = await makeTouchpoint(t.tenantId);
    const r = await decideOne(tp, { optedOut: true });
    expect(r).toMatchObject({ decision: 'skip', reason: 'opted_out' });
    await call('PUT', `/api/v1/contacts/${r.contact.externalId}`, { token: t.tokens.admin, body: { optedOut: false } });
    const again = await send([ev({ contactId: r.contact.externalId, touchpoint: tp.key })]);
    expect(again.body.results[0]).toMatchObject({ decision: 'invite', reason: 'eligible' });
  });

  it('employee and test_contact: skipped; the same contact without the flag is invited', async () => {
    const tp = await makeTouchpoint(t.tenantId);
    expect(await decideOne(tp, { isEmployee: true })).toMatchObject({ decision: 'skip', reason: 'employee' });
    expect(await decideOne(tp, { isTest: true })).toMatchObject({ decision: 'skip', reason: 'test_contact' });
    expect(await decideOne(tp, { isEmployee: false, isTest: false })).toMatchObject({ decision: 'invite' });
  });

  it('recent_negative: a negative interaction within N days before the event skips; older, later, or with the rule off invites', async () => {
    const tp = await makeTouchpoint(t.tenantId, { rules: { suppressAfterNegativeDays: 7 } });
    const off = await makeTouchpoint(t.tenantId);
    const now = Date.now();
    const case_ = async (negativeAgo: number | null, target = tp, sameBatch = false) => {
      const c = await makeContact(t.tokens.admin);
      const negative = negativeAgo === null ? [] : [ev({ contactId: c.externalId, type: 'interaction.negative', unitId: undefined, occurredAt: iso(now - negativeAgo) })];
      const event = ev({ contactId: c.externalId, touchpoint: target.key, occurredAt: iso(now - 60_000) });
      if (!sameBatch && negative.length) expect((await send(negative)).status).toBe(200);
      const res = await send(sameBatch ? [event, ...negative] : [event]);
      return res.body.results[0];
    };
    expect(await case_(3 * DAY)).toMatchObject({ decision: 'skip', reason: 'recent_negative' });
    expect(await case_(3 * DAY, tp, true)).toMatchObject({ decision: 'skip', reason: 'recent_negative' }); // listed after it in the same batch
    expect(await case_(6.9 * DAY)).toMatchObject({ decision: 'skip', reason: 'recent_negative' });
    expect(await case_(8 * DAY)).toMatchObject({ decision: 'invite' });
    expect(await case_(-30_000)).toMatchObject({ decision: 'invite' }); // after the event
    expect(await case_(-30_000, tp, true)).toMatchObject({ decision: 'invite' }); // after the event, in the same batch
    expect(await case_(3 * DAY, off)).toMatchObject({ decision: 'invite' });
    expect(await case_(null)).toMatchObject({ decision: 'invite' });
  });

  it('fatigue: one invitation per contact per window (any touchpoint); the touchpoint window overrides the tenant one; 0 turns it off', async () => {
    const first = await makeTouchpoint(t.tenantId);
    const second = await makeTouchpoint(t.tenantId);
    const r = await decideOne(first);
    expect(r.decision).toBe('invite');
    // The tenant default (90 days) refuses a second invitation, on another touchpoint too.
    const again = await send([ev({ contactId: r.contact.externalId, touchpoint: second.key })]);
    expect(again.body.results[0]).toMatchObject({ decision: 'skip', reason: 'fatigue' });
    // The touchpoint's own window: an invitation 20 days old is outside 10 days, one 5 days old inside.
    const ten = await makeTouchpoint(t.tenantId, { rules: { fatigueDays: 10 } });
    for (const [ago, expected] of [
      [20 * DAY, 'invite'],
      [5 * DAY, 'skip'],
    ] as const) {
      const c = await makeContact(t.tokens.admin);
      const at = Date.now() - ago;
      await db()
        .insert(invitations)
        .values({
          id: newId('inv'),
          tenantId: t.tenantId,
          contactId: c.id,
          unitId: t.units.root!,
          touchpointId: first.id,
          surveyId: first.surveyId,
          surveyVersion: 1,
          channel: 'email',
          status: 'sent',
          source: 'test',
          dueAt: at,
          expiresAt: at + 30 * DAY,
          createdAt: at,
          updatedAt: at,
        });
      const res = await send([ev({ contactId: c.externalId, touchpoint: ten.key })]);
      expect([ago / DAY, res.body.results[0].decision]).toEqual([ago / DAY, expected]);
      if (expected === 'skip') expect(res.body.results[0].reason).toBe('fatigue');
    }
    // fatigueDays 0 on the touchpoint: the same contact again, at once.
    const unlimited = await makeTouchpoint(t.tenantId, { rules: { fatigueDays: 0 } });
    const twice = await send([ev({ contactId: r.contact.externalId, touchpoint: unlimited.key }), ev({ contactId: r.contact.externalId, touchpoint: unlimited.key })]);
    expect(twice.body.results.map((x: any) => x.decision)).toEqual(['invite', 'invite']);
  });

  it('fatigue: the tenant window from settings (0 turns it off); later events of a batch see earlier invitations', async () => {
    const T = await makeTenant('EventsFatigue');
    const tKey = await makeKey(T.tokens.admin);
    const tp = await makeTouchpoint(T.tenantId);
    const c = await makeContact(T.tokens.admin);
    const pair = () => [ev({ contactId: c.externalId, touchpoint: tp.key, unitId: T.units.root }), ev({ contactId: c.externalId, touchpoint: tp.key, unitId: T.units.root })];
    const res = await send(pair(), tKey);
    expect(res.body.results.map((x: any) => `${x.decision}/${x.reason}`)).toEqual(['invite/eligible', 'skip/fatigue']);
    await db()
      .update(tenants)
      .set({ settings: { fatigueDays: 0 } })
      .where(eq(tenants.id, T.tenantId));
    const off = await send(pair(), tKey);
    expect(off.body.results.map((x: any) => x.decision)).toEqual(['invite', 'invite']);
  });

  it('sampled_out: rate 0 skips, 1 invites, per segment with * for the rest; the point is SHA-256 of tenant, contact and event', async () => {
    const tp = await makeTouchpoint(t.tenantId, { rules: { sampling: { vip: 1, trial: 0, '*': 0.5 } } });
    expect(await decideOne(tp, { segment: 'vip' })).toMatchObject({ decision: 'invite' });
    expect(await decideOne(tp, { segment: 'trial' })).toMatchObject({ decision: 'skip', reason: 'sampled_out' });
    expect(await decideOne(await makeTouchpoint(t.tenantId, { rules: { sampling: { '*': 0 } } }))).toMatchObject({ decision: 'skip', reason: 'sampled_out' });
    expect(await decideOne(await makeTouchpoint(t.tenantId, { rules: { sampling: { vip: 0 } } }), { segment: 'other' })).toMatchObject({ decision: 'invite' }); // no * : everyone else at rate 1

    // At rate 0.5 the decision is the hash's, event by event, and some go each way.
    const list: ReturnType<typeof ev>[] = [];
    const people: { id: string; externalId: string }[] = [];
    for (let i = 0; i < 24; i++) {
      const c = await makeContact(t.tokens.admin, { segment: 'smb' });
      people.push(c);
      list.push(ev({ contactId: c.externalId, touchpoint: tp.key }));
    }
    const res = await send(list);
    const expected = await Promise.all(list.map(async (e, i) => ((await samplePoint(t.tenantId, people[i]!.id, e.id)) < 0.5 ? 'invite' : 'skip')));
    expect(res.body.results.map((r: any) => r.decision)).toEqual(expected);
    expect(new Set(expected).size).toBe(2);
    expect((await send(list)).body).toEqual(res.body); // a replay decides the same
  });

  it('daily_cap: at most N invitations per touchpoint per UTC day, counted across batches', async () => {
    const tp = await makeTouchpoint(t.tenantId, { rules: { dailyCap: 2 } });
    const people = await Promise.all([0, 1, 2, 3].map(() => makeContact(t.tokens.admin)));
    const first = await send([ev({ contactId: people[0]!.externalId, touchpoint: tp.key })]);
    expect(first.body.results[0].decision).toBe('invite');
    const rest = await send(people.slice(1).map((p) => ev({ contactId: p.externalId, touchpoint: tp.key })));
    expect(rest.body.results.map((r: any) => `${r.decision}/${r.reason}`)).toEqual(['invite/eligible', 'skip/daily_cap', 'skip/daily_cap']);
    // Another touchpoint has its own cap.
    expect(await decideOne(await makeTouchpoint(t.tenantId, { rules: { dailyCap: 1 } }))).toMatchObject({ decision: 'invite' });
  });

  it('no_channel: email needs an address, sms a phone; link, webhook and in_app always reach', async () => {
    const email = await makeTouchpoint(t.tenantId, { channels: ['email'] });
    const smsFirst = await makeTouchpoint(t.tenantId, { channels: ['sms', 'email'] });
    expect(await decideOne(email, { email: null, phone: '+4915112345678' })).toMatchObject({ decision: 'skip', reason: 'no_channel' });
    const viaSms = await decideOne(smsFirst, { email: null, phone: '+4915112345678' });
    const viaEmail = await decideOne(smsFirst, {});
    const viaLink = await decideOne(await makeTouchpoint(t.tenantId, { channels: ['email', 'sms', 'link'] }), { email: null });
    const viaWebhook = await decideOne(await makeTouchpoint(t.tenantId, { channels: ['webhook'] }), { email: null });
    const viaWidget = await decideOne(await makeTouchpoint(t.tenantId, { channels: ['in_app'] }), { email: null });
    const channels = await db().select({ id: invitations.id, channel: invitations.channel }).from(invitations).where(eq(invitations.tenantId, t.tenantId));
    const channelOf = (r: { invitationId: string }) => channels.find((x) => x.id === r.invitationId)?.channel;
    expect([viaSms, viaEmail, viaLink, viaWebhook, viaWidget].map(channelOf)).toEqual(['sms', 'email', 'link', 'webhook', 'in_app']);
  });

  it('no_published_survey: a survey never published invites no one', async () => {
    expect(await decideOne(await makeTouchpoint(t.tenantId, { published: false }))).toMatchObject({ decision: 'skip', reason: 'no_published_survey' });
    expect(await decideOne(await makeTouchpoint(t.tenantId, { published: true }))).toMatchObject({ decision: 'invite' });
  });

  it('the first refusing rule names the decision', async () => {
    const tp = await makeTouchpoint(t.tenantId, { channels: ['email'], published: false, rules: { sampling: { '*': 0 } } });
    const everything = { optedOut: true, isEmployee: true, isTest: true, email: null };
    expect((await decideOne(tp, everything, { attributes: { ticketStatus: 'open' } })).reason).toBe('unresolved');
    expect((await decideOne(tp, everything)).reason).toBe('opted_out');
    expect((await decideOne(tp, { ...everything, optedOut: false })).reason).toBe('employee');
    expect((await decideOne(tp, { ...everything, optedOut: false, isEmployee: false })).reason).toBe('test_contact');
    expect((await decideOne(tp, { email: null })).reason).toBe('sampled_out');
    expect((await decideOne(await makeTouchpoint(t.tenantId, { channels: ['email'], published: false }), { email: null })).reason).toBe('no_channel');
    expect(SKIP_REASONS).toEqual([
      'touchpoint_inactive',
      'unresolved',
      'opted_out',
      'employee',
      'test_contact',
      'recent_negative',
      'fatigue',
      'sampled_out',
      'daily_cap',
      'no_channel',
      'no_published_survey',
    ]);
  });
});

describe('idempotency by event id', () => {
  it('replaying the same events yields identical decisions and writes nothing', async () => {
    const tp = await makeTouchpoint(t.tenantId, { rules: { dailyCap: 1000 } });
    const people = await Promise.all(Array.from({ length: 8 }, (_, i) => makeContact(t.tokens.admin, i % 3 === 0 ? { isTest: true } : {})));
    const list = [...people.map((p) => ev({ contactId: p.externalId, touchpoint: tp.key })), ev({ contactId: people[1]!.externalId, type: 'interaction.negative', unitId: undefined })];
    const first = await send(list);
    expect(first.status).toBe(200);
    const before = await stored(t.tenantId);
    const audits = async () =>
      (
        await db()
          .select()
          .from(auditLog)
          .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.action, 'events.ingest')))
      ).length;
    const auditBefore = await audits();
    const replay = await send(list);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    // Reordered and mixed with a new event: the old ones answer as stored, the new one is decided.
    const fresh = ev({ contactId: people[2]!.externalId, touchpoint: tp.key });
    const mixed = await send([fresh, ...[...list].reverse()]);
    expect(mixed.body.results.slice(1)).toEqual([...first.body.results].reverse());
    expect(mixed.body.results[0]).toMatchObject({ eventId: fresh.id, decision: 'skip', reason: 'fatigue' });
    const after = await stored(t.tenantId);
    expect(after.invitations).toEqual(before.invitations);
    expect(after.events.length).toBe(before.events.length + 1);
    expect(await audits()).toBe(auditBefore + 1);
  });

  it('the same id twice in one batch is one event with one answer', async () => {
    const tp = await makeTouchpoint(t.tenantId);
    const c = await makeContact(t.tokens.admin);
    const e = ev({ contactId: c.externalId, touchpoint: tp.key });
    const res = await send([e, { ...e, occurredAt: iso(Date.now() - DAY) }]);
    expect(res.body.results[0]).toEqual(res.body.results[1]);
    const rows = await db()
      .select()
      .from(events)
      .where(and(eq(events.tenantId, t.tenantId), eq(events.eventId, e.id)));
    expect(rows).toHaveLength(1);
  });

  it('one audit row per batch, with its counts', async () => {
    const tp = await makeTouchpoint(t.tenantId);
    const [a, b] = [await makeContact(t.tokens.admin), await makeContact(t.tokens.admin, { isTest: true })];
    const res = await send([ev({ contactId: a.externalId, touchpoint: tp.key }), ev({ contactId: b.externalId, touchpoint: tp.key }), ev({ contactId: 'nobody', touchpoint: tp.key })]);
    const rows = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.requestId, res.headers.get('x-request-id')!)));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'events.ingest', actorType: 'api_key', targetType: 'event_batch', details: { received: 3, stored: 2, invited: 1, skipped: 1, replayed: 0, refused: 1 } });
  });
});

describe('bad input', () => {
  it('per item: unknown touchpoint, unit or contact and an event over 24 h ahead get their own 4xx and write nothing; the rest is processed', async () => {
    const tp = await makeTouchpoint(t.tenantId);
    const c = await makeContact(t.tokens.admin);
    const good = ev({ contactId: c.externalId, touchpoint: tp.key });
    const bad = [
      ev({ contactId: c.externalId, touchpoint: 'no-such-touchpoint' }),
      ev({ contactId: c.externalId, touchpoint: tp.key, unitId: newId('unit') }),
      ev({ contactId: `ghost-${uniq()}`, touchpoint: tp.key }),
      ev({ contactId: c.externalId, touchpoint: tp.key, occurredAt: iso(Date.now() + 25 * 3600_000) }),
    ];
    const before = await stored(t.tenantId);
    const res = await send([bad[0], good, ...bad.slice(1)]);
    expect(res.status).toBe(200);
    const [r0, r1, r2, r3, r4] = res.body.results;
    expect(r0).toEqual({ eventId: bad[0]!.id, error: { code: 'NOT_FOUND', message: expect.stringContaining('no-such-touchpoint'), status: 404 } });
    expect(r1).toMatchObject({ eventId: good.id, decision: 'invite' });
    expect(r2).toEqual({ eventId: bad[1]!.id, error: { code: 'NOT_FOUND', message: expect.stringMatching(/unit/), status: 404 } });
    expect(r3).toEqual({ eventId: bad[2]!.id, error: { code: 'NOT_FOUND', message: expect.stringMatching(/contact/), status: 404 } });
    expect(r4).toEqual({ eventId: bad[3]!.id, error: { code: 'UNPROCESSABLE', message: expect.stringMatching(/24 hours/), status: 422 } });
    const after = await stored(t.tenantId);
    expect(after.events.length).toBe(before.events.length + 1);
    expect(after.invitations.length).toBe(before.invitations.length + 1);
    const ids = new Set(after.events.map((e) => e.eventId));
    for (const b of bad) expect(ids.has(b.id)).toBe(false);
    // 23 hours ahead is fine (clock skew).
    const soon = await send([ev({ contactId: c.externalId, occurredAt: iso(Date.now() + 23 * 3600_000), type: 'note.added', unitId: undefined })]);
    expect(soon.body.results[0]).toMatchObject({ decision: 'skip', reason: 'no_touchpoint' });
  });

  it('422 with the same body when no event could be taken; a refused id can be sent again later', async () => {
    const tp = await makeTouchpoint(t.tenantId);
    const e = ev({ contactId: `later-${uniq()}`, touchpoint: tp.key });
    const res = await send([e]);
    expect(res.status).toBe(422);
    expect(res.body.results).toEqual([{ eventId: e.id, error: expect.objectContaining({ status: 404 }) }]);
    await makeContact(t.tokens.admin, {}, e.contactId);
    expect((await send([e])).body.results[0]).toMatchObject({ decision: 'invite' });
  });

  it.each([
    ['501 events', () => ({ events: Array.from({ length: 501 }, () => ev({ contactId: 'x', type: 'note.added', unitId: undefined })) }), 'body.events'],
    ['no events', () => ({ events: [] }), 'body.events'],
    ['an event without id', () => ({ events: [{ ...ev({ contactId: 'x' }), id: undefined }] }), 'body.events.0.id'],
    ['a touchpoint without unitId', () => ({ events: [ev({ contactId: 'x', touchpoint: 'tp', unitId: undefined })] }), 'body.events.0.unitId'],
    ['a date without time zone', () => ({ events: [ev({ contactId: 'x', occurredAt: '2026-01-01T10:00:00' })] }), 'body.events.0.occurredAt'],
    ['an unknown field', () => ({ events: [{ ...ev({ contactId: 'x' }), extra: 1 }] }), 'body.events.0'],
    ['a reserved wave id', () => ({ events: [ev({ contactId: 'x', id: 'wave:abc' })] }), 'body.events.0.id'],
  ])('a malformed request (%s) is refused whole with 400 and writes nothing', async (_, body, path) => {
    const tp = await makeTouchpoint(t.tenantId);
    const c = await makeContact(t.tokens.admin);
    const payload = body() as { events: any[] };
    // A valid event rides along: it must not be written either.
    const valid = ev({ contactId: c.externalId, touchpoint: tp.key });
    if (payload.events.length > 0 && payload.events.length < 500) payload.events.push(valid);
    const before = await stored(t.tenantId);
    const res = await call('POST', '/api/v1/events', { token: key, body: payload });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.map((d: any) => d.path)).toContain(path);
    expect(await stored(t.tenantId)).toEqual(before);
  });

  it('500 events are taken in one call; a body over 1 MiB is refused (413)', async () => {
    const c = await makeContact(t.tokens.admin);
    const list = Array.from({ length: 500 }, () => ev({ contactId: c.externalId, type: 'note.added', unitId: undefined }));
    const res = await send(list);
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(500);
    expect(res.body.results.every((r: any) => r.reason === 'no_touchpoint')).toBe(true);
    const big = await send([ev({ contactId: c.externalId, type: 'note.added', unitId: undefined, attributes: { blob: 'x'.repeat(1024 * 1024) } })]);
    expect(big.status).toBe(413);
  });
});

describe('who may send events', () => {
  const LOGINS: Login[] = ['admin', 'analyst', 'manager', 'siteManager', 'agent', 'vendor', 'otherVendor', 'viewer'];
  let tp: { key: string };
  beforeAll(async () => {
    tp = await makeTouchpoint(t.tenantId, { rules: { fatigueDays: 0 } });
  });

  it.each(LOGINS)('%s (signed in): admin 200, every other role 403', async (login) => {
    const c = await makeContact(t.tokens.admin);
    const e = ev({ contactId: c.externalId, touchpoint: tp.key });
    const res = await send([e], t.tokens[login]);
    const rows = await db()
      .select()
      .from(events)
      .where(and(eq(events.tenantId, t.tenantId), eq(events.eventId, e.id)));
    if (login === 'admin') {
      expect(res.status).toBe(200);
      expect(rows).toHaveLength(1);
    } else {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      expect(rows).toHaveLength(0);
    }
  });

  it('API keys: an admin key on EMEA reaches EMEA units only (others answer 404 per item); read-only and manager keys get 403', async () => {
    const emea = await makeKey(t.tokens.admin, { unitId: t.units.emea });
    const c = await makeContact(t.tokens.admin);
    const res = await send(
      [
        ev({ contactId: c.externalId, touchpoint: tp.key, unitId: t.units.berlin }),
        ev({ contactId: c.externalId, touchpoint: tp.key, unitId: t.units.newYork }),
        ev({ contactId: c.externalId, touchpoint: tp.key, unitId: t.units.root }),
      ],
      emea,
    );
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => r.decision ?? r.error.status)).toEqual(['invite', 404, 404]);
    for (const token of [await makeKey(t.tokens.admin, { scopes: ['read'] }), await makeKey(t.tokens.admin, { role: 'manager' })]) {
      const refused = await send([ev({ contactId: c.externalId, touchpoint: tp.key })], token);
      expect(refused.status).toBe(403);
    }
    expect((await call('POST', '/api/v1/events', { body: { events: [] } })).status).toBe(401);
  });
});

describe('tenants', () => {
  it("B's events never reach A: A's unit is unknown, A's event ids and external ids are B's own namespace", async () => {
    const B = await makeTenant('EventsB');
    const bKey = await makeKey(B.tokens.admin);
    const aTp = await makeTouchpoint(t.tenantId, { key: `shared-${uniq()}` });
    const bTp = await makeTouchpoint(B.tenantId, { key: aTp.key });
    const aContact = await makeContact(t.tokens.admin, { email: 'a-secret@example.test' });
    const aEvent = ev({ contactId: aContact.externalId, touchpoint: aTp.key });
    const aRes = await send([aEvent]);
    expect(aRes.body.results[0].decision).toBe('invite');
    const aBefore = await stored(t.tenantId);

    // A's unit id from B: unknown, answered exactly like an id that exists nowhere.
    const bContact = await makeContact(B.tokens.admin, {}, aContact.externalId);
    const viaAUnit = await send([ev({ contactId: aContact.externalId, touchpoint: aTp.key, unitId: t.units.berlin })], bKey);
    const viaGhost = await send([ev({ contactId: aContact.externalId, touchpoint: aTp.key, unitId: newId('unit') })], bKey);
    expect(viaAUnit.status).toBe(422);
    expect(viaAUnit.body.results[0].error.message.replace(t.units.berlin, 'X')).toBe(viaGhost.body.results[0].error.message.replace(/unit_\w+/, 'X'));
    // A's event id, contact external id and touchpoint key from B: B's own event, decided on B's data.
    const bRes = await send([{ ...aEvent, unitId: B.units.root }], bKey);
    expect(bRes.body.results[0]).toMatchObject({ eventId: aEvent.id, decision: 'invite' });
    expect(bRes.body.results[0].invitationId).not.toBe(aRes.body.results[0].invitationId);
    const [bInv] = await db().select().from(invitations).where(eq(invitations.id, bRes.body.results[0].invitationId));
    expect(bInv).toMatchObject({ tenantId: B.tenantId, contactId: bContact.id, touchpointId: bTp.id });
    expect(JSON.stringify(bRes.body)).not.toContain('a-secret');
    expect(await stored(t.tenantId)).toEqual(aBefore);
  });
});
