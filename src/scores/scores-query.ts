import { z } from '@hono/zod-openapi';
import { CONTACT_GROUPS, ROLLUP_GROUPS } from './query';

/*
 * The scores query and its items, as the API states them: GET /api/v1/scores, the scores CSV
 * export, saved reports and the other features that score (themes, vendors, responses) read
 * them from here, not from a route file.
 */

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar date');
const DAY_MS = 86_400_000;
/** The longest range one query reads: the same cap for the range and for `compare`. */
const MAX_RANGE_MS = 3 * 366 * DAY_MS;

/** Why a range of days is not acceptable (`from` after `to`, longer than the cap), or null. */
function rangeProblem(from: string, to: string): string | null {
  if (from > to) return 'the first day must not be after the last';
  if (Date.parse(to) - Date.parse(from) > MAX_RANGE_MS) return 'at most three years per query';
  return null;
}

export const ScoresQuery = z
  .object({
    unitId: z.string().min(1).max(64).optional().openapi({ description: 'The unit scored with its whole subtree; default the root' }),
    from: day.optional().openapi({ description: 'First local day, inclusive; default 90 days before `to`' }),
    to: day.optional().openapi({ description: "Last local day, inclusive; default the scored unit's local today" }),
    period: z.enum(['day', 'week', 'month', 'quarter']).optional(),
    groupBy: z.enum([...ROLLUP_GROUPS, ...CONTACT_GROUPS]).optional(),
    vendorId: z.string().min(1).max(64).optional().openapi({
      description: "Only the answers whose job this vendor unit performed, at any site (docs/dimensions.md). A vendor's users read their own vendor's scores at every unit; another vendor answers 404",
    }),
    agentId: z.string().min(1).max(128).optional().openapi({ description: 'Only the answers whose job this agent handled; hidden below the agent minimum (settings `agentMinResponses`, default 30)' }),
    limit: z.coerce.number().int().min(1).max(1000).optional().openapi({
      description:
        'Groups per page (each with all its periods), in the binary order of their keys. Default: 100 for `groupBy=account` and `groupBy=agent` (the answers without an account or agent come last, on the last page), every group for the other cuts. The answer then has `nextCursor`',
    }),
    after: z.string().min(1).max(128).optional().openapi({ description: 'The page after this group key: `nextCursor` of the previous page' }),
    weight: z.enum(['none', 'ltv', 'poststrat']).default('none'),
    compare: z
      .string()
      .regex(/^(previous|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})$/, '`previous` or `<from>..<to>`')
      .optional()
      .openapi({ description: '`previous` (the same number of days just before) or `<from>..<to>` (calendar days, in order, at most three years): each item gets the change against its group there' }),
    confidence: z.coerce.number().gt(0).lt(1).default(0.95),
    distribution: z.enum(['true', 'false']).optional().openapi({ description: '`true`: each item not suppressed also gets its 0–10 distribution' }),
    around: z.string().min(1).max(64).optional().openapi({
      description:
        'An annotation id: the items are the weeks from its day on, each compared (`delta`, with p) with the same number of weeks before it (`before`). Sets the range itself: not with from, to, compare or period. `unitId` defaults to the annotated unit',
    }),
    aroundWeeks: z.coerce.number().int().min(1).max(26).optional().openapi({ description: 'With `around`: weeks on each side, default 4' }),
    estimate: z.enum(['raw', 'shrunk']).optional().openapi({
      description:
        '`shrunk`: each item also gets `shrunk`, its empirical-Bayes estimate shrunk toward its peers (sibling units of the same kind under one parent; docs/scoring.md §10). Without `groupBy` the scored unit is shrunk toward its siblings; with `groupBy=unit` each child toward the other children. Unweighted only; other cuts answer 422',
    }),
  })
  .superRefine((q, ctx) => {
    if (q.around) {
      const clash = (['from', 'to', 'compare', 'period'] as const).filter((k) => q[k] !== undefined);
      if (clash.length) ctx.addIssue({ code: 'custom', path: ['around'], message: `sets the range itself: not with ${clash.join(', ')}` });
    } else if (q.aroundWeeks !== undefined) ctx.addIssue({ code: 'custom', path: ['aroundWeeks'], message: 'only with `around`' });
    for (const k of ['limit', 'after'] as const)
      if (q[k] !== undefined && q.groupBy === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'pages the groups of a `groupBy`: only with it' });
    if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after `to`' });
    else if (q.from && q.to && rangeProblem(q.from, q.to)) ctx.addIssue({ code: 'custom', path: ['from'], message: rangeProblem(q.from, q.to)! });
    // A compared range follows the rules of from/to: calendar days, in order, within the cap.
    if (q.compare && q.compare !== 'previous') {
      const [from, to] = q.compare.split('..') as [string, string];
      const problem = !day.safeParse(from).success || !day.safeParse(to).success ? 'not a calendar date' : rangeProblem(from, to);
      if (problem) ctx.addIssue({ code: 'custom', path: ['compare'], message: problem });
    }
  });

export type ScoresQuery = z.infer<typeof ScoresQuery>;

export const ScoreItem = z
  .object({
    key: z
      .string()
      .openapi({ description: 'The group (a unit id, touchpoint id, channel, segment, locale, vendor unit id, agent id, bucket or account), or `all`; `none` for answers without a vendor or agent' }),
    period: z.string().optional().openapi({ description: 'Day, Monday of the week, YYYY-MM or YYYY-Qn' }),
    nps: z.number().nullable().openapi({ description: '−100..100, unrounded; null when suppressed' }),
    n: z.number().int(),
    promoters: z.number().int(),
    passives: z.number().int(),
    detractors: z.number().int(),
    ci: z.object({ low: z.number(), high: z.number(), level: z.number() }).nullable(),
    effectiveN: z.number().optional(),
    suppressed: z.boolean(),
    suppressedReason: z.enum(['no_answers', 'below_min_n', 'not_for_individual_evaluation']).optional().openapi({
      description:
        '`below_min_n`: fewer answers than the anonymity threshold (settings `minResponses`; for agent scores also `agentMinResponses`); `not_for_individual_evaluation`: an agent score of an agent whose role or unit is marked so (docs/dimensions.md)',
    }),
    lowSample: z
      .literal(true)
      .optional()
      .openapi({ description: 'Shown, but from fewer answers (effective n when weighted) than the reliability threshold (settings `reliabilityThreshold`): read with care' }),
    shrunk: z
      .object({
        nps: z.number().openapi({ description: 'Posterior mean NPS, between the raw score and the peer mean' }),
        ci: z.object({ low: z.number(), high: z.number(), level: z.number() }),
      })
      .nullable()
      .optional()
      .openapi({
        description:
          "With `estimate=shrunk`: the score shrunk toward its peers, with its interval; null when the item is suppressed, is not a unit with siblings (the root, a unit's own answers), or fewer than three peers have answers",
      }),
    delta: z.object({ points: z.number(), p: z.number() }).optional(),
    before: z
      .object({
        nps: z.number().nullable(),
        n: z.number().int(),
        ci: z.object({ low: z.number(), high: z.number(), level: z.number() }).nullable(),
        suppressed: z.boolean(),
        suppressedReason: z.enum(['no_answers', 'below_min_n', 'not_for_individual_evaluation']).optional(),
        lowSample: z.literal(true).optional(),
      })
      .optional()
      .openapi({ description: 'With `around`: the same group in the weeks before the annotation (the item itself is the weeks from it on)' }),
    distribution: z
      .array(z.number().int())
      .length(11)
      .optional()
      .openapi({ description: 'With `distribution=true`: how many answers gave each score, 0 to 10 (unweighted counts; they sum to n). Absent when suppressed.' }),
  })
  .openapi('Score');

export const AroundSchema = z
  .object({
    annotation: z.object({ id: z.string(), unitId: z.string(), date: z.string(), kind: z.string(), title: z.string() }),
    weeks: z.number().int(),
    before: z.object({ from: z.string(), to: z.string() }),
    after: z.object({ from: z.string(), to: z.string() }),
  })
  .openapi('ScoresAround', { description: 'With `around`: the annotation and the two windows compared' });
