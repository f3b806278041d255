import { churnModels } from '../db/schema';
import type { DatabaseRun } from '../db/plane';
import { TenantDb } from '../db/tenant-db';
import { dueChurnModels, dueChurnScorings } from './due-models';
import type { ChurnScoreMessage, ChurnTrainMessage } from './risk';

/** Tenants sent per daily tick; more wait for the next day. */
const PER_TICK = 500;
/** A sent training that never finished is sent again after this lease. */
const LEASE_MS = 86_400_000;

/**
 * Daily (src/jobs/cron.ts): each tenant whose churn model is due gets a `churn.train` message on
 * the workflow queue, the model's due time first moved a day on (a lease: a training that fails
 * is sent again the next day; one that succeeds sets the first of the next month). So models are
 * retrained monthly, and a tenant's first accounts get their first model the next day.
 */
export async function sendDueTrainings({ db, env }: DatabaseRun, now: number): Promise<void> {
  const due = await dueChurnModels(db, now, PER_TICK);
  if (due.length === 0) return;
  if (!env.WORKFLOW_QUEUE) throw new Error('WORKFLOW_QUEUE is not bound');
  for (const { tenantId } of due) await new TenantDb(db, tenantId).update(churnModels).set({ dueAt: now + LEASE_MS });
  const messages: ChurnTrainMessage[] = due.map(({ tenantId }) => ({ type: 'churn.train', tenantId, idempotencyKey: `churn.train:${tenantId}:${new Date(now).toISOString().slice(0, 10)}` }));
  for (let i = 0; i < messages.length; i += 100) await env.WORKFLOW_QUEUE.sendBatch(messages.slice(i, i + 100).map((body) => ({ body })));
}

/**
 * Daily (src/jobs/cron.ts): each tenant whose accounts are due for re-scoring gets a `churn.score`
 * message, the due time first moved a day on (a lease, as for trainings; the scoring sets the next
 * UTC day). The scoring raises the predictive alerts (docs/accounts.md "Predictive alerts").
 */
export async function sendDueScorings({ db, env }: DatabaseRun, now: number): Promise<void> {
  const due = await dueChurnScorings(db, now, PER_TICK);
  if (due.length === 0) return;
  if (!env.WORKFLOW_QUEUE) throw new Error('WORKFLOW_QUEUE is not bound');
  for (const { tenantId } of due) await new TenantDb(db, tenantId).update(churnModels).set({ scoreDueAt: now + LEASE_MS });
  const messages: ChurnScoreMessage[] = due.map(({ tenantId }) => ({ type: 'churn.score', tenantId, idempotencyKey: `churn.score:${tenantId}:${new Date(now).toISOString().slice(0, 10)}` }));
  for (let i = 0; i < messages.length; i += 100) await env.WORKFLOW_QUEUE.sendBatch(messages.slice(i, i + 100).map((body) => ({ body })));
}
