import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../lib/create-app';
import { ApiError } from '../lib/errors';
import { errors, json } from '../lib/openapi';
import { healthReport } from './report';

const Backlog = z.object({ backlog: z.number().int(), oldestAgeSeconds: z.number().int().nullable() }).openapi('QueueBacklog');

const HealthReport = z
  .object({
    status: z.enum(['ok', 'degraded']),
    databases: z.array(
      z.object({
        id: z.string().openapi({ description: '`directory`, a data database of the catalog, or `default` (the one database without a directory)' }),
        kind: z.enum(['directory', 'data']),
        region: z.string().nullable(),
        reachable: z.boolean().openapi({ description: 'Answered `select 1` within the request deadline (STORAGE_DEADLINE_MS)' }),
        latencyMs: z.number().int().nullable(),
        error: z.enum(['timeout', 'unreachable', 'server-error', 'failed']).optional(),
      }),
    ),
    buffer: z.object({
      queue: Backlog.nullable().openapi({ description: 'The workflow queue: answers buffered during an outage and the follow-up work behind them' }),
      deadLetter: Backlog.nullable().openapi({ description: 'Its dead-letter queue: messages whose retries ran out, waiting for a replay (docs/outage.md)' }),
    }),
  })
  .openapi('HealthReport');

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'Liveness: each database reachable or not, and the durable buffer',
  description:
    'Probes every database (the directory and each data database, or the one database) within the request deadline and reads the workflow queue and its dead-letter queue. 200 when every database answers; 503 with the same report in `error.details` when one does not (docs/outage.md).',
  security: [],
  responses: { 200: json(HealthReport, 'Every database answers'), ...errors(503) },
});

export const healthRoutes = createRouter().openapi(healthz, async (c) => {
  const report = await healthReport(c.get('plane'), c.env);
  if (report.status !== 'ok') {
    const down = report.databases.filter((d) => !d.reachable).map((d) => d.id);
    console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId'), message: 'database unreachable', databases: down }));
    throw new ApiError('UNAVAILABLE', `the database does not answer: ${down.join(', ')}`, report as unknown as Record<string, unknown>);
  }
  return c.json(report, 200);
});
