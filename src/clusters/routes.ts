import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { peerClusters } from './clusters';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a local day, YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day');

const ClustersQuery = z
  .strictObject({
    unitId: z.string().min(1).max(64).optional().openapi({ description: 'The sites under this unit; default the root or your one subtree' }),
    from: day.optional().openapi({ description: 'First local day; default 179 days before `to`' }),
    to: day.optional().openapi({ description: "Last local day; default the unit's local today" }),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after `to`' });
    else if (q.from && q.to && Date.parse(q.to) - Date.parse(q.from) > 3 * 366 * 86_400_000) ctx.addIssue({ code: 'custom', path: ['from'], message: 'at most three years' });
  });

const Pattern = {
  level: z.number().openapi({ description: 'NPS over the range' }),
  trend: z.number().openapi({ description: 'NPS points per month (weighted trend)' }),
  volatility: z.number().openapi({ description: 'Standard deviation of the monthly NPS' }),
  detractorShare: z.number().openapi({ description: 'Detractors per 100 answers' }),
};
const ThemeShares = z.array(z.object({ id: z.string(), detractorShare: z.number().nullable() })).openapi({
  description: "Per theme feature (`themes`): detractor comments mentioning it per 100 analysed comments; null for a site with fewer than 10 analysed comments (clustered at the sites' mean)",
});
const MeasureMeans = z.array(z.object({ key: z.string(), mean: z.number().nullable() })).openapi({
  description:
    "Per measure feature (`measures`): the site's mean over the range (an event measure over its answers, a unit measure over its days); null for a site with fewer than 10 values (clustered at the sites' mean)",
});
const Window = z.object({ from: z.string(), to: z.string(), nps: z.number(), n: z.number().int() });

const Cluster = z
  .object({
    id: z.number().int().openapi({ description: '1 for the highest-scoring cluster, and so on' }),
    description: z.string().openapi({ example: 'declining and volatile, low-scoring, with many detractors' }),
    size: z.number().int(),
    centre: z.object({ ...Pattern, themes: ThemeShares, measures: MeasureMeans }),
    sites: z.array(
      z.object({
        unitId: z.string(),
        name: z.string(),
        n: z.number().int(),
        ...Pattern,
        themes: ThemeShares,
        measures: MeasureMeans,
        percentile: z.number().openapi({ description: "The site's NPS as a percentile within its cluster (mid-rank)" }),
      }),
    ),
    whatWorked: z
      .array(
        z.object({
          planId: z.string(),
          unitId: z.string(),
          unitName: z.string(),
          title: z.string(),
          theme: z.string().nullable(),
          status: z.string(),
          before: Window,
          after: Window,
          change: z.object({ points: z.number(), p: z.number() }),
        }),
      )
      .nullable()
      .openapi({ description: 'Action plans at these sites with a significant improvement from before to after (p < 0.05); null for roles that do not read plans' }),
  })
  .openapi('PeerCluster');

const Clusters = z
  .object({
    unitId: z.string(),
    from: z.string(),
    to: z.string(),
    k: z.number().int().nullable(),
    silhouette: z.number().nullable(),
    candidates: z.array(z.object({ k: z.number().int(), silhouette: z.number() })),
    themes: z
      .array(z.object({ id: z.string(), name: z.string() }))
      .openapi({ description: 'The library themes used as features: at most 3, the most mentioned by detractors across the sites (at least 10 mentions)' }),
    measures: z
      .array(z.object({ key: z.string(), name: z.string(), unit: z.string(), direction: z.enum(['higher_is_better', 'lower_is_better']) }))
      .openapi({ description: "The operational measures used as features: the tenant's measures (event and unit), at most 4 by key, each with a value at one site at least" }),
    clusters: z.array(Cluster),
    unclustered: z.array(z.object({ unitId: z.string(), name: z.string(), n: z.number().int(), reason: z.enum(['too_few_answers', 'too_few_sites']) })),
  })
  .openapi('PeerClusters');

const clusters = createRoute({
  method: 'get',
  path: '/api/v1/clusters',
  tags: ['clusters'],
  summary:
    "The sites under a unit grouped by their NPS pattern (level, trend, volatility, detractor share), their detractors' top themes and their operational measures, k by silhouette, with percentiles and what worked at peers",
  security,
  middleware: [authenticate] as const,
  request: { query: ClustersQuery },
  responses: { 200: json(Clusters, 'Peer clusters'), ...errors(...AUTHED) },
});

export const clusterRoutes = createRouter().openapi(clusters, async (c) => c.json(await peerClusters(deps(c), c.req.valid('query')), 200));
