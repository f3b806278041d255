import { and, desc, gte, inArray, lt, sql } from 'drizzle-orm';
import { currentPeriod, inScope, type CountScope, type ThemeCount } from '../comments/counts';
import type { Library } from '../comments/library';
import { runsOf } from '../comments/match';
import { COMPOUND_MIN, COMPOUNDING } from '../comments/languages';
import { commentAnalyses as ca, responses } from '../db/schema';
import type { Deps } from '../lib/deps';

/**
 * Discovered themes (docs/themes.md "Discovered themes"): stems and key phrases that recur in
 * detractor comments and that no library term matches, clustered by co-occurrence, offered to
 * admins to name and add to the library. Computed from stored analyses (stems and phrases, never
 * the comments), over the latest SAMPLE analysed comments of each period.
 */

export interface Discovered {
  id: string;
  name: string;
  terms: Record<string, string[]>;
  count: ThemeCount;
  /** The comments sampled in the period and in the one before: the share's and the emerging test's denominators. */
  sampled: { comments: number; previous: number };
  examples: string[];
}

/** Comments read per period. */
export const SAMPLE = 1000;
/** A key must recur in at least this many detractor comments. */
export const MIN_SUPPORT = 3;
/** A key joins a cluster when at least this share of its comments also hold the cluster's first key. */
export const JOIN = 0.5;
const MAX_CLUSTERS = 10;
const MAX_TERMS = 5;

interface Row {
  id: string;
  responseId: string;
  score: number;
  sentiment: number | null;
  language: string;
  stems: string;
  words: string;
  phrases: [string, string][];
  current: number;
}

/** Keys of one analysis: `lang:stem` for content stems of three letters or more, `lang:stem stem` for its key phrases; with a surface form each. */
function keysOf(r: Row, library: Library): Map<string, string> {
  const terms = library.compiled.get(r.language) ?? [];
  const termStems = new Set(terms.flatMap((t) => t.terms.flat()));
  const compounding = COMPOUNDING.has(r.language);
  const matched = (stem: string) => termStems.has(stem) || (compounding && [...termStems].some((t) => t.length >= COMPOUND_MIN && stem.startsWith(t)));
  const out = new Map<string, string>();
  for (const [key, text] of r.phrases) if (!key.split(' ').some(matched)) out.set(`${r.language}:${key}`, text);
  const written = runsOf(r.words);
  for (const [i, run] of runsOf(r.stems).entries()) {
    for (const [j, stem] of run.entries()) {
      if (stem.length >= 3 && !matched(stem) && !out.has(`${r.language}:${stem}`)) out.set(`${r.language}:${stem}`, written[i]?.[j] ?? stem);
    }
  }
  return out;
}

export async function discoveredThemes(d: Deps, scope: CountScope, library: Library, withExamples: boolean): Promise<Discovered[]> {
  const { t } = d;
  const now = currentPeriod(t, scope);
  // Every answer before the latest zone's split may be of the period before (which, the zone says).
  const lastSplit = Math.max(scope.split, ...(scope.zones ?? []).map((z) => z.split));
  const read = (current: boolean) =>
    t
      .select({
        id: ca.id,
        responseId: ca.responseId,
        score: ca.score,
        sentiment: ca.sentiment,
        language: ca.language,
        stems: ca.stems,
        words: ca.words,
        phrases: ca.phrases,
        current: sql<number>`${now}`,
      })
      .from(ca)
      .where(and(inScope(t, scope), current ? gte(ca.createdAt, scope.split) : lt(ca.createdAt, lastSplit), sql`${now} = ${current ? 1 : 0}`))
      .orderBy(desc(ca.createdAt))
      .limit(SAMPLE);
  const [cur, prev] = (await t.batch([read(true), read(false)])) as unknown as [Row[], Row[]];
  if (!cur.length) return [];

  // Document frequency of each key among all and among detractor comments of the period, and where it occurs.
  const keys = cur.map((r) => keysOf(r, library));
  const all = new Map<string, number>();
  const det = new Map<string, number>();
  const surface = new Map<string, Map<string, number>>();
  const where = new Map<string, Set<number>>();
  keys.forEach((k, i) => {
    for (const [key, text] of k) {
      all.set(key, (all.get(key) ?? 0) + 1);
      if (cur[i]!.score <= 6) det.set(key, (det.get(key) ?? 0) + 1);
      const forms = surface.get(key) ?? new Map<string, number>();
      forms.set(text, (forms.get(text) ?? 0) + 1);
      surface.set(key, forms);
      let w = where.get(key);
      if (!w) where.set(key, (w = new Set()));
      w.add(i);
    }
  });
  const detractors = cur.filter((r) => r.score <= 6).length;
  if (!detractors) return [];
  const candidates = [...det.entries()]
    // More frequent among detractors than among the other comments: not just a common word.
    .filter(([key, n]) => n >= MIN_SUPPORT && n / detractors > (all.get(key)! - n) / Math.max(1, cur.length - detractors))
    // Phrases before single stems at equal support: "wait time" names a theme better than "time".
    .sort(([a, x], [b, y]) => y - x || b.split(' ').length - a.split(' ').length || a.localeCompare(b));

  // Greedy clustering by co-occurrence: a key joins the first cluster whose first key is in at least JOIN of its comments.
  const clusters: { head: string; keys: string[] }[] = [];
  for (const [key] of candidates) {
    const mine = where.get(key)!;
    const home = clusters.find((c) => {
      const head = where.get(c.head)!;
      let both = 0;
      for (const i of mine) if (head.has(i)) both++;
      return both / mine.size >= JOIN;
    });
    if (home) home.keys.push(key);
    else if (clusters.length < MAX_CLUSTERS) clusters.push({ head: key, keys: [key] });
  }

  const prevKeys = prev.map((r) => keysOf(r, library));
  const top = (key: string) => [...surface.get(key)!.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b))[0]![0];
  const out = clusters.map((c) => {
    const members = new Set(c.keys);
    const hits = cur.filter((_, i) => [...keys[i]!.keys()].some((k) => members.has(k)));
    const previous = prevKeys.filter((k) => [...k.keys()].some((x) => members.has(x))).length;
    const terms: Record<string, string[]> = {};
    for (const key of c.keys) {
      const lang = key.slice(0, key.indexOf(':'));
      const list = (terms[lang] ??= []);
      if (list.length < MAX_TERMS) list.push(top(key));
    }
    const scored = hits.filter((h) => h.sentiment !== null);
    const count: ThemeCount = {
      theme: `discovered:${c.head}`,
      comments: hits.length,
      promoters: hits.filter((h) => h.score >= 9).length,
      passives: hits.filter((h) => h.score >= 7 && h.score <= 8).length,
      detractors: hits.filter((h) => h.score <= 6).length,
      sentimentSum: scored.reduce((a, h) => a + h.sentiment!, 0),
      sentimentN: scored.length,
      previous,
    };
    return {
      id: `discovered:${c.head}`,
      name: top(c.head),
      terms,
      count,
      sampled: { comments: cur.length, previous: prev.length },
      examples: [] as string[],
      latest: hits.slice(0, 3).map((h) => h.responseId),
    };
  });

  if (withExamples) {
    const ids = [...new Set(out.flatMap((o) => o.latest))];
    const rows = ids.length ? await t.select({ id: responses.id, comment: responses.comment }).from(responses).where(inArray(responses.id, ids)) : [];
    const text = new Map(rows.map((r) => [r.id, r.comment]));
    for (const o of out) o.examples = o.latest.flatMap((id) => (text.get(id) ? [text.get(id)!] : []));
  }
  return out.map(({ latest: _l, ...o }) => o);
}
