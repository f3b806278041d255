import { eld } from 'eld/extrasmall';
import { stemmer as arabic } from '@orama/stemmers/arabic';
import { stemmer as armenian } from '@orama/stemmers/armenian';
import { stemmer as danish } from '@orama/stemmers/danish';
import { stemmer as dutch } from '@orama/stemmers/dutch';
import { stemmer as english } from '@orama/stemmers/english';
import { stemmer as finnish } from '@orama/stemmers/finnish';
import { stemmer as french } from '@orama/stemmers/french';
import { stemmer as german } from '@orama/stemmers/german';
import { stemmer as greek } from '@orama/stemmers/greek';
import { stemmer as hindi } from '@orama/stemmers/indian';
import { stemmer as indonesian } from '@orama/stemmers/indonesian';
import { stemmer as irish } from '@orama/stemmers/irish';
import { stemmer as italian } from '@orama/stemmers/italian';
import { stemmer as lithuanian } from '@orama/stemmers/lithuanian';
import { stemmer as nepali } from '@orama/stemmers/nepali';
import { stemmer as norwegian } from '@orama/stemmers/norwegian';
import { stemmer as portuguese } from '@orama/stemmers/portuguese';
import { stemmer as romanian } from '@orama/stemmers/romanian';
import { stemmer as russian } from '@orama/stemmers/russian';
import { stemmer as serbian } from '@orama/stemmers/serbian';
import { stemmer as spanish } from '@orama/stemmers/spanish';
import { stemmer as swedish } from '@orama/stemmers/swedish';
import { stemmer as tamil } from '@orama/stemmers/tamil';
import { stemmer as turkish } from '@orama/stemmers/turkish';
import { stopwords as swAr } from '@orama/stopwords/arabic';
import { stopwords as swHy } from '@orama/stopwords/armenian';
import { stopwords as swBg } from '@orama/stopwords/bulgarian';
import { stopwords as swDa } from '@orama/stopwords/danish';
import { stopwords as swNl } from '@orama/stopwords/dutch';
import { stopwords as swEn } from '@orama/stopwords/english';
import { stopwords as swFi } from '@orama/stopwords/finnish';
import { stopwords as swFr } from '@orama/stopwords/french';
import { stopwords as swDe } from '@orama/stopwords/german';
import { stopwords as swEl } from '@orama/stopwords/greek';
import { stopwords as swHi } from '@orama/stopwords/indian';
import { stopwords as swId } from '@orama/stopwords/indonesian';
import { stopwords as swGa } from '@orama/stopwords/irish';
import { stopwords as swIt } from '@orama/stopwords/italian';
import { stopwords as swJa } from '@orama/stopwords/japanese';
import { stopwords as swLt } from '@orama/stopwords/lithuanian';
import { stopwords as swZh } from '@orama/stopwords/mandarin';
import { stopwords as swNe } from '@orama/stopwords/nepali';
import { stopwords as swNo } from '@orama/stopwords/norwegian';
import { stopwords as swPt } from '@orama/stopwords/portuguese';
import { stopwords as swRo } from '@orama/stopwords/romanian';
import { stopwords as swRu } from '@orama/stopwords/russian';
import { stopwords as swSr } from '@orama/stopwords/serbian';
import { stopwords as swSl } from '@orama/stopwords/slovenian';
import { stopwords as swEs } from '@orama/stopwords/spanish';
import { stopwords as swSv } from '@orama/stopwords/swedish';
import { stopwords as swTa } from '@orama/stopwords/tamil';
import { stopwords as swTr } from '@orama/stopwords/turkish';
import { stopwords as swUk } from '@orama/stopwords/ukrainian';

/**
 * The language resources of comment analysis (docs/themes.md "Method"): the language detector
 * (eld, its 60-language "extrasmall" n-gram set), the Snowball stemmers and the Snowball
 * project's stopword lists as Orama packages them. Languages are ISO 639-1 codes.
 */

/** Snowball stemmers by language: every Snowball algorithm with a maintained JavaScript port here. */
export const STEMMERS: Readonly<Record<string, (word: string) => string>> = {
  ar: arabic,
  hy: armenian,
  da: danish,
  nl: dutch,
  en: english,
  fi: finnish,
  fr: french,
  de: german,
  el: greek,
  hi: hindi,
  id: indonesian,
  ga: irish,
  it: italian,
  lt: lithuanian,
  ne: nepali,
  no: norwegian,
  nb: norwegian,
  pt: portuguese,
  ro: romanian,
  ru: russian,
  sr: serbian,
  es: spanish,
  sv: swedish,
  ta: tamil,
  tr: turkish,
};

const STOPWORD_LISTS: Record<string, string[]> = {
  ar: swAr,
  hy: swHy,
  bg: swBg,
  da: swDa,
  nl: swNl,
  en: swEn,
  fi: swFi,
  fr: swFr,
  de: swDe,
  el: swEl,
  hi: swHi,
  id: swId,
  ga: swGa,
  it: swIt,
  ja: swJa,
  lt: swLt,
  zh: swZh,
  ne: swNe,
  no: swNo,
  nb: swNo,
  pt: swPt,
  ro: swRo,
  ru: swRu,
  sr: swSr,
  sl: swSl,
  es: swEs,
  sv: swSv,
  ta: swTa,
  tr: swTr,
  uk: swUk,
};

const stopSets = new Map<string, ReadonlySet<string>>();
const EMPTY: ReadonlySet<string> = new Set();

/** The stopwords of a language (lower case), empty where the list has none. */
export function stopwordsOf(language: string): ReadonlySet<string> {
  let set = stopSets.get(language);
  if (!set) {
    const list = STOPWORD_LISTS[language];
    set = list ? new Set(list.map((w) => w.toLocaleLowerCase(language))) : EMPTY;
    stopSets.set(language, set);
  }
  return set;
}

/** Every language the detector can answer, and so every language a theme's terms may be given in. */
export const LANGUAGES: ReadonlySet<string> = new Set([...Object.values(eld.info().Languages), ...Object.keys(STEMMERS), ...Object.keys(STOPWORD_LISTS)]);

/**
 * Languages that write compounds as one word: there a term's stem also matches a word that
 * starts with it ("warten" → "wart" meets "Wartezeit"), when the stem has at least
 * COMPOUND_MIN letters.
 */
export const COMPOUNDING: ReadonlySet<string> = new Set(['de', 'nl', 'sv', 'da', 'no', 'nb', 'fi', 'is']);
export const COMPOUND_MIN = 4;

/** The language part of a locale (`de-AT` → `de`); `und` when there is none. */
export const languageOf = (locale: string | null | undefined) => (locale ?? '').toLowerCase().split(/[-_]/)[0] || 'und';

/**
 * The language of a text: the detector's answer when it is reliable (enough n-grams and a clear
 * lead), else `fallback` (the survey's language).
 */
export function detectLanguage(text: string, fallback: string): { language: string; detected: boolean } {
  const result = eld.detect(text);
  if (result.language && result.isReliable()) return { language: result.language, detected: true };
  return { language: fallback, detected: false };
}
