import { createApp } from './app';
import type { Env } from './env';
import { runScheduled } from './jobs/cron';
import { runQueueBatch, type JobMessage } from './jobs/queue';

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => runQueueBatch(batch, env),
  // Awaited, not waitUntil: a failing job marks the cron event failed where monitoring sees it.
  scheduled: (controller, env) => runScheduled(controller.cron, env, controller.scheduledTime),
} satisfies ExportedHandler<Env, JobMessage>;
