import { z } from 'zod';
import { dataPlane } from '../db/plane';
import { TenantDb } from '../db/tenant-db';
import { loadConfig, type Env } from '../env';
import type { JobMessage } from '../jobs/queue';
import { type ChurnScoreMessage, type ChurnTrainMessage, rescore, trainAndScore } from './risk';

const Message = z.object({ type: z.literal('churn.train'), tenantId: z.string().min(1), idempotencyKey: z.string().min(1) });
const ScoreMessage = z.object({ type: z.literal('churn.score'), tenantId: z.string().min(1), idempotencyKey: z.string().min(1) });

/**
 * Consumer of `churn.train` (workflow queue): trains the tenant's churn model and scores its
 * accounts (src/accounts/risk.ts). A redelivery trains again on the same data, which gives the
 * same card (seeded); a malformed message throws and ends in the dead-letter queue.
 */
export async function handleChurnTrain(message: JobMessage | ChurnTrainMessage, env: Env): Promise<void> {
  const body = Message.parse(message);
  const db = await dataPlane(loadConfig(env)).forTenant(body.tenantId, { write: true });
  if (!db) return; // the tenant is gone
  await trainAndScore(new TenantDb(db, body.tenantId), Date.now());
}

/**
 * Consumer of `churn.score` (workflow queue, sent daily by src/accounts/retrain.ts): re-scores the
 * tenant's accounts with the kept card and raises the predictive alerts of the accounts that
 * crossed the threshold. A redelivery finds no new crossing and sends nothing.
 */
export async function handleChurnScore(message: JobMessage | ChurnScoreMessage, env: Env): Promise<void> {
  const body = ScoreMessage.parse(message);
  const db = await dataPlane(loadConfig(env)).forTenant(body.tenantId, { write: true });
  if (!db) return;
  await rescore(new TenantDb(db, body.tenantId), Date.now());
}
