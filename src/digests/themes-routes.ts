import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import { authenticate } from '../auth/authenticate';
import { can } from '../auth/policy';
import { responses, units } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { forbidden } from '../lib/errors';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { reportUnit } from '../org/scope';
import { createdOnLocalDays, underAny } from '../responses/local-range';
import { categorize } from '../scoring/nps';
import { ScoresQuery } from '../scores/scores-query';
import { languageOf, terms } from './themes';

/** Comments read per request, newest first: a theme list is a prompt for action, not a census. */
const MAX_COMMENTS = 10_000;
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

export const themeRoutes = createRouter().openapi(themes, async (c) => {
  const q = c.req.valid('query');
  const actor = c.get('actor');
  const db = c.get('db');
  const unit = await reportUnit(deps(c), q.unitId);
  if (!can(actor, 'score.read', unit.path) || !can(actor, 'verbatim.read', unit.path)) throw forbidden('themes come from comments: your role does not read them');
  const to = q.to ?? new Date().toISOString().slice(0, 10);
  const from = q.from ?? new Date(Date.parse(to) - 89 * DAY_MS).toISOString().slice(0, 10);
  const rows = await db
    .select({ score: responses.score, comment: responses.comment, locale: responses.locale })
    .from(responses)
    .innerJoin(units, and(eq(units.tenantId, responses.tenantId), eq(units.id, responses.unitId)))
    .where(
      and(
        eq(responses.tenantId, actor.tenantId),
        underAny([unit.path]),
        await createdOnLocalDays(c.get('tdb'), [unit.path], from, to),
        eq(responses.counted, true),
        isNotNull(responses.score),
        sql`${responses.comment} is not null and trim(${responses.comment}) <> ''`,
      ),
    )
    .orderBy(desc(responses.createdAt))
    .limit(MAX_COMMENTS);
  // Each comment's terms once; a theme is a term of at least one detractor comment.
  const counts = new Map<string, { detractors: number; passives: number; promoters: number }>();
  const mentions = rows.map((r) => ({ category: categorize(r.score!), terms: terms(r.comment!, languageOf(r.locale)) }));
  for (const m of mentions) if (m.category === 'detractor') for (const t of m.terms) counts.set(t, { detractors: 0, passives: 0, promoters: 0 });
  for (const m of mentions) {
    for (const t of m.terms) {
      const n = counts.get(t);
      if (n) n[m.category === 'detractor' ? 'detractors' : m.category === 'passive' ? 'passives' : 'promoters']++;
    }
  }
  const items = [...counts.entries()]
    .map(([theme, n]) => ({ theme, ...n }))
    .sort((a, b) => b.detractors - a.detractors || a.theme.localeCompare(b.theme))
    .slice(0, q.limit);
  return c.json({ from, to, comments: rows.length, items }, 200);
});
