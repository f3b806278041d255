import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, asc, eq } from 'drizzle-orm';
import { caseEvents, cases, responses, tenants, webhookDeliveries, webhooks } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import worker from '../../src/worker';
import { makeTouchpoint } from './program-fixture';
import { providerSpace } from './provider';
import { call, db, uniq, type Fixture } from './support';

/** A tenant's settings merged straight into the row (case settings have no API of their own yet). */
export async function mergeSettings(tenantId: string, patch: Record<string, unknown>) {
  const d = db();
  const [row] = await d.select({ settings: tenants.settings }).from(tenants).where(eq(tenants.id, tenantId));
  await d
    .update(tenants)
    .set({ settings: { ...(row?.settings ?? {}), ...patch } })
    .where(eq(tenants.id, tenantId));
}

/** The tenant's mail and SMS providers point at a namespace of the stub server. */
export async function withProviders(t: Fixture) {
  const stub = providerSpace();
  const res = await call('PATCH', '/api/v1/settings', {
    token: t.tokens.admin,
    body: { email: { baseUrl: stub.url, apiKey: 'mail-key-123456', from: 'nps@acme.test' }, sms: { baseUrl: stub.url, accountSid: 'AC123', authToken: 'sms-token-123456', from: '+4930000' } },
  });
  if (res.status !== 200) throw new Error(`settings: ${res.status} ${JSON.stringify(res.body)}`);
  return stub;
}

/** A webhook endpoint of the tenant subscribed to every event, written straight to the table. */
export async function subscribeAll(tenantId: string) {
  const id = newId('wh');
  await db()
    .insert(webhooks)
    .values({ id, tenantId, url: `https://hooks-${uniq()}.test/x`, events: ['response.created', 'case.opened', 'case.escalated', 'case.resolved'], secret: `whsec_${btoa(uniq() + uniq())}` });
  return id;
}

export async function deliveriesOf(tenantId: string) {
  const rows = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.tenantId, tenantId)).orderBy(asc(webhookDeliveries.createdAt));
  return rows.map((r) => ({ type: r.eventType, data: (r.payload as any).data }));
}

/** An answer written straight to the database (capture itself is tested in capture.test.ts). */
export async function makeAnswer(
  tenantId: string,
  unit: string | undefined,
  opts: { score?: number | null; counted?: boolean; touchpoint?: { id: string; surveyId: string }; contactId?: string | null; comment?: string; answeredAt?: number; locale?: string } = {},
) {
  if (!unit) throw new Error('missing fixture unit');
  const unitId = unit;
  const tp = opts.touchpoint ?? (await makeTouchpoint(tenantId));
  const surveyId = tp.surveyId;
  const id = newId('rsp');
  const comment = opts.comment ?? `the repair took three weeks ${uniq()}`;
  await db()
    .insert(responses)
    .values({
      id,
      tenantId,
      touchpointId: tp.id,
      unitId,
      contactId: opts.contactId ?? null,
      surveyId,
      surveyVersion: 1,
      channel: 'email',
      locale: opts.locale ?? 'en',
      score: opts.score === undefined ? 3 : opts.score,
      comment,
      counted: opts.counted ?? true,
      answeredAt: opts.answeredAt ?? Date.now(),
    });
  return { id, comment, touchpointId: tp.id };
}

/** One `response.captured` message through the real queue consumer; answers whether it was acked or retried. */
export async function deliverCaptured(tenantId: string, responseId: string, attempts = 1, unitPath?: string) {
  const body = { type: 'response.captured', tenantId, responseId, idempotencyKey: `response.captured:${responseId}`, ...(unitPath ? { unitPath } : {}) };
  const batch = createMessageBatch('nps-workflow', [{ id: `m-${uniq()}`, timestamp: new Date(), attempts, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as never, env as never);
  const result = await getQueueResult(batch, ctx);
  return { acked: result.explicitAcks.length === 1, retried: result.retryMessages.length === 1 };
}

export async function caseOf(tenantId: string, responseId: string) {
  return db()
    .select()
    .from(cases)
    .where(and(eq(cases.tenantId, tenantId), eq(cases.responseId, responseId)));
}

export async function eventsOf(tenantId: string, caseId: string) {
  return db()
    .select()
    .from(caseEvents)
    .where(and(eq(caseEvents.tenantId, tenantId), eq(caseEvents.caseId, caseId)))
    .orderBy(asc(caseEvents.createdAt), asc(caseEvents.id));
}
