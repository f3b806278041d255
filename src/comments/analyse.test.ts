import { describe, expect, it } from 'vitest';
import { analyse } from './analyse';
import { compileLibrary, compileTerm, matchThemes } from './match';
import { STARTER } from './starter';

/** Comments as a reader would label them; the expectations are the labels, not the code's output. */
const PAIRS: [string, string, string][] = [
  // [language, positive, negated]
  ['en', 'The technician was friendly', 'The technician was not friendly'],
  ['en', 'Great service', "The service wasn't great"],
  ['de', 'Der Techniker war freundlich', 'Der Techniker war nicht freundlich'],
  ['de', 'Sehr guter Service', 'Kein guter Service'],
  ['fr', 'Le technicien était aimable', "Le technicien n'était pas aimable"],
  ['es', 'El técnico fue amable', 'El técnico no fue amable'],
  ['it', 'Il tecnico è stato gentile', 'Il tecnico non è stato gentile'],
];

describe('comment analysis', () => {
  it('negation flips sentiment', () => {
    for (const [lang, pos, neg] of PAIRS) {
      expect(analyse(pos, lang).sentiment, pos).toBeGreaterThan(0);
      expect(analyse(neg, lang).sentiment, neg).toBeLessThan(0);
    }
  });

  it("detects the comment's own language, falling back to the survey's when unsure", () => {
    expect(analyse("L'attente était beaucoup trop longue", 'en').language).toBe('fr');
    expect(analyse('Wir mussten drei Stunden auf den Techniker warten', 'en').language).toBe('de');
    expect(analyse('La factura estaba mal otra vez', 'en').language).toBe('es');
    expect(analyse('ok', 'de').language).toBe('de');
  });

  it('inflections meet on one stem, compounds on their head, elided articles are dropped', () => {
    const lib = compileLibrary(STARTER.map((s) => ({ id: s.name, terms: s.terms })));
    const themes = (text: string, lang: string) => matchThemes(lib, analyse(text, lang).language, analyse(text, lang).stems);
    for (const [text, lang] of [
      ['I had to wait', 'en'],
      ['We waited all day long', 'en'],
      ['Still waiting for them', 'en'],
      ['Wir mussten lange warten', 'de'],
      ['Ich wartete zwei Stunden', 'de'],
      ['Die Wartezeit war eine Zumutung', 'de'],
      ['Nous avons attendu longtemps', 'fr'],
      ["L'attente était interminable", 'fr'],
      ['Esperamos toda la mañana', 'es'],
      ['La espera fue eterna', 'es'],
    ])
      expect(themes(text!, lang!), text).toContain('Waiting time');
    expect(themes('Great people, quick job', 'en')).not.toContain('Waiting time');
  });

  it('keeps two- and three-word key phrases of neighbouring content words', () => {
    // Stopwords ("the", "on", "was", "very") and punctuation end a run of content words.
    expect(analyse('The waiting time on the hotline was terrible', 'en').phrases).toEqual([['wait time', 'waiting time']]);
    expect(analyse('Very long waiting time, rude staff', 'en').phrases.map(([, text]) => text)).toEqual(['long waiting', 'waiting time', 'long waiting time', 'rude staff']);
  });

  it('refuses terms that cannot match', () => {
    expect(compileTerm('the', 'en')).toHaveProperty('error');
    expect(compileTerm('time to wait', 'en')).toHaveProperty('error');
    expect(compileTerm('one two three four', 'en')).toHaveProperty('error');
    expect(compileTerm('Waiting time', 'en')).toEqual({ stems: ['wait', 'time'] });
  });
});
