import type { DatabaseProbe, DataPlane } from '../db/plane';
import type { Env } from '../env';

/*
 * What GET /healthz tells monitoring (docs/outage.md): whether each database answers within the
 * request deadline, and the durable buffer: the workflow queue's backlog (answers waiting to be
 * written while a database is down, and the follow-up work behind them) and its dead-letter
 * queue (what the retries gave up on, waiting for a replay).
 */

export interface QueueBacklog {
  /** Messages waiting, and the age of the oldest in seconds (null when none waits or the queue does not say). */
  backlog: number;
  oldestAgeSeconds: number | null;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  databases: DatabaseProbe[];
  /** The workflow queue (the buffer) and its dead-letter queue; null where the binding gives no metrics. */
  buffer: { queue: QueueBacklog | null; deadLetter: QueueBacklog | null };
}

/** A queue's backlog from its binding's metrics, or null (no binding, no metrics, or they failed). */
async function backlogOf(queue: Queue<unknown> | undefined, now: number): Promise<QueueBacklog | null> {
  if (!queue || typeof queue.metrics !== 'function') return null;
  try {
    const m = await queue.metrics();
    const oldest = m.oldestMessageTimestamp ? new Date(m.oldestMessageTimestamp).getTime() : null;
    return { backlog: m.backlogCount, oldestAgeSeconds: m.backlogCount > 0 && oldest ? Math.max(0, Math.round((now - oldest) / 1000)) : null };
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', message: 'queue metrics unavailable', cause: String(err) }));
    return null;
  }
}

/** Probes every database and reads the buffer, concurrently; `degraded` when a database does not answer. */
export async function healthReport(plane: DataPlane, env: Env): Promise<HealthReport> {
  const now = Date.now();
  const [databases, queue, deadLetter] = await Promise.all([plane.probe(), backlogOf(env.WORKFLOW_QUEUE, now), backlogOf(env.WORKFLOW_DLQ, now)]);
  return { status: databases.every((d) => d.reachable) ? 'ok' : 'degraded', databases, buffer: { queue, deadLetter } };
}
