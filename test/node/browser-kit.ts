import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { DEMO_PASSWORD } from '../../scripts/demo-tenant';
import { ROOT } from '../../scripts/local-stack';

/**
 * What the Chromium suites share: Debian's Chromium, axe-core with a screenshot, sign-in, the
 * API with a bearer token, and polling. Each suite starts its own `npm start` (started-stack.ts).
 */

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-results/screenshots');
export const PHONE: BrowserContextOptions = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 1 };
export const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Debian's Chromium, headless, without the background traffic a test has no use for. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

export const shot = async (page: Page, name: string) => {
  await settled(page);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
};

/** The serious and critical axe-core violations of the page as it is. */
export async function axeViolations(page: Page, options: { iframes?: boolean } = {}) {
  await page.addScriptTag({ content: axeSource });
  const result = (await page.evaluate((opts) => (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<unknown> } }).axe.run(document, opts), options)) as {
    violations: { id: string; impact: string; help: string; nodes: { target: unknown }[] }[];
  };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, help: v.help, targets: v.nodes.map((n) => n.target) }));
}

/** A suite's check: axe-core finds no serious or critical violation, then a screenshot `<prefix>-<name>.png`. */
export const axeCheck =
  (prefix: string, options: { iframes?: boolean } = {}) =>
  async (page: Page, name: string) => {
    await settled(page);
    expect(await axeViolations(page, options), `${name}: axe violations`).toEqual([]);
    await shot(page, `${prefix}-${name}`);
  };

/**
 * The page drawn whole: a page drawn in parts (the dashboard, the vendor's scorecard: first figures
 * first) marks the document's main `aria-busy` until its last part is in.
 */
export const settled = (page: Page) => page.waitForFunction(() => !document.querySelector('main[aria-busy]'), undefined, { timeout: 30_000 });

/** No sideways scrolling at the context's width. */
export async function expectFits(page: Page) {
  await settled(page);
  const [scroll, client] = await page.locator('html').evaluate((el) => [el.scrollWidth, el.clientWidth]);
  expect(scroll).toBeLessThanOrEqual(client);
}

/** Signs in through the portal's form; page errors are collected for the test to check. */
export async function signInAt(base: string, context: BrowserContext, email: string, password = DEMO_PASSWORD) {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return { page, errors };
}

/** A session token for the API, through the login route. */
export async function loginToken(base: string, email: string, password = DEMO_PASSWORD): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (!res.ok) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** A JSON call with a bearer token; anything but 2xx throws with the answer. */
export async function callApi(base: string, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Polls until the probe answers something truthy. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export type Answer = { score: number; comment?: string };
type Api = (method: string, path: string, body?: unknown) => Promise<any>;

/**
 * Answers through the public API, as customers give them: a contact and an event each, then the
 * invitation's link answered as JSON (each from its own address, so no bulk flag).
 */
export async function seedAnswers(api: Api, unitIds: Record<string, string>, answers: Record<string, Answer[]>, opts: { prefix: string; subnet: number; name?: boolean }) {
  const events: unknown[] = [];
  const scores: Answer[] = [];
  let i = 0;
  for (const [unit, list] of Object.entries(answers)) {
    for (const a of list) {
      const contactId = `${opts.prefix}-${i}`;
      await api('PUT', `/api/v1/contacts/${contactId}`, { email: `${contactId}@example.test`, ...(opts.name ? { attributes: { name: `Customer ${i}` } } : {}) });
      events.push({ id: `${opts.prefix}-event-${i}`, type: 'ticket.resolved', occurredAt: new Date().toISOString(), contactId, unitId: unitIds[unit], touchpoint: 'support-resolution' });
      scores.push(a);
      i++;
    }
  }
  const res = await api('POST', '/api/v1/events', { events });
  await Promise.all(
    res.results.map(async (r: { decision: string; invitationId?: string }, k: number) => {
      expect(r.decision, JSON.stringify(r)).toBe('invite');
      const inv = await api('GET', `/api/v1/invitations/${r.invitationId}`);
      const answer = await fetch(inv.link, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': `10.0.${opts.subnet}.${k + 1}` }, body: JSON.stringify(scores[k]) });
      expect(answer.status, await answer.clone().text()).toBe(200);
    }),
  );
}

/** Opens the phone's Menu (shown under 600 px) so the navigation's links can be reached; wider, does nothing. */
export async function openMenu(page: Page) {
  const menu = page.locator('#menu');
  if ((await menu.isVisible()) && (await menu.getAttribute('aria-expanded')) !== 'true') await menu.click();
}
