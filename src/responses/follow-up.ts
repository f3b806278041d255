import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { openDb } from '../db/client';
import { responses } from '../db/schema';
import { loadConfig, type Env } from '../env';
import type { JobMessage } from '../jobs/queue';

const Message = z.object({
  type: z.literal('response.captured'),
  tenantId: z.string().min(1),
  responseId: z.string().min(1),
  idempotencyKey: z.string().min(1),
});

/**
 * Consumer of `response.captured` (workflow queue). For now it only checks that the answer it
 * names exists and acknowledges: opening a case for a detractor, alerts and webhooks are the
 * closed-loop issue's, which replaces this body (idempotent by `idempotencyKey`, so a
 * redelivered message never opens a second case). A malformed message or a missing response
 * throws, so the message is retried and ends in the dead-letter queue, never silently dropped.
 */
export async function handleResponseCaptured(message: JobMessage, env: Env): Promise<void> {
  const body = Message.parse(message);
  const config = loadConfig(env);
  const db = openDb(config.libsqlUrl, config.libsqlAuthToken);
  const [row] = await db
    .select({ id: responses.id })
    .from(responses)
    .where(and(eq(responses.tenantId, body.tenantId), eq(responses.id, body.responseId)));
  if (!row) throw new Error(`response ${body.responseId} of tenant ${body.tenantId} not found`);
}
