import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { ScoresQuery } from '../scores/scores-query';
import { themeReport } from './theme-report';

const DAY_MS = 86_400_000;

const ThemesQuery = z
  .strictObject({
    unitId: ScoresQuery.shape.unitId,
    from: ScoresQuery.shape.from,
    to: ScoresQuery.shape.to,
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after `to`' });
    if (q.from && q.to && Date.parse(q.to) - Date.parse(q.from) > 3 * 366 * DAY_MS) ctx.addIssue({ code: 'custom', path: ['from'], message: 'at most three years per query' });
  });

const Theme = z
  .object({
    theme: z.string().openapi({ description: 'A term of detractor comments (docs/digests.md)' }),
    detractors: z.number().int().openapi({ description: 'Detractor answers whose comment mentions it' }),
    passives: z.number().int(),
    promoters: z.number().int(),
  })
  .openapi('Theme');

const themes = createRoute({
  method: 'get',
  path: '/api/v1/themes',
  tags: ['scores'],
  summary: 'Themes of detractor comments with how many detractor, passive and promoter answers mention each',
  description:
    "The digest's theme terms (the same extractor) over counted answers of the unit's subtree on the local days [from, to] (default the 90 days up to today), most detractor mentions first. Needs score and verbatim reading on the unit: admin, analyst, manager.",
  security,
  middleware: [authenticate] as const,
  request: { query: ThemesQuery },
  responses: { 200: json(z.object({ from: z.string(), to: z.string(), comments: z.number().int(), items: z.array(Theme) }), 'Themes'), ...errors(...AUTHED) },
});

export const themeRoutes = createRouter().openapi(themes, async (c) => c.json(await themeReport(deps(c), c.req.valid('query')), 200));
