import { sql } from 'drizzle-orm';
import { inScope, periodScope } from '../comments/counts';
import { commentAnalyses as ca, themeLibrary, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { inSubtree } from '../org/units';

/*
 * Themes as features of the peer clusters (docs/targets.md "Peer clusters"): for the library
 * themes most mentioned by detractors across the sites, each site's detractor comments mentioning
 * the theme per 100 of its analysed comments, from the stored tags (the analyses' covering index;
 * no comment is read). A site with too few analysed comments has no value (the clustering puts it
 * at the sites' mean on that feature).
 */

/** At most this many themes become features. */
export const TOP_THEMES = 3;
/** A theme becomes a feature with at least this many detractor mentions over the sites. */
export const MIN_THEME_MENTIONS = 10;
/** A site's theme shares count from this many analysed comments on. */
export const MIN_SITE_COMMENTS = 10;

export interface SiteThemes {
  themes: { id: string; name: string }[];
  /** Per site id: per theme of `themes`, detractor mentions per 100 analysed comments, or null (too few comments). */
  shares: Map<string, (number | null)[]>;
}

/** The site a unit belongs to: the site on its path (itself or an ancestor). */
export function siteOf(path: string, sites: Set<string>): string | undefined {
  return path
    .split('/')
    .filter(Boolean)
    .reverse()
    .find((id) => sites.has(id));
}

export async function siteThemes(t: TenantDb, path: string, from: string, to: string, siteIds: string[]): Promise<SiteThemes> {
  const period = await periodScope(t, path, from, to);
  const current = { ...period, start: period.split, zones: period.zones?.map((z) => ({ ...z, start: z.split })) };
  const [totals, mentions, library, subtree] = await t.batch([
    t.all<{ unit: string; n: number }>(sql`select ${ca.unitId} as unit, count(*) as n from ${ca} where ${inScope(t, current)} group by ${ca.unitId}`),
    t.all<{ unit: string; theme: string; n: number }>(
      sql`select ${ca.unitId} as unit, j.value as theme, count(*) as n from ${ca}, json_each(${ca.themes}) j where ${inScope(t, current)} and ${ca.score} <= 6 group by 1, 2`,
    ),
    t.select({ id: themeLibrary.id, name: themeLibrary.name }).from(themeLibrary),
    t.select({ id: units.id, path: units.path }).from(units).where(inSubtree(path)),
  ]);
  const sites = new Set(siteIds);
  const site = new Map(subtree.map((u) => [u.id, siteOf(u.path, sites)]));
  const comments = new Map<string, number>();
  for (const r of totals) {
    const s = site.get(r.unit);
    if (s) comments.set(s, (comments.get(s) ?? 0) + Number(r.n));
  }
  const bySite = new Map<string, Map<string, number>>();
  const overall = new Map<string, number>();
  for (const r of mentions) {
    const s = site.get(r.unit);
    if (!s) continue;
    const m = bySite.get(s) ?? new Map<string, number>();
    m.set(r.theme, (m.get(r.theme) ?? 0) + Number(r.n));
    bySite.set(s, m);
    overall.set(r.theme, (overall.get(r.theme) ?? 0) + Number(r.n));
  }
  const themes = library
    .filter((th) => (overall.get(th.id) ?? 0) >= MIN_THEME_MENTIONS)
    .sort((a, b) => overall.get(b.id)! - overall.get(a.id)! || a.id.localeCompare(b.id))
    .slice(0, TOP_THEMES);
  const shares = new Map<string, (number | null)[]>();
  for (const id of siteIds) {
    const n = comments.get(id) ?? 0;
    shares.set(
      id,
      themes.map((th) => (n >= MIN_SITE_COMMENTS ? (100 * (bySite.get(id)?.get(th.id) ?? 0)) / n : null)),
    );
  }
  return { themes, shares };
}
