import { createApp } from './app';
import type { Env } from './env';
import { runScheduled } from './jobs/cron';
import { runQueueBatch, type JobMessage } from './jobs/queue';

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => runQueueBatch(batch, env),
  scheduled: (controller, env, ctx) => ctx.waitUntil(runScheduled(controller.cron, env, controller.scheduledTime)),
} satisfies ExportedHandler<Env, JobMessage>;
