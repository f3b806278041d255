import { z } from 'zod';
import { dataPlane } from '../db/plane';
import { TenantDb } from '../db/tenant-db';
import { loadConfig, type Env } from '../env';
import type { JobMessage } from '../jobs/queue';
import { type ChurnTrainMessage, trainAndScore } from './risk';

const Message = z.object({ type: z.literal('churn.train'), tenantId: z.string().min(1), idempotencyKey: z.string().min(1) });

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
