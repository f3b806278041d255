import { and, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client';
import { responses, touchpoints } from '../../src/db/schema';
import { answerRow } from '../answer-row';
import { axeCheck, callApi, DESKTOP, expectFits, launchChromium, loginToken, PHONE, signInAt } from './browser-kit';
import { DEMO_PASSWORD } from '../../scripts/demo-tenant';
import { startStack, type StartedStack } from './started-stack';

/**
 * The vendor scorecard across sites, the agent's own page and the team page (docs/dimensions.md),
 * in Debian's Chromium against `npm start` with the bare demo tenant (anonymity 5, agent minimum
 * 30). axe-core on each page, 360 px without sideways scrolling; screenshots portal-agents-*.
 *
 * Answers two days back, all at Berlin:
 *   FastFix's jobs:        10 10 10 9 3 8  → P 4, passive 1, D 1, n 6 → NPS 100 · 3 / 6 = 50.0
 *   Noah Schulz (agent):   20 × 10, 5 × 8, 5 × 3, three with comments → n 30, NPS 100 · 15 / 30 = 50.0
 */

let stack: StartedStack;
let base: string;
let browser: Browser;
let adminToken: string;
const check = axeCheck('portal-agents');
const api = (method: string, path: string, body?: unknown) => callApi(base, adminToken, method, path, body);
const unitIds: Record<string, string> = {};

const rowsOf = (page: Page, caption: string) =>
  page
    .locator('table', { hasText: caption })
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent?.trim() ?? '')));

beforeAll(async () => {
  stack = await startStack();
  base = stack.base;
  adminToken = await loginToken(base, 'admin@acme.test');
  for (const u of (await api('GET', '/api/v1/units')).items) unitIds[u.name] = u.id;
  const tenantId = (await api('GET', '/api/v1/me')).tenant.id as string;
  // The bare demo tenant has no agent: one at Berlin, as the demo history makes him.
  const agentId = (await api('POST', '/api/v1/users', { email: 'agent@acme.test', name: 'Noah Schulz', password: DEMO_PASSWORD, grants: [{ unitId: unitIds.Berlin, role: 'agent' }] })).id as string;
  const d = openDb(stack.libsqlUrl);
  const [tp] = await d
    .select()
    .from(touchpoints)
    .where(and(eq(touchpoints.tenantId, tenantId), eq(touchpoints.key, 'support-resolution')));
  const at = Date.now() - 2 * 86_400_000;
  const answer = (score: number, extra: { vendorId?: string; agentId?: string; comment?: string }) => answerRow(tenantId, tp!, unitIds.Berlin!, score, at, extra);
  const agentScores = [...Array(20).fill(10), ...Array(5).fill(8), ...Array(5).fill(3)] as number[];
  const comments: Record<number, string> = { 0: 'Noah was patient and quick', 25: 'Took three visits' };
  await d
    .insert(responses)
    .values([...[10, 10, 10, 9, 3, 8].map((s) => answer(s, { vendorId: unitIds.FastFix })), ...agentScores.map((s, k) => answer(s, { agentId, ...(comments[k] ? { comment: comments[k] } : {}) }))]);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

describe('vendors and agents in the portal', () => {
  it("FastFix's scorecard shows its jobs at Berlin, per region and per site, at 360 px", async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signInAt(base, context, 'vendor@fastfix.test');
    await page.goto(`${base}/#/vendor`);
    await page.locator('table', { hasText: 'NPS per site' }).waitFor();
    const sites = await rowsOf(page, 'NPS per site');
    expect(sites.map((r) => [r[0], r[1], r[3]])).toEqual([['Berlin', 'EMEA', '6']]);
    expect(sites[0]![2]).toMatch(/^50\.0 \[/);
    expect((await rowsOf(page, 'NPS per region')).map((r) => [r[0], r[2]])).toEqual([['EMEA', '6']]);
    await expectFits(page);
    await check(page, 'vendor-phone');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it("the agent's own page: NPS with its interval, comments and cases, at 360 px", async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signInAt(base, context, 'agent@acme.test');
    await page.goto(`${base}/#/me`);
    await page.getByRole('heading', { name: 'My page' }).waitFor();
    expect(await page.getByTestId('agent-nps').textContent()).toBe('50.0');
    await page.getByText('Noah was patient and quick').waitFor();
    await page.getByText('Took three visits').waitFor();
    await expectFits(page);
    await check(page, 'me-phone');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it("the EMEA manager's team page lists the agent with the score, and opens the agent's page", async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signInAt(base, context, 'manager.emea@acme.test');
    await page.goto(`${base}/#/team?unit=${unitIds.EMEA}`);
    await page.locator('table', { hasText: 'Agents and their NPS' }).waitFor();
    const rows = await rowsOf(page, 'Agents and their NPS');
    expect(rows.map((r) => [r[0], r[2]])).toEqual([['Noah Schulz', '30']]);
    expect(rows[0]![1]).toMatch(/^50\.0 \[/);
    await check(page, 'team');
    await page.getByRole('link', { name: 'Noah Schulz' }).click();
    await page.getByRole('heading', { name: 'Agent: Noah Schulz' }).waitFor();
    expect(await page.getByTestId('agent-nps').textContent()).toBe('50.0');
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${base}/#/team?unit=${unitIds.EMEA}`);
    await page.locator('table', { hasText: 'Agents and their NPS' }).waitFor();
    await expectFits(page);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('Berlin marked not for individual evaluation: the agent is told why nothing is shown; the lead sees no score', async () => {
    // The admin marks Berlin in Administration → Agents, at 360 px, and maps an external agent id.
    const adminContext = await browser.newContext(PHONE);
    const signedAdmin = await signInAt(base, adminContext, 'admin@acme.test');
    await signedAdmin.page.goto(`${base}/#/admin/agents`);
    await signedAdmin.page.getByRole('heading', { name: 'Agents' }).waitFor();
    await signedAdmin.page.getByRole('group', { name: 'Units (with everything below)' }).getByLabel('Berlin').check();
    await signedAdmin.page.getByRole('button', { name: 'Save', exact: true }).click();
    await signedAdmin.page.getByText('Saved.').waitFor();
    expect((await api('GET', '/api/v1/settings')).notForIndividualEvaluation).toEqual({ roles: [], unitIds: [unitIds.Berlin] });
    await signedAdmin.page.getByLabel('Agent id (as your ticket system sends it)').fill('tix-42');
    await signedAdmin.page.getByLabel('Person').selectOption({ label: 'Noah Schulz (agent@acme.test)' });
    await signedAdmin.page.getByRole('button', { name: 'Save mapping' }).click();
    await signedAdmin.page.locator('table', { hasText: 'Mapped agent ids' }).getByText('tix-42').waitFor();
    await expectFits(signedAdmin.page);
    await check(signedAdmin.page, 'admin-agents-phone');
    expect(signedAdmin.errors).toEqual([]);
    await adminContext.close();

    const context = await browser.newContext(PHONE);
    const { page, errors } = await signInAt(base, context, 'agent@acme.test');
    await page.goto(`${base}/#/me`);
    await page.getByTestId('agent-hidden').waitFor();
    expect(await page.getByTestId('agent-hidden').textContent()).toContain('not for individual evaluation');
    expect(await page.getByTestId('agent-nps').textContent()).toBe('Not shown');
    await page.getByText('Noah was patient and quick').waitFor();
    await expectFits(page);
    await check(page, 'me-hidden-phone');
    expect(errors).toEqual([]);
    await context.close();

    const lead = await browser.newContext(DESKTOP);
    const signed = await signInAt(base, lead, 'manager.emea@acme.test');
    await signed.page.goto(`${base}/#/team?unit=${unitIds.EMEA}`);
    await signed.page.locator('table', { hasText: 'Agents and their NPS' }).waitFor();
    expect((await rowsOf(signed.page, 'Agents and their NPS')).map((r) => r[1])).toEqual(['not for individual evaluation']);
    await lead.close();
    await api('PATCH', '/api/v1/settings', { notForIndividualEvaluation: { roles: [], unitIds: [] } });
  }, 60_000);
});
