import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { requireTenantWide } from '../auth/tenant-wide';
import { authenticate } from '../auth/authenticate';
import { auditLog } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, json, security } from '../lib/openapi';

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

export const auditRoutes = createRouter().openapi(list, async (c) => {
  await requireTenantWide(deps(c), 'audit.read', 'reading the audit log');
  const q = c.req.valid('query');
  const tenantId = c.get('actor').tenantId;
  const filters: (SQL | undefined)[] = [eq(auditLog.tenantId, tenantId)];
  if (q.targetType) filters.push(eq(auditLog.targetType, q.targetType));
  if (q.targetId) filters.push(eq(auditLog.targetId, q.targetId));
  const db = c.get('db');
  if (q.before) {
    const [cursor] = await db
      .select({ createdAt: auditLog.createdAt })
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.id, q.before)));
    if (cursor) filters.push(or(lt(auditLog.createdAt, cursor.createdAt), and(eq(auditLog.createdAt, cursor.createdAt), lt(auditLog.id, q.before))));
  }
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...filters))
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return c.json(
    {
      items: page.map((r) => ({ ...r, tenantId: undefined, createdAt: new Date(r.createdAt).toISOString() })),
      nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
    },
    200,
  );
});
