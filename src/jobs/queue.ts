import { deliver } from '../delivery/deliver';
import type { Env } from '../env';
import { runDatabaseJobs, type CronTick } from './cron';
import { handleResponseCaptured } from '../responses/follow-up';
import { deliverWebhook } from '../webhooks/dispatch';
import { handleDriversCompute } from '../drivers/job';

/**
 * Messages on the delivery and workflow queues: typed, each with an idempotency key so a
 * redelivered message changes nothing more. Features add their types to this union.
 */
export interface JobMessage {
  type: string;
  idempotencyKey: string;
}

type Handler = (message: JobMessage, env: Env) => Promise<void>;

/** Handlers by message type; features register theirs here. */
export const HANDLERS: Record<string, Handler> = {
  'invitation.send': deliver,
  'invitation.remind': deliver,
  'response.captured': handleResponseCaptured,
  'webhook.deliver': (m, env) => deliverWebhook(m, env),
  'cron.tick': (m, env) => runDatabaseJobs(m as CronTick, env),
  'drivers.compute': handleDriversCompute,
};

/** Delay before the n-th retry: 10 s doubling, at most 15 minutes. */
export const retryDelaySeconds = (attempts: number) => Math.min(10 * 2 ** Math.max(0, attempts - 1), 900);

/**
 * Acks a message only when its handler succeeded; anything else is retried with backoff and,
 * after the queue's max_retries, lands in its dead-letter queue. Never acknowledged on failure.
 */
export async function runQueueBatch(batch: MessageBatch<JobMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const handler = HANDLERS[message.body?.type];
    try {
      if (!handler) throw new Error(`no handler for message type "${String(message.body?.type)}"`);
      await handler(message.body, env);
      message.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', queue: batch.queue, messageId: message.id, attempts: message.attempts, message: String(err) }));
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
