import { and, desc, eq, sql } from 'drizzle-orm';
import { can, seesRespondent } from '../auth/policy';
import { ensureLibrary } from '../comments/library';
import { countQueries, countsFrom, inScope, periodScope, type CountScope, type ThemeCount } from '../comments/counts';
import { commentAnalyses, responses } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { forbidden } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { localDay } from '../scores/local-day';
import { gather, weighTally } from '../scores/query';
import { emptyTally, score, type Category } from '../scoring/nps';
import { getSettings } from '../settings/settings';
import { discoveredThemes } from './discovered';
import { isEmerging } from './emerging';

const DAY_MS = 86_400_000;
const EXAMPLES = 3;
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export interface ThemesQuery {
  unitId?: string;
  from?: string;
  to?: string;
  category?: Category;
}

/** The most recent comments of the current period that mention a theme. */
const examplesOf = (t: TenantDb, s: CountScope, themeId: string) =>
  t
    .select({ comment: responses.comment })
    .from(commentAnalyses)
    .innerJoin(responses, eq(responses.id, commentAnalyses.responseId))
    .where(and(inScope(t, { ...s, start: s.split, zones: s.zones?.map((z) => ({ ...z, start: z.split })) }), sql`exists (select 1 from json_each(${commentAnalyses.themes}) where value = ${themeId})`))
    .orderBy(desc(commentAnalyses.createdAt))
    .limit(EXAMPLES);

/**
 * The themes of a unit's subtree over local days [from, to] (default the 90 days up to today),
 * from stored tags: library themes with their mentions, share, NPS among them, impact on the
 * unit's NPS, mean sentiment and whether they are emerging; then the discovered themes of its
 * detractor comments. Examples only for callers who read the unit's verbatims.
 */
export async function themesReport(d: Deps, q: ThemesQuery) {
  const { t, actor } = d;
  const unit = await reportUnit(d, q.unitId);
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores on this unit');
  const verbatims = seesRespondent(actor, unit.path);
  // The unit's local today, as the scores' default: past midnight in Berlin, today's answers are of the new day.
  const to = q.to ?? localDay(Date.now(), unit.timezone);
  const from = q.from ?? addDays(to, -89);
  const [lib, settings, scope] = await Promise.all([ensureLibrary(t, actor.tenantId), getSettings(t), periodScope(t, unit.path, from, to, q.category)]);
  // The counts, the unit's n (for impact) and the discovered themes' sample, at once.
  const [[rows, totalRows], grouped, found] = await Promise.all([
    t.batch([...countQueries(t, scope)]),
    gather(t, { root: { id: unit.id, path: unit.path }, from, to, weight: 'none' }),
    discoveredThemes(d, scope, lib, verbatims),
  ]);
  const { themes, totals } = countsFrom(rows, totalRows);
  const cells = grouped.get('')?.get('');
  const unitTally = cells ? weighTally(cells, 'none') : emptyTally();
  const unitN = unitTally.promoters + unitTally.passives + unitTally.detractors;
  const byId = new Map(themes.map((c) => [c.theme, c]));

  const item = (id: string, name: string, source: 'library' | 'discovered', terms: Record<string, string[]>, c: ThemeCount, of = totals) => {
    const s = score(
      { ...emptyTally(), promoters: c.promoters, passives: c.passives, detractors: c.detractors, w: c.comments, w2: c.comments, wPromoters: c.promoters, wDetractors: c.detractors },
      { minN: settings.minResponses },
    );
    return {
      id,
      name,
      source,
      terms,
      comments: c.comments,
      share: of.comments ? round(c.comments / of.comments, 4) : 0,
      nps: s.nps === null ? null : round(s.nps, 1),
      // The unit's NPS with these answers counted as passives, minus its NPS: (detractors − promoters) / n.
      impact: unitN ? round((100 * (c.detractors - c.promoters)) / unitN, 1) : 0,
      sentiment: c.sentimentN ? round(c.sentimentSum / c.sentimentN, 3) : null,
      emerging: isEmerging(c.comments, of.comments, c.previous, of.previous),
      examples: [] as string[],
    };
  };
  const library = lib.themes.flatMap((th) => {
    const c = byId.get(th.id);
    return c && c.comments > 0 ? [item(th.id, th.name, 'library', th.terms, c)] : [];
  });
  if (verbatims && library.length) {
    const found = (await t.batch(library.map((i) => examplesOf(t, scope, i.id)) as unknown as [ReturnType<typeof examplesOf>])) as unknown as { comment: string | null }[][];
    library.forEach((i, n) => {
      i.examples = (found[n] ?? []).flatMap((r) => (r.comment ? [r.comment] : []));
    });
  }
  // Discovered themes are counted over the sampled comments of each period (src/themes/discovered.ts).
  const discovered = found.map((x) => ({ ...item(x.id, x.name, 'discovered', x.terms, x.count, x.sampled), examples: x.examples }));
  const items = [...library, ...discovered].sort((a, b) => b.impact - a.impact || b.comments - a.comments || a.name.localeCompare(b.name));
  return { items };
}
