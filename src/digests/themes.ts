/**
 * Detractor themes: the most frequent terms of comments, per language. Tokenised on anything
 * that is not a letter or digit (Unicode aware), lower-cased with the language's rules, terms of
 * fewer than three characters and the stopwords below dropped, each term counted once a comment.
 */
const STOPWORDS: Record<string, string> = {
  en: 'the and for are but not you your with this that was were have has had from they them their there what when which who will would could should can cant did didnt does doesnt dont its into out about just very too also than then some any all our ours more most much been being get got one two because after before over again only even still here how why really nothing thing things',
  de: 'der die das und ist nicht ein eine einen einem einer eines ich sie wir ihr mit für von auf aus bei den dem des war waren wurde wurden hat habe haben hatte sind sein auch noch nur sehr aber oder wie was wer als zum zur bis man mir mich uns euch dass doch schon mal kein keine keinen dann denn wenn weil hier gar ganz immer wieder nach über',
  fr: 'les des une est pas que qui pour dans avec sur par mais plus sont ont été etre être avoir nous vous ils elles leur leurs son ses mon mes ton tes très tout tous toute aux cette ces cet comme fait faire peu trop rien encore aussi bien même quand chez sans entre après avant',
  es: 'los las una uno unos unas que por para con sin del sus como pero más muy ese esa eso este esta esto son fue han hay ser estar está están tiene tienen nos les ella ellos nada todo todos cuando donde porque también ya aún sobre entre hasta desde después antes mucho poco',
};
const STOP = new Map(Object.entries(STOPWORDS).map(([lang, words]) => [lang, new Set(words.split(' '))]));
const ALL_STOP = new Set([...STOP.values()].flatMap((s) => [...s]));

/** The language part of a locale (`de-AT` → `de`). */
export const languageOf = (locale: string) => locale.toLowerCase().split(/[-_]/)[0] || 'und';

export function terms(comment: string, language: string): string[] {
  const stop = STOP.get(language) ?? ALL_STOP;
  const words = comment.toLocaleLowerCase(language === 'und' ? undefined : language).split(/[^\p{L}\p{N}]+/u);
  return [...new Set(words.filter((w) => w.length >= 3 && !stop.has(w) && !/^\p{N}+$/u.test(w)))];
}

/** The top `limit` terms per language: [term, comments using it], most frequent first, ties alphabetical. */
export function topTerms(comments: { comment: string; locale: string }[], limit = 5): Map<string, [string, number][]> {
  const counts = new Map<string, Map<string, number>>();
  for (const c of comments) {
    const lang = languageOf(c.locale);
    let m = counts.get(lang);
    if (!m) counts.set(lang, (m = new Map()));
    for (const t of terms(c.comment, lang)) m.set(t, (m.get(t) ?? 0) + 1);
  }
  const out = new Map<string, [string, number][]>();
  for (const [lang, m] of [...counts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const top = [...m.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).slice(0, limit);
    if (top.length > 0) out.set(lang, top);
  }
  return out;
}
