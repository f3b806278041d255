import { readFileSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client';
import { responses, touchpoints } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { axeCheck, callApi, DESKTOP, expectFits, launchChromium, loginToken, PHONE, signInAt, openMenu, settled } from './browser-kit';
import { startStack, type StartedStack } from './started-stack';

/**
 * Saved reports and vendor scorecards in the portal, in Debian's Chromium against `npm start`:
 * the EMEA manager saves a weekly report on EMEA (the picker offers EMEA's subtree only), reads
 * its table and downloads its CSV; the admin sets FastFix's composite weights; the FastFix vendor
 * reads its composite, never QuickServe. axe-core on each page; screenshots portal-reports-*.
 *
 * The answers are written two days back (a report covers complete days only, up to yesterday),
 * minimum n 3:
 *   Berlin 10 10 9 3 → n 4; Paris 9 6 → n 2 (suppressed); New York 10 (not EMEA)
 *   FastFix 10 9 2 → NPS (2 − 1) / 3 = 33.3, no cases → composite = (33.3 + 100) / 2 = 66.7
 */

const ANSWERS: Record<string, number[]> = { Berlin: [10, 10, 9, 3], Paris: [9, 6], 'New York': [10], FastFix: [10, 9, 2], QuickServe: [0, 0, 0] };

let stack: StartedStack;
let base: string;
let browser: Browser;
let adminToken: string;

const check = axeCheck('portal-reports');
const signIn = (context: BrowserContext, email: string, password?: string) => signInAt(base, context, email, password);
const api = (method: string, path: string, body?: unknown) => callApi(base, adminToken, method, path, body);
const unitIds: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack();
  base = stack.base;
  adminToken = await loginToken(base, 'admin@acme.test');
  for (const u of (await api('GET', '/api/v1/units')).items) unitIds[u.name] = u.id;
  await api('PATCH', '/api/v1/settings', { minResponses: 3 });
  const tenantId = (await api('GET', '/api/v1/me')).tenant.id as string;
  const db = openDb(stack.libsqlUrl);
  const [tp] = await db
    .select()
    .from(touchpoints)
    .where(and(eq(touchpoints.tenantId, tenantId), eq(touchpoints.key, 'support-resolution')));
  const at = Date.now() - 2 * 86_400_000;
  const rows = Object.entries(ANSWERS).flatMap(([unit, scores]) =>
    scores.map((score) => ({
      id: newId('rsp'),
      tenantId,
      touchpointId: tp!.id,
      unitId: unitIds[unit]!,
      surveyId: tp!.surveyId,
      surveyVersion: 1,
      channel: 'link' as const,
      locale: 'en',
      score,
      counted: true,
      createdAt: at,
      updatedAt: at,
    })),
  );
  await db.insert(responses).values(rows);

  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

/** An API call with the page's session cookie, as the portal makes it. */
async function asPage(page: Page, path: string) {
  const res = await page.request.get(`${base}${path}`);
  expect(res.status(), path).toBe(200);
  return res;
}

describe('saved reports and vendor scorecards in the portal', () => {
  it('the EMEA manager at 360 px saves a weekly report on EMEA, reads it and downloads its CSV', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signIn(context, 'manager.emea@acme.test');
    await openMenu(page);
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { name: 'Reports' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('No saved reports yet.');
    // The unit picker: EMEA's subtree, nothing else.
    const offered = (await page.getByLabel('Unit (with everything below it)').locator('option').allTextContents()).map((t) => t.replace(/^(· )+/, ''));
    const subtree = (await api('GET', `/api/v1/units?rootId=${unitIds.EMEA}`)).items.map((u: { name: string }) => u.name);
    expect(offered.sort()).toEqual([...subtree].sort());
    expect(offered).toEqual(expect.arrayContaining(['EMEA', 'Berlin', 'Paris']));
    for (const outside of ['Americas', 'New York', 'FastFix', 'QuickServe', 'Acme Field Services']) expect(offered).not.toContain(outside);
    await expectFits(page);
    await check(page, 'list');

    await page.getByLabel('Name', { exact: true }).fill('EMEA by site, weekly');
    await page.getByLabel('Unit (with everything below it)').selectOption({ label: 'EMEA' });
    await page.getByLabel(/^Range/).selectOption({ label: 'Last 28 days' });
    await page.getByLabel(/^Breakdown/).selectOption({ label: 'Unit' });
    await page.getByLabel('Email it on a schedule').check();
    await page.getByLabel(/^Day/).selectOption({ label: 'Monday' });
    await page.getByLabel(/^Local hour/).selectOption({ label: '08:00' });
    await page.getByLabel('Recipients (emails, separated by commas)').fill('ops@acme.test, quality@acme.test');
    // Submitted by keyboard.
    await page.getByRole('button', { name: 'Save report' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'EMEA by site, weekly' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('Report saved.');

    // The saved report as the API has it: EMEA, Mondays 08:00 in EMEA's zone, the next one ahead.
    const list = await (await asPage(page, '/api/v1/reports')).json();
    expect(list.items).toHaveLength(1);
    const report = list.items[0];
    expect(report).toMatchObject({ unitId: unitIds.EMEA, filters: { rangeDays: 28, groupBy: 'unit' }, schedule: { weekday: 1, hour: 8, recipients: ['ops@acme.test', 'quality@acme.test'] } });
    expect(Date.parse(report.nextRunAt)).toBeGreaterThan(Date.now());

    // The table: one row per site, from GET /api/v1/scores over the resolved range.
    const table = page.locator('table', { hasText: `EMEA, ${report.range.from} to ${report.range.to}` });
    await table.waitFor();
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent?.trim())));
    const scores = await (await asPage(page, `/api/v1/scores?unitId=${unitIds.EMEA}&from=${report.range.from}&to=${report.range.to}&groupBy=unit`)).json();
    expect(rows.map((r) => [r[0], r[2]])).toEqual(scores.items.map((i: any) => [Object.entries(unitIds).find(([, id]) => id === i.key)![0], String(i.n)]));
    // Golden: Berlin 4 answers, Paris 2 (under the minimum, so suppressed).
    expect(Object.fromEntries(rows.map((r) => [r[0], r[2]]))).toEqual({ Berlin: '4', Paris: '2' });
    expect(rows.find((r) => r[0] === 'Paris')![1]).toContain('too few answers');
    await expectFits(page);
    await check(page, 'view');

    // The CSV through the page's link, with the page's session: the exports CSV for the same range.
    const href = await page.getByTestId('report-csv').getAttribute('href');
    expect(href).toBe(`/api/v1/reports/${report.id}/scores.csv`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const exported = await (await asPage(page, `/api/v1/exports/scores.csv?unitId=${unitIds.EMEA}&from=${report.range.from}&to=${report.range.to}&groupBy=unit`)).text();
    expect(csv).toBe(exported);
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(
      'key,period,nps,n,promoters,passives,detractors,ci_low,ci_high,ci_level,effective_n,suppressed,suppressed_reason,delta_points,delta_p,low_sample,shrunk_nps,shrunk_ci_low,shrunk_ci_high',
    );
    const byKey = Object.fromEntries(
      lines
        .slice(1)
        .map((l) => l.split(','))
        .map((f) => [f[0], { n: f[3], promoters: f[4], detractors: f[6], suppressed: f[11] }]),
    );
    expect(byKey).toEqual({ [unitIds.Berlin!]: { n: '4', promoters: '3', detractors: '1', suppressed: 'false' }, [unitIds.Paris!]: { n: '2', promoters: '1', detractors: '1', suppressed: 'true' } });
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it("the admin sets FastFix's targets and composite weights on the vendors page", async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signIn(context, 'admin@acme.test');
    await page.goto(`${base}/#/admin/vendors/${unitIds.FastFix}`);
    await page.getByRole('heading', { name: 'Vendor contracts' }).waitFor();
    await page.getByRole('heading', { name: 'Contract of FastFix' }).waitFor();
    const overview = page.locator('table', { hasText: '2 vendors' });
    expect(await overview.getByRole('rowheader').allTextContents()).toEqual(expect.arrayContaining(['FastFix', 'QuickServe']));
    await check(page, 'admin-vendors');
    await page.getByLabel('First contact within (hours)').fill('4');
    await page.getByLabel('Resolved within (hours)').fill('48');
    await page.getByLabel('NPS', { exact: true }).fill('3');
    await page.getByLabel('Contacted within target').fill('1');
    await page.getByLabel('Resolved within target').fill('0.5');
    await page.getByRole('button', { name: 'Save contract' }).click();
    await page.getByText('Contract of FastFix saved.').waitFor();
    const card = await api('GET', `/api/v1/vendors/${unitIds.FastFix}/scorecard`);
    expect(card.composite.weights).toEqual({ nps: 3, contactedWithinTarget: 1, resolvedWithinTarget: 0.5 });
    expect(card.targets).toEqual({ firstContactHours: 4, resolutionHours: 48 });
    // All zero is refused, with the API's message, and changes nothing.
    for (const label of ['NPS', 'Contacted within target', 'Resolved within target']) await page.getByLabel(label, { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Save contract' }).click();
    await page.getByRole('alert').filter({ hasText: 'at least one composite weight must be above zero' }).waitFor();
    expect((await api('GET', `/api/v1/vendors/${unitIds.FastFix}/scorecard`)).composite.weights).toEqual({ nps: 3, contactedWithinTarget: 1, resolvedWithinTarget: 0.5 });
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('the FastFix vendor at 360 px reads its composite with components and weights, never QuickServe', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signIn(context, 'vendor@fastfix.test');
    await page.getByRole('heading', { name: 'Scorecard: FastFix' }).waitFor();
    await settled(page);
    expect(await page.locator('#nav a').allTextContents()).not.toContain('Reports');
    // Golden: NPS (2 − 1) / 3 · 100 = 33.3; only the NPS component has data: (33.3 + 100) / 2 = 66.7.
    expect((await page.getByTestId('composite').textContent())?.trim()).toBe('66.7');
    expect(await page.locator('.card', { hasText: 'NPS (6 months)' }).textContent()).toContain('33.3');
    const components = await page
      .locator('table', { hasText: 'Composite components' })
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent?.trim())));
    expect(components).toEqual([
      ['NPS, as (NPS + 100) / 2', '66.7', '3'],
      ['Cases contacted within target', '—', '1'],
      ['Cases resolved within target', '—', '0.5'],
    ]);
    expect(await page.content()).not.toContain('QuickServe');
    await expectFits(page);
    await check(page, 'vendor-scorecard');
    // QuickServe's scorecard is not there for FastFix.
    const other = await page.request.get(`${base}/api/v1/vendors/${unitIds.QuickServe}/scorecard`);
    expect(other.status()).toBe(404);
    await page.getByRole('link', { name: /^Cases of FastFix/ }).click();
    await page.getByRole('heading', { name: 'Cases' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
