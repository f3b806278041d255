import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { auditTrail } from './trail';

const AuditEntrySchema = z
  .object({
    id: z.string(),
    actorType: z.enum(['user', 'api_key', 'system']),
    actorId: z.string().nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    beforeDigest: z.string().nullable(),
    afterDigest: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    requestId: z.string().nullable(),
    createdAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('AuditEntry');

const Query = z.object({
  targetType: z.string().max(64).optional(),
  targetId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.string().max(64).optional().openapi({ description: 'Cursor: the id of the last entry of the previous page' }),
});

const list = createRoute({
  method: 'get',
  path: '/api/v1/audit-log',
  tags: ['audit'],
  summary: 'The audit trail of every change, newest first',
  security,
  middleware: [authenticate] as const,
  request: { query: Query },
  responses: { 200: json(z.object({ items: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }), 'Entries'), ...errors(...AUTHED) },
});

export const auditRoutes = createRouter().openapi(list, async (c) => c.json(await auditTrail(deps(c), c.req.valid('query')), 200));
