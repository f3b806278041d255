import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeCheck, callApi, DESKTOP, launchChromium, loginToken, seedAnswers, signInAt, waitFor } from './browser-kit';
import { startStack, type StartedStack } from './started-stack';

/**
 * The Themes page and the theme library in Administration (docs/themes.md), in Debian's Chromium
 * against `npm start` on a temporary data folder. Answers come in through the API (events →
 * invitation links → capture), so the workflow analyses their comments as in production; the
 * expected themes are those a reader finds in the comments below, under the starter library.
 */

let stack: StartedStack;
let base: string;
let browser: Browser;
let adminToken: string;
const unitIds: Record<string, string> = {};

const check = axeCheck('portal-themes');
const api = (method: string, path: string, body?: unknown) => callApi(base, adminToken, method, path, body);

/**
 * By hand: waiting time in three comments (English and German: the demo tenant's surveys are in
 * en and de, so its starter library has no French terms and the French comment meets no theme),
 * billing in two, the hotline in three (no starter theme).
 */
const ANSWERS: Record<string, { score: number; comment?: string }[]> = {
  Berlin: [
    { score: 2, comment: 'We waited three hours for the technician.' },
    { score: 3, comment: 'Die Wartezeit war viel zu lang.' },
    { score: 1, comment: 'The invoice was wrong.' },
    { score: 2, comment: 'The hotline never answered.' },
    { score: 10, comment: 'Friendly and quick.' },
  ],
  Paris: [
    { score: 4, comment: "L'attente était interminable." },
    { score: 3, comment: 'Nobody at the hotline picked up.' },
    { score: 5, comment: 'Hotline always busy.' },
    { score: 6, comment: 'Still waiting for a refund on my bill.' },
    { score: 9 },
  ],
};

beforeAll(async () => {
  stack = await startStack();
  base = stack.base;
  adminToken = await loginToken(base, 'admin@acme.test');
  for (const u of (await api('GET', '/api/v1/units')).items) unitIds[u.name] = u.id;
  await api('PATCH', '/api/v1/settings', { minResponses: 1 });
  await seedAnswers(api, unitIds, ANSWERS, { prefix: 'themes', subnet: 7 });
  const emea = unitIds.EMEA!;
  // The workflow analyses each comment after capture: wait until they are counted.
  let last: unknown;
  await waitFor(
    'the analysed comments',
    async () => {
      const r = await api('GET', `/api/v1/themes?unitId=${emea}`);
      last = r;
      const waiting = r.items.find((i: { name: string }) => i.name === 'Waiting time');
      return waiting?.comments === 3 ? true : undefined;
    },
    150_000,
  ).catch((err) => {
    throw new Error(
      `${err}\nlast answer: ${JSON.stringify(last)}\n${stack
        .output()
        .split('\n')
        .filter((l) => !l.includes('GET /api/v1/themes'))
        .join('\n')
        .slice(-6000)}`,
    );
  });
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

describe('themes in Chromium', () => {
  it('admin: the Themes page ranks themes by impact with trends and examples; the library takes a discovered theme', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signInAt(base, context, 'admin@acme.test');
    await page.goto(`${base}/#/themes?unit=${unitIds.EMEA}`);
    await page.getByRole('heading', { name: 'Themes' }).waitFor();
    const region = page.getByRole('region', { name: /Themes in EMEA/ });
    await region.waitFor();
    const row = (name: string) => region.locator('tbody tr', { has: page.locator('th', { hasText: name }) });
    // Waiting time: "waited", "Wartezeit", "waiting".
    expect(await row('Waiting time').locator('td').first().textContent()).toBe('3');
    expect(await row('Billing').locator('td').first().textContent()).toBe('2');
    // The hotline, in three detractor comments, no starter theme: offered as discovered.
    expect(await row('hotline').textContent()).toContain('discovered');
    // The sparkline's accessible name carries its numbers: all three mentions fall in the latest window.
    expect(await row('Waiting time').getByRole('img').getAttribute('aria-label')).toMatch(/0, 0, 0, 0, 0, 3$/);
    await row('Waiting time').getByText('Examples').click();
    expect(await row('Waiting time').locator('details li').count()).toBe(3);
    await check(page, 'themes');

    // The library in Administration: add the hotline as a theme.
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('link', { name: 'Theme library' }).click();
    await page.getByRole('heading', { name: 'Theme library' }).waitFor();
    expect(await page.getByRole('region', { name: 'Themes' }).locator('tbody tr').count()).toBe(7);
    await check(page, 'library');
    // Bad input is refused with the API's message and adds nothing.
    await page.getByLabel('Name').fill('Hotline');
    await page.getByLabel('Terms, one language per line').fill('xx: hotline');
    await page.getByRole('button', { name: 'Add theme' }).click();
    await page.getByRole('alert').filter({ hasText: 'unknown language' }).waitFor();
    await page.getByLabel('Terms, one language per line').fill('en: hotline');
    await page.getByRole('button', { name: 'Add theme' }).click();
    await page.getByRole('status').filter({ hasText: 'Theme “Hotline” saved' }).waitFor();
    expect(await page.getByRole('region', { name: 'Themes' }).locator('tbody tr').count()).toBe(8);

    // The workflow re-tags the stored comments: the hotline is now a library theme with its three comments.
    await waitFor('the re-tag', async () => {
      const r = await api('GET', `/api/v1/themes?unitId=${unitIds.EMEA}`);
      return r.items.some((i: { name: string; source: string; comments: number }) => i.name === 'Hotline' && i.source === 'library' && i.comments === 3) ? true : undefined;
    });
    await page.goto(`${base}/#/themes?unit=${unitIds.EMEA}`);
    await region.waitFor();
    expect(await row('Hotline').locator('td').first().textContent()).toBe('3');
    expect(await row('Hotline').textContent()).not.toContain('discovered');
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});
