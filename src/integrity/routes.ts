import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { integrityReport } from './integrity';
import { SIGNALS } from './signals';

const tags = ['integrity'];

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day, YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');

const Query = z.strictObject({
  unitId: z.string().min(1).max(64).optional().openapi({ description: 'The unit whose subtree is examined (default: the root, or your one subtree)' }),
  from: day.optional().openapi({ description: 'First day (UTC) of the window; default: 89 days before `to` (a 90-day window)' }),
  to: day.optional().openapi({ description: 'Last day (UTC) of the window, included; default: today' }),
});

const Signal = z
  .object({
    signal: z.enum(SIGNALS).openapi({
      description:
        '`response_rate`: answered / issued invitations; `tens`: share of 10s among answers; `own_network`: answers sent from a network the agent signed in from; ' +
        '`bursts`: answers within minutes after the event; `near_duplicates`: comments in clusters of near-identical comments',
    }),
    status: z.enum(['flagged', 'not_flagged', 'too_few']).openapi({ description: '`too_few`: below the minimum n (or without peers), not tested' }),
    flagged: z.boolean(),
    count: z.number().int(),
    total: z.number().int(),
    rate: z.number().nullable(),
    peerCount: z.number().int(),
    peerTotal: z.number().int(),
    peerRate: z.number().nullable().openapi({ description: 'Pooled over every other agent (unit) of the report' }),
    testedRate: z.number().nullable().openapi({ description: 'The rate tested against: the peer rate plus the margin (null for counted signals)' }),
    p: z.number().nullable().openapi({ description: 'One-sided exact binomial p-value of count/total against testedRate' }),
    pAdjusted: z.number().nullable().openapi({ description: 'Holm-adjusted across the agents (units) tested for this signal' }),
    clusters: z.number().int().optional().openapi({ description: 'near_duplicates: the clusters of at least three near-identical comments' }),
    examples: z.array(z.string()).openapi({ description: 'Response ids behind the count (at most five, newest first)' }),
  })
  .openapi('IntegritySignal');

const Agent = z
  .object({
    agentId: z.string(),
    name: z.string().nullable().openapi({ description: "The user's name when the agent id is a user of the tenant" }),
    answers: z.number().int(),
    invitations: z.number().int(),
    units: z.array(z.string()).openapi({ description: 'Units where the agent’s answers of the window belong' }),
    flagged: z.boolean(),
    signals: z.array(Signal),
  })
  .openapi('IntegrityAgent');

const Site = z
  .object({
    unitId: z.string(),
    name: z.string(),
    kind: z.string(),
    answers: z.number().int(),
    invitations: z.number().int(),
    flagged: z.boolean(),
    signals: z.array(Signal),
  })
  .openapi('IntegritySite');

const Report = z
  .object({
    unitId: z.string(),
    from: z.string(),
    to: z.string(),
    days: z.number().int(),
    answers: z.number().int().openapi({ description: 'Counted answers with a score in the window and subtree' }),
    method: z.object({
      alpha: z.number(),
      correction: z.literal('holm'),
      margin: z.number(),
      minN: z.number().int(),
      burstMinutes: z.number().int(),
      ownNetworkMin: z.number().int(),
      duplicateMin: z.number().int(),
      duplicateShare: z.number(),
    }),
    agents: z.array(Agent).openapi({ description: 'Flagged first, then by answers' }),
    sites: z.array(Site).openapi({ description: 'Units with answers or invitations in the window, flagged first, then by answers' }),
  })
  .openapi('IntegrityReport');

const routes = {
  report: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/integrity',
    summary: 'Signals of gaming per agent and per unit over a window, with their evidence (admins and analysts)',
    description:
      'Response rates and shares of 10s far above peers (exact one-sided binomial tests against the pooled peer rate plus a margin, Holm-adjusted), answers from the agent’s own sign-in network, ' +
      'answers in bursts right after the service and near-identical comments (docs/integrity.md). Informational: no signal changes a score. Never shown to agents, managers or vendors (403).',
    request: { query: Query },
    responses: { 200: json(Report, 'The signals'), ...errors(...AUTHED, 422) },
  }),
};

export const integrityRoutes = createRouter().openapi(routes.report, async (c) => c.json(await integrityReport(deps(c), c.req.valid('query')), 200));
