import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, security } from '../lib/openapi';
import { ScoresQuery } from '../scores/scores-query';
import { CATEGORIES } from '../responses/listing';
import { exportResponsesCsv, exportScoresCsv } from './csv-exports';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const Query = z.object({
  unitId: z.string().min(1).max(64).optional(),
  from: day.optional(),
  to: day.optional(),
  includeUncounted: z.enum(['true', 'false']).default('false').openapi({ description: 'Also rows that do not count (flagged or excluded), with their flags' }),
  touchpoint: z.string().min(1).max(64).optional().openapi({ description: 'A touchpoint key or id, as GET /api/v1/responses filters' }),
  category: z.enum(CATEGORIES).optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "Words in the comment or the customer's name, as GET /api/v1/responses searches; only for roles that read verbatims on the unit (403 otherwise)" }),
});

const csv = { description: 'CSV (RFC 4180, UTF-8), streamed', content: { 'text/csv': { schema: z.string() } } };
const responsesCsv = createRoute({
  method: 'get',
  path: '/api/v1/exports/responses.csv',
  tags: ['exports'],
  summary: "Every response in reach as CSV, streamed; the comment column, and the contact's external id and lifetime value, only for roles that read verbatims",
  security,
  middleware: [authenticate] as const,
  request: { query: Query },
  responses: { 200: csv, ...errors(...AUTHED) },
});

const scoresCsv = createRoute({
  method: 'get',
  path: '/api/v1/exports/scores.csv',
  tags: ['exports'],
  summary: 'The scores of GET /api/v1/scores (same filters) as CSV',
  security,
  middleware: [authenticate] as const,
  request: { query: ScoresQuery },
  responses: { 200: csv, ...errors(...AUTHED, 422) },
});

export const exportRoutes = createRouter()
  .openapi(scoresCsv, async (c) => {
    const body = await exportScoresCsv(deps(c), c.req.valid('query'));
    return new Response(body, { headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="scores.csv"', 'x-request-id': c.get('requestId') } }) as never;
  })
  .openapi(responsesCsv, async (c) => {
    const { unitId, stream } = await exportResponsesCsv(deps(c), c.req.valid('query'));
    return new Response(stream, {
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="responses-${unitId}.csv"`, 'x-request-id': c.get('requestId') },
    }) as never;
  });
