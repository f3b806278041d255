import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { can } from '../auth/policy';
import { getRoot, getUnit } from '../org/units';
import { createRouter } from '../lib/create-app';
import { ApiError, notFound } from '../lib/errors';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { difference, score, type Tally } from '../scoring/nps';
import { getSettings } from '../settings/settings';
import { CONTACT_GROUPS, gather, ROLLUP_GROUPS, weighTally, type Grouped, type ScoresScope } from './query';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar date');
const DAY_MS = 86_400_000;
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

const Query = z
  .object({
    unitId: z.string().min(1).max(64).optional().openapi({ description: 'The unit scored with its whole subtree; default the root' }),
    from: day.optional().openapi({ description: 'First local day, inclusive; default 90 days before `to`' }),
    to: day.optional().openapi({ description: 'Last local day, inclusive; default today (UTC)' }),
    period: z.enum(['day', 'week', 'month', 'quarter']).optional(),
    groupBy: z.enum([...ROLLUP_GROUPS, ...CONTACT_GROUPS]).optional(),
    weight: z.enum(['none', 'ltv', 'poststrat']).default('none'),
    compare: z
      .string()
      .regex(/^(previous|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})$/, '`previous` or `<from>..<to>`')
      .optional()
      .openapi({ description: '`previous` (the same number of days just before) or `<from>..<to>`: each item gets the change against its group there' }),
    confidence: z.coerce.number().gt(0).lt(1).default(0.95),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after `to`' });
    if (q.from && q.to && Date.parse(q.to) - Date.parse(q.from) > 3 * 366 * DAY_MS) ctx.addIssue({ code: 'custom', path: ['from'], message: 'at most three years per query' });
  });

const ScoreItem = z
  .object({
    key: z.string().openapi({ description: 'The group (a unit id, touchpoint id, channel, segment, locale, bucket or account), or `all`' }),
    period: z.string().optional().openapi({ description: 'Day, Monday of the week, YYYY-MM or YYYY-Qn' }),
    nps: z.number().nullable().openapi({ description: '−100..100, unrounded; null when suppressed' }),
    n: z.number().int(),
    promoters: z.number().int(),
    passives: z.number().int(),
    detractors: z.number().int(),
    ci: z.object({ low: z.number(), high: z.number(), level: z.number() }).nullable(),
    effectiveN: z.number().optional(),
    suppressed: z.boolean(),
    suppressedReason: z.enum(['no_answers', 'below_min_n']).optional(),
    delta: z.object({ points: z.number(), p: z.number() }).optional(),
  })
  .openapi('Score');

const scores = createRoute({
  method: 'get',
  path: '/api/v1/scores',
  tags: ['scores'],
  summary: 'NPS with interval, n and suppression, by group and period, optionally weighted and compared',
  description: 'Exact in real time: rollups up to the fold watermark plus the answers after it. Scores from fewer answers than the tenant minimum are suppressed (nps and ci null).',
  security,
  middleware: [authenticate] as const,
  request: { query: Query },
  responses: { 200: json(z.object({ items: z.array(ScoreItem) }), 'Scores'), ...errors(...AUTHED) },
});

export const scoreRoutes = createRouter().openapi(scores, async (c) => {
  const q = c.req.valid('query');
  const actor = c.get('actor');
  const db = c.get('db');
  const [unit, settings] = await Promise.all([q.unitId ? getUnit(db, actor.tenantId, q.unitId) : getRoot(db, actor.tenantId), getSettings(db, actor.tenantId)]);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'score.read', unit.path)) throw new ApiError('FORBIDDEN', 'your role does not read scores');
  if (q.weight === 'poststrat' && !settings.populationShares) throw new ApiError('UNPROCESSABLE', 'post-stratification needs population shares per segment in the settings');

  const to = q.to ?? new Date().toISOString().slice(0, 10);
  const from = q.from ?? addDays(to, -89);
  const scope: ScoresScope = { tenantId: actor.tenantId, root: { id: unit.id, path: unit.path }, from, to, period: q.period, groupBy: q.groupBy, weight: q.weight };
  let compareTo: Grouped | undefined;
  const [current] = await Promise.all([
    gather(db, scope),
    (async () => {
      if (!q.compare) return;
      const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
      const [cFrom, cTo] = q.compare === 'previous' ? [addDays(from, -days), addDays(from, -1)] : (q.compare.split('..') as [string, string]);
      compareTo = await gather(db, { ...scope, from: cFrom, to: cTo, period: undefined });
    })(),
  ]);

  const weighted = q.weight !== 'none';
  const tally = (cells: Map<string, Tally>) => weighTally(cells, q.weight, settings.populationShares);
  const opts = { confidence: q.confidence, weighted, minN: settings.minResponses };
  const items = [];
  const groups = current.size > 0 ? current : new Map([['', new Map([['', new Map<string, Tally>()]])]]);
  for (const [group, byPeriod] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [period, cells] of [...byPeriod.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const t = tally(cells);
      const s = score(t, opts);
      let delta: { points: number; p: number } | undefined;
      const before = compareTo?.get(group)?.get('');
      if (before && !s.suppressed) {
        const b = tally(before);
        const d = score(b, opts).suppressed ? null : difference(t, b, { weighted });
        if (d) delta = { points: d.points, p: d.p };
      }
      items.push({
        key: group || 'all',
        ...(q.period ? { period } : {}),
        nps: s.nps,
        n: s.n,
        promoters: s.promoters,
        passives: s.passives,
        detractors: s.detractors,
        ci: s.ci,
        ...(s.effectiveN !== undefined ? { effectiveN: s.effectiveN } : {}),
        suppressed: s.suppressed,
        ...(s.suppressedReason ? { suppressedReason: s.suppressedReason } : {}),
        ...(delta ? { delta } : {}),
      });
    }
  }
  return c.json({ items }, 200);
});
