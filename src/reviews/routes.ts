import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { ScoreItem } from '../scores/scores-query';
import { reviewPack } from './pack';

const tags = ['governance'];

const Params = z.object({
  period: z
    .string()
    .min(1)
    .max(32)
    .openapi({ param: { name: 'period', in: 'path' }, description: 'The quarter, `YYYY-Qn`; anything else is 422', example: '2026-Q3' }),
});
const Query = z.strictObject({
  unitId: z.string().min(1).max(64).optional().openapi({ description: "The unit reviewed with its subtree; default the root (or the caller's one subtree)" }),
});

/** A section as the feature's own endpoint answers it (the schema named there). */
const section = (what: string) => z.object({}).passthrough().openapi({ description: what });
const Interval = z.object({ low: z.number(), high: z.number(), level: z.number() });

const Pack = z
  .object({
    score: ScoreItem.openapi({ description: "The quarter's NPS with its interval, and `delta` against the quarter before (as GET /api/v1/scores)" }),
    distribution: z.array(z.number().int()).length(11).nullable().openapi({ description: 'Answers per score 0–10 in the quarter; null when suppressed' }),
    previous: z.object({ period: z.string(), from: z.string(), to: z.string() }).openapi({ description: 'The quarter `score.delta` compares with' }),
    trend: z
      .object({ period: z.literal('month'), from: z.string(), to: z.string(), items: z.array(ScoreItem) })
      .openapi({ description: 'NPS by month with intervals over the four quarters ending with the reviewed one (as GET /api/v1/scores?period=month)' }),
    drivers: section('Key drivers of the quarter (as GET /api/v1/drivers: `n`, `r2`, `items` with weights and intervals, `suppressed`)'),
    themes: z.array(section('A theme as GET /api/v1/themes gives it, without terms and example comments')).openapi({ description: 'The ten themes of the quarter with the largest impact' }),
    targets: z.array(section('A target of the subtree for the quarter with its attainment, as GET /api/v1/targets/attainment')),
    representativeness: section('As GET /api/v1/governance/representativeness for the quarter'),
    quality: section('As GET /api/v1/governance/quality for the four quarters ending with this one'),
    exceptions: section("As GET /api/v1/governance/exceptions over the quarter's days (at most 100 items)"),
  })
  .openapi('ReviewPackContent');

const Review = z
  .object({
    unitId: z.string(),
    unitName: z.string(),
    period: z.string(),
    from: z.string(),
    to: z.string(),
    closesAt: z.string().openapi({ description: "When the quarter closes for the unit: its last local day plus the targets' grace of 7 days for late answers" }),
    status: z.enum(['open', 'closed']).openapi({ description: '`open`: computed now; `closed`: the pack saved at the first read after the close, never changed' }),
    savedAt: z.string().nullable(),
    generatedAt: z.string().openapi({ description: 'When the numbers were computed' }),
    pack: Pack,
    corrections: z
      .array(
        z.object({
          at: z.string(),
          change: z.enum(['excluded', 'included']),
          responseId: z.string(),
          score: z.number().int().nullable(),
          reason: z.string().nullable(),
          actorId: z.string().nullable(),
          inPack: z.boolean().openapi({ description: 'Made after the close but before the pack was saved, so already counted in it' }),
        }),
      )
      .openapi({ description: "Exclusions and inclusions of the quarter's answers in the subtree made after the close, oldest first" }),
    current: z
      .object({
        nps: z.number().nullable(),
        n: z.number().int(),
        promoters: z.number().int(),
        passives: z.number().int(),
        detractors: z.number().int(),
        ci: Interval.nullable(),
        suppressed: z.boolean(),
      })
      .nullable()
      .openapi({ description: "Closed packs: the quarter's score as counted today, when it differs from the saved one; else null" }),
  })
  .openapi('ReviewPack');

const routes = {
  review: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/reviews/{period}',
    summary: 'The quarterly review pack of a unit: trend, distribution, drivers, themes, targets, representativeness, data quality and exceptions; saved once the quarter closed',
    request: { params: Params, query: Query },
    responses: { 200: json(Review, 'The review pack'), ...errors(...AUTHED, 422) },
  }),
};

export const reviewRoutes = createRouter().openapi(routes.review, async (c) => c.json(await reviewPack(deps(c), { period: c.req.valid('param').period, ...c.req.valid('query') }), 200));
