import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import { can } from '../auth/policy';
import { responses, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { forbidden } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { createdOnLocalDays, underAny } from '../responses/local-range';
import { categorize } from '../scoring/nps';
import { languageOf, terms } from './themes';

/** Comments read per request, newest first: a theme list is a prompt for action, not a census. */
const MAX_COMMENTS = 10_000;
const DAY_MS = 86_400_000;

/**
 * The digest's theme terms (the same extractor) over counted answers of the unit's subtree on
 * the local days [from, to] (default the 90 days up to today), with how many detractor, passive
 * and promoter answers mention each, most detractor mentions first. Needs score and verbatim
 * reading on the unit.
 */
export async function themeReport(d: Deps, q: { unitId?: string; from?: string; to?: string; limit: number }) {
  const { t, actor } = d;
  const unit = await reportUnit(d, q.unitId);
  if (!can(actor, 'score.read', unit.path) || !can(actor, 'verbatim.read', unit.path)) throw forbidden('themes come from comments: your role does not read them');
  const to = q.to ?? new Date().toISOString().slice(0, 10);
  const from = q.from ?? new Date(Date.parse(to) - 89 * DAY_MS).toISOString().slice(0, 10);
  const rows = await t
    .select({ score: responses.score, comment: responses.comment, locale: responses.locale })
    .from(responses)
    .innerJoin(units, eq(units.id, responses.unitId))
    .where(
      and(
        underAny([unit.path]),
        await createdOnLocalDays(t, [unit.path], from, to),
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
  for (const m of mentions) if (m.category === 'detractor') for (const term of m.terms) counts.set(term, { detractors: 0, passives: 0, promoters: 0 });
  for (const m of mentions) {
    for (const term of m.terms) {
      const n = counts.get(term);
      if (n) n[m.category === 'detractor' ? 'detractors' : m.category === 'passive' ? 'passives' : 'promoters']++;
    }
  }
  const items = [...counts.entries()]
    .map(([theme, n]) => ({ theme, ...n }))
    .sort((a, b) => b.detractors - a.detractors || a.theme.localeCompare(b.theme))
    .slice(0, q.limit);
  return { from, to, comments: rows.length, items };
}
