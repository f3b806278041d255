import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeCheck, callApi, DESKTOP, expectFits, launchChromium, loginToken, PHONE, signInAt } from './browser-kit';
import { startStack, type StartedStack } from './started-stack';

/**
 * The Integrity page (docs/integrity.md) in Debian's Chromium against `npm start` on a temporary
 * data folder: a planted steering agent (the demo agent's customers answer 10 from the address the
 * agent signs in from, minutes after the service) beside an ordinary colleague, as the analyst at
 * 1280 px and the admin at 360 px; the page's numbers against the API; not in the navigation of
 * the agent, a manager or a vendor.
 */

let stack: StartedStack;
let base: string;
let browser: Browser;
let adminToken: string;
let agentUserId: string;
const unitIds: Record<string, string> = {};
const AGENT_IP = '10.77.0.7';
const ANALYST = 'integrity.analyst@acme.test';
const AGENT = 'integrity.agent@acme.test';
const PASSWORD = 'demo-pass-1234';
const STEERED = 32;
const PEER_SCORES = [9, 7, 10, 8, 6, 9, 3, 8, 10, 9]; // two 10s in ten

const check = axeCheck('portal-integrity');
const api = (method: string, path: string, body?: unknown) => callApi(base, adminToken, method, path, body);

beforeAll(async () => {
  stack = await startStack();
  base = stack.base;
  adminToken = await loginToken(base, 'admin@acme.test');
  for (const u of (await api('GET', '/api/v1/units')).items) unitIds[u.name] = u.id;
  // The bare demo tenant has no analyst or agent: one of each, as an admin adds them.
  const root = (await api('GET', '/api/v1/units')).items.find((u: { parentId: string | null }) => u.parentId === null).id;
  await api('POST', '/api/v1/users', { email: ANALYST, name: 'Ines Analyst', password: PASSWORD, grants: [{ unitId: root, role: 'analyst' }] });
  agentUserId = (await api('POST', '/api/v1/users', { email: AGENT, name: 'Noah Agent', password: PASSWORD, grants: [{ unitId: unitIds.Berlin, role: 'agent' }] })).id;
  // The agent signs in from their own network.
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': AGENT_IP },
    body: JSON.stringify({ email: AGENT, password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  // 32 steered jobs and 40 of an ordinary colleague (an external agent id), each its own customer.
  const now = Date.now();
  const jobs = [
    ...Array.from({ length: STEERED }, (_, i) => ({ agentId: agentUserId, score: 10, minutes: 2, ip: AGENT_IP, key: `steer-${i}` })),
    ...Array.from({ length: 40 }, (_, i) => ({ agentId: 'ext:colleague', score: PEER_SCORES[i % 10]!, minutes: 120 + 30 * i, ip: `10.78.${i}.1`, key: `peer-${i}` })),
  ];
  for (const j of jobs) await api('PUT', `/api/v1/contacts/integrity-${j.key}`, { email: `integrity-${j.key}@example.test` });
  const res = await api('POST', '/api/v1/events', {
    events: jobs.map((j) => ({
      id: `integrity-event-${j.key}`,
      type: 'ticket.resolved',
      occurredAt: new Date(now - j.minutes * 60_000).toISOString(),
      contactId: `integrity-${j.key}`,
      unitId: unitIds.Berlin,
      agentId: j.agentId,
      touchpoint: 'support-resolution',
    })),
  });
  await Promise.all(
    res.results.map(async (r: { decision: string; invitationId?: string }, k: number) => {
      expect(r.decision, JSON.stringify(r)).toBe('invite');
      const inv = await api('GET', `/api/v1/invitations/${r.invitationId}`);
      const answer = await fetch(inv.link, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': jobs[k]!.ip }, body: JSON.stringify({ score: jobs[k]!.score }) });
      expect(answer.status, await answer.clone().text()).toBe(200);
    }),
  );
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

describe('the Integrity page', () => {
  it('as the analyst: in the navigation; the steering agent flagged with its evidence, the colleague not, numbers as the API gives them', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signInAt(base, context, ANALYST, PASSWORD);
    await page.getByRole('link', { name: 'Integrity' }).click();
    await page.locator('[aria-live][data-ready=true]').waitFor();
    const analystToken = await loginToken(base, ANALYST, PASSWORD);
    const unitId = await page.locator('#int-unit').inputValue();
    const from = await page.locator('#int-from').inputValue();
    const to = await page.locator('#int-to').inputValue();
    const report = await callApi(base, analystToken, 'GET', `/api/v1/integrity?unitId=${unitId}&from=${from}&to=${to}`);
    const steer = page.locator(`details[data-kind=agent][data-id="${agentUserId}"]`);
    await expect(steer.getAttribute('data-flagged')).resolves.toBe('true');
    await expect(steer.getAttribute('open')).resolves.not.toBeNull();
    // By the plan: all 32 answers from the agent's network, every one a 10, two minutes after the service.
    const own = steer.locator('li[data-signal=own_network]');
    await expect(own.getAttribute('data-status')).resolves.toBe('flagged');
    await expect(own.textContent()).resolves.toContain(`${STEERED} of ${STEERED}`);
    await expect(steer.locator('li[data-signal=bursts]').getAttribute('data-status')).resolves.toBe('flagged');
    await expect(steer.locator('li[data-signal=tens]').textContent()).resolves.toContain(`${STEERED} of ${STEERED}`);
    // Its examples are the API's.
    const apiSteer = report.agents.find((a: { agentId: string }) => a.agentId === agentUserId);
    const ownApi = apiSteer.signals.find((s: { signal: string }) => s.signal === 'own_network');
    await expect(own.locator('code').allTextContents()).resolves.toEqual(ownApi.examples);
    // The colleague: 40 answers, eight 10s, hours after the service, from their customers' own networks: nothing flagged.
    const colleague = page.locator('details[data-kind=agent][data-id="ext:colleague"]');
    await expect(colleague.getAttribute('data-flagged')).resolves.toBe('false');
    await expect(colleague.locator('li[data-status=flagged]').count()).resolves.toBe(0);
    await expect(colleague.locator('summary').textContent()).resolves.toContain('40 answers');
    await expect(page.locator('#int-summary').textContent()).resolves.toContain(`${report.answers} answers`);
    await check(page, 'analyst');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('as the admin at 360 px: no sideways scrolling', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signInAt(base, context, 'admin@acme.test');
    await page.goto(`${base}/#/integrity`);
    await page.locator('[aria-live][data-ready=true]').waitFor();
    await expect(page.locator('details[data-flagged=true]').count()).resolves.toBeGreaterThan(0);
    await expectFits(page);
    await check(page, 'admin-360');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('not in the navigation of the agent, a manager or a vendor', async () => {
    for (const email of [AGENT, 'manager.emea@acme.test', 'vendor@fastfix.test']) {
      const context = await browser.newContext(DESKTOP);
      const { page } = await signInAt(base, context, email);
      await expect(page.getByRole('link', { name: 'Integrity' }).count(), email).resolves.toBe(0);
      await context.close();
    }
  });
});
