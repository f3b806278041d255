import { TenantDb } from '../../src/db/tenant-db';
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { webhookDeliveries } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { webhookEvent } from '../../src/webhooks/emit';
import worker from '../../src/worker';
import { providerSpace, type RecordedRequest } from './provider';
import { call, db, makeTenant, type Fixture, runCron } from './support';

/**
 * Outgoing webhooks through the real cron dispatcher and queue consumer, to a real HTTP server
 * (test/provider-stub.ts), signatures checked by the independent `standardwebhooks` package.
 * The rules (docs/webhooks.md), written out here: an attempt is a signed POST; 2xx delivers;
 * otherwise the next attempt follows 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the failed
 * one, and the 8th failure ends `failed`. Clocks: deliveries are made due in 2099 (no other
 * suite's cron reaches them), and the worker's Date is faked to the tick being run.
 */

const T0 = Date.UTC(2099, 0, 5, 9, 0, 0);
const SECOND = 1000;
/** The backoff, by hand: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
const DELAYS = [5 * SECOND, 300 * SECOND, 1800 * SECOND, 7200 * SECOND, 18000 * SECOND, 36000 * SECOND, 36000 * SECOND];

let t: Fixture;
const admin = () => t.tokens.admin;

afterEach(() => {
  vi.useRealTimers();
});

/** Runs `fn` with the Worker's clock (Date) at `at`. */
async function at<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'], now: ms });
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}

/** The every-minute cron at `now` with a queue that records what it is handed: the messages for one endpoint's deliveries. */
async function tick(now: number, webhookId: string) {
  const sent: any[] = [];
  const queue = {
    async send(body: unknown) {
      sent.push(body);
    },
    async sendBatch(list: Iterable<{ body: unknown }>) {
      for (const m of list) sent.push(m.body);
    },
  };
  const quiet = { send: async () => undefined, sendBatch: async () => undefined };
  const e = { ...(env as Env), WORKFLOW_QUEUE: queue, DELIVERY_QUEUE: quiet } as unknown as Env;
  await runCron('* * * * *', now, e as never);
  const mine = new Set((await deliveriesOf(webhookId)).map((d) => d.id));
  return sent.filter((m) => m.tenantId === t.tenantId && mine.has(m.deliveryId));
}

/** Delivers messages through the Worker's queue handler at `now`; tells which were acknowledged. */
async function consume(bodies: unknown[], now: number) {
  const batch = createMessageBatch(
    'nps-workflow',
    bodies.map((body, i) => ({ id: `m${i}-${Math.random()}`, timestamp: new Date(now), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await at(now, () => worker.queue(batch as never, env));
  const result = await getQueueResult(batch, ctx);
  return { acked: result.explicitAcks.length, retried: result.retryMessages.length };
}

async function createHook(url: string, events = ['alert.raised', 'case.opened']) {
  const res = await call('POST', '/api/v1/webhooks', { token: admin(), body: { url, events } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string };
}

const deliveriesOf = (webhookId: string) =>
  db()
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.tenantId, t.tenantId), eq(webhookDeliveries.webhookId, webhookId)));
const emit = (data: Record<string, unknown>, now: number) => webhookEvent(new TenantDb(db(), t.tenantId), 'alert.raised', data, now);

/** The stand-in's request as the package wants it. */
const verify = (secret: string, r: RecordedRequest) =>
  new Webhook(secret).verify(r.body, { 'webhook-id': r.headers['webhook-id']!, 'webhook-timestamp': r.headers['webhook-timestamp']!, 'webhook-signature': r.headers['webhook-signature']! });

beforeAll(async () => {
  t = await makeTenant('Hooks');
});

describe('the webhooks API', () => {
  it('creates an endpoint with a whsec_ secret shown once; lists, changes and deletes it (audited)', async () => {
    const hook = await createHook('https://example.test/hook');
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(atob(hook.secret.slice(6)).length).toBeGreaterThanOrEqual(24);
    const list = await call('GET', '/api/v1/webhooks', { token: admin() });
    const mine = list.body.items.find((h: any) => h.id === hook.id);
    expect(mine).toMatchObject({ url: 'https://example.test/hook', events: ['alert.raised', 'case.opened'], active: true, previousSecretExpiresAt: null });
    expect(JSON.stringify(list.body)).not.toContain(hook.secret);

    const patched = await call('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin(), body: { events: ['case.resolved'], active: false } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events: ['case.resolved'], active: false });
    expect((await call('DELETE', `/api/v1/webhooks/${hook.id}`, { token: admin() })).status).toBe(204);
    expect((await call('GET', '/api/v1/webhooks', { token: admin() })).body.items.map((h: any) => h.id)).not.toContain(hook.id);
    const log = await call('GET', `/api/v1/audit-log?targetId=${hook.id}`, { token: admin() });
    expect(log.body.items.map((r: any) => r.action).sort()).toEqual(['webhook.create', 'webhook.delete', 'webhook.update']);
    expect(JSON.stringify(log.body)).not.toContain(hook.secret);
  });

  it('refuses bad input with a 400 and writes nothing', async () => {
    const before = (await call('GET', '/api/v1/webhooks', { token: admin() })).body.items.length;
    for (const body of [
      { url: 'ftp://example.test/x', events: ['alert.raised'] },
      { url: 'not a url', events: ['alert.raised'] },
      { url: 'https://example.test/x', events: ['invoice.paid'] },
      { url: 'https://example.test/x', events: [] },
      { url: 'https://example.test/x', events: ['alert.raised', 'alert.raised'] },
      { url: 'https://example.test/x', events: ['alert.raised'], secret: 'whsec_mine' },
    ]) {
      const res = await call('POST', '/api/v1/webhooks', { token: admin(), body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await call('GET', '/api/v1/webhooks', { token: admin() })).body.items.length).toBe(before);
  });

  it('production takes https endpoints only', async () => {
    const prod = { ...(env as Env), ENVIRONMENT: 'production', PUBLIC_BASE_URL: 'https://nps.example.com', OUTBOUND_ALLOW: undefined } as Env;
    const post = async (url: string) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request('https://nps.example.com/api/v1/webhooks', {
          method: 'POST',
          headers: { authorization: `Bearer ${admin()}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url, events: ['alert.raised'] }),
        }),
        prod,
        ctx,
      );
      return { status: res.status, body: (await res.json()) as any };
    };
    const http = await post('http://example.test/hook');
    expect(http.status).toBe(422);
    expect(http.body.error.details).toEqual([{ path: 'body.url', message: 'https required in production' }]);
    expect((await post('https://example.test/hook')).status).toBe(201);
  });
});

describe('delivery', () => {
  it('signs per Standard Webhooks (verified by the standardwebhooks package) and delivers once', async () => {
    const stub = providerSpace();
    const hook = await createHook(`${stub.url}/hook`);
    const other = await createHook(`${stub.url}/other`, ['case.opened']); // not subscribed to alert.raised
    const now = T0;
    await emit({ alert: { id: 'alr_1' } }, now);
    const [row] = await deliveriesOf(hook.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: now });
    expect(await deliveriesOf(other.id)).toEqual([]);

    const messages = await tick(now, hook.id);
    expect(messages).toEqual([{ type: 'webhook.deliver', tenantId: t.tenantId, deliveryId: row!.id, attempts: 0, idempotencyKey: `webhook.deliver:${row!.id}:0` }]);
    // Leased: the next minute does not enqueue it again while it is on its way.
    expect(await tick(now + 60 * SECOND, hook.id)).toEqual([]);

    // The same message twice: one POST.
    expect(await consume([messages[0], messages[0]], now + 2 * SECOND)).toEqual({ acked: 2, retried: 0 });
    const requests = await stub.requests();
    expect(requests).toHaveLength(1);
    const r = requests[0]!;
    expect(r.path).toBe('/hook');
    expect(r.headers['webhook-id']).toBe(row!.id);
    expect(r.headers['webhook-timestamp']).toBe(String(Math.floor((now + 2 * SECOND) / 1000)));
    expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const payload = await at(now + 2 * SECOND, async () => verify(hook.secret, r));
    expect(payload).toEqual({ type: 'alert.raised', timestamp: new Date(now).toISOString(), data: { alert: { id: 'alr_1' } } });
    // A changed body, or another secret, does not verify.
    await at(now + 2 * SECOND, async () => {
      expect(() => verify(hook.secret, { ...r, body: r.body.replace('alr_1', 'alr_2') })).toThrow();
      expect(() => verify(other.secret, r)).toThrow();
    });

    const [done] = await deliveriesOf(hook.id);
    expect(done).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200, lastError: null, deliveredAt: now + 2 * SECOND, nextAttemptAt: null });
    // Delivered: a late duplicate is acknowledged without sending.
    expect(await consume([messages[0]], now + 3 * SECOND)).toEqual({ acked: 1, retried: 0 });
    expect(await stub.requests()).toHaveLength(1);
  });

  it('retries on the backoff schedule for over 24 h, then fails; the log shows it; a replay sends the same message', async () => {
    const stub = providerSpace();
    const hook = await createHook(`${stub.url}/flaky`);
    await stub.failNext(8, 503);
    const start = T0 + 7 * 86_400_000;
    await emit({ n: 1 }, start);
    const [row] = await deliveriesOf(hook.id);

    let now = start;
    const seen: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      // Not a second early.
      if (attempt > 1) expect(await tick(now - SECOND, hook.id)).toEqual([]);
      const messages = await tick(now, hook.id);
      expect(messages.map((m) => m.deliveryId)).toEqual([row!.id]);
      await consume(messages, now);
      const [d] = await deliveriesOf(hook.id);
      expect(d!.attempts).toBe(attempt);
      expect(d!.lastStatusCode).toBe(503);
      expect(d!.lastError).toContain('HTTP 503');
      seen.push(now - start);
      if (attempt < 8) {
        expect(d!.status).toBe('pending');
        expect(d!.nextAttemptAt).toBe(now + DELAYS[attempt - 1]!);
        now = d!.nextAttemptAt!;
      } else {
        expect(d).toMatchObject({ status: 'failed', nextAttemptAt: null });
      }
    }
    // Attempts at 0, 5 s, 5 min 5 s, 35 min 5 s, 2 h 35 min 5 s, 7 h 35 min 5 s, 17 h 35 min 5 s, 27 h 35 min 5 s.
    expect(seen).toEqual([0, 5_000, 305_000, 2_105_000, 9_305_000, 27_305_000, 63_305_000, 99_305_000]);
    expect(seen.at(-1)!).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(await tick(now + 86_400_000, hook.id)).toEqual([]);
    const requests = await stub.requests();
    expect(requests).toHaveLength(8);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([row!.id]));

    const log = await call('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: admin() });
    expect(log.status).toBe(200);
    expect(log.body.items).toEqual([
      expect.objectContaining({
        id: row!.id,
        eventType: 'alert.raised',
        status: 'failed',
        attempts: 8,
        lastStatusCode: 503,
        nextAttemptAt: null,
        deliveredAt: null,
        createdAt: new Date(start).toISOString(),
      }),
    ]);
    expect((await call('GET', `/api/v1/webhooks/${hook.id}/deliveries?status=delivered`, { token: admin() })).body.items).toEqual([]);

    // Replay: the stand-in answers again; the same webhook-id and body, signed anew.
    const replay = await call('POST', `/api/v1/webhooks/${hook.id}/deliveries/${row!.id}/replay`, { token: admin() });
    expect(replay.status, JSON.stringify(replay.body)).toBe(200);
    expect(replay.body).toMatchObject({ ok: true, statusCode: 200, error: null, delivery: { id: row!.id, status: 'delivered', attempts: 9, lastStatusCode: 200, lastError: null } });
    const after = await stub.requests();
    expect(after).toHaveLength(9);
    expect(after[8]!.headers['webhook-id']).toBe(row!.id);
    expect(after[8]!.body).toBe(after[0]!.body);
    expect(verify(hook.secret, after[8]!)).toEqual({ type: 'alert.raised', timestamp: new Date(start).toISOString(), data: { n: 1 } });
    const audit = await call('GET', `/api/v1/audit-log?targetId=${row!.id}`, { token: admin() });
    expect(audit.body.items.map((r: any) => r.action)).toEqual(['webhook.replay']);

    // Another endpoint's id, or a missing delivery: 404.
    const stranger = await createHook(`${stub.url}/x`);
    expect((await call('POST', `/api/v1/webhooks/${stranger.id}/deliveries/${row!.id}/replay`, { token: admin() })).status).toBe(404);
    expect((await call('POST', `/api/v1/webhooks/${hook.id}/deliveries/msg_missing/replay`, { token: admin() })).status).toBe(404);
  });

  it('rotation: both secrets sign during the overlap, the old one stops after it', async () => {
    const stub = providerSpace();
    const hook = await createHook(`${stub.url}/rotating`);
    const first = T0 + 30 * 86_400_000;
    await emit({ n: 'before' }, first);
    await consume(await tick(first, hook.id), first);
    const [delivered] = await deliveriesOf(hook.id);
    expect(delivered!.status).toBe('delivered');

    const rotated = await call('POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { token: admin() });
    expect(rotated.status).toBe(200);
    const secret2 = rotated.body.secret as string;
    expect(secret2).toMatch(/^whsec_/);
    expect(secret2).not.toBe(hook.secret);
    const expires = Date.parse(rotated.body.previousSecretExpiresAt);
    expect(Math.abs(expires - (Date.now() + 24 * 3600_000))).toBeLessThan(60_000);

    // During the overlap (now, by the real clock): a replay carries two signatures; each secret verifies.
    const replay = await call('POST', `/api/v1/webhooks/${hook.id}/deliveries/${delivered!.id}/replay`, { token: admin() });
    expect(replay.body.ok).toBe(true);
    const during = (await stub.requests()).at(-1)!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verify(secret2, during)).toEqual({ type: 'alert.raised', timestamp: new Date(first).toISOString(), data: { n: 'before' } });
    expect(verify(hook.secret, during)).toEqual({ type: 'alert.raised', timestamp: new Date(first).toISOString(), data: { n: 'before' } });

    // A minute after the overlap: one signature, by the new secret only.
    const late = expires + 60_000;
    await emit({ n: 'after' }, late);
    await consume(await tick(late, hook.id), late);
    const after = (await stub.requests()).at(-1)!;
    expect(JSON.parse(after.body).data).toEqual({ n: 'after' });
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    await at(late, async () => {
      expect(verify(secret2, after)).toMatchObject({ data: { n: 'after' } });
      expect(() => verify(hook.secret, after)).toThrow();
    });
  });

  it('a disabled endpoint gets nothing: its pending message ends failed', async () => {
    const stub = providerSpace();
    const hook = await createHook(`${stub.url}/off`);
    const now = T0 + 60 * 86_400_000;
    await emit({ n: 'x' }, now);
    expect((await call('PATCH', `/api/v1/webhooks/${hook.id}`, { token: admin(), body: { active: false } })).status).toBe(200);
    await consume(await tick(now, hook.id), now);
    expect(await stub.requests()).toEqual([]);
    const [d] = await deliveriesOf(hook.id);
    expect(d).toMatchObject({ status: 'failed', lastError: 'the endpoint is disabled' });
    // No new events for it either.
    await emit({ n: 'y' }, now);
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
  });
});
