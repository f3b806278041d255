import { TenantDb } from '../../src/db/tenant-db';
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tenants, webhookDeliveries, webhooks } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { webhookEvent } from '../../src/webhooks/emit';
import worker from '../../src/worker';
import { call, db, makeTenant, type Fixture } from './support';

/**
 * Server-side requests (docs/delivery.md "Outbound requests"): a tenant admin may not point the
 * Worker at the platform's own network. The local libSQL server of the suite stands for it: it
 * listens on 127.0.0.1 and is not on the tests' OUTBOUND_ALLOW list (only the provider stand-in is).
 */

let t: Fixture;
const admin = () => t.tokens.admin;
/** The database server: an internal service a tenant must not reach. */
const internal = () => `${env.LIBSQL_URL!.replace(/\/+$/, '')}/v2/pipeline`;

/** Internal addresses in the spellings a URL allows. */
const INTERNAL = [
  'http://2130706433/',
  'http://[::ffff:127.0.0.1]/',
  'http://0x7f.1/',
  'http://017700000001/',
  'http://127.1:8080/',
  'http://localhost:8790/',
  'http://db.localhost/',
  'http://10.0.0.7/hook',
  'http://172.20.1.1/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://0.0.0.0/',
  'http://169.254.169.254/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://printer.local/',
  'http://[::1]/',
  'http://[fd00::1]/',
  'http://[fe80::1]/',
  'http://intranet/',
];

beforeAll(async () => {
  t = await makeTenant('Outbound');
});

describe('addresses are checked when they are set', () => {
  it('a webhook endpoint on the database server or any internal spelling: 422 with the envelope, nothing created', async () => {
    const before = (await call('GET', '/api/v1/webhooks', { token: admin() })).body.items.length;
    for (const url of [internal(), ...INTERNAL]) {
      const res = await call('POST', '/api/v1/webhooks', { token: admin(), body: { url, events: ['alert.raised'] } });
      expect(res.status, url).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'UNPROCESSABLE', details: [{ path: 'body.url', message: expect.stringMatching(/internal/) }], requestId: expect.any(String) });
    }
    expect((await call('GET', '/api/v1/webhooks', { token: admin() })).body.items.length).toBe(before);
    // A public address is fine.
    expect((await call('POST', '/api/v1/webhooks', { token: admin(), body: { url: 'https://hooks.example.com/nps', events: ['alert.raised'] } })).status).toBe(201);
  });

  it('mail, SMS and invitation webhook providers on internal addresses: 422, the settings unchanged', async () => {
    const [before] = await db().select({ settings: tenants.settings }).from(tenants).where(eq(tenants.id, t.tenantId));
    const secret = 'a-secret-of-enough-length-0000';
    for (const [body, path] of [
      [{ email: { baseUrl: env.LIBSQL_URL!, apiKey: secret, from: 'nps@acme.test' } }, 'body.email.baseUrl'],
      [{ sms: { baseUrl: 'http://0x7f.1/', accountSid: 'AC1', authToken: secret, from: '+15550001111' } }, 'body.sms.baseUrl'],
      [{ webhook: { url: 'http://[::ffff:127.0.0.1]/', secret } }, 'body.webhook.url'],
      [{ webhook: { url: 'http://169.254.169.254/', secret } }, 'body.webhook.url'],
    ] as const) {
      const res = await call('PATCH', '/api/v1/settings', { token: admin(), body });
      expect(res.status, path).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'UNPROCESSABLE', details: [{ path, message: expect.any(String) }] });
    }
    const [after] = await db().select({ settings: tenants.settings }).from(tenants).where(eq(tenants.id, t.tenantId));
    expect(after).toEqual(before);
  });
});

describe('addresses are checked again when called', () => {
  it('an endpoint stored on the database server (before the check existed) is never reached, by delivery or replay', async () => {
    const d = db();
    const now = Date.now();
    const hook = {
      id: newId('whk'),
      tenantId: t.tenantId,
      url: internal(),
      events: ['alert.raised'],
      secret: 'whsec_dGVzdC1zZWNyZXQtb2YtZW5vdWdoLWxlbmd0aA==',
      previousSecret: null,
      previousSecretExpiresAt: null,
      active: true,
      createdAt: now,
      updatedAt: now,
    };
    await d.insert(webhooks).values(hook);
    await webhookEvent(new TenantDb(d, t.tenantId), 'alert.raised', { n: 1 }, now);
    const [delivery] = await d
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.tenantId, t.tenantId), eq(webhookDeliveries.webhookId, hook.id)));
    expect(delivery).toBeDefined();

    const batch = createMessageBatch('nps-workflow', [
      {
        id: `m-${now}`,
        timestamp: new Date(),
        attempts: 1,
        body: { type: 'webhook.deliver', tenantId: t.tenantId, deliveryId: delivery!.id, attempts: 0, idempotencyKey: `webhook.deliver:${delivery!.id}:0` },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env as never);
    await getQueueResult(batch, ctx);
    const [tried] = await d.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, delivery!.id));
    // No status code: nothing answered, because nothing was asked; the reason, not a body.
    expect(tried).toMatchObject({ attempts: 1, lastStatusCode: null, lastError: 'refused: internal addresses are not allowed' });

    // Replay: the same refusal, no port-scanning through it.
    const replay = await call('POST', `/api/v1/webhooks/${hook.id}/deliveries/${delivery!.id}/replay`, { token: admin() });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ ok: false, statusCode: null, error: 'refused: internal addresses are not allowed' });
  });
});
