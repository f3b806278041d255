import { and, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client';
import { contacts, events, invitations, responses, touchpoints } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { axeCheck, callApi, DESKTOP, expectFits, launchChromium, loginToken, PHONE, signInAt } from './browser-kit';
import { type StartedStack, startStack } from './started-stack';

/**
 * The Drivers and Measures pages in Debian's Chromium against `npm start`, as the EMEA manager:
 * 150 answers in EMEA's sites over the last 60 days, each invited by an event with
 * `resolutionHours` (the score falls as it grows) and `noise` (unrelated); SLA adherence per site
 * (Berlin 90, Paris 80, London 95); composite weights on EMEA. Every number the pages show is
 * compared with the API's own answer; the unit picker offers EMEA's subtree only. axe-core on
 * each page; screenshots portal-drivers-*.
 */

let stack: StartedStack;
let base: string;
let browser: Browser;
let adminToken: string;
const unitIds: Record<string, string> = {};
const check = axeCheck('portal-drivers');
const api = (method: string, path: string, body?: unknown) => callApi(base, adminToken, method, path, body);
const DAY = 86_400_000;

/** A seeded stream (Park–Miller). */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

beforeAll(async () => {
  stack = await startStack();
  base = stack.base;
  adminToken = await loginToken(base, 'admin@acme.test');
  for (const u of (await api('GET', '/api/v1/units')).items) unitIds[u.name] = u.id;
  await api('PATCH', '/api/v1/settings', { minResponses: 3 });
  for (const [key, source, direction] of [
    ['resolutionHours', 'event', 'lower_is_better'],
    ['noise', 'event', 'lower_is_better'],
    ['slaAdherence', 'unit', 'higher_is_better'],
  ] as const)
    await api('POST', '/api/v1/measures', { key, name: key === 'slaAdherence' ? 'SLA adherence' : key, unit: key === 'slaAdherence' ? '%' : 'h', direction, source });
  const day = new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10);
  await api('PUT', '/api/v1/measures/slaAdherence/values', {
    values: [
      { unitId: unitIds.Berlin, date: day, value: 90 },
      { unitId: unitIds.Paris, date: day, value: 80 },
      { unitId: unitIds.London, date: day, value: 95 },
    ],
  });
  await api('PUT', `/api/v1/composites/${unitIds.EMEA}`, { nps: 1, measures: [{ key: 'slaAdherence', weight: 1, worst: 80, target: 100 }] });

  const tenantId = (await api('GET', '/api/v1/me')).tenant.id as string;
  const db = openDb(stack.libsqlUrl);
  const [tp] = await db
    .select()
    .from(touchpoints)
    .where(and(eq(touchpoints.tenantId, tenantId), eq(touchpoints.key, 'support-resolution')));
  const next = lcg(77);
  const sites = ['Berlin', 'Paris', 'London'];
  const statements = [];
  for (let i = 0; i < 150; i++) {
    const at = Date.now() - (2 + Math.floor(next() * 58)) * DAY;
    const hours = 1 + Math.floor(next() * 72);
    const score = Math.min(10, Math.max(0, Math.round(10 - hours / 8 + (next() - 0.5) * 3)));
    const contactId = newId('con');
    const invitationId = newId('inv');
    const eventRowId = newId('evt');
    const eventId = `portal-${i}-${Math.random().toString(36).slice(2, 8)}`;
    const unitId = unitIds[sites[i % 3]!]!;
    statements.push(
      db.insert(contacts).values({ id: contactId, tenantId, externalId: `portal-${eventId}`, createdAt: at, updatedAt: at }),
      db.insert(invitations).values({
        id: invitationId,
        tenantId,
        contactId,
        unitId,
        touchpointId: tp!.id,
        surveyId: tp!.surveyId,
        surveyVersion: 1,
        channel: 'email',
        status: 'sent',
        source: `event:${eventId}`,
        dueAt: at,
        expiresAt: at + 30 * DAY,
        createdAt: at,
        updatedAt: at,
      }),
      db.insert(events).values({
        id: eventRowId,
        tenantId,
        eventId,
        type: 'ticket.resolved',
        occurredAt: at,
        contactId,
        unitId,
        touchpointId: tp!.id,
        attributes: { resolutionHours: hours, noise: Math.floor(next() * 100) },
        decision: 'invite',
        reason: 'eligible',
        invitationId,
        createdAt: at,
      }),
      db.insert(responses).values({
        id: newId('rsp'),
        tenantId,
        invitationId,
        touchpointId: tp!.id,
        unitId,
        contactId,
        surveyId: tp!.surveyId,
        surveyVersion: 1,
        channel: 'email',
        locale: 'en',
        score,
        counted: true,
        eventId: eventRowId,
        createdAt: at,
        updatedAt: at,
      }),
    );
  }
  for (let i = 0; i < statements.length; i += 200) await db.batch(statements.slice(i, i + 200) as never);
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
  return res.json();
}

const rowsOf = (page: Page, caption: string) =>
  page
    .locator('table', { hasText: caption })
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent?.trim() ?? '')));

describe('drivers and measures in the portal', () => {
  it('the EMEA manager reads the key drivers of EMEA: bars with intervals, noise marked not significant', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signInAt(base, context, 'manager.emea@acme.test');
    await page.getByRole('link', { name: 'Drivers' }).click();
    await page.getByRole('heading', { name: 'Key drivers' }).waitFor();
    await page.locator('table', { hasText: 'Relative weights' }).waitFor();
    // Only EMEA's subtree is offered.
    const offered = (await page.getByLabel('Unit (with everything below it)').locator('option').allTextContents()).map((t) => t.replace(/^(· )+/, ''));
    expect(offered.sort()).toEqual(['Berlin', 'EMEA', 'London', 'Paris']);
    const from = await page.getByLabel('From', { exact: true }).inputValue();
    const to = await page.getByLabel('To', { exact: true }).inputValue();
    const res = await asPage(page, `/api/v1/drivers?unitId=${unitIds.EMEA}&from=${from}&to=${to}`);
    expect(res).toMatchObject({ n: 150, suppressed: false });
    const rows = await rowsOf(page, 'Relative weights');
    expect(rows.map((r) => r[0])).toEqual(res.items.map((i: any) => i.driver));
    for (const [i, item] of res.items.entries()) {
      expect(rows[i]![2]).toContain(item.weight.toFixed(3));
      expect(rows[i]![2]).toContain(`[${item.ci.low.toFixed(3)}, ${item.ci.high.toFixed(3)}]`);
      expect(rows[i]![5]).toBe(item.significant ? 'yes' : 'no: not distinguishable from noise');
    }
    // Planted: hours to resolve drive the score; the noise attribute does not.
    expect(res.items.find((i: any) => i.driver === 'resolutionHours').significant).toBe(true);
    expect(res.items.find((i: any) => i.driver === 'noise').significant).toBe(false);
    expect(await page.locator('.wbar .fill.ns').count()).toBe(1);
    await check(page, 'drivers');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('at 360 px: the Measures page shows the lag profile, the quadrant of the sites and the composite beside NPS', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signInAt(base, context, 'manager.emea@acme.test');
    await page.goto(`${base}/#/measures?measure=slaAdherence&unit=${unitIds.EMEA}`);
    await page.getByRole('heading', { name: 'Efficiency quadrant' }).waitFor();
    const from = await page.getByLabel('From', { exact: true }).inputValue();
    const to = await page.getByLabel('To', { exact: true }).inputValue();
    const q = `unitId=${unitIds.EMEA}&from=${from}&to=${to}`;
    const [corr, quadrant, composite] = await Promise.all([
      asPage(page, `/api/v1/measures/slaAdherence/correlation?${q}&period=month`),
      asPage(page, `/api/v1/measures/slaAdherence/quadrant?${q}`),
      asPage(page, `/api/v1/composites/${unitIds.EMEA}?from=${from}&to=${to}`),
    ]);
    // The quadrant: the three sites with the loaded values and the API's NPS.
    const rows = await rowsOf(page, 'Units by NPS and the measure');
    expect(Object.fromEntries(rows.map((r) => [r[0], r[3]]))).toEqual({ Berlin: '90', London: '95', Paris: '80' });
    for (const item of quadrant.items) {
      const row = rows.find((r) => r[0] === item.name)!;
      expect(row[1]).toContain((Math.round(item.nps * 10) / 10).toFixed(1));
      expect(row[2]).toBe(String(item.n));
    }
    expect(quadrant.items.map((i: any) => i.quadrant).filter(Boolean)).toHaveLength(3);
    // The lag profile: seven lags; one value per site, so no relation is named.
    expect(await rowsOf(page, 'by lag')).toHaveLength(7);
    expect(corr.relation).toBeNull();
    expect(await page.getByTestId('relation').textContent()).toContain('No lead or lag stands out');
    // The composite beside NPS, as the API computes it.
    expect(await page.getByTestId('composite').textContent()).toBe(
      `Composite ${(Math.round(composite.value * 10) / 10).toFixed(1)} of 100, beside NPS ${(Math.round(composite.nps.nps * 10) / 10).toFixed(1)}.`,
    );
    await expectFits(page);
    await check(page, 'measures');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
