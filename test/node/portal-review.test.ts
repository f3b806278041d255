import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/local-stack';
import { openDb } from '../../src/db/client';
import { targets } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { axeViolations, callApi, DESKTOP, launchChromium, loginToken, shot, signInAt } from './browser-kit';
import { type StartedStack, startStack } from './started-stack';

/**
 * The printable quarterly review pack (docs/governance.md "The printable pack") in Debian's
 * Chromium against `npm start` with the demo history, as the EMEA manager: EMEA's 2026-Q3 (a
 * closed quarter) with key drivers (the demo's events carry `resolutionHours`, declared here as a
 * measure), themes of its comments, targets of Berlin and Paris, representativeness, data quality
 * and exceptions. The page: every chart present, its numbers as the API gives them, axe-core on
 * screen and in print. Its PDF, printed by Chromium (CDP Page.printToPDF, as "Save as PDF" does):
 * every page A4, every section and every chart's caption in it, no text beyond a page's edge;
 * each page drawn by PDF.js in the same Chromium and kept as an image in
 * test-results/pdf/review-pack-page-N.png.
 */

const PERIOD = '2026-Q3';
const PDF_DIR = join(ROOT, 'test-results/pdf');
/** A4 in PostScript points, as a PDF measures its pages. */
const A4 = { width: 595.28, height: 841.89 };
/** The charts the pack draws when every section has data (web/pages/review.js). */
const CHARTS = ['trend-chart', 'dist-chart', 'drivers-chart', 'themes-chart', 'targets-chart', 'representativeness-chart', 'quality-chart'];
const SECTIONS = ['Trend by month', 'Distribution of scores', 'Key drivers', 'Themes', 'Targets and attainment', 'Representativeness', 'Data quality and fatigue', 'Exceptions'];

let stack: StartedStack;
let base: string;
let browser: Browser;
let adminToken: string;
let managerToken: string;
const unitIds: Record<string, string> = {};
const admin = (method: string, path: string, body?: unknown) => callApi(base, adminToken, method, path, body);

beforeAll(async () => {
  stack = await startStack({ DEMO_HISTORY: '1' });
  base = stack.base;
  adminToken = await loginToken(base, 'admin@acme.test');
  managerToken = await loginToken(base, 'manager.emea@acme.test');
  for (const u of (await admin('GET', '/api/v1/units')).items) unitIds[u.name] = u.id;
  // The demo's events carry the hours to resolution: declared as a measure, it becomes a driver.
  await admin('POST', '/api/v1/measures', { key: 'resolutionHours', name: 'Hours to resolution', unit: 'h', direction: 'lower_is_better', source: 'event' });
  // Targets of the quarter as they stood before it closed (the API refuses to set a closed period's).
  const tenantId = (await admin('GET', '/api/v1/me')).tenant.id as string;
  const db = openDb(stack.libsqlUrl);
  await db.insert(targets).values([
    { id: newId('tgt'), tenantId, unitId: unitIds.Berlin!, period: PERIOD, basis: 'nps', threshold: 10, target: 30, stretch: 50, closesAt: Date.parse('2026-10-08T00:00:00Z') },
    { id: newId('tgt'), tenantId, unitId: unitIds.Paris!, period: PERIOD, basis: 'nps', threshold: 10, target: 30, stretch: 50, closesAt: Date.parse('2026-10-08T00:00:00Z') },
  ]);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

async function openPack(page: Page) {
  await page.goto(`${base}/#/review?unit=${unitIds.EMEA}&period=${PERIOD}`);
  await page.locator('.review[data-ready="true"]').waitFor({ timeout: 120_000 });
}

/** Elements whose right edge passes the right edge of `main` (cut on paper), and the document's sideways overflow. */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const edge = document.querySelector('main')!.getBoundingClientRect().right + 0.5;
    const out = Array.from(document.querySelectorAll('main figure, main table, main canvas, main section, main .cards, main p'))
      .filter((el) => el.getBoundingClientRect().right > edge)
      .map((el) => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)} > ${Math.round(edge)}`);
    return { out, scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth };
  });

describe('the printable review pack', () => {
  let page: Page;
  let pack: any;

  beforeAll(async () => {
    const context = await browser.newContext(DESKTOP);
    ({ page } = await signInAt(base, context, 'manager.emea@acme.test'));
    await openPack(page);
    pack = await callApi(base, managerToken, 'GET', `/api/v1/reviews/${PERIOD}?unitId=${unitIds.EMEA}`);
  }, 180_000);

  it('shows every chart beside its numbers, as the API gives them', async () => {
    expect(pack).toMatchObject({ unitId: unitIds.EMEA, period: PERIOD, status: 'closed' });
    // Every section of the demo's EMEA has data, so every chart is drawn.
    expect(pack.pack.drivers.suppressed).toBe(false);
    expect(pack.pack.themes.length).toBeGreaterThan(0);
    expect(pack.pack.targets.map((t: { unitName: string }) => t.unitName).sort()).toEqual(['Berlin', 'Paris']);
    for (const id of CHARTS) {
      const chart = page.getByTestId(id);
      await expect.poll(() => chart.count(), { message: id }).toBe(1);
      const box = await chart.boundingBox();
      expect(box!.width, id).toBeGreaterThan(100);
      expect(box!.height, id).toBeGreaterThan(40);
    }
    expect(await page.getByTestId('trend-chart').locator('canvas').count()).toBeGreaterThan(0);
    const nps = pack.pack.score.nps as number;
    await expect.poll(() => page.getByTestId('review-nps').textContent()).toBe((Math.round(nps * 10) / 10).toFixed(1));
    // The trend table holds the API's months, one row each.
    const months = pack.pack.trend.items.filter((i: { period?: string }) => i.period).length;
    expect(await page.getByRole('region', { name: 'NPS by month with its 95% interval' }).locator('tbody tr').count()).toBe(months);
    for (const s of SECTIONS) await page.getByRole('heading', { name: s, exact: true }).waitFor();
    expect(await axeViolations(page), 'axe on screen').toEqual([]);
    await shot(page, 'portal-review-screen');
  });

  it('prints on A4 with nothing cut and axe-core clean', async () => {
    await page.emulateMedia({ media: 'print' });
    // The printable width of A4 with the page's 12 mm margins, at 96 px per inch: 186 mm ≈ 703 px.
    await page.setViewportSize({ width: 703, height: 1000 });
    const o = await overflow(page);
    expect(o.out).toEqual([]);
    expect(o.scroll).toBeLessThanOrEqual(o.client);
    // The navigation and the form are not printed.
    expect(await page.locator('header.top').isVisible()).toBe(false);
    expect(await page.locator('form.no-print').isVisible()).toBe(false);
    expect(await axeViolations(page), 'axe in print').toEqual([]);
    await shot(page, 'portal-review-print');
    await page.emulateMedia({ media: 'screen' });
    await page.setViewportSize(DESKTOP.viewport!);
  });

  it('renders a PDF in Chromium: every page A4, every section and chart in it, nothing past an edge; its pages kept as images', async () => {
    // As "Save as PDF" prints the page on the screen: a print pass with the print style sheet, A4 from its @page rule.
    await page.emulateMedia({ media: null });
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    mkdirSync(PDF_DIR, { recursive: true });
    writeFileSync(join(PDF_DIR, 'review-pack.pdf'), pdf);

    // PDF.js in the same Chromium reads the file back: its pages, text with positions, images, and a drawing of each page.
    const reader = await browser.newContext();
    const dist = join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'build');
    await reader.route('http://pdfjs.test/**', (route) => {
      const name = new URL(route.request().url()).pathname.slice(1);
      if (name === '') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>pdf</title>' });
      return route.fulfill({ path: join(dist, name), contentType: 'text/javascript' });
    });
    const viewer = await reader.newPage();
    await viewer.goto('http://pdfjs.test/');
    await viewer.addScriptTag({ type: 'module', content: "import * as pdfjs from 'http://pdfjs.test/pdf.min.mjs'; window.pdfjs = pdfjs;" });
    await viewer.waitForFunction(() => 'pdfjs' in window);
    const pages = (await viewer.evaluate(async (b64) => {
      const pdfjs = (window as any).pdfjs;
      pdfjs.GlobalWorkerOptions.workerSrc = 'http://pdfjs.test/pdf.worker.min.mjs';
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const doc = await pdfjs.getDocument({ data: bytes }).promise;
      const out = [];
      for (let n = 1; n <= doc.numPages; n++) {
        const p = await doc.getPage(n);
        const vp = p.getViewport({ scale: 1 });
        const text = await p.getTextContent();
        const items = text.items.filter((i: { str?: string }) => i.str?.trim());
        const ops = await p.getOperatorList();
        const images = ops.fnArray.filter((f: number) => f === pdfjs.OPS.paintImageXObject || f === pdfjs.OPS.paintInlineImageXObject).length;
        const scaled = p.getViewport({ scale: 2 });
        const canvas = document.createElement('canvas');
        canvas.width = scaled.width;
        canvas.height = scaled.height;
        await p.render({ canvas, canvasContext: canvas.getContext('2d'), viewport: scaled }).promise;
        out.push({
          width: vp.width,
          height: vp.height,
          text: items.map((i: { str: string }) => i.str).join(' '),
          outside: items
            .filter((i: { transform: number[]; width: number }) => {
              const [x, y] = [i.transform[4] ?? 0, i.transform[5] ?? 0];
              return x < -0.5 || x + i.width > vp.width + 0.5 || y < -0.5 || y > vp.height + 0.5;
            })
            .map((i: { str: string }) => i.str),
          images,
          png: canvas.toDataURL('image/png').split(',')[1],
        });
      }
      return out;
    }, Buffer.from(pdf).toString('base64'))) as { width: number; height: number; text: string; outside: string[]; images: number; png: string }[];
    await reader.close();

    expect(pages.length).toBeGreaterThan(1);
    pages.forEach((p, k) => {
      writeFileSync(join(PDF_DIR, `review-pack-page-${k + 1}.png`), Buffer.from(p.png, 'base64'));
      expect(p.width, `page ${k + 1}`).toBeCloseTo(A4.width, 0);
      expect(p.height, `page ${k + 1}`).toBeCloseTo(A4.height, 0);
      expect(p.outside, `text past the edge of page ${k + 1}`).toEqual([]);
    });
    const flat = (s: string) => s.replace(/\s+/g, '');
    const all = flat(pages.map((p) => p.text).join(' '));
    for (const s of SECTIONS) expect(all, s).toContain(flat(s));
    // The portal's navigation and the form are not printed.
    expect(all).not.toContain('Signout');
    expect(all).not.toContain(flat('Print or save as PDF'));
    // Every chart's caption is printed (the captions are the charts' own, in web/pages/review.js and web/charts.js).
    const captions = await page.evaluate(() => Array.from(document.querySelectorAll('figure.chart figcaption')).map((c) => c.textContent ?? ''));
    expect(captions).toHaveLength(CHARTS.length);
    for (const c of captions) expect(all, c).toContain(flat(c));
    // The trend is a uPlot canvas: printed as an image.
    expect(pages.reduce((a, p) => a + p.images, 0)).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('a closed pack stays as saved after a later exclusion, with the correction beside it', async () => {
    const before = await callApi(base, managerToken, 'GET', `/api/v1/reviews/${PERIOD}?unitId=${unitIds.EMEA}`);
    const list = await admin('GET', `/api/v1/responses?unitId=${unitIds.Berlin}&from=2026-08-01&to=2026-08-31&excluded=false&limit=1`);
    const id = list.items[0].id as string;
    await admin('POST', `/api/v1/responses/${id}/exclude`, { reason: 'a duplicate found after the close' });
    await page.reload();
    await openPack(page);
    const after = await callApi(base, managerToken, 'GET', `/api/v1/reviews/${PERIOD}?unitId=${unitIds.EMEA}`);
    expect(after.pack).toEqual(before.pack);
    expect(after.corrections).toMatchObject([{ change: 'excluded', responseId: id, inPack: false }]);
    expect(after.current.n).toBe(before.pack.score.n - 1);
    await page.getByRole('region', { name: 'Corrections since the close' }).waitFor();
    await expect.poll(() => page.getByTestId('review-nps').textContent()).toBe((Math.round(before.pack.score.nps * 10) / 10).toFixed(1));
    await page.getByTestId('review-current').waitFor();
    expect(await axeViolations(page), 'axe with corrections').toEqual([]);
    await shot(page, 'portal-review-corrections');
  }, 120_000);
});

describe('the governance page', () => {
  it("shows EMEA's representativeness, data quality and exceptions of a quarter as the API gives them, filtered by kind", async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signInAt(base, context, 'manager.emea@acme.test');
    await page.goto(`${base}/#/governance?unit=${unitIds.EMEA}&period=${PERIOD}`);
    await page.locator('.review[data-ready="true"]').waitFor({ timeout: 60_000 });
    const q = `unitId=${unitIds.EMEA}&period=${PERIOD}`;
    const rep = await callApi(base, managerToken, 'GET', `/api/v1/governance/representativeness?${q}`);
    const quality = await callApi(base, managerToken, 'GET', `/api/v1/governance/quality?${q}&periods=4`);
    const exceptions = await callApi(base, managerToken, 'GET', `/api/v1/governance/exceptions?unitId=${unitIds.EMEA}&from=2026-07-01&to=2026-09-30&limit=200`);
    const rows = (name: string) => page.getByRole('region', { name }).locator('tbody tr').count();
    expect(await rows('Response rate by group')).toBe(rep.groups.filter((g: { invited: number }) => g.invited > 0).length);
    expect(await rows('Rates per period')).toBe(quality.metrics.filter((m: { series: { count: number }[] }) => m.series.some((s) => s.count > 0)).length);
    // The demo's EMEA has an alert on Paris in the quarter, at least.
    expect(exceptions.items.length).toBeGreaterThan(0);
    expect(await rows('Exceptions recorded in the period, newest first')).toBe(exceptions.items.length);
    for (const id of ['representativeness-chart', 'quality-chart']) expect(await page.getByTestId(id).count(), id).toBe(1);
    expect(await axeViolations(page), 'axe').toEqual([]);
    await shot(page, 'portal-review-governance');

    // Only the drops, by the form.
    await page.locator('#gov-kind').selectOption('drop');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/kind=drop/);
    await page.locator('.review[data-ready="true"]').waitFor();
    const drops = exceptions.items.filter((i: { kind: string }) => i.kind === 'drop').length;
    await expect.poll(() => (drops ? rows('Exceptions recorded in the period, newest first') : page.getByText('No exception was recorded in the period.').count())).toBe(drops || 1);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});

describe("the governance page's sampling suggestion", () => {
  it("an admin applies the suggestion to the touchpoint's rules, with a confirmation; the rule changes and the change is audited", async () => {
    const [touchpoint] = (await admin('GET', '/api/v1/touchpoints')).items as { id: string; name: string; rules: { sampling?: Record<string, number> } }[];
    const root = (await admin('GET', '/api/v1/units')).items.find((u: { parentId: string | null }) => !u.parentId).id as string;
    const q = `unitId=${root}&period=${PERIOD}&touchpointId=${touchpoint!.id}`;
    const rep = await admin('GET', `/api/v1/governance/representativeness?${q}`);
    // The demo's contacts are in three segments (smb twice as likely): the review has a suggestion to make.
    expect(rep.suggestion, JSON.stringify(rep)).not.toBeNull();
    const before = touchpoint!.rules.sampling ?? null;
    expect(before).not.toEqual(rep.suggestion.sampling);

    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signInAt(base, context, 'admin@acme.test');
    await page.goto(`${base}/#/governance?unit=${root}&period=${PERIOD}&touchpoint=${touchpoint!.id}`);
    await page.locator('.review[data-ready="true"]').waitFor({ timeout: 60_000 });
    const region = page.getByTestId('sampling-suggestion');
    // One row per segment, the suggested rates as the API gives them.
    const rows = region.getByRole('region', { name: 'Sampling rate per segment, today and suggested' }).locator('tbody tr');
    expect(await rows.count()).toBe(rep.suggestion.segments.length);
    for (const [k, s] of (rep.suggestion.segments as { segment: string; suggestedRate: number }[]).entries()) {
      expect(await rows.nth(k).locator('th').textContent()).toBe(s.segment);
      expect(await rows.nth(k).locator('td').nth(1).textContent()).toBe(`${(s.suggestedRate * 100).toFixed(1)}%`);
    }
    await page.getByLabel('Reason (for the audit log)').fill('Q3 review: smb answers less');
    await page.getByRole('button', { name: "Apply to the touchpoint's rules" }).click();
    // A confirmation first: cancelling changes nothing.
    await region.getByRole('button', { name: 'Cancel' }).click();
    expect((await admin('GET', `/api/v1/touchpoints/${touchpoint!.id}`)).rules.sampling ?? null).toEqual(before);
    await page.getByRole('button', { name: "Apply to the touchpoint's rules" }).click();
    expect(await region.getByText(`Replace the sampling rule of ${touchpoint!.name}?`).isVisible()).toBe(true);
    expect(await axeViolations(page), 'axe').toEqual([]);
    await region.getByRole('button', { name: 'Yes, apply' }).click();
    await page.getByTestId('sampling-applied').waitFor();
    await shot(page, 'portal-review-sampling-applied');

    // The touchpoint's rule is the suggestion now, and the audit log has the change with its reason.
    expect((await admin('GET', `/api/v1/touchpoints/${touchpoint!.id}`)).rules.sampling).toEqual(rep.suggestion.sampling);
    const audit = await admin('GET', `/api/v1/audit-log?targetType=touchpoint&targetId=${touchpoint!.id}&limit=20`);
    expect(audit.items.find((a: { action: string }) => a.action === 'touchpoint.sampling')?.details).toMatchObject({ reason: 'Q3 review: smb answers less', sampling: rep.suggestion.sampling });
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
