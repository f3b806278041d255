import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { ScoresQuery } from '../scores/scores-query';
import { themesReport } from './report';

const DAY_MS = 86_400_000;

const ThemesQuery = z
  .strictObject({
    unitId: ScoresQuery.shape.unitId,
    from: ScoresQuery.shape.from,
    to: ScoresQuery.shape.to,
    category: z.enum(['detractor', 'passive', 'promoter']).optional().openapi({ description: 'Only answers of this category' }),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after `to`' });
    if (q.from && q.to && Date.parse(q.to) - Date.parse(q.from) > 3 * 366 * DAY_MS) ctx.addIssue({ code: 'custom', path: ['from'], message: 'at most three years per query' });
  });

const Theme = z
  .object({
    id: z.string(),
    name: z.string(),
    source: z.enum(['library', 'discovered']),
    terms: z.record(z.string(), z.array(z.string())).openapi({ description: 'Terms per language (ISO 639-1)' }),
    comments: z.number().int().openapi({ description: 'Counted answers in range whose comment mentions it' }),
    share: z.number().openapi({ description: 'comments / analysed comments of counted answers in range (same category filter), 0..1' }),
    nps: z.number().nullable().openapi({ description: 'NPS among those answers; null under the minimum n' }),
    impact: z.number().openapi({ description: "Points the unit's NPS would change if those answers had been passives: 100·(detractors − promoters)/n of the unit" }),
    sentiment: z.number().nullable().openapi({ description: 'Mean sentiment of those comments, -1..1; null when none has one' }),
    emerging: z.boolean().openapi({ description: 'At least 25 mentions and significantly more per comment than the period before of the same length (one-sided p < 0.05)' }),
    examples: z.array(z.string()).openapi({ description: 'The latest comments mentioning it; empty for callers who do not read verbatims' }),
  })
  .openapi('Theme');

const themes = createRoute({
  method: 'get',
  path: '/api/v1/themes',
  tags: ['themes'],
  summary: "Themes of the comments of a unit's subtree, from stored analyses, ranked by impact",
  description:
    "Library and discovered themes over counted answers of the unit's subtree on the local days [from, to] (default the 90 days up to today): mentions, share, NPS among them, impact, sentiment, emerging (docs/themes.md). Needs score reading on the unit; examples need verbatim reading.",
  security,
  middleware: [authenticate] as const,
  request: { query: ThemesQuery },
  responses: { 200: json(z.object({ items: z.array(Theme) }), 'Themes'), ...errors(...AUTHED) },
});

export const themeRoutes = createRouter().openapi(themes, async (c) => c.json(await themesReport(deps(c), c.req.valid('query')), 200));
