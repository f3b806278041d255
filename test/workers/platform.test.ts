import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { sessions } from '../../src/db/schema';
import worker from '../../src/worker';
import { call, db, makeTenant, runCron } from './support';

describe('health', () => {
  it('answers 200 when the database answers: each database reachable, and the buffer', async () => {
    const res = await call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      databases: [{ id: 'default', kind: 'data', region: 'eu', reachable: true, latencyMs: expect.any(Number) }],
      // The local queues give their backlog; none is asserted here (other suites' messages come and go).
      buffer: { queue: { backlog: expect.any(Number), oldestAgeSeconds: expect.toBeOneOf([null, expect.any(Number)]) }, deadLetter: expect.objectContaining({ backlog: expect.any(Number) }) },
    });
  });

  it('answers 503 with the envelope when the database does not, the report in its details', async () => {
    // The same app with its database pointed at a closed port of this machine.
    const res = await createApp().request('/healthz', {}, { ...env, LIBSQL_URL: 'http://127.0.0.1:9' }, createExecutionContext());
    expect(res.status).toBe(503);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('UNAVAILABLE');
    expect(body.error.details.databases).toEqual([{ id: 'default', kind: 'data', region: 'eu', reachable: false, latencyMs: null, error: 'unreachable' }]);
  });
});

describe('fail-closed configuration', () => {
  it('a Worker whose env names no environment is production: without its own JWT_KEYS it refuses to serve', async () => {
    // The test env less what marks it as the local stack; the database and public URL stay.
    const { ENVIRONMENT: _e, JWT_KEYS: _k, OUTBOUND_ALLOW: _o, ...rest } = env as Record<string, unknown>;
    const unnamed = { ...rest, PUBLIC_BASE_URL: 'https://nps.example.com' };
    const refused = await worker.fetch(new Request('https://nps.example.com/healthz'), unnamed as never, createExecutionContext());
    expect(refused.status).toBe(500);
    expect(((await refused.json()) as any).error.code).toBe('INTERNAL');
    // Its own key is all it lacked.
    const keyed = { ...unnamed, JWT_KEYS: 'prod-1:a-production-signing-key-000000000000000' };
    expect((await worker.fetch(new Request('https://nps.example.com/healthz'), keyed as never, createExecutionContext())).status).toBe(200);
  });
});

describe('API documents', () => {
  it('serves an OpenAPI 3.1 document naming every contract route', async () => {
    const res = await call('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const ops = Object.entries(res.body.paths as Record<string, object>).flatMap(([p, m]) => Object.keys(m).map((verb) => `${verb.toUpperCase()} ${p}`));
    expect(ops).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'POST /api/v1/auth/login',
        'GET /api/v1/me',
        'GET /api/v1/units',
        'POST /api/v1/units',
        'GET /api/v1/units/{id}',
        'PATCH /api/v1/units/{id}',
        'DELETE /api/v1/units/{id}',
        'POST /api/v1/users',
        'POST /api/v1/api-keys',
        'DELETE /api/v1/api-keys/{id}',
      ]),
    );
    expect(res.body.components.schemas.Error).toBeDefined();
  });

  it('serves a readable reference page', async () => {
    const res = await call('GET', '/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.body).toContain('/api/v1/units/{id}');
    expect(res.body).toContain('Sign in with email and password');
  });
});

describe('cron', () => {
  it('the daily job forgets expired sessions and leaves live ones', async () => {
    const t = await makeTenant('Cron');
    const d = db();
    const now = Date.now();
    await d.insert(sessions).values({ id: `ses_expired_${now}`, tenantId: t.tenantId, userId: t.userIds.viewer!, expiresAt: now - 1000, createdAt: now - 10_000 });
    await runCron('0 3 * * *', now);
    const left = await d.select({ id: sessions.id }).from(sessions).where(eq(sessions.tenantId, t.tenantId));
    expect(left.map((s) => s.id)).not.toContain(`ses_expired_${now}`);
    expect(left.length).toBeGreaterThanOrEqual(8); // the fixture's live sign-ins
    expect((await call('GET', '/api/v1/me', { token: t.tokens.viewer })).status).toBe(200);
  });

  it('an unknown cron expression fails loudly', async () => {
    await expect(worker.scheduled(createScheduledController({ cron: '1 2 3 4 5' }), env)).rejects.toThrow(/no jobs for cron/);
  });
});

describe('queue', () => {
  it('retries a message it cannot handle instead of acknowledging it', async () => {
    const batch = createMessageBatch('nps-workflow', [{ id: 'm1', timestamp: new Date(), attempts: 1, body: { type: 'unknown.kind', idempotencyKey: 'k1' } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['m1']);
  });
});
