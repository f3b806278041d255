import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client';
import { webhookDeliveries } from '../../src/db/schema';
import { axeCheck, callApi, DESKTOP, launchChromium, loginToken, PHONE, signInAt } from './browser-kit';
import { startStack, type StartedStack } from './started-stack';

/**
 * Administration, part A, in Debian's Chromium against `npm start` on a temporary data folder:
 * the demo admin builds a unit, a user with a grant (who then signs in and sees that unit only),
 * an API key that works until revoked in the page, a webhook, the retention days, and finds it
 * all in the audit viewer. axe-core on every section; screenshots test-results/screenshots/portal-admin-*.
 */

let stack: StartedStack;
let base: string;
let browser: Browser;
let adminToken: string;
const unitIds: Record<string, string> = {};
/** The tenant's webhook receiver: every request it got, answered 200. */
let receiver: Server;
let receiverUrl: string;

const check = axeCheck('portal-admin');
const signIn = (context: BrowserContext, email: string, password?: string) => signInAt(base, context, email, password);
const api = (method: string, path: string, body?: unknown, token = adminToken) => callApi(base, token, method, path, body);
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

beforeAll(async () => {
  // The tenant's webhook receiver, on this machine: the stack is told to allow its origin.
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/nps-events`;
  stack = await startStack({ OUTBOUND_ALLOW: new URL(receiverUrl).origin });
  base = stack.base;
  adminToken = await loginToken(base, 'admin@acme.test');
  for (const u of (await api('GET', '/api/v1/units')).items) unitIds[u.name] = u.id;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  receiver?.close();
}, 30_000);

const navLinks = (page: Page) => page.locator('#nav a').allTextContents();
const section = async (page: Page, label: string, title = label) => {
  await page.goto(`${base}/#/admin`);
  await page.getByRole('heading', { name: 'Administration' }).waitFor();
  await page.getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { name: title, exact: true }).waitFor();
};

describe('administration in Chromium', () => {
  it('admin: hierarchy, a user with a grant who sees that unit only, an API key revoked, a webhook, retention, the audit trail', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signIn(context, 'admin@acme.test');
    expect(await navLinks(page)).toContain('Administration');
    // The home page's calls first (a page still loading would draw over the next one).
    await page.waitForLoadState('networkidle');
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('heading', { name: 'Administration' }).waitFor();

    // 1. Hierarchy: a site under EMEA shows in the tree under EMEA; a second one by the same name is refused next to the form.
    await section(page, 'Hierarchy');
    await page.getByLabel('Parent').selectOption(unitIds.EMEA!);
    await page.getByLabel('Name').fill('Lisbon');
    await page.getByLabel('Kind').selectOption('site');
    await page.getByLabel(/Time zone/).fill('Europe/Lisbon');
    await page.getByRole('button', { name: 'Add unit' }).click();
    await page.getByText('Added Lisbon.').waitFor();
    const emeaBranch = page.locator('ul.tree > li > ul > li', { has: page.getByRole('link', { name: 'EMEA', exact: true }) });
    await emeaBranch.getByRole('link', { name: 'Lisbon' }).waitFor();
    const lisbon = (await api('GET', '/api/v1/units')).items.find((u: { name: string }) => u.name === 'Lisbon');
    expect(lisbon).toMatchObject({ parentId: unitIds.EMEA, kind: 'site', timezone: 'Europe/Lisbon' });
    await check(page, 'units');
    await page.getByLabel('Parent').selectOption(unitIds.EMEA!);
    await page.getByLabel('Name').fill('Lisbon');
    await page.getByRole('button', { name: 'Add unit' }).click();
    await page.getByRole('alert').waitFor();
    expect((await api('GET', '/api/v1/units')).items.filter((u: { name: string }) => u.name === 'Lisbon').length).toBe(1);
    await emeaBranch.getByRole('link', { name: 'Lisbon' }).click();
    await page.getByRole('heading', { name: 'Unit: Lisbon' }).waitFor();
    await page.getByLabel('Time zone', { exact: true }).fill('Atlantic/Azores');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await api('GET', `/api/v1/units/${lisbon.id}`)).timezone).toBe('Atlantic/Azores');
    await check(page, 'unit');

    // 2. Users: a new user, the one-time password shown once, manager on Lisbon.
    await section(page, 'Users and roles');
    await page.getByLabel('Email').fill('lisbon.manager@acme.test');
    await page.getByLabel('Name (optional)').fill('Lisbon Manager');
    await page.getByRole('button', { name: 'Create user' }).click();
    const once = page.getByLabel('One-time password for lisbon.manager@acme.test');
    await once.waitFor();
    const password = await once.inputValue();
    expect(password.length).toBeGreaterThanOrEqual(12);
    await check(page, 'users');
    await page.getByRole('link', { name: 'Lisbon Manager' }).click();
    await page.getByRole('heading', { name: 'Lisbon Manager' }).waitFor();
    await page.getByLabel(/^Unit/).selectOption(lisbon.id);
    await page.getByLabel(/^Role/).selectOption('manager');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    await page.getByText('Granted manager on Lisbon.').waitFor();
    await page.getByRole('button', { name: 'Revoke manager on Lisbon' }).waitFor();
    await check(page, 'user');
    const created = (await api('GET', '/api/v1/users')).items.find((u: { email: string }) => u.email === 'lisbon.manager@acme.test');
    expect(created.grants).toEqual([{ unitId: lisbon.id, role: 'manager' }]);

    // ...who signs in with the one-time password and sees Lisbon's domain only.
    const theirs = await browser.newContext(DESKTOP);
    const manager = await signIn(theirs, 'lisbon.manager@acme.test', password);
    await manager.page.waitForLoadState('networkidle');
    expect(await navLinks(manager.page)).toContain('Dashboard');
    expect(await navLinks(manager.page)).not.toContain('Administration');
    const seen = await manager.page.evaluate(async () => (await (await fetch('/api/v1/units')).json()) as { items: { name: string }[] });
    expect(seen.items.map((u) => u.name)).toEqual(['Lisbon']);
    expect(manager.errors).toEqual([]);
    // Disabled from the admin's page: their session stops at once; re-enabled; the grant revoked.
    await page.getByRole('button', { name: 'Disable user' }).click();
    await page.getByTestId('user-status').filter({ hasText: 'disabled' }).waitFor();
    expect(await manager.page.evaluate(async () => (await fetch('/api/v1/me')).status)).toBe(401);
    await page.getByRole('button', { name: 'Re-enable user' }).click();
    await page.getByTestId('user-status').filter({ hasText: 'active' }).waitFor();
    await page.getByRole('button', { name: 'Revoke manager on Lisbon' }).click();
    await page.getByText('Revoked manager on Lisbon.').waitFor();
    expect(await api('GET', `/api/v1/users/${created.id}`)).toMatchObject({ status: 'active', grants: [] });
    await theirs.close();

    // 3. API keys: created in the page, works against the API, revoked in the page, then 401.
    await section(page, 'API keys');
    await page.getByLabel('Name').fill('crm-sync');
    await page.getByLabel('Scope').selectOption('read');
    await page.getByRole('button', { name: 'Create key' }).click();
    const keyField = page.getByLabel('New key crm-sync');
    await keyField.waitFor();
    const key = await keyField.inputValue();
    expect(key).toMatch(/^nps_/);
    await check(page, 'api-keys');
    const withKey = () => fetch(`${base}/api/v1/units`, { headers: { authorization: `Bearer ${key}` } });
    const ok = await withKey();
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { items: { name: string }[] }).items.map((u) => u.name)).toContain('Lisbon');
    const listed = (await api('GET', '/api/v1/api-keys')).items.find((k: { name: string }) => k.name === 'crm-sync');
    expect(JSON.stringify(listed)).not.toContain(key);
    await page.getByRole('button', { name: `Revoke crm-sync (${listed.prefix})` }).click();
    await page.getByRole('button', { name: `Yes, revoke ${listed.prefix}` }).click();
    await page.getByText(`Revoked crm-sync (${listed.prefix})`).waitFor();
    expect((await withKey()).status).toBe(401);
    // After a reload the key is gone from the page for good: only its prefix remains.
    expect(await page.locator('main').textContent()).not.toContain(key);

    // 4. Webhooks: an endpoint (secret once); a failed message replayed from the log; paused.
    await section(page, 'Webhooks');
    await page.getByLabel('URL').fill(receiverUrl);
    await page.getByLabel('response.created').uncheck();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = page.getByLabel(`Signing secret of ${receiverUrl}`);
    await secret.waitFor();
    expect(await secret.inputValue()).toMatch(/^whsec_/);
    await check(page, 'webhooks');
    const hookId = (await api('GET', '/api/v1/webhooks')).items[0].id;
    // A message in the endpoint's log, written as the event emitter writes it (the case pipeline
    // that normally does is tested elsewhere; here the log and its replay are under test).
    const tenantId = (await api('GET', '/api/v1/me')).tenant.id;
    const delivery = { id: `msg_${randomBytes(12).toString('hex')}`, eventType: 'case.opened' };
    await openDb(stack.libsqlUrl)
      .insert(webhookDeliveries)
      .values({
        id: delivery.id,
        tenantId,
        webhookId: hookId,
        eventType: delivery.eventType,
        payload: { type: 'case.opened', timestamp: new Date().toISOString(), data: { id: 'case_test' } },
        status: 'failed',
        attempts: 8,
        lastStatusCode: 503,
        createdAt: Date.now(),
        updatedAt: Date.now(),
      });

    await page.getByRole('link', { name: receiverUrl }).click();
    await page.getByRole('heading', { name: `Webhook: ${receiverUrl}` }).waitFor();
    const row = page.locator('tbody tr', { hasText: delivery.id });
    expect(await row.textContent()).toMatch(/failed.*8.*HTTP 503/);
    await page.getByRole('button', { name: `Replay ${delivery.id}` }).click();
    await page.locator('p[role=status]', { hasText: 'Replayed' }).or(page.getByRole('alert')).first().waitFor();
    expect(await page.locator('main').textContent()).toContain(`Replayed ${delivery.id}: delivered (HTTP 200).`);
    expect(received.some((r) => r.headers['webhook-id'] === delivery.id)).toBe(true);
    expect(await row.textContent()).toContain('delivered');
    await page.getByRole('button', { name: 'Pause endpoint' }).click();
    await page.getByRole('button', { name: 'Resume endpoint' }).waitFor();
    await check(page, 'webhook');
    const hook = (await api('GET', '/api/v1/webhooks')).items[0];
    expect(hook).toMatchObject({ url: receiverUrl, active: false });
    expect(hook.events).toEqual(['case.opened', 'case.escalated', 'case.resolved', 'alert.raised', 'contact.erased']);

    // 5. Retention: days set in the page, read back through the API.
    await section(page, 'Retention');
    await check(page, 'retention');
    await page.getByLabel(/comments after/).fill('120');
    await page.getByLabel(/personal data after/).fill('400');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Retention saved.').waitFor();
    expect((await api('GET', '/api/v1/settings')).retention).toEqual({ commentDays: 120, contactDays: 400 });
    // Too short: the API's refusal shows next to the form and nothing changes.
    await page.getByLabel(/comments after/).evaluate((el: HTMLInputElement) => el.removeAttribute('min'));
    await page.getByLabel(/comments after/).fill('7');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('body.retention.commentDays');
    expect((await api('GET', '/api/v1/settings')).retention).toEqual({ commentDays: 120, contactDays: 400 });

    // The unit, now without grants, deleted from its page after the confirm.
    await page.goto(`${base}/#/admin/units/${lisbon.id}`);
    await page.getByRole('heading', { name: 'Unit: Lisbon' }).waitFor();
    await page.getByRole('button', { name: 'Delete this unit…' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText('Deleted Lisbon.').waitFor();
    expect(await page.locator('ul.tree').textContent()).not.toContain('Lisbon');
    expect((await api('GET', '/api/v1/units')).items.map((u: { name: string }) => u.name)).not.toContain('Lisbon');

    // 6. The audit viewer shows all of it, filters by target, pages with the cursor.
    await section(page, 'Audit log');
    const actions = await page.locator('tbody th').allTextContents();
    for (const a of [
      'unit.create',
      'user.create',
      'grant.set',
      'user.update',
      'grant.revoke',
      'api_key.create',
      'api_key.revoke',
      'webhook.create',
      'webhook.replay',
      'webhook.update',
      'settings.update',
    ])
      expect(actions, a).toContain(a);
    expect(await page.locator('tbody tr', { hasText: 'unit.create' }).first().textContent()).toContain('admin@acme.test');
    await check(page, 'audit');
    await page.getByLabel('Target type').fill('unit');
    await page.getByLabel('Target id').fill(lisbon.id);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('caption', { hasText: '3 entries' }).waitFor();
    expect(await page.locator('tbody th').allTextContents()).toEqual(['unit.delete', 'unit.update', 'unit.create']);
    await page.goto(`${base}/#/admin/audit?limit=3`);
    await page.locator('caption', { hasText: '3 entries, newest first' }).waitFor();
    const first = await page.locator('tbody tr').allTextContents();
    await page.getByRole('link', { name: 'Older entries →' }).click();
    await page.locator('caption', { hasText: '(older page)' }).waitFor();
    const second = await page.locator('tbody tr').allTextContents();
    expect(second.length).toBe(3);
    expect(second.some((r) => first.includes(r))).toBe(false);
    const expected = (await api('GET', '/api/v1/audit-log?limit=6')).items.map((e: { action: string }) => e.action);
    expect(await page.locator('tbody th').allTextContents()).toEqual(expected.slice(3, 6));
    await page.getByRole('link', { name: 'Newest entries' }).waitFor();

    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  it('a manager sees no Administration and #/admin sends them home', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signIn(context, 'manager.emea@acme.test');
    await page.waitForLoadState('networkidle');
    expect(await navLinks(page)).not.toContain('Administration');
    await page.goto(`${base}/#/admin/users`);
    await page.waitForFunction(() => location.hash === '#/dashboard');
    await page.waitForLoadState('networkidle');
    expect(await page.locator('h1').textContent()).not.toContain('Administration');
    expect(await navLinks(page)).not.toContain('Administration');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('retention at 360 px by keyboard alone', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signIn(context, 'admin@acme.test');
    await page.goto(`${base}/#/admin/retention`);
    await page.getByRole('heading', { name: 'Retention' }).waitFor();
    const tabTo = async (id: string) => {
      for (let i = 0; i < 40; i++) {
        if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached #${id}`);
    };
    await tabTo('ret-comment');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('90');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('ret-contact');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByText('Retention saved.').waitFor();
    expect((await api('GET', '/api/v1/settings')).retention).toEqual({ commentDays: 90, contactDays: null });
    const [scroll, client] = await page.locator('html').evaluate((el) => [el.scrollWidth, el.clientWidth]);
    expect(scroll).toBeLessThanOrEqual(client);
    await check(page, 'retention-phone');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
