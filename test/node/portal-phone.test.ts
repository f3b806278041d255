import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/local-stack';
import { axeCheck, DESKTOP, launchChromium, PHONE, shot, signInAt } from './browser-kit';
import { startStack, type StartedStack } from './started-stack';

/*
 * The portal on a 360 px phone over the demo history (issue 18 item 4): the navigation folds
 * behind a Menu button (keyboard, aria-expanded), and every page each role can reach (every
 * entry of web/app.js's PAGES the role is allowed, the Administration sections, and the first
 * detail page each list links to) fits: the document's scrollWidth is at most the viewport's
 * width. A screenshot of every page visited: `test-results/screenshots/portal-phone-<role>-<page>`.
 */

let stack: StartedStack;
let base: string;
let browser: Browser;
const check = axeCheck('portal-phone');

beforeAll(async () => {
  stack = await startStack({ DEMO_HISTORY: '1' });
  base = stack.base;
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

/** The portal's pages and who may open them, read from web/app.js itself (so a new page is visited too). */
function portalPages(): { path: string; roles: string[] }[] {
  const source = readFileSync(join(ROOT, 'web/app.js'), 'utf8');
  return [...source.matchAll(/\{ path: '([\w-]+)', label: '[^']*', roles: \[([^\]]*)\]/g)].map((m) => ({ path: m[1]!, roles: [...m[2]!.matchAll(/'(\w+)'/g)].map((r) => r[1]!) }));
}
const adminSections = () => [...readFileSync(join(ROOT, 'web/pages/admin.js'), 'utf8').matchAll(/\{ path: '([\w-]+)', label: /g)].map((m) => m[1]!);

/** The demo's logins, one per role (docs/demo.md). */
const LOGINS: [role: string, email: string][] = [
  ['admin', 'admin@acme.test'],
  ['analyst', 'analyst@acme.test'],
  ['manager', 'manager.emea@acme.test'],
  ['vendor', 'vendor@quickserve.test'],
  ['agent', 'agent@acme.test'],
];

/**
 * Opens a hash route and waits until its page has drawn: the previous page gone (a marker put in
 * `main` is cleared when a page starts: a hash change does not reload the document), a heading,
 * and no request in flight.
 */
async function open(page: Page, hash: string) {
  await page.evaluate(() => {
    const marker = document.createElement('i');
    marker.id = 'old-page';
    document.getElementById('main')?.appendChild(marker);
  });
  if (new URL(page.url()).hash === hash) await page.reload();
  else await page.goto(`${base}/${hash}`);
  // A page that keeps the document's main as it was (or a route that lands where it was): loaded afresh.
  const redrawn = await page
    .locator('#old-page')
    .waitFor({ state: 'detached', timeout: 10_000 })
    .then(() => true)
    .catch(() => false);
  if (!redrawn) await page.reload();
  const titled = await page
    .locator('main h1')
    .first()
    .waitFor({ timeout: 15_000 })
    .then(() => true)
    .catch(() => false);
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(300);
  return { titled, redrawn };
}

/** How wide the document is against the viewport (the numbers of the assertion). */
const widths = (page: Page) => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));

/** The first detail page a list links to (a case, a plan, a report, an account, a before-and-after), when the list has one. */
async function detailLinks(page: Page, list: string): Promise<string[]> {
  const prefix: Record<string, string> = { cases: '#/cases/', plans: '#/plans/', reports: '#/reports/', accounts: '#/account?', dashboard: '#/around?' };
  const p = prefix[list];
  if (!p) return [];
  const href = await page
    .locator(`main a[href^="${p}"]`)
    .first()
    .getAttribute('href', { timeout: 1_000 })
    .catch(() => null);
  return href ? [href] : [];
}

describe('the portal at 360 px', () => {
  it('the navigation folds behind a Menu button: keyboard, aria-expanded, Escape; at 1280 px the links show and the button does not', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signInAt(base, context, 'admin@acme.test');
    await page.getByRole('heading', { name: /^Dashboard/ }).waitFor();
    const menu = page.getByRole('button', { name: 'Menu' });
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await menu.isVisible()).toBe(true);
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    expect(await menu.getAttribute('aria-controls')).toBe('nav');
    expect(await nav.isVisible()).toBe(false);
    // Keyboard only: focus the button, Enter opens, the first link takes focus.
    await menu.focus();
    await page.keyboard.press('Enter');
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    expect(await nav.getByRole('link', { name: 'Cases' }).isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Dashboard');
    await shot(page, 'portal-phone-menu-open');
    await check(page, 'menu-open');
    // Escape closes and gives focus back to the button.
    await page.keyboard.press('Escape');
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    expect(await nav.isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('menu');
    // Open, choose a page: the page opens and the menu folds away.
    await page.keyboard.press('Space');
    await nav.getByRole('link', { name: 'Cases' }).click();
    await page.getByRole('heading', { name: 'Cases', exact: true }).waitFor();
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    expect(await nav.isVisible()).toBe(false);
    // Wide: no button, the links in the header.
    await page.setViewportSize(DESKTOP.viewport!);
    expect(await menu.isVisible()).toBe(false);
    expect(await nav.getByRole('link', { name: 'Cases' }).isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('every page each role can reach fits: document scrollWidth <= viewport width', async () => {
    const pages = portalPages();
    expect(pages.map((p) => p.path)).toEqual(expect.arrayContaining(['dashboard', 'cases', 'responses', 'admin', 'governance', 'account']));
    const overflow: { role: string; page: string; scroll: number; viewport: number }[] = [];
    const visited: string[] = [];
    const untitled: string[] = [];
    for (const [role, email] of LOGINS) {
      const context = await browser.newContext(PHONE);
      const { page, errors } = await signInAt(base, context, email);
      const mine = pages.filter((p) => p.roles.includes(role)).map((p) => `#/${p.path}`);
      if (role === 'admin') mine.push(...adminSections().map((s) => `#/admin/${s}`));
      const queue = [...mine];
      const seen = new Set<string>();
      while (queue.length) {
        const hash = queue.shift()!;
        if (seen.has(hash)) continue;
        seen.add(hash);
        const opened = await open(page, hash);
        if (!opened.titled) untitled.push(`${role} ${hash} (${new URL(page.url()).hash})`);
        const w = await widths(page);
        visited.push(`${role} ${hash}`);
        // Every page a role reaches, kept in test-results; an overflowing one named as such.
        await shot(page, `portal-phone-${w.scroll > w.viewport ? 'overflow-' : ''}${role}-${hash.replace(/[^\w-]+/g, '_')}`);
        if (w.scroll > w.viewport) overflow.push({ role, page: hash, ...w });
        if (!hash.includes('/', 2) && !hash.includes('?')) queue.push(...(await detailLinks(page, hash.slice(2))));
      }
      expect(errors, role).toEqual([]);
      await context.close();
    }
    // The roles reached every page of theirs, detail pages among them (the demo has no account
    // records: the account page at 360 px is checked in portal-accounts.test.ts).
    expect(visited.length, visited.join('\n')).toBeGreaterThan(40);
    expect(overflow).toEqual([]);
    for (const detail of ['cases/', 'plans/', 'reports/', 'around?id='])
      expect(
        visited.some((v) => v.startsWith(`admin #/${detail}`)),
        detail,
      ).toBe(true);
  }, 600_000);
});
