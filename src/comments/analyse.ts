import { detectLanguage, STEMMERS, stopwordsOf } from './languages';
import { sentimentOf, type Word } from './sentiment';

/**
 * The analysis of one comment or case note, stored with it (docs/themes.md "Method"): its own
 * language, its content words as stems in runs (a stopword or punctuation ends a run), its key
 * phrases, and its sentiment. Themes are matched against the runs (src/comments/library.ts), so a
 * library edit re-tags stored analyses without reading any comment again.
 */
export interface Analysis {
  /** ISO 639-1: detected when the detector is sure, else the survey's (or the case's) language. */
  language: string;
  /** Content stems, space separated, runs separated by `|`. */
  stems: string;
  /** The same content words as written (lower case), in the same places. */
  words: string;
  /** Up to MAX_PHRASES two- and three-word key phrases: [stem key, words as written (lower case)]. */
  phrases: [string, string][];
  /** -1 (negative) to 1 (positive); null where the language has no sentiment lexicon. */
  sentiment: number | null;
}

const MAX_PHRASES = 8;
/** Analysed text is cut at this length: a comment longer than that is rare and its start carries the theme. */
export const MAX_ANALYSED = 4000;
/** French, Italian, Catalan and Portuguese elide articles and pronouns with an apostrophe: "l'attente" is "attente". */
const ELIDING = new Set(['fr', 'it', 'ca', 'pt']);
const ELISION = /^([a-zà-ÿ]{1,3})'(.+)$/u;
const segmenters = new Map<string, Intl.Segmenter>();

function segmenter(language: string) {
  let s = segmenters.get(language);
  if (!s) {
    try {
      s = new Intl.Segmenter(language === 'und' ? undefined : language, { granularity: 'word' });
    } catch {
      s = new Intl.Segmenter(undefined, { granularity: 'word' });
    }
    segmenters.set(language, s);
  }
  return s;
}

/** Stems already computed, per language: comments repeat their words, and some stemmers build regular expressions per call. */
const stemCache = new Map<string, Map<string, string>>();
const STEM_CACHE_MAX = 50_000;

/** The stem of a lower-cased word in a language (the word itself where no Snowball stemmer exists). */
export function stemWord(word: string, language: string): string {
  const stem = STEMMERS[language];
  if (!stem) return word;
  let cache = stemCache.get(language);
  if (!cache) stemCache.set(language, (cache = new Map()));
  let s = cache.get(word);
  if (s === undefined) {
    if (cache.size >= STEM_CACHE_MAX) cache.clear();
    s = stem(word);
    cache.set(word, s);
  }
  return s;
}

/** A token of text: lower-cased word, the word without an elided article, whether punctuation follows it. */
interface Token {
  word: string;
  bare: string;
  breakAfter: boolean;
}

/** Words by Intl.Segmenter in the language's rules, lower-cased; punctuation (not spaces) marks a break. */
export function tokenize(text: string, language: string): Token[] {
  const lower = text
    .normalize('NFC')
    .replace(/[’`´]/g, "'")
    .toLocaleLowerCase(language === 'und' ? undefined : language);
  const tokens: Token[] = [];
  for (const seg of segmenter(language).segment(lower)) {
    if (seg.isWordLike) {
      const m = ELIDING.has(language) ? ELISION.exec(seg.segment) : null;
      tokens.push({ word: seg.segment, bare: m ? m[2]! : seg.segment, breakAfter: false });
    } else if (/[^\s]/u.test(seg.segment) && tokens.length) tokens[tokens.length - 1]!.breakAfter = true;
  }
  return tokens;
}

/**
 * Content words in runs for a term or a comment, as stems and as written (lower case): stopwords,
 * numbers and one-letter words are dropped and end a run, as punctuation does.
 */
export function contentRuns(tokens: Token[], language: string): { stems: string[][]; words: string[][] } {
  const stop = stopwordsOf(language);
  const stems: string[][] = [];
  const words: string[][] = [];
  let run: string[] = [];
  let written: string[] = [];
  const end = () => {
    if (run.length) {
      stems.push(run);
      words.push(written);
    }
    run = [];
    written = [];
  };
  for (const t of tokens) {
    const content = t.bare.length > 1 && !stop.has(t.bare) && !stop.has(t.word) && !/^\p{N}+$/u.test(t.bare);
    if (content) {
      run.push(stemWord(t.bare, language));
      written.push(t.bare);
    } else end();
    if (t.breakAfter) end();
  }
  end();
  return { stems, words };
}

/** Content stems in runs (see contentRuns). */
export const stemRuns = (tokens: Token[], language: string) => contentRuns(tokens, language).stems;

/** Two- and three-word phrases of content words next to each other, first seen first, at most MAX_PHRASES. */
function keyPhrases(tokens: Token[], language: string): [string, string][] {
  const stop = stopwordsOf(language);
  const seen = new Map<string, string>();
  let run: Token[] = [];
  const flush = () => {
    for (const n of [2, 3]) {
      for (let i = 0; i + n <= run.length; i++) {
        const part = run.slice(i, i + n);
        const key = part.map((t) => stemWord(t.bare, language)).join(' ');
        if (!seen.has(key)) seen.set(key, part.map((t) => t.bare).join(' '));
      }
    }
    run = [];
  };
  for (const t of tokens) {
    const content = t.bare.length > 1 && !stop.has(t.bare) && !stop.has(t.word) && !/^\p{N}+$/u.test(t.bare);
    if (content) run.push(t);
    else flush();
    if (t.breakAfter) flush();
  }
  flush();
  return [...seen.entries()].slice(0, MAX_PHRASES);
}

/** Analyses a comment; `fallback` is the language of the survey it answered (or of the case), used when detection is unsure. */
export function analyse(text: string, fallback: string): Analysis {
  const cut = text.slice(0, MAX_ANALYSED);
  const { language } = detectLanguage(cut, fallback);
  const tokens = tokenize(cut, language);
  const runs = contentRuns(tokens, language);
  const words: Word[] = tokens.map((t) => ({ word: t.word, stem: stemWord(t.bare, language), breakAfter: t.breakAfter }));
  const join = (r: string[][]) => r.map((x) => x.join(' ')).join('|');
  return { language, stems: join(runs.stems), words: join(runs.words), phrases: keyPhrases(tokens, language), sentiment: sentimentOf(words, language) };
}
