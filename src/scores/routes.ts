import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { scoresAnswer } from './report';
import { AroundSchema, ScoreItem, ScoresQuery } from './scores-query';

const scores = createRoute({
  method: 'get',
  path: '/api/v1/scores',
  tags: ['scores'],
  summary: 'NPS with interval, n and suppression, by group and period, optionally weighted and compared',
  description: 'Exact in real time: rollups up to the fold watermark plus the answers after it. Scores from fewer answers than the tenant minimum are suppressed (nps and ci null).',
  security,
  middleware: [authenticate] as const,
  request: { query: ScoresQuery },
  responses: {
    200: json(
      z.object({
        items: z.array(ScoreItem),
        nextCursor: z.string().nullable().optional().openapi({ description: 'With a page of groups (`limit`, or the account and agent cuts): `after` of the next page; null on the last' }),
        around: AroundSchema.optional(),
      }),
      'Scores',
    ),
    ...errors(...AUTHED),
  },
});

export const scoreRoutes = createRouter().openapi(scores, async (c) => c.json(await scoresAnswer(deps(c), c.req.valid('query')), 200));
