import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../scripts/demo-tenant';
import { openDb } from '../../src/db/client';
import { openDirectory } from '../../src/db/directory';
import { registerTenant } from '../../src/tenancy/directory-entry';
import { createTenant } from '../../src/org/tenants';
import { ROOT } from '../../scripts/local-stack';
import { axeCheck, callApi, DESKTOP, expectFits, launchChromium, loginToken, PHONE, seedAnswers, signInAt, waitFor, openMenu, settled } from './browser-kit';
import { localDay } from '../../src/scores/local-day';
import { startStack, type StartedStack } from './started-stack';

/**
 * The portal (web/) in Debian's Chromium against `npm start` on a temporary data folder, as the
 * three demo logins: each signs in, sees its own domain only, drills down, works what it may;
 * axe-core checks every page visited; screenshots stay in test-results/screenshots/portal-*.
 * The answers behind the numbers come in through the API (events → invitation links → capture).
 */

let stack: StartedStack;
let base: string;
let browser: Browser;
let adminToken: string;

const check = axeCheck('portal');
const signIn = (context: BrowserContext, email: string, password?: string) => signInAt(base, context, email, password);
const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => callApi(base, adminToken, method, path, body, headers);
const unitIds: Record<string, string> = {};

/** Answers for the demo survey: a contact each, an event each, then the invitation's link answered as JSON. */
const ANSWERS: Record<string, { score: number; comment?: string }[]> = {
  Berlin: [{ score: 10 }, { score: 10 }, { score: 9 }, { score: 9 }, { score: 8 }, { score: 3, comment: 'The engineer came a day late.' }, { score: 10 }],
  Paris: [{ score: 9 }, { score: 4, comment: 'Nobody called back.' }],
  'New York': [{ score: 10 }, { score: 9 }, { score: 6, comment: 'New York was slow.' }, { score: 8 }],
  FastFix: [{ score: 10 }, { score: 9 }, { score: 2, comment: 'FastFix broke the door.' }],
  QuickServe: [{ score: 5, comment: 'QuickServe never showed up.' }, { score: 10 }, { score: 9 }],
};

beforeAll(async () => {
  stack = await startStack();
  base = stack.base;
  adminToken = await loginToken(base, 'admin@acme.test');
  for (const u of (await api('GET', '/api/v1/units')).items) unitIds[u.name] = u.id;
  // Small numbers show: Paris (2 answers) stays under the minimum and is suppressed.
  await api('PATCH', '/api/v1/settings', { minResponses: 3 });
  await seedAnswers(api, unitIds, ANSWERS, { prefix: 'portal', subnet: 0 });
  // The detractors become cases (the follow-up runs on the local queue).
  await waitFor('the recovery cases', async () => ((await api('GET', '/api/v1/cases')).items.length >= 5 ? true : undefined), 60_000);

  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

const mainText = async (page: Page) => (await page.locator('main').textContent()) ?? '';
const navLinks = (page: Page) => page.locator('#nav a').allTextContents();

describe('the portal in Chromium', () => {
  it('ships under the JavaScript budget (150 KB gzipped)', () => {
    const js = readdirSync(join(ROOT, 'web'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    expect(js).toContain(join('pages', 'dashboard.js'));
    const gz = js.reduce((n, f) => n + gzipSync(readFileSync(join(ROOT, 'web', f))).length, 0);
    expect(gz).toBeLessThan(150 * 1024);
  });

  it('admin: the sign-in page, the whole tenant, drill-down into EMEA, a case worked to resolved', async () => {
    const context = await browser.newContext(DESKTOP);
    const first = await context.newPage();
    await first.goto(`${base}/`);
    await first.getByRole('heading', { name: 'Sign in' }).waitFor();
    await check(first, 'sign-in');
    await first.close();

    const { page, errors } = await signIn(context, 'admin@acme.test');
    await page.getByRole('heading', { name: 'Dashboard: Acme Field Services' }).waitFor();
    await settled(page);
    expect(await navLinks(page)).toEqual(['Dashboard', 'Responses', 'Cases', 'Team', 'Themes', 'Action plans', 'Drivers', 'Accounts', 'Measures', 'Reports', 'Integrity', 'Administration']);
    const byUnit = page.locator('table', { hasText: 'Units under Acme Field Services' });
    for (const name of ['EMEA', 'Americas', 'FastFix', 'QuickServe']) expect(await byUnit.getByRole('rowheader', { name }).count()).toBe(1);
    expect(await byUnit.locator('tbody tr').count()).toBe(4);
    // The 0–10 distribution: the answers seeded above, counted per score here.
    const perScore = Array.from(
      { length: 11 },
      (_, score) =>
        Object.values(ANSWERS)
          .flat()
          .filter((a) => a.score === score).length,
    );
    const dist = page.locator('table', { hasText: 'Answers per score' });
    expect(await dist.locator('tbody td').allTextContents()).toEqual(perScore.map(String));
    await check(page, 'admin-dashboard');

    // Drill down: EMEA → Berlin and Paris; Paris is under the minimum n and shown as such.
    await byUnit.getByRole('link', { name: 'EMEA' }).click();
    await page.getByRole('heading', { name: 'Dashboard: EMEA' }).waitFor();
    await settled(page);
    const emea = page.locator('table', { hasText: 'Units under EMEA' });
    const paris = emea.locator('tr', { hasText: 'Paris' });
    expect(await paris.textContent()).toContain('too few answers');
    const berlin = emea.locator('tr', { hasText: 'Berlin' });
    expect(await berlin.locator('td').nth(1).textContent()).toBe('7');
    // The NPS shown is the API's (Berlin 5 promoters, 1 passive, 1 detractor).
    const scores = await api('GET', `/api/v1/scores?unitId=${unitIds.EMEA}&groupBy=unit&from=${new Date(Date.now() - 179 * 86_400_000).toISOString().slice(0, 10)}`);
    const berlinScore = scores.items.find((i: { key: string }) => i.key === unitIds.Berlin);
    expect(await berlin.locator('td').first().textContent()).toContain((Math.round(berlinScore.nps * 10) / 10).toFixed(1));
    expect(await page.getByRole('navigation', { name: 'Hierarchy' }).textContent()).toContain('Acme Field Services');
    await check(page, 'admin-dashboard-emea');
    await page.getByLabel('Break down by').selectOption('channel');
    await page.getByRole('heading', { name: 'By channel' }).waitFor();
    expect(await page.locator('table', { hasText: 'By channel' }).getByRole('rowheader').allTextContents()).toEqual(['email']);
    await check(page, 'admin-dashboard-emea-channel');

    // A case worked to resolved: contacted, then resolved with a reason.
    await page.getByRole('link', { name: 'Cases' }).click();
    await page.getByRole('heading', { name: 'Cases' }).waitFor();
    await check(page, 'admin-cases');
    await page.getByRole('link', { name: /broke the door/ }).click();
    await page.getByRole('heading', { name: 'Case in FastFix' }).waitFor();
    await page.getByLabel('New status').selectOption('contacted');
    await page.getByLabel('Note').fill('Called the customer.');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('case-status').filter({ hasText: 'contacted' }).waitFor();
    await page.getByLabel('New status').selectOption('resolved');
    await page.getByLabel('Reason (needed to resolve or close)').fill('Door replaced at our cost.');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('case-status').filter({ hasText: 'resolved' }).waitFor();
    expect(await page.locator('ol.timeline').textContent()).toContain('reason: Door replaced at our cost.');
    await check(page, 'admin-case-resolved');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('manager of EMEA at 360 px: only EMEA, drills down to Berlin, creates an action plan by keyboard', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signIn(context, 'manager.emea@acme.test');
    await page.getByRole('heading', { name: 'Dashboard: EMEA' }).waitFor();
    await settled(page);
    await expectFits(page);
    const text = await mainText(page);
    for (const hidden of ['Americas', 'New York', 'QuickServe', 'FastFix', 'Acme Field Services']) expect(text).not.toContain(hidden);
    await check(page, 'manager-dashboard');
    await page.locator('table', { hasText: 'Units under EMEA' }).getByRole('link', { name: 'Berlin' }).click();
    await page.getByRole('heading', { name: 'Dashboard: Berlin' }).waitFor();
    await settled(page);
    await check(page, 'manager-dashboard-berlin');

    await openMenu(page);
    await page.getByRole('link', { name: 'Cases' }).click();
    await page.getByRole('heading', { name: 'Cases' }).waitFor();
    const cases = await mainText(page);
    expect(cases).toContain('Berlin');
    expect(cases).not.toContain('New York');
    expect(cases).not.toContain('QuickServe');
    await expectFits(page);
    await check(page, 'manager-cases');

    await openMenu(page);
    await page.getByRole('link', { name: 'Action plans' }).click();
    await page.getByRole('heading', { name: 'Action plans' }).waitFor();
    await check(page, 'manager-plans');
    const options = await page.getByLabel('Unit').locator('option').allTextContents();
    expect(options[0]).toBe('EMEA');
    expect(options.slice(1).sort()).toEqual(['· Berlin', '· London', '· Paris']);
    await page.getByLabel('Unit').selectOption({ label: '· Berlin' });
    await page.getByLabel('Title').focus();
    await page.keyboard.type('Call back late visits within a day');
    await page.keyboard.press('Tab');
    await page.keyboard.type('punctuality');
    const day = localDay(Date.now(), 'Europe/Berlin'); // Berlin's own day (scripts/demo-tenant.ts): the API's from/to are the unit's local days
    for (const field of ['Before: from', 'After: from']) await page.getByLabel(field).fill(day);
    for (const field of ['to']) for (const el of await page.getByLabel(field, { exact: true }).all()) await el.fill(day);
    await page.getByRole('button', { name: 'Create plan' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Call back late visits within a day' }).waitFor();
    expect(await mainText(page)).toContain('Action plan created.');
    // Before and after come from the API: today's Berlin answers, n = 7.
    expect(await page.locator('.card', { hasText: 'Before' }).textContent()).toContain('n = 7');
    const plans = await api('GET', '/api/v1/action-plans');
    expect(plans.items).toEqual([expect.objectContaining({ title: 'Call back late visits within a day', unitId: unitIds.Berlin, theme: 'punctuality', status: 'planned' })]);
    await expectFits(page);
    await check(page, 'manager-plan');
    await page.getByLabel('Status').selectOption('in_progress');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('plan-status').filter({ hasText: 'in_progress' }).waitFor();
    await page.getByRole('link', { name: 'All action plans' }).click();
    await page.getByLabel('View').selectOption('board');
    await page.getByRole('region', { name: 'in progress' }).getByRole('link', { name: 'Call back late visits within a day' }).waitFor();
    await expectFits(page);
    await check(page, 'manager-plans-board');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('vendor of FastFix: its scorecard and its cases, never QuickServe', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signIn(context, 'vendor@fastfix.test');
    await page.getByRole('heading', { name: 'Scorecard: FastFix' }).waitFor();
    await settled(page);
    expect(await navLinks(page)).toEqual(['Scorecard', 'Responses', 'Cases']);
    expect(await page.locator('.card', { hasText: 'Answers (n)' }).textContent()).toContain('3');
    expect(await page.content()).not.toContain('QuickServe');
    await expectFits(page);
    await check(page, 'vendor-scorecard');
    await openMenu(page);
    await page.getByRole('link', { name: 'Cases', exact: true }).click();
    await page.getByRole('heading', { name: 'Cases' }).waitFor();
    const text = await mainText(page);
    expect(text).toContain('FastFix');
    for (const other of ['QuickServe', 'Berlin', 'Paris', 'New York']) expect(text).not.toContain(other);
    await check(page, 'vendor-cases');
    // A typed address of QuickServe's dashboard still shows FastFix only.
    await page.goto(`${base}/#/dashboard?unit=${unitIds.QuickServe}`);
    await page.locator('h1').filter({ hasText: 'FastFix' }).waitFor();
    expect(await page.content()).not.toContain('QuickServe');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('a page that finishes loading never takes the focus from a link the user has moved to meanwhile', async () => {
    const context = await browser.newContext(PHONE);
    // A slow network for the scorecard (the vendor's home page): held until the link has focus.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await context.route('**/api/v1/vendors/**', async (route) => {
      await held;
      await route.continue();
    });
    const { page, errors } = await signIn(context, 'vendor@fastfix.test');
    await openMenu(page);
    const responses = page.getByRole('link', { name: 'Responses' });
    await responses.focus();
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? null);
    expect(await focused()).toBe('Responses');
    release();
    await page.getByRole('heading', { name: 'Scorecard: FastFix' }).waitFor();
    await settled(page);
    expect(await focused()).toBe('Responses');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Responses' }).waitFor();
    // A navigation the user made still moves the focus to the new page.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('every page of the navigation and of Administration, at 360 px: axe-core finds nothing serious, nothing scrolls sideways', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signIn(context, 'admin@acme.test');
    const top = await page.locator('#nav a').evaluateAll((links) => links.map((a) => a.getAttribute('href')!));
    await page.goto(`${base}/#/admin`);
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    const sections = await page.locator('main ul a').evaluateAll((links) => links.map((a) => a.getAttribute('href')!));
    // Thirteen sections: the score thresholds, the theme library and the agents among them.
    expect(sections).toHaveLength(13);
    expect(sections).toContain('#/admin/agents');
    for (const hash of [...top, '#/admin', ...sections]) {
      // Loaded afresh by address: each page draws on its own, as after a bookmark.
      await page.goto('about:blank');
      await page.goto(`${base}/${hash}`);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.waitForLoadState('networkidle');
      await check(page, `every-page${hash.replaceAll('/', '-').replace('#', '')}`);
      await expectFits(page);
    }
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);

  it('an expired session brings back the sign-in with a message; sign out ends the session', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page } = await signIn(context, 'manager.emea@acme.test');
    await page.getByRole('heading', { name: 'Dashboard: EMEA' }).waitFor();
    await settled(page);
    expect((await context.cookies()).find((c) => c.name === 'nps_session')?.httpOnly).toBe(true);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).toBe('{}');
    await context.clearCookies();
    await page.getByRole('link', { name: 'Cases' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await mainText(page)).toContain('Your session has expired. Please sign in again.');
    await check(page, 'session-expired');
    await page.getByLabel('Email').fill('manager.emea@acme.test');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Cases' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    expect(me).toBe(401);
    await context.close();
  }, 60_000);

  it('a person with the same password in two tenants picks one after signing in', async () => {
    // FastFix's engineer also works for another customer of the platform, with the same password.
    const other = await createTenant(openDb(stack.libsqlUrl), { name: 'Globex Services', adminEmail: 'vendor@fastfix.test', adminPassword: DEMO_PASSWORD });
    await registerTenant(openDirectory(stack.directoryUrl), { id: other.tenantId, name: 'Globex Services', region: 'eu', databaseId: 'eu-shared-1', emails: [other.adminEmail] });
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.getByLabel('Email').fill('vendor@fastfix.test');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('group', { name: 'This sign-in opens several organisations. Which one?' }).waitFor();
    expect(await page.getByRole('group').getByRole('button').allTextContents()).toEqual(['Acme Field Services', 'Globex Services']);
    await check(page, 'tenant-choice');
    await page.getByRole('button', { name: 'Globex Services' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const tenant = await page.evaluate(async () => ((await (await fetch('/api/v1/me')).json()) as { tenant: { id: string } }).tenant.id);
    expect(tenant).toBe(other.tenantId);
    await context.close();
  }, 60_000);
});
