import { z } from 'zod';
import { followUp } from '../cases/follow-up';
import { loadConfig, type Env } from '../env';
import type { JobMessage } from '../jobs/queue';

const Message = z.object({
  type: z.literal('response.captured'),
  tenantId: z.string().min(1),
  responseId: z.string().min(1),
  idempotencyKey: z.string().min(1),
  unitPath: z.string().min(1).optional(),
});

/**
 * Consumer of `response.captured` (workflow queue): the closed loop's follow-up of one answer
 * (src/cases/follow-up.ts, docs/cases.md): `response.created` for webhooks and, for a counted
 * detractor (or passive when the touchpoint says so), a recovery case routed to its owner, who
 * is notified. Exactly once in effect (job steps per answer and step). A malformed message or
 * a missing response throws, so the message is retried and ends in the dead-letter queue.
 */
export async function handleResponseCaptured(message: JobMessage, env: Env): Promise<void> {
  const body = Message.parse(message);
  await followUp(loadConfig(env), body.tenantId, body.responseId, body.unitPath);
}
