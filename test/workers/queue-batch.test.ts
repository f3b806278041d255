import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageUnavailable } from '../../src/db/client';
import { BATCH_CONCURRENCY, HANDLERS, type JobMessage } from '../../src/jobs/queue';
import worker from '../../src/worker';

/*
 * How the queue consumer works through one batch (src/jobs/queue.ts, runQueueBatch): the
 * per-answer messages side by side, BATCH_CONCURRENCY at a time, the others in order after them.
 * The handlers are stand-ins that record when they run: what is under test is the scheduling of
 * one batch, not the follow-up itself (test/workers/capture.test.ts and cases.test.ts run that).
 */

const real = { ...HANDLERS };
afterEach(() => Object.assign(HANDLERS, real));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A handler that counts how many of its messages run at once and how many ran at all. */
function counting(ms: number, fail?: (m: JobMessage) => Error | undefined) {
  const c = { inFlight: 0, max: 0, calls: [] as string[] };
  const handler = async (m: JobMessage) => {
    c.calls.push(m.idempotencyKey);
    const err = fail?.(m);
    if (err) throw err;
    c.inFlight++;
    c.max = Math.max(c.max, c.inFlight);
    await sleep(ms);
    c.inFlight--;
  };
  return { c, handler };
}

async function run(messages: { id: string; body: JobMessage }[]) {
  const batch = createMessageBatch(
    'nps-workflow',
    messages.map((m) => ({ ...m, timestamp: new Date(), attempts: 1 })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as never, env as never);
  return getQueueResult(batch, ctx);
}

const captured = (i: number) => ({ id: `c${i}`, body: { type: 'response.captured', idempotencyKey: `c${i}` } });
const tick = (i: number) => ({ id: `t${i}`, body: { type: 'cron.tick', idempotencyKey: `t${i}` } });

describe('a batch of the queue consumer', () => {
  it('handles the follow-ups of answers BATCH_CONCURRENCY at a time, and acknowledges each', async () => {
    const { c, handler } = counting(20);
    HANDLERS['response.captured'] = handler;
    const messages = Array.from({ length: 12 }, (_, i) => captured(i));
    const result = await run(messages);
    // One after the other, at most one would be in flight; with 12 messages and 5 lanes, all 5 lanes fill.
    expect(BATCH_CONCURRENCY).toBe(5);
    expect(c.max).toBe(BATCH_CONCURRENCY);
    expect(c.calls.sort()).toEqual(messages.map((m) => m.id).sort());
    expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());
    expect(result.retryMessages).toEqual([]);
  });

  it('keeps the other types one at a time and in their order, after the follow-ups', async () => {
    const order: string[] = [];
    const ticks = counting(10);
    const follow = counting(10);
    HANDLERS['cron.tick'] = async (m) => {
      order.push(m.idempotencyKey);
      await ticks.handler(m);
    };
    HANDLERS['response.captured'] = async (m) => {
      order.push(m.idempotencyKey);
      await follow.handler(m);
    };
    const result = await run([tick(1), captured(1), tick(2), captured(2), tick(3), captured(3)]);
    expect(ticks.c.max).toBe(1);
    expect(follow.c.max).toBe(3);
    expect(order).toEqual(['c1', 'c2', 'c3', 't1', 't2', 't3']);
    expect(result.explicitAcks.sort()).toEqual(['c1', 'c2', 'c3', 't1', 't2', 't3']);
  });

  it('once the database does not answer, retries the rest of the batch untried; the follow-ups in flight finish their try', async () => {
    // The first message fails as a storage call past its deadline does; the four started beside it succeed.
    const { c, handler } = counting(20, (m) => (m.idempotencyKey === 'c0' ? new StorageUnavailable('timeout', 'the database did not answer within 5000 ms') : undefined));
    HANDLERS['response.captured'] = handler;
    const ticked = counting(1);
    HANDLERS['cron.tick'] = ticked.handler;
    const messages = [...Array.from({ length: 12 }, (_, i) => captured(i)), tick(1)];
    const result = await run(messages);
    // Lanes 1-5 take c0-c4 at once; c0 fails, so c5-c11 and the tick are never tried.
    expect(c.calls.sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(ticked.c.calls).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(result.retryMessages.map((m) => m.msgId).sort()).toEqual(['c0', 'c10', 'c11', 'c5', 'c6', 'c7', 'c8', 'c9', 't1']);
  });
});
