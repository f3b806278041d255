import { describe, expect, it } from 'vitest';
import { chooseLocale, direction, missingTexts, requiredTexts } from './definition';
import { standardSurvey } from './templates';

describe('locale choice', () => {
  const available = ['en', 'de', 'pt-BR', 'ar'];
  it('prefers the contact, then Accept-Language by weight, then the default', () => {
    expect(chooseLocale(available, 'en', 'de', 'ar')).toBe('de');
    expect(chooseLocale(available, 'en', null, 'fr;q=0.9, ar;q=0.8, de;q=0.5')).toBe('ar');
    expect(chooseLocale(available, 'en', null, 'de;q=0.4, ar;q=0.7')).toBe('ar');
    expect(chooseLocale(available, 'en', 'fr', 'ja')).toBe('en');
    expect(chooseLocale(available, 'en', null, null)).toBe('en');
  });
  it('falls back from a region to its language and from a language to a regional text', () => {
    expect(chooseLocale(available, 'en', 'de-AT', null)).toBe('de');
    expect(chooseLocale(available, 'en', 'pt', null)).toBe('pt-BR');
    expect(chooseLocale(available, 'en', null, 'DE-ch')).toBe('de');
  });
  it('ignores q=0 and wildcards', () => {
    expect(chooseLocale(available, 'en', null, 'de;q=0, *')).toBe('en');
  });
});

describe('texts', () => {
  it('right-to-left for Arabic and Hebrew, left-to-right otherwise', () => {
    expect(direction('ar')).toBe('rtl');
    expect(direction('he-IL')).toBe('rtl');
    expect(direction('de')).toBe('ltr');
  });
  it('requires a comment prompt per category, scale ends and page texts', () => {
    const keys = requiredTexts(standardSurvey('Acme'));
    expect(keys).toEqual(['page.title', 'page.submit', 'page.thanks', 'page.expired', 'nps.label', 'nps.low', 'nps.high', 'reason.label.detractor', 'reason.label.passive', 'reason.label.promoter']);
  });
  it('reports blank texts as missing, for the default locale too', () => {
    const d = standardSurvey('Acme');
    d.translations.de!['nps.low'] = '  ';
    delete d.translations.en!['page.thanks'];
    expect(missingTexts(d, 'fr')).toEqual({ fr: requiredTexts(d), en: ['page.thanks'], de: ['nps.low'] });
  });
});
