import { z } from 'zod';
import { dataPlane } from '../db/plane';
import { TenantDb } from '../db/tenant-db';
import { loadConfig, type Env } from '../env';
import type { JobMessage } from '../jobs/queue';
import { computeDriversJob } from './drivers';

const Message = z.object({
  type: z.literal('drivers.compute'),
  tenantId: z.string().min(1),
  idempotencyKey: z.string().min(1),
  unitId: z.string().min(1),
  from: z.string().min(1),
  to: z.string().min(1),
  touchpointId: z.string().min(1).optional(),
  stamp: z.string().min(1),
});

/**
 * Consumer of `drivers.compute` (workflow queue): the key drivers of a scope too large to compute
 * within a request, kept for GET /api/v1/drivers. Idempotent (a result kept for the scope's
 * current answers is not computed again); a malformed message throws and ends in the dead-letter queue.
 */
export async function handleDriversCompute(message: JobMessage, env: Env): Promise<void> {
  const body = Message.parse(message);
  const db = await dataPlane(loadConfig(env)).forTenant(body.tenantId, { write: true });
  if (!db) return; // the tenant is gone
  await computeDriversJob(new TenantDb(db, body.tenantId), body);
}
