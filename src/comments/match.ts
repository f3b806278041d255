import { stemRuns, tokenize } from './analyse';
import { COMPOUND_MIN, COMPOUNDING } from './languages';

/**
 * Matching library themes against stored analyses (docs/themes.md "Matching"): a term is compiled
 * once to its content stems in its language; a comment mentions a theme when one of the theme's
 * terms in the comment's language occurs in the comment's stem runs (a multi-word term as
 * consecutive stems of one run). In compounding languages a one-word term whose stem has at least
 * COMPOUND_MIN letters also matches a word starting with it ("Wartezeit" for "warten").
 */

/** At most this many content words in a term. */
export const MAX_TERM_WORDS = 3;

/** A term's content stems, or why it cannot match anything. */
export function compileTerm(term: string, language: string): { stems: string[] } | { error: string } {
  const runs = stemRuns(tokenize(term, language), language);
  if (runs.length === 0) return { error: 'has no content word (only stopwords, numbers or punctuation): it would match nothing' };
  if (runs.length > 1) return { error: 'has stopwords or punctuation between its words: write the words that stand together in comments' };
  if (runs[0]!.length > MAX_TERM_WORDS) return { error: `has more than ${MAX_TERM_WORDS} content words` };
  return { stems: runs[0]! };
}

export interface LibraryTheme {
  id: string;
  terms: Record<string, string[]>;
}

/** Per language: each theme's compiled terms. Terms that cannot match (validated away on edit) are skipped. */
export type CompiledLibrary = Map<string, { id: string; terms: string[][] }[]>;

export function compileLibrary(themes: LibraryTheme[]): CompiledLibrary {
  const out: CompiledLibrary = new Map();
  for (const theme of themes) {
    for (const [language, terms] of Object.entries(theme.terms)) {
      const compiled = terms.map((t) => compileTerm(t, language)).flatMap((c) => ('stems' in c ? [c.stems] : []));
      if (!compiled.length) continue;
      let list = out.get(language);
      if (!list) out.set(language, (list = []));
      list.push({ id: theme.id, terms: compiled });
    }
  }
  return out;
}

const stemMatches = (word: string, stem: string, compounding: boolean) => word === stem || (compounding && stem.length >= COMPOUND_MIN && word.startsWith(stem));

function termOccurs(runs: string[][], term: string[], compounding: boolean): boolean {
  for (const run of runs) {
    for (let i = 0; i + term.length <= run.length; i++) {
      let all = true;
      for (let k = 0; k < term.length && all; k++) all = term.length === 1 ? stemMatches(run[i]!, term[0]!, compounding) : run[i + k] === term[k];
      if (all) return true;
    }
  }
  return false;
}

/** The stem runs of a stored analysis (`stems` as written by analyse()). */
export const runsOf = (stems: string) => (stems ? stems.split('|').map((r) => r.split(' ')) : []);

/** Ids of the library themes a stored analysis mentions, sorted. */
export function matchThemes(library: CompiledLibrary, language: string, stems: string): string[] {
  const themes = library.get(language);
  if (!themes || !stems) return [];
  const runs = runsOf(stems);
  const compounding = COMPOUNDING.has(language);
  return themes
    .filter((t) => t.terms.some((term) => termOccurs(runs, term, compounding)))
    .map((t) => t.id)
    .sort();
}
