import { deliver } from '../delivery/deliver';
import type { Env } from '../env';
import { runDatabaseJobs, type CronTick } from './cron';
import { handleResponseCaptured } from '../responses/follow-up';
import { handleResponseBuffered } from '../responses/replay';
import { isStorageUnavailable } from '../db/client';
import { deliverWebhook } from '../webhooks/dispatch';
import { handleLateComment, handleRetag } from '../comments/retag';
import { handleDriversCompute } from '../drivers/job';
import { handleChurnScore, handleChurnTrain } from '../accounts/job';

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
  'response.buffered': handleResponseBuffered,
  'comment.analyse': handleLateComment,
  'themes.retag': handleRetag,
  'webhook.deliver': (m, env) => deliverWebhook(m, env),
  'cron.tick': (m, env) => runDatabaseJobs(m as CronTick, env),
  'drivers.compute': handleDriversCompute,
  'churn.train': handleChurnTrain,
  'churn.score': handleChurnScore,
};

/** Delay before the n-th retry: 10 s doubling, at most 15 minutes. */
export const retryDelaySeconds = (attempts: number) => Math.min(10 * 2 ** Math.max(0, attempts - 1), 900);

/**
 * Delay before the n-th retry of a buffered answer (docs/outage.md): 30 s doubling, at most an
 * hour, so the queue's 8 retries span about two hours of outage before the dead-letter queue.
 */
export const bufferedRetryDelaySeconds = (attempts: number) => Math.min(30 * 2 ** Math.max(0, attempts - 1), 3600);

const delayOf = (type: unknown, attempts: number) => (type === 'response.buffered' ? bufferedRetryDelaySeconds(attempts) : retryDelaySeconds(attempts));

/**
 * Message types whose messages of one batch are handled side by side, BATCH_CONCURRENCY at a
 * time: each is about one answer (its follow-up, its late comment), independent of the others
 * and exactly once in effect on its own (docs/cases.md, "Idempotency"), so their storage round
 * trips overlap instead of queueing behind each other. The other types (cron ticks, model jobs,
 * buffered answers, deliveries, webhooks) keep their order, one after the other.
 */
export const CONCURRENT_TYPES: ReadonlySet<string> = new Set(['response.captured', 'comment.analyse']);
/** Messages of CONCURRENT_TYPES in flight at once within a batch; also bounds the calls left waiting for their deadline when the database stops answering. */
export const BATCH_CONCURRENCY = 5;

/**
 * Acks a message only when its handler succeeded; anything else is retried with backoff and,
 * after the queue's max_retries, lands in its dead-letter queue. Never acknowledged on failure.
 * Once a storage call of the batch could not be served (past its deadline, refused, failing),
 * the rest of the batch is retried without being tried: the database is down, and each try
 * would wait for its deadline in turn (the messages already in flight finish their try).
 * Messages of CONCURRENT_TYPES run BATCH_CONCURRENCY at a time; the others after them, in order.
 */
export async function runQueueBatch(batch: MessageBatch<JobMessage>, env: Env, concurrency = BATCH_CONCURRENCY): Promise<void> {
  let storageDown = false;
  const handle = async (message: Message<JobMessage>) => {
    const handler = HANDLERS[message.body?.type];
    if (storageDown) {
      message.retry({ delaySeconds: delayOf(message.body?.type, message.attempts) });
      return;
    }
    try {
      if (!handler) throw new Error(`no handler for message type "${String(message.body?.type)}"`);
      await handler(message.body, env);
      message.ack();
    } catch (err) {
      if (isStorageUnavailable(err)) storageDown = true;
      console.error(JSON.stringify({ level: 'error', queue: batch.queue, messageId: message.id, type: message.body?.type, attempts: message.attempts, storageDown, message: String(err) }));
      message.retry({ delaySeconds: delayOf(message.body?.type, message.attempts) });
    }
  };
  const side = batch.messages.filter((m) => CONCURRENT_TYPES.has(m.body?.type));
  let next = 0;
  const lane = async () => {
    while (next < side.length) await handle(side[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), side.length) }, lane));
  for (const message of batch.messages) if (!CONCURRENT_TYPES.has(message.body?.type)) await handle(message);
}
