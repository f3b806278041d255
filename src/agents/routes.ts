import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { ScoreItem } from '../scores/scores-query';
import { agentView, listMappings, mapAgent, teamAgents } from './agents';

const tags = ['agents'];
const agentId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .openapi({ param: { name: 'agentId', in: 'path' }, description: 'A user id, or an external agent id mapped to a user' });
const Hidden = z.enum(['below_minimum', 'not_for_individual_evaluation']).nullable().openapi({
  description:
    '`below_minimum`: fewer answers than the agent minimum (the counts are shown, not the score); `not_for_individual_evaluation`: the agent holds a role or works in a unit marked so in the settings (nothing is shown); null: shown',
});
const AgentScore = ScoreItem.nullable().openapi({ description: "The agent's answers at every unit over the window; null when the agent is not for individual evaluation" });
const when = z.string().nullable();

const AgentView = z
  .object({
    agent: z.object({ userId: z.string(), name: z.string(), agentIds: z.array(z.string()), unitIds: z.array(z.string()) }),
    from: z.string(),
    to: z.string(),
    windowDays: z.number().int().openapi({ description: 'The rolling window: the last 90 UTC days, today included' }),
    minimum: z.number().int().openapi({ description: 'Answers needed for an agent score to be shown: the larger of `minResponses` and `agentMinResponses`' }),
    score: AgentScore,
    hidden: Hidden,
    cases: z.array(
      z.object({
        id: z.string(),
        unitId: z.string(),
        unitName: z.string(),
        status: z.string(),
        createdAt: z.string(),
        firstContactDueAt: when,
        firstContactAt: when,
        resolutionDueAt: when,
        resolvedAt: when,
      }),
    ),
    comments: z.array(
      z.object({
        responseId: z.string(),
        unitId: z.string(),
        unitName: z.string(),
        score: z.number().int().nullable().openapi({ description: "null while the agent's score is hidden" }),
        comment: z.string(),
        createdAt: z.string(),
      }),
    ),
  })
  .openapi('AgentView');

const Team = z
  .object({
    unitId: z.string(),
    from: z.string(),
    to: z.string(),
    windowDays: z.number().int(),
    minimum: z.number().int(),
    items: z.array(z.object({ userId: z.string(), name: z.string(), unitIds: z.array(z.string()), agentIds: z.array(z.string()), score: AgentScore, hidden: Hidden })),
  })
  .openapi('AgentTeam');

const Mapping = z.object({ agentId: z.string(), userId: z.string().nullable(), updatedAt: z.string().nullable() }).openapi('AgentMapping');

const describeView =
  'The NPS with its interval over the rolling window (90 days), the cases opened on their answers and their comments (docs/dimensions.md "Agent views"). Hidden below the agent minimum and for agents not for individual evaluation, with the reason.';

const routes = {
  me: createRoute({
    method: 'get',
    path: '/api/v1/agents/me',
    tags,
    summary: "The caller's own agent page",
    description: `${describeView} Any signed-in user: their own id and the external ids mapped to them.`,
    security,
    middleware: [authenticate] as const,
    responses: { 200: json(AgentView, 'The agent view'), ...errors(...AUTHED) },
  }),
  one: createRoute({
    method: 'get',
    path: '/api/v1/agents/{agentId}',
    tags,
    summary: "An agent's page, for the agent or their team lead",
    description: `${describeView} The agent themself, or a team lead (agent.read: a manager or admin over a unit the agent works in), who sees the cases and comments of units in their reach; anyone else 404.`,
    security,
    middleware: [authenticate] as const,
    request: { params: z.object({ agentId }) },
    responses: { 200: json(AgentView, 'The agent view'), ...errors(...AUTHED) },
  }),
  team: createRoute({
    method: 'get',
    path: '/api/v1/agents',
    tags,
    summary: "A team lead's agents and their scores",
    description:
      'The users with an agent grant on the unit or below it, each with their NPS over the window, hidden below the agent minimum and for agents not for individual evaluation. agent.read on the unit (managers, admins).',
    security,
    middleware: [authenticate] as const,
    request: { query: z.strictObject({ unitId: z.string().min(1).max(64).optional().openapi({ description: 'The team unit; default the first unit of your reach' }) }) },
    responses: { 200: json(Team, 'The team'), ...errors(...AUTHED) },
  }),
  map: createRoute({
    method: 'put',
    path: '/api/v1/agents/{agentId}',
    tags,
    summary: 'Map an external agent id to a user',
    description: 'Admins on the root; audited. `userId: null` removes the mapping. A user id is its own agent id (422). No stored answer changes.',
    security,
    middleware: [authenticate] as const,
    request: { params: z.object({ agentId }), body: jsonBody(z.strictObject({ userId: z.string().min(1).max(64).nullable() }).openapi('MapAgent')) },
    responses: { 200: json(Mapping, 'The mapping as stored'), ...errors(...AUTHED, 422) },
  }),
  mappings: createRoute({
    method: 'get',
    path: '/api/v1/agent-mappings',
    tags,
    summary: 'The mappings of external agent ids to users',
    description: 'Admins on the root.',
    security,
    middleware: [authenticate] as const,
    responses: { 200: json(z.object({ items: z.array(Mapping) }).openapi('AgentMappings'), 'The mappings'), ...errors(...AUTHED) },
  }),
};

export const agentRoutes = createRouter()
  .openapi(routes.me, async (c) => c.json(await agentView(deps(c), 'me'), 200))
  .openapi(routes.team, async (c) => c.json(await teamAgents(deps(c), c.req.valid('query')), 200))
  .openapi(routes.mappings, async (c) => c.json(await listMappings(deps(c)), 200))
  .openapi(routes.one, async (c) => c.json(await agentView(deps(c), c.req.valid('param').agentId), 200))
  .openapi(routes.map, async (c) => c.json(await mapAgent(deps(c), c.req.valid('param').agentId, c.req.valid('json')), 200));
