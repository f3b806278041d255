import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeCheck, callApi, DESKTOP, expectFits, launchChromium, loginToken, PHONE, SHOTS, signInAt, shot } from './browser-kit';
import { startStack, type StartedStack } from './started-stack';

/**
 * Administration of the program in Chromium, as the demo admin: the survey editor (translation
 * table, live preview, a locale added, publishing refused for missing texts and then done),
 * touchpoints with their rules, alert rules (at 360 px, by keyboard alone). Every change is read
 * back through the API; axe-core checks every section; screenshots in
 * test-results/screenshots/portal-program-*.
 */

let stack: StartedStack;
let base: string;
let browser: Browser;
let adminToken: string;

/** The preview frame holds the hosted survey page, which browser.test.ts checks with axe itself; here its frame (title) is checked, not its content. */
const check = axeCheck('portal-program', { iframes: false });
const signIn = (context: BrowserContext) => signInAt(base, context, 'admin@acme.test');
const api = (method: string, path: string, body?: unknown) => callApi(base, adminToken, method, path, body);

beforeAll(async () => {
  stack = await startStack();
  base = stack.base;
  adminToken = await loginToken(base, 'admin@acme.test');
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

/**
 * Opens an Administration section from the hub, loaded afresh by its address (the session cookie
 * signs in).
 */
async function openSection(page: Page, link: string, heading: string) {
  await page.goto('about:blank');
  await page.goto(`${base}/#/admin`);
  await page.getByRole('heading', { level: 1, name: 'Administration' }).waitFor();
  expect(await page.locator('#nav a[aria-current="page"]').textContent()).toBe('Administration');
  await page.getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** Tab (and nothing else) until this field has the focus. */
async function tabTo(page: Page, selector: string) {
  const target = page.locator(selector);
  for (let i = 0; i < 80; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

describe('administration of the program in Chromium', () => {
  it('surveys: the translation table with a live preview; a locale added; publishing refused for missing texts, then a new version', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signIn(context);
    const demo = (await api('GET', '/api/v1/surveys')).items.find((s: { name: string }) => s.name === 'Support NPS');
    expect(demo.publishedVersion).toBe(1);

    await openSection(page, 'Surveys', 'Surveys');
    const row = page.locator('tr', { hasText: 'Support NPS' });
    expect(await row.textContent()).toContain('version 1');
    await check(page, 'surveys');

    await row.getByRole('link', { name: 'Support NPS' }).click();
    await page.getByRole('heading', { level: 1, name: 'Survey: Support NPS' }).waitFor();
    const preview = page.frameLocator('iframe.preview-frame');
    // The default locale first: the stored draft's English question, and the banner saying it cannot be sent.
    await preview.locator('legend', { hasText: demo.draft.translations.en['nps.label'] }).waitFor();
    expect(await preview.locator('.preview').textContent()).toContain('cannot be sent');
    expect(await page.locator('iframe.preview-frame').getAttribute('sandbox')).toBe('');
    await check(page, 'survey-editor');

    // German in the preview, then a German text typed into the table shows up there, unsaved.
    await page.getByLabel('Show the page in').selectOption('de');
    await preview.locator('html[lang="de"]').waitFor();
    await preview.locator('legend', { hasText: demo.draft.translations.de['nps.label'] }).waitFor();
    const german = 'Würden Sie Acme einer Kollegin empfehlen?';
    await page.getByLabel('nps.label in German (de)').fill(german);
    await preview.locator('legend', { hasText: german }).waitFor();
    await page.locator('iframe.preview-frame').screenshot({ path: join(SHOTS, 'portal-program-preview-de.png') });
    expect((await api('GET', `/api/v1/surveys/${demo.id}`)).draft.translations.de['nps.label']).toBe(demo.draft.translations.de['nps.label']);

    // A French column: every text the API requires is marked missing.
    await page.getByLabel('Add a locale').fill('fr');
    await page.getByRole('button', { name: 'Add locale' }).click();
    await page.getByRole('columnheader', { name: /fr · French/ }).waitFor();
    expect(await page.locator('td.missing input[data-locale="fr"]').count()).toBe(demo.requiredTexts.length);
    await preview.locator('html[lang="fr"]').waitFor();

    // Publishing saves the draft and is refused: the missing texts are listed beside the table.
    await page.getByRole('button', { name: 'Publish' }).click();
    const missing = page.locator('#missing-texts');
    await missing.getByText('fr (French):').waitFor();
    const stored = await api('GET', `/api/v1/surveys/${demo.id}`);
    expect(stored.publishedVersion).toBe(1);
    expect(stored.missingTexts.fr).toEqual(demo.requiredTexts);
    for (const key of stored.missingTexts.fr) expect(await missing.textContent()).toContain(key);
    await shot(page, 'portal-program-survey-missing-texts');

    // Filled in, published: version 2 carries the French and the German texts.
    const french = (key: string) => (key === 'nps.label' ? 'Recommanderiez-vous Acme à un collègue ?' : `FR ${key}`);
    for (const key of demo.requiredTexts as string[]) await page.getByLabel(`${key} in French (fr)`).fill(french(key));
    expect(await page.locator('td.missing input[data-locale="fr"]').count()).toBe(0);
    await preview.locator('legend', { hasText: french('nps.label') }).waitFor();
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Published version 2.').waitFor();
    const versions = (await api('GET', `/api/v1/surveys/${demo.id}/versions`)).items;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(versions[0].definition.translations.fr['nps.label']).toBe(french('nps.label'));
    expect(versions[0].definition.translations.de['nps.label']).toBe(german);
    expect(versions[1].definition.translations.fr).toBeUndefined();
    expect(await page.locator('table', { hasText: 'versions, newest first' }).locator('tbody tr').count()).toBe(2);
    await check(page, 'survey-published');

    // A new survey from the list, then a question added: the draft is saved and its texts become rows, missing.
    await page.getByRole('link', { name: '← All surveys' }).click();
    await page.getByRole('heading', { level: 1, name: 'Surveys' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Onboarding NPS');
    await page.getByRole('button', { name: 'Create survey' }).click();
    await page.getByRole('heading', { level: 1, name: 'Survey: Onboarding NPS' }).waitFor();
    const fresh = (await api('GET', '/api/v1/surveys')).items.find((s: { name: string }) => s.name === 'Onboarding NPS');
    expect(fresh).toMatchObject({ defaultLocale: 'en', publishedVersion: null, missingTexts: {} });
    await page.getByLabel(/^Question id/).fill('effort');
    await page.getByLabel(/^Type/).selectOption('ces');
    await page.getByRole('button', { name: 'Add question and save draft' }).click();
    await page.getByText(/^Question effort added/).waitFor();
    const withEffort = await api('GET', `/api/v1/surveys/${fresh.id}`);
    expect(withEffort.draft.questions.map((q: { id: string }) => q.id)).toEqual(['nps', 'reason', 'effort']);
    expect(withEffort.missingTexts).toEqual({ en: ['effort.label', 'effort.low', 'effort.high'], de: ['effort.label', 'effort.low', 'effort.high'] });
    const marked = await page.locator('td.missing input').evaluateAll((els) => els.map((el) => `${el.getAttribute('data-locale')}:${el.getAttribute('data-key')}`));
    expect(marked.sort()).toEqual(['de:effort.high', 'de:effort.label', 'de:effort.low', 'en:effort.high', 'en:effort.label', 'en:effort.low']);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('touchpoints: one created with a delay and eligibility rules, read back, edited, and an anonymous link', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signIn(context);
    await openSection(page, 'Touchpoints and rules', 'Touchpoints and rules');
    expect(await page.locator('tr', { hasText: 'support-resolution' }).textContent()).toContain('1440 min');
    await check(page, 'touchpoints');

    await page.getByLabel(/^Key/).fill('onsite-visit');
    await page.getByLabel('Name', { exact: true }).fill('On-site visit');
    await page.getByLabel('Kind of service moment').selectOption('site_visit');
    await page.getByLabel(/^Survey/).selectOption({ label: 'Support NPS' });
    await page.getByLabel('sms', { exact: true }).check();
    await page.getByLabel('email', { exact: true }).check();
    await page.getByLabel('Delay after the event (minutes)').fill('2880');
    await page.getByLabel('Skip after a negative interaction within (days)').fill('14');
    await page.getByLabel(/^One survey per contact per/).fill('30');
    await page.getByLabel(/^Daily cap/).fill('200');
    await page.getByRole('button', { name: 'Add a sampling row' }).click();
    await page.getByLabel('Segment (* for any other)').fill('enterprise');
    await page.getByLabel('Share invited (0 to 1)').fill('0.5');
    await page.getByLabel('Passives (7–8) open a case too').check();
    await page.getByLabel('First contact target (hours)').fill('24');
    await page.getByRole('button', { name: 'Create touchpoint' }).click();
    await page.getByRole('heading', { level: 1, name: 'Touchpoint: On-site visit' }).waitFor();
    await check(page, 'touchpoint');

    const created = (await api('GET', '/api/v1/touchpoints')).items.find((t: { key: string }) => t.key === 'onsite-visit');
    expect(created).toMatchObject({ name: 'On-site visit', kind: 'site_visit', channels: ['email', 'sms'], delayMinutes: 2880, reminderAfterDays: null, active: true });
    expect(created.rules).toEqual({ suppressAfterNegativeDays: 14, fatigueDays: 30, dailyCap: 200, sampling: { enterprise: 0.5 }, includePassives: true, firstContactHours: 24 });

    // Edited: a shorter delay, the daily cap off; the other rules stay.
    await page.getByLabel('Delay after the event (minutes)').fill('60');
    await page.getByLabel(/^Daily cap/).fill('');
    await page.getByRole('button', { name: 'Save touchpoint' }).click();
    await page.getByText('Touchpoint saved.').waitFor();
    const edited = await api('GET', `/api/v1/touchpoints/${created.id}`);
    expect(edited.delayMinutes).toBe(60);
    expect(edited.rules).toEqual({ suppressAfterNegativeDays: 14, fatigueDays: 30, sampling: { enterprise: 0.5 }, includePassives: true, firstContactHours: 24 });

    // An anonymous link for Berlin opens the hosted survey page.
    const units = (await api('GET', '/api/v1/units')).items as { id: string; name: string }[];
    const berlin = units.find((u) => u.name === 'Berlin')!;
    await page.getByLabel(/^Unit/).selectOption(berlin.id);
    await page.getByRole('button', { name: 'Create link' }).click();
    const url = await page.getByLabel('Link', { exact: true }).inputValue();
    expect(url).toMatch(/\/s\//);
    const opened = await fetch(new URL(new URL(url).pathname, base));
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('<form');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('alert rules at 360 px, by keyboard alone: a rule created and read back', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signIn(context);
    await openSection(page, 'Alert rules', 'Alert rules');
    await expectFits(page);
    await check(page, 'alert-rules-phone');
    const before = (await api('GET', '/api/v1/alert-rules')).items.length;

    // The fields are reached with Tab and filled with keys; their values are only read.
    await tabTo(page, '#rule-unit');
    await page.keyboard.press('ArrowDown');
    const unitId = await page.locator('#rule-unit').inputValue();
    await tabTo(page, '#rule-touchpoint');
    await page.keyboard.press('ArrowDown'); // the first touchpoint instead of all
    const touchpointId = await page.locator('#rule-touchpoint').inputValue();
    expect(touchpointId).not.toBe('');
    await tabTo(page, '#rule-window');
    await page.keyboard.type('14');
    await tabTo(page, '#rule-baseline-days');
    await page.keyboard.type('56');
    await tabTo(page, '#rule-drop');
    await page.keyboard.type('12.5');
    await tabTo(page, '#rule-min-n');
    await page.keyboard.type('20');
    await page.keyboard.press('Enter');
    await page.getByText(/^Alert rule for .* created\.$/).waitFor();

    const rules = (await api('GET', '/api/v1/alert-rules')).items as Record<string, unknown>[];
    expect(rules).toHaveLength(before + 1);
    const rule = rules.find((r) => r.windowDays === 14)!;
    // alpha was left empty: the API's documented default (docs/alerts.md) applies.
    expect(rule).toMatchObject({ unitId, touchpointId, windowDays: 14, baselineDays: 56, baselineFrom: null, minDropPoints: 12.5, alpha: 0.05, minN: 20, active: true });
    const units = (await api('GET', '/api/v1/units')).items as { id: string; name: string }[];
    const listed = page.locator('table', { has: page.locator('caption', { hasText: / rules?$/ }) }).locator('tr', { hasText: units.find((u) => u.id === unitId)!.name });
    expect(await listed.textContent()).toContain('56 days before');
    await expectFits(page);
    await check(page, 'alert-rules-created-phone');

    // The survey editor fits the phone too: the translation table scrolls in its own box.
    await openSection(page, 'Surveys', 'Surveys');
    await page.getByRole('link', { name: 'Support NPS' }).click();
    await page.getByRole('heading', { level: 1, name: 'Survey: Support NPS' }).waitFor();
    await page.frameLocator('iframe.preview-frame').locator('legend').waitFor();
    await expectFits(page);
    await check(page, 'survey-editor-phone');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
