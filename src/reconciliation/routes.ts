import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { requireTenantWide } from '../auth/tenant-wide';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { reconcile } from './reconcile';

const Entry = z.object({ externalId: z.string(), date: z.string(), score: z.number().int() });
const Report = z
  .object({
    id: z.string(),
    rows: z.number().int(),
    matched: z.number().int().openapi({ description: 'Same contact, day and score on both sides' }),
    mismatches: z.array(Entry.extend({ ourScore: z.number().int(), responseId: z.string() })).openapi({ description: 'Same contact and day, different score' }),
    missingHere: z.array(Entry.extend({ row: z.number().int() })).openapi({ description: 'In the upload, not in our responses' }),
    missingThere: z.array(Entry.extend({ responseId: z.string() })).openapi({ description: 'In our responses (same days), not in the upload' }),
    rejected: z.array(z.object({ row: z.number().int(), reason: z.string() })),
  })
  .openapi('ReconciliationReport');

const reconcileRoute = createRoute({
  method: 'post',
  path: '/api/v1/reconciliations',
  tags: ['reconciliation'],
  summary: "Compare another survey vendor's export with our responses",
  description:
    'CSV (text/csv) with a header `external_id,score,date` (contact external id, 0–10, the local day of the answer). Rows pair with our scored responses of the same contact on the same local day of the unit; the report lists matches, score mismatches and rows missing on each side (our side: the days the upload covers). Audited; nothing else changes.',
  security,
  middleware: [authenticate] as const,
  request: { body: { required: true, content: { 'text/csv': { schema: z.string() } } } },
  responses: { 200: json(Report, 'The report'), ...errors(...AUTHED, 413, 415) },
});

export const reconciliationRoutes = createRouter().openapi(reconcileRoute, async (c) => {
  await requireTenantWide(deps(c), 'program.write', 'reconciling survey data');
  return c.json(await reconcile(deps(c), await c.req.text()), 200);
});
