import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { commit } from '../../src/db/client';
import { contacts, deliveryAttempts, devOutbox, invitations, surveys, surveyVersions, touchpoints, type Channel } from '../../src/db/schema';
import { enqueueDueDeliveries } from '../../src/delivery/scan';
import type { Env } from '../../src/env';
import { loadConfig } from '../../src/env';
import { newId } from '../../src/lib/ids';
import { verifySurveyLink } from '../../src/surveys/token';
import worker from '../../src/worker';
import { providerSpace } from './provider';
import { call, db, makeTenant, uniq, type Fixture, runCron, jobRun } from './support';

/**
 * Delivery through the real queue consumer and due scan, to real HTTP servers standing in for
 * the providers (test/provider-stub.ts). The rules these expectations come from (docs/delivery.md):
 *  - a try is recorded whatever its outcome; 2xx is sent; a network error, 408, 429 and 5xx
 *    are retried by the queue (10 s doubling); any other 4xx fails for good; the 5th failed
 *    try leaves the invitation `dead` and the message acknowledged;
 *  - a message for an invitation that is not `sending` (or a reminder not due) sends nothing;
 *  - the scan flips due `scheduled` invitations to `sending` and enqueues only those it flipped.
 */

const DAY = 86_400_000;
const MINUTE = 60_000;
/**
 * Scan tests run the due scan with a clock in 2001 on invitations due then: the scan is
 * global, and the other suites' invitations (due around now) stay out of its reach.
 */
const PAST = Date.UTC(2001, 0, 1);

let t: Fixture;
let program: { touchpointId: string; touchpointKey: string; surveyId: string };
const config = () => loadConfig(env as Env);

const DEFINITION = {
  questions: [
    { id: 'nps', type: 'nps', required: true },
    { id: 'why', type: 'comment' },
  ],
  translations: {
    en: {
      'page.title': 'Your feedback',
      'page.submit': 'Send',
      'page.thanks': 'Thanks',
      'page.expired': 'Closed',
      'nps.label': 'How likely are you to recommend Acme?',
      'nps.low': 'Not likely',
      'nps.high': 'Very likely',
      'why.label.detractor': 'What went wrong?',
      'why.label.passive': 'What would make it a 10?',
      'why.label.promoter': 'What did you like?',
      'invite.subject': 'A quick question from Acme',
      'invite.body': 'Please rate us: {link}\n\nThanks',
      'invite.sms': 'Acme: rate us at {link}',
      'reminder.subject': 'Reminder: a quick question from Acme',
      'reminder.body': 'Still a minute for us? {link}',
    },
    de: {
      'page.title': 'Ihre Meinung',
      'page.submit': 'Senden',
      'page.thanks': 'Danke',
      'page.expired': 'Beendet',
      'nps.label': 'Wie wahrscheinlich empfehlen Sie Acme?',
      'nps.low': 'Unwahrscheinlich',
      'nps.high': 'Sehr wahrscheinlich',
      'why.label.detractor': 'Was lief schief?',
      'why.label.passive': 'Was fehlt zur 10?',
      'why.label.promoter': 'Was hat gefallen?',
      'invite.subject': 'Eine kurze Frage von Acme',
      'invite.body': 'Bitte bewerten Sie uns: {link}',
    },
  },
};

async function makeProgram(tenantId: string, definition: Record<string, unknown> = DEFINITION) {
  const d = db();
  const now = Date.now();
  const surveyId = newId('srv');
  const touchpointId = newId('tp');
  const touchpointKey = `support-${uniq()}`;
  await commit(d, [
    d.insert(surveys).values({ id: surveyId, tenantId, name: 'Delivery', defaultLocale: 'en', draft: definition, publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(surveyVersions).values({ id: newId('srvv'), tenantId, surveyId, version: 1, definition, createdAt: now }),
    d.insert(touchpoints).values({
      id: touchpointId,
      tenantId,
      key: touchpointKey,
      name: 'Support',
      kind: 'support_resolution',
      surveyId,
      channels: ['email', 'sms', 'webhook', 'link', 'in_app'],
      reminderAfterDays: 3,
      createdAt: now,
      updatedAt: now,
    }),
  ]);
  return { touchpointId, touchpointKey, surveyId };
}

async function makeContact(fields: { email?: string | null; phone?: string | null; locale?: string | null } = {}) {
  const externalId = `crm_${uniq()}`;
  const row = {
    id: newId('con'),
    tenantId: t.tenantId,
    externalId,
    email: fields.email === undefined ? `${externalId}@example.test` : fields.email,
    phone: fields.phone === undefined ? `+4930${Math.floor(1e6 + Math.random() * 8e6)}` : fields.phone,
    locale: fields.locale ?? null,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  };
  await db().insert(contacts).values(row);
  return row;
}

type InvitationRow = typeof invitations.$inferSelect;

/** An invitation written straight to the database, by default `sending` (as the scan leaves it) in Berlin. */
async function makeInvitation(channel: Channel, opts: Partial<typeof invitations.$inferInsert> & { contact?: { id: string } | null } = {}) {
  const { contact = await makeContact(), ...rest } = opts;
  const now = Date.now();
  const row = {
    id: newId('inv'),
    tenantId: t.tenantId,
    contactId: contact?.id ?? null,
    unitId: t.units.berlin!,
    touchpointId: program.touchpointId,
    surveyId: program.surveyId,
    surveyVersion: 1,
    channel,
    locale: null,
    status: 'sending' as const,
    source: 'test',
    dueAt: now - MINUTE,
    attempts: 0,
    expiresAt: now + 30 * DAY,
    createdAt: now,
    updatedAt: now,
    ...rest,
  };
  await db().insert(invitations).values(row);
  return row;
}

const stored = async (id: string) =>
  (
    await db()
      .select()
      .from(invitations)
      .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.id, id)))
  )[0]!;
const triesOf = (id: string) =>
  db()
    .select()
    .from(deliveryAttempts)
    .where(and(eq(deliveryAttempts.tenantId, t.tenantId), eq(deliveryAttempts.invitationId, id)));
const apiGet = (id: string, token = t.tokens.admin) => call('GET', `/api/v1/invitations/${id}`, { token });

/** Delivers the message as the queue does (the Worker's queue handler) and tells what became of it. */
async function deliver(body: unknown, opts: { attempts?: number; env?: Env } = {}) {
  const id = `msg-${uniq()}`;
  const batch = createMessageBatch('nps-delivery', [{ id, timestamp: new Date(), attempts: opts.attempts ?? 1, body }]);
  // getQueueResult does not report the retry delay: read it off the call on its way through.
  const message = batch.messages[0]!;
  let delaySeconds: number | undefined;
  const retry = message.retry.bind(message);
  message.retry = (options) => {
    delaySeconds = options?.delaySeconds;
    retry(options);
  };
  const ctx = createExecutionContext();
  await worker.queue(batch as never, (opts.env ?? env) as never);
  const result = await getQueueResult(batch, ctx);
  const retried = result.retryMessages.some((m) => m.msgId === id);
  return { acked: result.explicitAcks.includes(id), retried, delaySeconds: retried ? delaySeconds : undefined };
}
const sendMessage = (inv: { id: string }) => ({ type: 'invitation.send', tenantId: t.tenantId, invitationId: inv.id, idempotencyKey: `invitation.send:${inv.id}` });
const remindMessage = (inv: { id: string }) => ({ type: 'invitation.remind', tenantId: t.tenantId, invitationId: inv.id, idempotencyKey: `invitation.remind:${inv.id}` });

/** Points the tenant's providers at a fresh namespace of the stand-in. */
async function useProviders(which: { email?: boolean; sms?: boolean; webhook?: boolean } = { email: true, sms: true, webhook: true }) {
  const space = providerSpace();
  const settings = {
    email: which.email ? { baseUrl: space.url, apiKey: `mail-key-${uniq()}${uniq()}`, from: 'surveys@acme.test' } : null,
    sms: which.sms ? { baseUrl: space.url, accountSid: `AC${uniq()}`, authToken: `sms-token-${uniq()}${uniq()}`, from: '+15550001111' } : null,
    webhook: which.webhook ? { url: `${space.url}/hook`, secret: `whsec-${uniq()}${uniq()}${uniq()}` } : null,
  };
  const res = await call('PATCH', '/api/v1/settings', { token: t.tokens.admin, body: settings });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { ...space, settings };
}

const linkIn = (text: string) => /https?:\/\/\S+\/s\/[\w.-]+/.exec(text)?.[0];

/** The link is a signed token naming this tenant, invitation, survey and version, valid until the invitation expires. */
async function expectValidLink(link: string | undefined, inv: InvitationRow | { id: string; expiresAt: number }) {
  expect(link).toBeDefined();
  expect(link!.startsWith(`${config().publicBaseUrl}/s/`)).toBe(true);
  const token = link!.slice(link!.lastIndexOf('/') + 1);
  const check = await verifySurveyLink(config(), token);
  // The survey travels in the link so that its page can open during an outage (docs/outage.md).
  expect(check).toEqual({ ok: true, claims: { tenantId: t.tenantId, invitationId: inv.id, surveyId: expect.stringMatching(/^srv/), surveyVersion: 1 } });
  const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
  expect(payload.exp).toBe(Math.floor(inv.expiresAt / 1000));
}

/** What a scan enqueued for these invitations (the scan is global; other rows may be due too). */
const enqueuedFor = (q: { sent: any[] }, ...invs: { id: string }[]) => q.sent.filter((m) => invs.some((i) => i.id === m.invitationId));

/** Stands in for the queue producer in scan tests: records what the scan enqueues. */
function recordingQueue() {
  const sent: any[] = [];
  const queue = {
    async send(body: unknown) {
      sent.push(body);
    },
    async sendBatch(messages: Iterable<{ body: unknown }>) {
      const list = [...messages];
      if (list.length > 100) throw new Error('a sendBatch holds at most 100 messages');
      for (const m of list) sent.push(m.body);
    },
  };
  return { sent, env: { ...(env as Env), DELIVERY_QUEUE: queue as unknown as Queue<unknown> } as Env };
}

beforeAll(async () => {
  t = await makeTenant('Delivery');
  program = await makeProgram(t.tenantId);
});

describe('email, SMS and webhook requests', () => {
  it('email: POST {baseUrl}/messages with the Bearer key and the localized message; the link verifies', async () => {
    const stub = await useProviders({ email: true });
    const contact = await makeContact({ locale: 'de-AT' });
    const inv = await makeInvitation('email', { contact, locale: 'de-AT' });
    expect(await deliver(sendMessage(inv))).toEqual({ acked: true, retried: false, delaySeconds: undefined });

    const [req, ...more] = await stub.requests();
    expect(more).toEqual([]);
    expect(req).toMatchObject({ method: 'POST', path: '/messages', query: '', answered: 200 });
    expect(req!.headers).toMatchObject({
      authorization: `Bearer ${stub.settings.email!.apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': `invitation.send:${inv.id}`,
    });
    const body = JSON.parse(req!.body);
    expect(Object.keys(body).sort()).toEqual(['from', 'html', 'subject', 'tags', 'text', 'to']);
    const link = linkIn(body.text);
    // de-AT falls back to de: the German texts, {link} replaced by the link.
    expect(body).toEqual({
      from: 'surveys@acme.test',
      to: contact.email,
      subject: 'Eine kurze Frage von Acme',
      // The greeting first (no name on the contact: the German greeting without one), then the survey's text.
      text: `Hallo,\n\nBitte bewerten Sie uns: ${link}`,
      html: expect.stringContaining(`<a href="${link}" style="color:#1d4ed8">${link}</a>`),
      tags: { invitationId: inv.id },
    });
    expect(body.html).toContain('<html lang="de" dir="ltr">');
    await expectValidLink(link, inv);

    const after = await stored(inv.id);
    expect(after).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
    expect(after.sentAt).toBeGreaterThanOrEqual(inv.createdAt);
    expect(after.reminderDueAt).toBe(after.sentAt! + 3 * DAY); // the touchpoint's reminderAfterDays

    const api = await apiGet(inv.id);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ id: inv.id, status: 'sent', channel: 'email', sentAt: new Date(after.sentAt!).toISOString(), attempts: 1, lastError: null, link });
    // The successful try is the invitation's own sentAt (no row of the delivery log is written for it).
    expect(api.body.deliveryAttempts).toEqual([{ attempt: 1, kind: 'invitation', outcome: 'sent', statusCode: null, error: null, at: new Date(after.sentAt!).toISOString() }]);
    expect(await triesOf(inv.id)).toEqual([]);
  });

  it('SMS: Twilio-style form POST with Basic auth accountSid:authToken', async () => {
    const stub = await useProviders({ sms: true });
    const contact = await makeContact();
    const inv = await makeInvitation('sms', { contact });
    expect((await deliver(sendMessage(inv))).acked).toBe(true);

    const [req, ...more] = await stub.requests();
    expect(more).toEqual([]);
    const { accountSid, authToken, from } = stub.settings.sms!;
    expect(req).toMatchObject({ method: 'POST', path: `/2010-04-01/Accounts/${accountSid}/Messages.json`, answered: 201 });
    expect(req!.headers).toMatchObject({
      authorization: `Basic ${btoa(`${accountSid}:${authToken}`)}`,
      'content-type': 'application/x-www-form-urlencoded',
    });
    const form = new URLSearchParams(req!.body);
    expect([...form.keys()].sort()).toEqual(['Body', 'From', 'To']);
    expect(form.get('To')).toBe(contact.phone);
    expect(form.get('From')).toBe(from);
    const link = linkIn(form.get('Body')!);
    expect(form.get('Body')).toBe(`Acme: rate us at ${link}`);
    await expectValidLink(link, inv);
    expect(await stored(inv.id)).toMatchObject({ status: 'sent', attempts: 1, sentAt: expect.any(Number) });
  });

  it('webhook: signed JSON; the signature verifies with WebCrypto over "<t>.<raw body>"', async () => {
    const stub = await useProviders({ webhook: true });
    const contact = await makeContact({ locale: 'de' });
    const inv = await makeInvitation('webhook', { contact, locale: 'de' });
    const before = Math.floor(Date.now() / 1000);
    expect((await deliver(sendMessage(inv))).acked).toBe(true);

    const [req, ...more] = await stub.requests();
    expect(more).toEqual([]);
    expect(req).toMatchObject({ method: 'POST', path: '/hook' });
    expect(req!.headers['content-type']).toBe('application/json');
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(req!.headers['x-nps-signature']!);
    expect(m).not.toBeNull();
    const ts = Number(m![1]);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(stub.settings.webhook!.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    const mac = Uint8Array.from(m![2]!.match(/../g)!.map((h) => parseInt(h, 16)));
    expect(await crypto.subtle.verify('HMAC', key, mac, new TextEncoder().encode(`${ts}.${req!.body}`))).toBe(true);
    // Any change to the body breaks it.
    expect(await crypto.subtle.verify('HMAC', key, mac, new TextEncoder().encode(`${ts}.${req!.body} `))).toBe(false);

    const body = JSON.parse(req!.body);
    expect(body).toEqual({
      type: 'invitation.created',
      invitation: {
        id: inv.id,
        link: expect.any(String),
        contactId: contact.externalId,
        touchpoint: program.touchpointKey,
        unitId: t.units.berlin,
        locale: 'de',
        expiresAt: new Date(inv.expiresAt).toISOString(),
      },
    });
    await expectValidLink(body.invitation.link, inv);
    expect((await stored(inv.id)).status).toBe('sent');
  });

  it('link and in-app: nothing to send, sent at once; only admins get the link from the API', async () => {
    const stub = await useProviders();
    for (const channel of ['link', 'in_app'] as const) {
      const inv = await makeInvitation(channel);
      expect((await deliver(sendMessage(inv))).acked).toBe(true);
      const after = await stored(inv.id);
      expect(after).toMatchObject({ status: 'sent', attempts: 1, reminderDueAt: null }); // no reminder: nobody to send it to
      const admin = await apiGet(inv.id);
      await expectValidLink(admin.body.link, inv);
      const analyst = await apiGet(inv.id, t.tokens.analyst);
      expect(analyst.status).toBe(200);
      expect(analyst.body.link).toBeUndefined();
      expect(analyst.body).toMatchObject({ id: inv.id, status: 'sent', channel });
    }
    expect(await stub.requests()).toEqual([]);
  });
});

describe('failures, retries and the dead-letter state', () => {
  it('a provider that fails twice then succeeds: one message sent, three tries recorded', async () => {
    const stub = await useProviders({ email: true });
    const inv = await makeInvitation('email');
    await stub.failNext(2, 503);
    expect(await deliver(sendMessage(inv), { attempts: 1 })).toEqual({ acked: false, retried: true, delaySeconds: 10 });
    expect(await stored(inv.id)).toMatchObject({ status: 'sending', attempts: 1, lastError: expect.stringContaining('HTTP 503') });
    expect(await deliver(sendMessage(inv), { attempts: 2 })).toEqual({ acked: false, retried: true, delaySeconds: 20 });
    expect(await deliver(sendMessage(inv), { attempts: 3 })).toEqual({ acked: true, retried: false, delaySeconds: undefined });

    const reqs = await stub.requests();
    expect(reqs.map((r) => r.answered)).toEqual([503, 503, 200]);
    // The same message each time (a provider may deduplicate on the key).
    expect(new Set(reqs.map((r) => r.body)).size).toBe(1);
    expect(new Set(reqs.map((r) => r.headers['idempotency-key'])).size).toBe(1);

    const api = await apiGet(inv.id);
    expect(api.body).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
    expect(api.body.deliveryAttempts.map((a: any) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [1, 'failed', 503],
      [2, 'failed', 503],
      [3, 'sent', null],
    ]);
    expect(api.body.deliveryAttempts[0].error).toMatch(/^HTTP 503/);
  });

  it('one that always fails: five tries, then dead with the last error, visible through the API; the message is acknowledged', async () => {
    const stub = await useProviders({ email: true });
    const inv = await makeInvitation('email');
    await stub.failNext(100, 502);
    const delays: (number | undefined)[] = [];
    for (let n = 1; n <= 4; n++) {
      const r = await deliver(sendMessage(inv), { attempts: n });
      expect(r.retried, `try ${n}`).toBe(true);
      delays.push(r.delaySeconds);
    }
    expect(delays).toEqual([10, 20, 40, 80]);
    expect(await deliver(sendMessage(inv), { attempts: 5 })).toEqual({ acked: true, retried: false, delaySeconds: undefined });

    const api = await apiGet(inv.id);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ id: inv.id, status: 'dead', attempts: 5, lastError: expect.stringMatching(/^HTTP 502/) });
    expect(api.body.sentAt).toBeUndefined();
    expect(api.body.deliveryAttempts.map((a: any) => [a.attempt, a.outcome, a.statusCode])).toEqual([1, 2, 3, 4, 5].map((n) => [n, 'failed', 502]));

    // A late redelivery changes nothing and sends nothing.
    expect((await deliver(sendMessage(inv), { attempts: 6 })).acked).toBe(true);
    expect(await stub.requests()).toHaveLength(5);
    expect((await stored(inv.id)).attempts).toBe(5);
  });

  it('a dropped connection and a 429 are retried; a 400 fails for good at once', async () => {
    const stub = await useProviders({ email: true });
    const retried = await makeInvitation('email');
    await stub.failNext(1, 0);
    const dropped = await deliver(sendMessage(retried));
    expect(dropped.retried).toBe(true);
    expect((await triesOf(retried.id))[0]).toMatchObject({ outcome: 'failed', statusCode: null, error: expect.stringMatching(/^no answer from 127\.0\.0\.1/) });
    await stub.failNext(1, 429);
    expect((await deliver(sendMessage(retried), { attempts: 2 })).retried).toBe(true);
    expect((await deliver(sendMessage(retried), { attempts: 3 })).acked).toBe(true);
    expect(await stored(retried.id)).toMatchObject({ status: 'sent', attempts: 3 });

    const refused = await makeInvitation('email');
    await stub.failNext(1, 400);
    expect(await deliver(sendMessage(refused))).toEqual({ acked: true, retried: false, delaySeconds: undefined });
    expect(await stored(refused.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringMatching(/^HTTP 400/) });
    expect((await deliver(sendMessage(refused), { attempts: 2 })).acked).toBe(true);
    expect((await stub.requests()).filter((r) => JSON.parse(r.body).tags.invitationId === refused.id)).toHaveLength(1);
  });

  it('without a provider outside development, or without a recipient: failed with a clear error, nothing lost silently', async () => {
    const cleared = await call('PATCH', '/api/v1/settings', { token: t.tokens.admin, body: { email: null, sms: null, webhook: null } });
    expect(cleared.status).toBe(200);
    const cases = [
      { channel: 'email' as const, contact: undefined, error: 'no email provider is configured (settings.email)' },
      { channel: 'sms' as const, contact: undefined, error: 'no SMS provider is configured (settings.sms)' },
      { channel: 'webhook' as const, contact: undefined, error: 'no webhook is configured (settings.webhook)' },
      { channel: 'email' as const, contact: { email: null }, error: 'the contact has no email address' },
    ];
    for (const c of cases) {
      const inv = await makeInvitation(c.channel, c.contact ? { contact: await makeContact(c.contact) } : {});
      expect(await deliver(sendMessage(inv))).toEqual({ acked: true, retried: false, delaySeconds: undefined });
      const api = await apiGet(inv.id);
      expect(api.body, c.error).toMatchObject({ status: 'failed', attempts: 1, lastError: c.error });
      expect(api.body.deliveryAttempts).toEqual([expect.objectContaining({ outcome: 'failed', statusCode: null, error: c.error })]);
      expect(await db().select().from(devOutbox).where(eq(devOutbox.invitationId, inv.id))).toEqual([]);
    }
  });
});

describe('idempotency', () => {
  it('the same message delivered twice sends once, one after the other or at the same time', async () => {
    const stub = await useProviders({ email: true });
    const one = await makeInvitation('email');
    expect((await deliver(sendMessage(one))).acked).toBe(true);
    expect((await deliver(sendMessage(one), { attempts: 2 })).acked).toBe(true);

    const two = await makeInvitation('email');
    const both = await Promise.all([deliver(sendMessage(two)), deliver(sendMessage(two))]);
    expect(both.map((r) => r.acked)).toEqual([true, true]);

    const sentTo = (await stub.requests()).map((r) => JSON.parse(r.body).tags.invitationId);
    expect(sentTo.sort()).toEqual([one.id, two.id].sort());
    for (const inv of [one, two]) {
      expect(await stored(inv.id)).toMatchObject({ status: 'sent', attempts: 1 });
      expect((await apiGet(inv.id)).body.deliveryAttempts).toHaveLength(1);
    }
  });

  it('answered, cancelled, expired and still scheduled invitations are never sent', async () => {
    const stub = await useProviders({ email: true });
    for (const status of ['answered', 'cancelled', 'expired', 'scheduled'] as const) {
      const inv = await makeInvitation('email', { status });
      expect((await deliver(sendMessage(inv))).acked).toBe(true);
      expect(await stored(inv.id)).toMatchObject({ status, attempts: 0 });
    }
    // Sending, but the link expired meanwhile: not sent either.
    const late = await makeInvitation('email', { expiresAt: Date.now() - 1000 });
    expect((await deliver(sendMessage(late))).acked).toBe(true);
    expect(await stub.requests()).toEqual([]);
  });

  it('a malformed message is retried, never acknowledged', async () => {
    expect(await deliver({ type: 'invitation.send', idempotencyKey: 'x' })).toMatchObject({ acked: false, retried: true });
  });
});

describe('the due scan (cron)', () => {
  it('the every-minute cron hands due invitations to the delivery queue', async () => {
    const q = recordingQueue();
    const inv = await makeInvitation('email', { status: 'scheduled', dueAt: Date.now() - MINUTE });
    await runCron('* * * * *', Date.now(), q.env as never);
    expect(enqueuedFor(q, inv)).toEqual([{ type: 'invitation.send', tenantId: t.tenantId, invitationId: inv.id, idempotencyKey: `invitation.send:${inv.id}` }]);
    expect((await stored(inv.id)).status).toBe('sending');
  });

  it('flips due invitations to sending and enqueues each once; a second run sends nothing more', async () => {
    const stub = await useProviders({ email: true });
    const now = PAST + 10 * DAY;
    const due = await makeInvitation('email', { status: 'scheduled', dueAt: now - MINUTE, updatedAt: now - DAY });
    const dueExactly = await makeInvitation('link', { status: 'scheduled', dueAt: now, updatedAt: now - DAY });
    const later = await makeInvitation('email', { status: 'scheduled', dueAt: now + MINUTE });

    const first = recordingQueue();
    await enqueueDueDeliveries(jobRun(first.env as never), now);
    const mine = (q: { sent: any[] }) => enqueuedFor(q, due, dueExactly, later).map((m) => `${m.type} ${m.invitationId}`);
    expect(mine(first).sort()).toEqual([`invitation.send ${due.id}`, `invitation.send ${dueExactly.id}`].sort());
    expect(await stored(due.id)).toMatchObject({ status: 'sending', updatedAt: now });
    expect((await stored(later.id)).status).toBe('scheduled');

    const second = recordingQueue();
    await enqueueDueDeliveries(jobRun(second.env as never), now + 30_000);
    expect(mine(second)).toEqual([]);

    for (const body of enqueuedFor(first, due, dueExactly)) expect((await deliver(body)).acked).toBe(true);
    expect((await stub.requests()).map((r) => JSON.parse(r.body).tags.invitationId)).toEqual([due.id]);
    expect((await stored(dueExactly.id)).status).toBe('sent');
  });

  it('recovers a crash: a sending invitation untouched for 15 minutes is enqueued again and sent once', async () => {
    const stub = await useProviders({ email: true });
    const now = PAST + 20 * DAY;
    // Flipped, then the run died before enqueueing.
    const lost = await makeInvitation('email', { status: 'sending', dueAt: now - 20 * MINUTE, updatedAt: now - 15 * MINUTE });
    // Claimed by a worker that died mid-try: attempts is one ahead of the tries recorded.
    const interrupted = await makeInvitation('email', { status: 'sending', attempts: 1, dueAt: now - 20 * MINUTE, updatedAt: now - 16 * MINUTE });
    // In progress right now: left alone.
    const busy = await makeInvitation('email', { status: 'sending', attempts: 1, dueAt: now - 20 * MINUTE, updatedAt: now - 14 * MINUTE });

    const q = recordingQueue();
    await enqueueDueDeliveries(jobRun(q.env as never), now);
    const mine = enqueuedFor(q, lost, interrupted, busy);
    expect(mine.map((m) => m.invitationId).sort()).toEqual([lost.id, interrupted.id].sort());
    expect(await stored(interrupted.id)).toMatchObject({ status: 'sending', attempts: 0, updatedAt: now });

    // The busy one cannot be claimed by a stray message either: its try is in progress.
    expect((await deliver(sendMessage(busy))).acked).toBe(true);
    for (const body of [...mine, ...mine]) expect((await deliver(body)).acked).toBe(true);
    expect((await stub.requests()).map((r) => JSON.parse(r.body).tags.invitationId).sort()).toEqual([lost.id, interrupted.id].sort());
    expect(await stored(interrupted.id)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await stored(busy.id)).toMatchObject({ status: 'sending', attempts: 1 });
  });

  it('expires what is past its expiry and not answered', async () => {
    const now = PAST + 30 * DAY;
    const scheduled = await makeInvitation('email', { status: 'scheduled', dueAt: now - DAY, expiresAt: now - 1 });
    const sent = await makeInvitation('email', { status: 'sent', sentAt: now - 20 * DAY, expiresAt: now });
    const answered = await makeInvitation('email', { status: 'answered', sentAt: now - 20 * DAY, expiresAt: now - DAY });
    const open = await makeInvitation('email', { status: 'sent', sentAt: now - 20 * DAY, expiresAt: now + 1 });
    const q = recordingQueue();
    await enqueueDueDeliveries(jobRun(q.env as never), now);
    expect(enqueuedFor(q, scheduled, sent, answered, open)).toEqual([]);
    expect((await stored(scheduled.id)).status).toBe('expired');
    expect((await stored(sent.id)).status).toBe('expired');
    expect((await stored(answered.id)).status).toBe('answered');
    expect((await stored(open.id)).status).toBe('sent');
    expect((await apiGet(sent.id)).body).toMatchObject({ status: 'expired' });
    expect((await apiGet(sent.id)).body.link).toBeUndefined();
  });
});

describe('reminders', () => {
  it('an unanswered invitation is reminded once when its reminder is due', async () => {
    const stub = await useProviders({ email: true });
    const inv = await makeInvitation('email');
    expect((await deliver(sendMessage(inv))).acked).toBe(true);
    const sent = await stored(inv.id);
    expect(sent.reminderDueAt).toBe(sent.sentAt! + 3 * DAY);

    const now = PAST + 40 * DAY;
    const answered = await makeInvitation('email', { status: 'answered', reminderDueAt: now - MINUTE });
    await db()
      .update(invitations)
      .set({ reminderDueAt: now - MINUTE })
      .where(eq(invitations.id, inv.id));
    const first = recordingQueue();
    await enqueueDueDeliveries(jobRun(first.env as never), now);
    const mine = enqueuedFor(first, inv, answered);
    expect(mine).toEqual([{ type: 'invitation.remind', tenantId: t.tenantId, invitationId: inv.id, idempotencyKey: `invitation.remind:${inv.id}` }]);
    // Reserved: the next minute does not enqueue it again.
    const second = recordingQueue();
    await enqueueDueDeliveries(jobRun(second.env as never), now + MINUTE);
    expect(enqueuedFor(second, inv)).toEqual([]);

    expect((await deliver(mine[0])).acked).toBe(true);
    expect((await deliver(mine[0], { attempts: 2 })).acked).toBe(true); // redelivered: nothing more
    const reqs = await stub.requests();
    expect(reqs).toHaveLength(2);
    const reminder = JSON.parse(reqs[1]!.body);
    const link = linkIn(JSON.parse(reqs[0]!.body).text);
    expect(reminder).toMatchObject({ subject: 'Reminder: a quick question from Acme', text: `Hello,\n\nStill a minute for us? ${link}`, tags: { invitationId: inv.id } });
    expect(reqs[1]!.headers['idempotency-key']).toBe(`invitation.remind:${inv.id}`);

    const api = await apiGet(inv.id);
    expect(api.body).toMatchObject({ status: 'sent', attempts: 2, remindedAt: expect.any(String) });
    expect(api.body.deliveryAttempts.map((a: any) => [a.kind, a.attempt, a.outcome])).toEqual([
      ['invitation', 1, 'sent'],
      ['reminder', 1, 'sent'],
    ]);
    // Once reminded, never again, even with its reminder due.
    await db().update(invitations).set({ reminderDueAt: now }).where(eq(invitations.id, inv.id));
    const later = recordingQueue();
    await enqueueDueDeliveries(jobRun(later.env as never), now + 20 * MINUTE);
    expect(enqueuedFor(later, inv)).toEqual([]);
    expect((await stored(answered.id)).remindedAt).toBeNull();
  });

  it('a reminder the provider keeps refusing is given up after five tries; the invitation stays sent', async () => {
    const stub = await useProviders({ email: true });
    // Enqueued already (so reserved ahead): no scan of another suite enqueues it meanwhile.
    const inv = await makeInvitation('email', { status: 'sent', attempts: 1, sentAt: Date.now() - 3 * DAY, reminderDueAt: Date.now() + 10 * MINUTE });
    await stub.failNext(100, 503);
    for (let n = 1; n <= 4; n++) expect((await deliver(remindMessage(inv), { attempts: n })).retried).toBe(true);
    expect((await deliver(remindMessage(inv), { attempts: 5 })).acked).toBe(true);
    expect(await stored(inv.id)).toMatchObject({ status: 'sent', attempts: 6, reminderDueAt: null, remindedAt: null, lastError: expect.stringMatching(/^reminder: HTTP 503/) });
    expect((await deliver(remindMessage(inv), { attempts: 6 })).acked).toBe(true);
    expect(await stub.requests()).toHaveLength(5);
  });
});

describe('dev outbox', () => {
  const devEnv = () => ({ ...(env as Env), ENVIRONMENT: 'development' }) as Env;
  const outbox = (query: string, environment: string, token?: string) =>
    createApp().request(
      `/dev/outbox${query}`,
      { headers: token ? { authorization: `Bearer ${token}` } : {} },
      { ...(env as Env), ENVIRONMENT: environment, ...(environment === 'production' ? { PUBLIC_BASE_URL: 'https://nps.example.com', OUTBOUND_ALLOW: undefined } : {}) },
      createExecutionContext(),
    );

  it("in development, email and SMS without a provider land in the outbox, newest first, filtered by ?to=; the tenant's admin reads it", async () => {
    const cleared = await call('PATCH', '/api/v1/settings', { token: t.tokens.admin, body: { email: null, sms: null } });
    expect(cleared.status).toBe(200);
    const contact = await makeContact();
    const first = await makeInvitation('email', { contact });
    const second = await makeInvitation('email', { contact });
    const text = await makeInvitation('sms', { contact });
    for (const inv of [first, second, text]) expect((await deliver(sendMessage(inv), { env: devEnv() })).acked).toBe(true);
    for (const inv of [first, second, text]) expect(await stored(inv.id)).toMatchObject({ status: 'sent', attempts: 1 });

    const res = await outbox(`?to=${encodeURIComponent(contact.email!)}`, 'development', t.tokens.admin);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: any[] };
    expect(items.map((i) => i.invitationId)).toEqual([second.id, first.id]);
    expect(items[0]).toMatchObject({ tenantId: t.tenantId, channel: 'email', to: contact.email, subject: 'A quick question from Acme' });
    await expectValidLink(linkIn(items[0].body), second);

    const sms = (await (await outbox(`?to=${encodeURIComponent(contact.phone!)}`, 'development', t.tokens.admin)).json()) as { items: any[] };
    expect(sms.items).toEqual([expect.objectContaining({ channel: 'sms', to: contact.phone, subject: null, invitationId: text.id })]);
  });

  it("needs a credential (401) of the tenant's admin (403 for a manager); another tenant's admin never sees these messages", async () => {
    const contact = await makeContact();
    await db()
      .insert(devOutbox)
      .values({
        id: newId('out'),
        tenantId: t.tenantId,
        channel: 'email',
        recipient: contact.email!,
        subject: 'Survey',
        body: 'a survey link and a verbatim',
        invitationId: null,
        createdAt: Date.now(),
      });
    for (const environment of ['development', 'test']) {
      const anonymous = await outbox('', environment);
      expect(anonymous.status, environment).toBe(401);
      expect(((await anonymous.json()) as any).error.code).toBe('UNAUTHORIZED');
      expect((await outbox('', environment, t.tokens.manager)).status, environment).toBe(403);
      const mine = (await (await outbox('?limit=500', environment, t.tokens.admin)).json()) as { items: any[] };
      expect(mine.items.some((i) => i.to === contact.email)).toBe(true);
      expect(mine.items.every((i) => i.tenantId === t.tenantId)).toBe(true);
    }
    const other = await makeTenant('Outbox');
    for (const query of ['?limit=500', `?to=${encodeURIComponent(contact.email!)}`]) {
      const res = await outbox(query, 'development', other.tokens.admin);
      expect(res.status).toBe(200);
      const { items } = (await res.json()) as { items: any[] };
      expect(items.filter((i) => i.tenantId !== other.tenantId)).toEqual([]);
      expect(JSON.stringify(items)).not.toContain(contact.email!);
    }
  });

  it('answers 404 with the envelope in production, credential or not, whatever the query', async () => {
    for (const token of [undefined, t.tokens.admin]) {
      for (const query of ['', '?limit=0']) {
        const res = await outbox(query, 'production', token);
        expect(res.status, `${token ? 'admin' : 'anonymous'} ${query}`).toBe(404);
        const body = (await res.json()) as any;
        expect(body.error.code).toBe('NOT_FOUND');
        expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
      }
    }
  });
});

describe('outbound requests (docs/delivery.md "Outbound requests")', () => {
  it('a provider answering 302 is not followed, on any channel: one request, a permanent failure recorded by status only', async () => {
    for (const channel of ['email', 'sms', 'webhook'] as const) {
      const stub = await useProviders({ [channel]: true });
      await stub.failNext(1, 302, `${stub.url}/landed`);
      const inv = await makeInvitation(channel);
      expect((await deliver(sendMessage(inv))).acked, channel).toBe(true);
      expect(await stored(inv.id), channel).toMatchObject({ status: 'failed', attempts: 1, lastError: 'HTTP 302 (redirects are not followed)' });
      const requests = await stub.requests();
      // The redirect's target never saw the tenant's key: no second request.
      expect(requests, channel).toHaveLength(1);
      expect(requests[0]!.path).not.toBe('/landed');
    }
  });

  it("a provider's answer to a failed call is not kept or shown: the status only", async () => {
    const stub = await useProviders({ email: true });
    await stub.failNext(1, 400);
    const inv = await makeInvitation('email');
    await deliver(sendMessage(inv));
    expect(await stored(inv.id)).toMatchObject({ status: 'failed', lastError: 'HTTP 400' });
    expect((await apiGet(inv.id)).body.lastError).toBe('HTTP 400');
  });

  it('CR and LF never reach a mail header: a subject stored with a line break is sent on one line', async () => {
    const injected = { ...DEFINITION, translations: { en: { ...DEFINITION.translations.en, 'invite.subject': 'A question\r\nBcc: victim@example.test\r\n' } } };
    const other = await makeProgram(t.tenantId, injected);
    const stub = await useProviders({ email: true });
    const inv = await makeInvitation('email', { touchpointId: other.touchpointId, surveyId: other.surveyId });
    expect((await deliver(sendMessage(inv))).acked).toBe(true);
    const [request] = await stub.requests();
    const sent = JSON.parse(request!.body) as { subject: string; from: string; to: string };
    expect(sent.subject).toBe('A question Bcc: victim@example.test');
    for (const field of [sent.subject, sent.from, sent.to]) expect(field).not.toMatch(/[\r\n]/);
  });

  it('the door refuses a survey subject with a line break', async () => {
    const definition = { ...DEFINITION, translations: { en: { ...DEFINITION.translations.en, 'invite.subject': 'Hi\r\nBcc: x@example.test' } } };
    const res = await call('POST', '/api/v1/surveys', { token: t.tokens.admin, body: { name: `Injected ${uniq()}`, defaultLocale: 'en', definition } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body.definition.translations.en.invite.subject' })]));
  });
});
