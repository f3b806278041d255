import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeMessage, scoreLink } from '../../src/delivery/message';
import { standardSurvey } from '../../src/surveys/templates';
import { axeViolations, DESKTOP, launchChromium, PHONE, shot } from './browser-kit';

/**
 * The HTML invitation (docs/delivery.md "The email") as a mail client shows it, in Chromium:
 * axe-core without serious or critical violations, the eleven score links reachable and named,
 * the scale within a 360 px screen; in English and in Arabic (right to left). The email's
 * request through the provider stand-in is tested in test/workers/respondent-side.test.ts.
 * Screenshots `test-results/screenshots/invitation-email-*`.
 */
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const LINK = 'https://nps.example.test/s/eyJhbGciOiJIUzI1NiJ9.payload.signature';
const branding = { logoUrl: 'https://cdn.acme.test/logo.png', logoAlt: 'Acme', primaryColor: '#0b5394', backgroundColor: '#ffffff', senderName: 'Acme Care' };

describe('the HTML invitation in a browser', () => {
  for (const [locale, label] of [
    ['en', 'english'],
    ['ar', 'arabic'],
  ] as const) {
    it(`${label}: accessible, every score a named link, the scale fits 360 px`, async () => {
      const survey = standardSurvey('Acme');
      survey.translations.ar = {
        ...survey.translations.en,
        'page.title': 'رأيك في Acme',
        'nps.label': 'ما مدى احتمال أن توصي بـ Acme لصديق أو زميل؟',
        'nps.low': 'غير محتمل إطلاقًا',
        'nps.high': 'محتمل للغاية',
      };
      const definition = survey as unknown as Record<string, unknown>;
      const m = composeMessage({ definition, defaultLocale: 'en', preferredLocale: locale, link: LINK, kind: 'invitation', name: 'Ana', branding });
      expect(m.locale).toBe(locale);
      for (const size of [PHONE, DESKTOP]) {
        const context = await browser.newContext(size);
        const page = await context.newPage();
        // The logo's host does not exist here: answered with nothing, as a mail client without images would show it.
        await page.route('https://cdn.acme.test/**', (r) => r.fulfill({ status: 404, body: '' }));
        await page.setContent(m.html);
        expect(await page.locator('html').getAttribute('dir')).toBe(locale === 'ar' ? 'rtl' : 'ltr');
        const links = page.getByRole('link');
        // Eleven score links, then the plain link.
        expect(await links.count()).toBe(12);
        const names = await page.locator('a[aria-label]').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('aria-label')]));
        expect(names.map(([href]) => href)).toEqual(Array.from({ length: 11 }, (_, n) => scoreLink(LINK, n)));
        expect(names[0]![1]).toMatch(/^0 – \S/);
        expect(names[10]![1]).toMatch(/^10 – \S/);
        // Each score link is a tap target at least 44 px high, all in one row.
        const boxes = await page.locator('a[aria-label]').evaluateAll((as) => as.map((a) => a.getBoundingClientRect()).map((r) => ({ top: r.top, height: r.height })));
        for (const b of boxes) expect(b.height).toBeGreaterThanOrEqual(44);
        expect(new Set(boxes.map((b) => Math.round(b.top))).size).toBe(1);
        const [scroll, viewport] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        expect(scroll).toBeLessThanOrEqual(viewport);
        expect(await axeViolations(page)).toEqual([]);
        await shot(page, `invitation-email-${label}-${size === PHONE ? 360 : 1280}`);
        await context.close();
      }
    }, 60_000);
  }
});
