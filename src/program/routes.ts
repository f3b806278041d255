import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { programFunnel } from './funnel';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day, YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');

const FunnelQuery = z
  .strictObject({
    unitId: z.string().min(1).max(64).openapi({ description: 'The unit, with its whole subtree' }),
    from: day.openapi({ description: 'First UTC day the invitations were due, inclusive' }),
    to: day.openapi({ description: 'Last UTC day, inclusive' }),
  })
  .refine((q) => q.from <= q.to, { path: ['to'], message: 'must not be before from' })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 366 * 86_400_000, { path: ['to'], message: 'at most 367 days' });

const Counts = {
  invited: z.number().int().openapi({ description: 'Invitations due in the period (every status but cancelled)' }),
  delivered: z.number().int().openapi({ description: 'Sent successfully' }),
  answered: z.number().int(),
  failed: z.number().int().openapi({ description: 'Given up after their attempts' }),
  responseRate: z.number().nullable().openapi({ description: 'answered / delivered; null when nothing was delivered' }),
};

const Funnel = z
  .object({
    unitId: z.string(),
    from: z.string(),
    to: z.string(),
    total: z.object(Counts),
    byTouchpoint: z.array(z.object({ touchpointId: z.string(), key: z.string().nullable(), name: z.string().nullable(), ...Counts })),
    byChannel: z.array(z.object({ channel: z.string(), ...Counts })),
  })
  .openapi('ProgramFunnel');

const funnel = createRoute({
  tags: ['program'],
  security,
  middleware: [authenticate] as const,
  method: 'get',
  path: '/api/v1/program/funnel',
  summary: 'Program health: invited → delivered → answered for a subtree, by touchpoint and channel',
  request: { query: FunnelQuery },
  responses: { 200: json(Funnel, 'The funnel'), ...errors(...AUTHED) },
});

export const programRoutes = createRouter().openapi(funnel, async (c) => c.json(await programFunnel(deps(c), c.req.valid('query')), 200));
