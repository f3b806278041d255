import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { requireTenantWide } from '../auth/tenant-wide';
import { LifetimeValue } from '../contacts/contact';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { reweightContact } from './reweight';

const Body = z
  .strictObject({
    lifetimeValue: LifetimeValue.nullable().openapi({ description: 'The weight the answers should carry in `weight=ltv` (0, or from 0.000001 to 10^12); null: none (weight 0)' }),
    reason: z.string().trim().min(3).max(500),
    from: z.iso.datetime().optional().openapi({ description: 'Only answers created at or after this time' }),
    to: z.iso.datetime().optional().openapi({ description: 'Only answers created before this time' }),
  })
  .openapi('Reweight');

const reweight = createRoute({
  method: 'post',
  path: '/api/v1/contacts/{externalId}/reweight',
  tags: ['scores'],
  summary: "A correction: set the lifetime value a contact's past answers weigh with, and recompute their rollups",
  description: 'Answers keep the value their contact had when they came; this changes it for the answers in the range (all by default). Audited with the reason.',
  security,
  middleware: [authenticate] as const,
  request: {
    params: z.object({
      externalId: z
        .string()
        .min(1)
        .max(200)
        .openapi({ param: { name: 'externalId', in: 'path' } }),
    }),
    body: jsonBody(Body),
  },
  responses: { 200: json(z.object({ responses: z.number().int(), cells: z.number().int() }), 'How many answers and rollup cells changed'), ...errors(...AUTHED) },
});

export const reweightRoutes = createRouter().openapi(reweight, async (c) => {
  await requireTenantWide(deps(c), 'response.moderate', 'reweighting answers');
  return c.json(await reweightContact(deps(c), c.req.valid('param').externalId, c.req.valid('json')), 200);
});
