import { dataPlane } from '../db/plane';
import type { DatabaseRun } from '../db/plane';
import { and, eq, sql } from 'drizzle-orm';
import { webhookDeliveries, webhooks } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import { loadConfig, type Env } from '../env';
import type { JobMessage } from '../jobs/queue';
import { outboundPolicy, outboundPost, type OutboundPolicy } from '../lib/outbound';
import { leaseDueDeliveries } from './due-deliveries';
import { signedHeaders } from './sign';

/**
 * Delay after the n-th failed attempt (index n − 1), as the Standard Webhooks specification
 * suggests: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — 27 h 35 min 5 s in all. The attempt
 * after the last delay is the 8th and final one: if it fails too, the delivery is `failed`.
 */
export const RETRY_DELAYS_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000, 10 * 3600_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** An endpoint that has not answered by then counts as a failed attempt. */
export const TIMEOUT_MS = 10_000;
/** How long an enqueued delivery is left alone: a message lost with its worker is enqueued again after it. */
export const LEASE_MS = 5 * 60_000;
/** Deliveries handed to the queue per cron run; the rest wait for the next minute. */
const PER_RUN = 500;
const QUEUE_BATCH = 100;

export interface WebhookMessage extends JobMessage {
  type: 'webhook.deliver';
  tenantId: string;
  deliveryId: string;
  /** The attempts recorded when enqueued: the consumer claims the next one only from this count. */
  attempts: number;
}

const message = (r: { tenantId: string; id: string; attempts: number }): WebhookMessage => ({
  type: 'webhook.deliver',
  tenantId: r.tenantId,
  deliveryId: r.id,
  attempts: r.attempts,
  idempotencyKey: `webhook.deliver:${r.id}:${r.attempts}`,
});

/**
 * Every minute: pending deliveries whose time has come (oldest first, PER_RUN at most) are
 * leased for LEASE_MS and handed to the workflow queue, in one statement; only the rows this
 * run leased are enqueued, so two runs never enqueue the same attempt.
 */
export async function enqueueDueWebhooks(run: DatabaseRun, now: number): Promise<void> {
  const queue = run.env.WORKFLOW_QUEUE;
  if (!queue) throw new Error('the WORKFLOW_QUEUE binding is missing');
  const due = await leaseDueDeliveries(run, now, now + LEASE_MS, PER_RUN);
  const messages = due.map(message);
  for (let i = 0; i < messages.length; i += QUEUE_BATCH) await queue.sendBatch(messages.slice(i, i + QUEUE_BATCH).map((body) => ({ body })));
}

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/** The secrets that sign now: the current one, and the previous one until its overlap ends. */
export function liveSecrets(hook: { secret: string; previousSecret: string | null; previousSecretExpiresAt: number | null }, now: number): string[] {
  return hook.previousSecret && (hook.previousSecretExpiresAt ?? 0) > now ? [hook.secret, hook.previousSecret] : [hook.secret];
}

/**
 * One signed POST of a delivery's message to its endpoint (src/lib/outbound.ts: internal
 * addresses refused, redirects not followed): 2xx is success, anything else (or no answer) a
 * failure, recorded with its status only, never the endpoint's answer.
 */
export async function postMessage(
  policy: OutboundPolicy,
  hook: { url: string; secret: string; previousSecret: string | null; previousSecretExpiresAt: number | null },
  delivery: { id: string; payload: unknown },
  now: number,
): Promise<AttemptResult> {
  const body = JSON.stringify(delivery.payload);
  const headers = await signedHeaders(liveSecrets(hook, now), delivery.id, Math.floor(now / 1000), body);
  const res = await outboundPost(hook.url, { headers: { 'content-type': 'application/json', 'user-agent': 'nps-platform-webhooks/1', ...headers }, body, timeoutMs: TIMEOUT_MS }, policy);
  if (res.kind !== 'answered') return { ok: false, statusCode: null, error: res.error };
  return { ok: res.ok, statusCode: res.status, error: res.error };
}

/** A delivery with its endpoint, in one statement. */
export function loadDelivery(t: TenantDb, deliveryId: string) {
  return t
    .select({ delivery: webhookDeliveries, hook: webhooks })
    .from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(eq(webhookDeliveries.id, deliveryId))
    .limit(1);
}

/**
 * The queue consumer of `webhook.deliver`: claims the attempt (attempts = the count the message
 * was enqueued with, status pending), so a message delivered twice sends once and a delivery
 * already delivered or failed is acknowledged without sending; then POSTs and records the
 * outcome: delivered, or the next attempt after the backoff, or failed after the last one.
 */
export async function deliverWebhook(m: JobMessage, env: Env, now = Date.now()): Promise<void> {
  const msg = m as WebhookMessage;
  if (typeof msg.tenantId !== 'string' || typeof msg.deliveryId !== 'string' || !Number.isInteger(msg.attempts)) throw new Error('malformed webhook.deliver message');
  const config = loadConfig(env);
  const db = await dataPlane(config).forTenant(msg.tenantId, { write: true, job: true });
  if (!db) return; // the tenant is gone: nothing left to deliver
  const t = new TenantDb(db, msg.tenantId);
  const where = eq(webhookDeliveries.id, msg.deliveryId);
  const [[claimed], [row]] = await t.batch([
    t
      .update(webhookDeliveries)
      .set({ attempts: sql`${webhookDeliveries.attempts} + 1`, nextAttemptAt: now + LEASE_MS, updatedAt: now })
      .where(and(where, eq(webhookDeliveries.status, 'pending'), eq(webhookDeliveries.attempts, msg.attempts)))
      .returning({ attempts: webhookDeliveries.attempts }),
    loadDelivery(t, msg.deliveryId),
  ]);
  if (!claimed || !row) return; // delivered, failed, or this attempt was taken already
  const attempt = claimed.attempts;
  // A disabled endpoint gets nothing more: its pending messages end failed (replayable).
  const result: AttemptResult = row.hook.active ? await postMessage(outboundPolicy(config), row.hook, row.delivery, now) : { ok: false, statusCode: null, error: 'the endpoint is disabled' };
  const last = attempt >= MAX_ATTEMPTS || !row.hook.active;
  await t
    .update(webhookDeliveries)
    .set(
      result.ok
        ? { status: 'delivered', deliveredAt: now, nextAttemptAt: null, lastStatusCode: result.statusCode, lastError: null, updatedAt: now }
        : last
          ? { status: 'failed', nextAttemptAt: null, lastStatusCode: result.statusCode, lastError: result.error, updatedAt: now }
          : { nextAttemptAt: now + RETRY_DELAYS_MS[attempt - 1]!, lastStatusCode: result.statusCode, lastError: result.error, updatedAt: now },
    )
    .where(and(where, eq(webhookDeliveries.attempts, attempt)));
}
