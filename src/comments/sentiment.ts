import { STEMMERS } from './languages';

/**
 * Sentiment of a comment from -1 to 1 (docs/themes.md "Sentiment"): a lexicon of service words
 * per language with valences from -3 to 3 on the AFINN scale, matched by stem so inflections
 * count; a negator ("not", "nicht", "pas", "no", ...) flips and damps the valence of the next
 * three words, an intensifier scales the next one, and after a contrasting "but" the clause
 * weighs more than before it. The sum is normalised as VADER does, s / sqrt(s² + 15).
 */

/** `word:valence` pairs, space separated, per language. */
const LEXICON: Record<string, string> = {
  en: `good:2 great:3 excellent:3 perfect:3 fantastic:3 amazing:3 wonderful:3 awesome:3 helpful:2 friendly:2 polite:2 kind:2 nice:2 pleasant:2 professional:2 competent:2 skilled:2 knowledgeable:2
    quick:2 fast:2 prompt:2 efficient:2 easy:1 clear:1 happy:2 satisfied:2 love:3 like:1 recommend:2 thank:2 thanks:2 reliable:2 punctual:2 fixed:1 solved:2 resolved:2 best:3 impressed:2 smooth:1
    bad:-2 terrible:-3 awful:-3 horrible:-3 poor:-2 worst:-3 rude:-3 unfriendly:-2 impolite:-2 incompetent:-3 unprofessional:-2 slow:-2 late:-2 delay:-2 delayed:-2 wait:-1 waiting:-1 long:-1
    wrong:-2 broken:-2 error:-2 mistake:-2 problem:-2 issue:-1 complaint:-2 complain:-2 angry:-3 annoyed:-2 frustrated:-2 frustrating:-2 disappointed:-2 disappointing:-2 unhappy:-2 useless:-2
    expensive:-1 overcharged:-3 never:-1 ignored:-2 confusing:-2 unclear:-1 careless:-2 dirty:-2 fail:-2 failed:-2 cancel:-1 cancelled:-1 missed:-2 lost:-2 hate:-3 nobody:-1 unreliable:-2`,
  de: `gut:2 super:3 toll:3 ausgezeichnet:3 perfekt:3 hervorragend:3 prima:2 freundlich:2 höflich:2 nett:2 hilfsbereit:2 kompetent:2 professionell:2 schnell:2 pünktlich:2 zuverlässig:2
    zufrieden:2 empfehlen:2 danke:2 dankbar:2 klar:1 einfach:1 erledigt:1 gelöst:2 top:3 angenehm:2 sauber:1 beste:3
    schlecht:-2 schrecklich:-3 furchtbar:-3 katastrophal:-3 unfreundlich:-2 unhöflich:-2 inkompetent:-3 unprofessionell:-2 langsam:-2 spät:-2 verspätet:-2 verspätung:-2 warten:-1 lange:-1
    falsch:-2 kaputt:-2 fehler:-2 problem:-2 ärgerlich:-2 ärger:-2 enttäuscht:-2 enttäuschend:-2 unzufrieden:-2 nutzlos:-2 teuer:-1 nie:-1 niemand:-1 ignoriert:-2 unklar:-1 chaotisch:-2 dreckig:-2
    schmutzig:-2 abgesagt:-1 verpasst:-2 frustrierend:-2 unzuverlässig:-2 mangelhaft:-2 beschwerde:-2`,
  fr: `bon:2 bien:2 excellent:3 parfait:3 génial:3 super:3 formidable:3 aimable:2 poli:2 gentil:2 sympathique:2 agréable:2 professionnel:2 compétent:2 rapide:2 ponctuel:2 efficace:2
    satisfait:2 content:2 recommande:2 merci:2 clair:1 simple:1 résolu:2 fiable:2 meilleur:3 impeccable:3
    mauvais:-2 nul:-2 terrible:-3 horrible:-3 affreux:-3 impoli:-2 désagréable:-2 incompétent:-3 lent:-2 retard:-2 attente:-1 attendre:-1 long:-1 faux:-2 erreur:-2 problème:-2 cassé:-2
    déçu:-2 décevant:-2 mécontent:-2 inutile:-2 cher:-1 jamais:-1 personne:-1 ignoré:-2 confus:-2 sale:-2 annulé:-1 raté:-2 pénible:-2 frustrant:-2 scandaleux:-3 plainte:-2`,
  es: `bueno:2 buen:2 bien:2 excelente:3 perfecto:3 genial:3 estupendo:3 amable:2 educado:2 simpático:2 agradable:2 profesional:2 competente:2 rápido:2 puntual:2 eficiente:2
    satisfecho:2 contento:2 recomiendo:2 recomendar:2 gracias:2 claro:1 fácil:1 resuelto:2 fiable:2 mejor:3
    malo:-2 mal:-2 terrible:-3 horrible:-3 pésimo:-3 grosero:-3 maleducado:-3 desagradable:-2 incompetente:-3 lento:-2 tarde:-2 retraso:-2 espera:-1 esperar:-1 largo:-1 equivocado:-2 error:-2
    problema:-2 roto:-2 decepcionado:-2 decepcionante:-2 insatisfecho:-2 inútil:-2 caro:-1 nunca:-1 nadie:-1 ignorado:-2 confuso:-2 sucio:-2 cancelado:-1 frustrante:-2 queja:-2`,
  it: `buono:2 bene:2 ottimo:3 eccellente:3 perfetto:3 gentile:2 cortese:2 simpatico:2 professionale:2 competente:2 veloce:2 rapido:2 puntuale:2 soddisfatto:2 consiglio:2 grazie:2
    cattivo:-2 male:-2 pessimo:-3 terribile:-3 orribile:-3 scortese:-2 maleducato:-3 incompetente:-3 lento:-2 ritardo:-2 attesa:-1 sbagliato:-2 errore:-2 problema:-2 rotto:-2 deluso:-2
    insoddisfatto:-2 inutile:-2 caro:-1 mai:-1 nessuno:-1 sporco:-2`,
  nl: `goed:2 geweldig:3 uitstekend:3 perfect:3 vriendelijk:2 beleefd:2 behulpzaam:2 professioneel:2 deskundig:2 snel:2 stipt:2 tevreden:2 aanraden:2 bedankt:2 dank:2
    slecht:-2 verschrikkelijk:-3 vreselijk:-3 onvriendelijk:-2 onbeleefd:-2 incompetent:-3 traag:-2 langzaam:-2 laat:-2 vertraging:-2 wachten:-1 fout:-2 probleem:-2 kapot:-2 teleurgesteld:-2
    ontevreden:-2 nutteloos:-2 duur:-1 nooit:-1 niemand:-1 vies:-2`,
  pt: `bom:2 bem:2 ótimo:3 excelente:3 perfeito:3 simpático:2 educado:2 gentil:2 profissional:2 competente:2 rápido:2 pontual:2 satisfeito:2 recomendo:2 obrigado:2
    mau:-2 mal:-2 péssimo:-3 terrível:-3 horrível:-3 grosseiro:-3 mal-educado:-3 incompetente:-3 lento:-2 atraso:-2 espera:-1 esperar:-1 errado:-2 erro:-2 problema:-2 quebrado:-2
    decepcionado:-2 insatisfeito:-2 inútil:-2 caro:-1 nunca:-1 ninguém:-1 sujo:-2`,
};

/** Words that negate the next few words. */
const NEGATORS: Record<string, string> = {
  en: "not no never nothing nobody none neither nor without isn't wasn't aren't weren't don't doesn't didn't can't cannot couldn't won't wouldn't hasn't haven't hadn't shouldn't n't",
  de: 'nicht kein keine keinen keinem keiner keines nie niemals nichts ohne weder',
  fr: "pas ne n' jamais rien aucun aucune sans ni guère",
  es: 'no nunca jamás nada ningún ninguno ninguna sin ni tampoco',
  it: 'non mai niente nulla nessun nessuno nessuna senza né',
  nl: 'niet geen nooit niets zonder noch',
  pt: 'não nunca jamais nada nenhum nenhuma sem nem',
};

const INTENSIFIERS: Record<string, string> = {
  en: 'very really extremely so too totally absolutely completely incredibly super',
  de: 'sehr extrem total absolut völlig wirklich echt zu äußerst',
  fr: 'très vraiment extrêmement trop totalement absolument complètement super',
  es: 'muy realmente extremadamente demasiado totalmente absolutamente completamente súper',
  it: 'molto davvero estremamente troppo totalmente assolutamente',
  nl: 'erg heel zeer echt extreem totaal te',
  pt: 'muito realmente extremamente demasiado totalmente absolutamente',
};

const CONTRAST: Record<string, string> = { en: 'but however', de: 'aber jedoch doch', fr: 'mais cependant', es: 'pero sin embargo', it: 'ma però', nl: 'maar echter', pt: 'mas porém' };

/** How far a negator reaches, in words; how much a negated valence keeps (VADER's 0.74); the normalisation constant. */
const NEGATION_WINDOW = 3;
const NEGATED = -0.74;
const INTENSITY = 1.5;
const ALPHA = 15;

interface Resources {
  byWord: Map<string, number>;
  byStem: Map<string, number>;
  negators: Set<string>;
  intensifiers: Set<string>;
  contrast: Set<string>;
}
const cache = new Map<string, Resources | null>();

function resources(language: string): Resources | null {
  if (cache.has(language)) return cache.get(language)!;
  const lexicon = LEXICON[language];
  let r: Resources | null = null;
  if (lexicon) {
    const stem = STEMMERS[language] ?? ((w: string) => w);
    const byWord = new Map<string, number>();
    const byStem = new Map<string, number>();
    for (const pair of lexicon.split(/\s+/).filter(Boolean)) {
      const at = pair.lastIndexOf(':');
      const word = pair.slice(0, at).toLocaleLowerCase(language);
      const value = Number(pair.slice(at + 1));
      byWord.set(word, value);
      if (!byStem.has(stem(word))) byStem.set(stem(word), value);
    }
    const set = (s: string | undefined) => new Set((s ?? '').split(/\s+/).filter(Boolean));
    r = { byWord, byStem, negators: set(NEGATORS[language]), intensifiers: set(INTENSIFIERS[language]), contrast: set(CONTRAST[language]) };
  }
  cache.set(language, r);
  return r;
}

/** Whether the language has a sentiment lexicon. */
export const hasSentiment = (language: string) => resources(language) !== null;

/** A word of a comment in order: its lower-cased form and stem, and whether a clause ends after it. */
export interface Word {
  word: string;
  stem: string;
  /** Punctuation follows: a negation does not reach past it. */
  breakAfter: boolean;
}

/** The sentiment of a comment's words in `language`, from -1 to 1; null where the language has no lexicon or the comment no words. */
export function sentimentOf(words: Word[], language: string): number | null {
  const r = resources(language);
  if (!r || words.length === 0) return null;
  let before = 0;
  let after = 0;
  let contrasted = false;
  let negatedFor = 0;
  let boost = 1;
  for (const w of words) {
    if (r.contrast.has(w.word)) {
      contrasted = true;
      negatedFor = 0;
      continue;
    }
    // Elided negators ("n'était"): the French and Italian apostrophe forms.
    const elided = w.word.includes("'") || w.word.includes('’') ? `${w.word.split(/['’]/)[0]}'` : null;
    if (r.negators.has(w.word) || (elided && r.negators.has(elided)) || (language === 'en' && w.word.endsWith("n't"))) {
      negatedFor = NEGATION_WINDOW;
      if (!elided || r.negators.has(w.word)) {
        if (w.breakAfter) negatedFor = 0;
        continue;
      }
    }
    if (r.intensifiers.has(w.word)) {
      boost = INTENSITY;
      if (negatedFor > 0) negatedFor--;
      continue;
    }
    const bare = elided ? w.word.slice(w.word.search(/['’]/) + 1) : w.word;
    let v = r.byWord.get(bare) ?? r.byStem.get(w.stem) ?? 0;
    if (v !== 0) {
      v *= boost;
      if (negatedFor > 0) v *= NEGATED;
      if (contrasted) after += v;
      else before += v;
    }
    boost = v === 0 ? boost : 1;
    if (negatedFor > 0) negatedFor--;
    if (w.breakAfter) {
      negatedFor = 0;
      boost = 1;
    }
  }
  // After a contrast the second clause carries more of the meaning (VADER: 0.5 before, 1.5 after).
  const sum = contrasted ? before * 0.5 + after * 1.5 : before;
  if (sum === 0) return 0;
  return Math.round((sum / Math.sqrt(sum * sum + ALPHA)) * 1000) / 1000;
}
