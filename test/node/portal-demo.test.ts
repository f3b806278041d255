import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client/web';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_ANSWERS, PARIS_CHANGE_DAYS_AGO } from '../../scripts/demo-history';
import { DEMO_PASSWORD } from '../../scripts/demo-tenant';
import { axeCheck, callApi, DESKTOP, expectFits, launchChromium, loginToken, PHONE, SHOTS, signInAt, waitFor, settled } from './browser-kit';
import { startStack, type StartedStack } from './started-stack';

/*
 * The demo tenant with its living history (issue 18, docs/demo.md), as `npm start` seeds it: the
 * history's shape checked against the database and the API, then every role's home at 1280 and
 * 360 px in Chromium over it (charts drawn, axe-core, no sideways scrolling, no console errors,
 * first load timed); screenshots `test-results/screenshots/portal-demo-*`.
 */

let stack: StartedStack;
let browser: Browser;
let db: Client;
const check = axeCheck('portal-demo');
const DAY = 86_400_000;
const dayAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);

beforeAll(async () => {
  stack = await startStack({ DEMO_HISTORY: '1' });
  db = createClient({ url: stack.libsqlUrl, intMode: 'number' });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  db?.close();
  await stack?.stop();
});

const one = async <T>(sql: string, args: (string | number)[] = []) => (await db.execute({ sql, args })).rows[0] as unknown as T;

describe('the demo history', () => {
  it('is seeded once by npm start, with its answers (how long it took is printed and documented, not asserted)', () => {
    const line = /demo tenant seeded \(region eu\): (\d+) answers over twelve months, (\d+) invitations, (\d+) cases, in ([\d.]+) s/.exec(stack.output());
    expect(line, stack.output()).not.toBeNull();
    expect(Number(line![1])).toBe(HISTORY_ANSWERS);
  });

  it('holds twelve months of answers, all folded into the rollups by the fold', async () => {
    const raw = await one<{ n: number; first: number; last: number; counted: number }>(
      "select count(*) as n, min(created_at) as first, max(created_at) as last, sum(counted and score is not null) as counted from responses where tenant_id = (select tenant_id from login_emails where email = 'admin@acme.test')",
    );
    expect(raw.n).toBe(HISTORY_ANSWERS);
    expect((Date.now() - raw.first) / DAY).toBeGreaterThan(360);
    expect((Date.now() - raw.last) / DAY).toBeLessThan(2);
    // The rollups sum to the counted, scored answers (recounted here from the raw rows).
    const folded = await one<{ n: number }>('select sum(promoters + passives + detractors) as n from rollups');
    expect(folded.n).toBe(raw.counted);
    // The watermark reached the last answer: nothing left for the cron.
    const left = await one<{ n: number }>('select count(*) as n from responses r where r.rowid > (select response_seq from rollup_watermarks w where w.tenant_id = r.tenant_id)');
    expect(left.n).toBe(0);
  });

  it('has the stories to find: Paris declines after its change, QuickServe is worse than FastFix, slow resolutions make detractors', async () => {
    const token = await loginToken(stack.base, 'admin@acme.test');
    const api = (path: string) => callApi(stack.base, token, 'GET', path);
    const units = (await api('/api/v1/units')).items as { id: string; name: string }[];
    const id = (name: string) => units.find((u) => u.name === name)!.id;
    const before = (await api(`/api/v1/scores?unitId=${id('Paris')}&from=${dayAgo(PARIS_CHANGE_DAYS_AGO + 90)}&to=${dayAgo(PARIS_CHANGE_DAYS_AGO + 1)}`)).items[0];
    const after = (await api(`/api/v1/scores?unitId=${id('Paris')}&from=${dayAgo(PARIS_CHANGE_DAYS_AGO - 1)}&to=${dayAgo(0)}`)).items[0];
    expect(after.ci.high).toBeLessThan(before.ci.low); // a drop the intervals do not overlap
    const year = `from=${dayAgo(364)}&to=${dayAgo(0)}`;
    const fast = (await api(`/api/v1/scores?unitId=${id('FastFix')}&${year}`)).items[0];
    const quick = (await api(`/api/v1/scores?unitId=${id('QuickServe')}&${year}`)).items[0];
    expect(quick.ci.high).toBeLessThan(fast.ci.low);
    // Detractor shares by the event's resolution time, counted from the raw rows.
    const share = async (cond: string) =>
      one<{ d: number; n: number }>(
        `select sum(r.score <= 6) as d, count(*) as n from responses r join events e on e.invitation_id = r.invitation_id and e.tenant_id = r.tenant_id where r.score is not null and r.counted = 1 and ${cond}`,
      );
    const quickFix = await share("cast(json_extract(e.attributes, '$.resolutionHours') as integer) < 24");
    const slow = await share("cast(json_extract(e.attributes, '$.resolutionHours') as integer) > 72");
    expect(slow.n).toBeGreaterThan(500);
    expect(slow.d / slow.n).toBeGreaterThan(quickFix.d / quickFix.n + 0.05);
  });

  it('program health: the invitation funnel of the API, recounted from the raw rows', async () => {
    const token = await loginToken(stack.base, 'manager.emea@acme.test');
    const units = (await callApi(stack.base, token, 'GET', '/api/v1/units')).items as { id: string; name: string; path: string }[];
    const emea = units.find((u) => u.name === 'EMEA')!;
    const [from, to] = [dayAgo(60), dayAgo(0)];
    const funnel = await callApi(stack.base, token, 'GET', `/api/v1/program/funnel?unitId=${emea.id}&from=${from}&to=${to}`);
    // The recount: EMEA's sites by name, every invitation due on those UTC days but cancelled ones.
    const recount = async (extra: string) =>
      (
        await one<{ n: number }>(
          `select count(*) as n from invitations i join units u on u.id = i.unit_id where u.name in ('Berlin', 'Paris', 'London') and i.status <> 'cancelled' and i.due_at >= ? and i.due_at < ? ${extra}`,
          [Date.parse(`${from}T00:00:00Z`), Date.parse(`${to}T00:00:00Z`) + DAY],
        )
      ).n;
    const invited = await recount('');
    const delivered = await recount('and i.sent_at is not null');
    const answered = await recount("and i.status = 'answered'");
    expect(invited).toBeGreaterThan(1000);
    expect(funnel.total).toEqual({ invited, delivered, answered, failed: await recount("and i.status in ('failed', 'dead')"), responseRate: answered / delivered });
    // About a third of the delivered invitations were answered, as seeded.
    expect(funnel.total.responseRate).toBeGreaterThan(0.25);
    expect(funnel.total.responseRate).toBeLessThan(0.45);
    expect(funnel.byTouchpoint.reduce((s: number, r: { invited: number }) => s + r.invited, 0)).toBe(invited);
    expect(funnel.byChannel.reduce((s: number, r: { answered: number }) => s + r.answered, 0)).toBe(answered);
  });

  it('has comments in English, German, French and Spanish with recurring themes, cases in every state, some late, and the rest of a program', async () => {
    const locales = (await db.execute('select locale, count(*) as n from responses where comment is not null group by locale')).rows.map((r) => r.locale);
    for (const l of ['en', 'de', 'fr', 'es']) expect(locales).toContain(l);
    const themed = await one<{ n: number; total: number }>("select sum(themes <> '[]') as n, count(*) as total from comment_analyses");
    expect(themed.n / themed.total).toBeGreaterThan(0.8);
    const states = (await db.execute('select status, count(*) as n from cases group by status')).rows.map((r) => r.status);
    expect(states.sort()).toEqual(['closed', 'contacted', 'open', 'resolved']);
    const late = await one<{ n: number }>("select count(*) as n from cases where status in ('open', 'contacted') and resolution_due_at < ?", [Date.now()]);
    expect(late.n).toBeGreaterThan(0);
    for (const table of ['action_plans', 'alerts', 'reply_templates', 'saved_reports', 'annotations'])
      expect((await one<{ n: number }>(`select count(*) as n from ${table}`)).n, table).toBeGreaterThan(0);
    const open = await one<{ n: number }>("select count(*) as n from alerts where status = 'open'");
    expect(open.n).toBe(1);
    // People have names; the survey speaks every locale its answers came in.
    const unnamed = await one<{ n: number }>("select count(*) as n from users where name = '' or name = 'Administrator' or name like '%.%'");
    expect(unnamed.n).toBe(0);
    const survey = await one<{ definition: string }>('select definition from survey_versions order by version desc limit 1');
    const translated = Object.keys(JSON.parse(survey.definition).translations);
    const used = (await db.execute('select distinct locale from responses')).rows.map((r) => String(r.locale));
    for (const l of used) expect(translated).toContain(l);
  });
});

/** Console errors of a page (a failed request the page handles is not one of them). */
function consoleErrors(page: Page) {
  const out: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') out.push(m.text());
  });
  return out;
}

/** Each role's home; `chart`: the trend drawn there (the agent's home, the cases, has none). */
const HOMES = [
  { email: 'admin@acme.test', heading: 'Dashboard: Acme Field Services', chart: 'trend-chart' },
  { email: 'analyst@acme.test', heading: 'Dashboard: Acme Field Services', chart: 'trend-chart' },
  { email: 'manager.emea@acme.test', heading: 'Dashboard: EMEA', chart: 'trend-chart' },
  { email: 'manager.paris@acme.test', heading: 'Dashboard: Paris', chart: 'trend-chart' },
  { email: 'vendor@fastfix.test', heading: 'Scorecard: FastFix', chart: 'trend-chart' },
  { email: 'vendor@quickserve.test', heading: 'Scorecard: QuickServe', chart: 'trend-chart' },
  { email: 'agent@acme.test', heading: 'Cases', chart: null },
];

describe('every role over the demo history', () => {
  for (const [size, viewport] of [
    ['1280', DESKTOP],
    ['360', PHONE],
  ] as const) {
    it(`each home at ${size} px: charts drawn with their tables, axe-core clean, no sideways scrolling, no console errors, load timed`, async () => {
      const timings: Record<string, number> = {};
      for (const home of HOMES) {
        const context = await browser.newContext(viewport);
        const { page, errors } = await signInAt(stack.base, context, home.email);
        const logged = consoleErrors(page);
        // Drawn when its trend is (or, without one, its first table).
        const ready = () => (home.chart ? page.getByTestId(home.chart).locator('canvas').first() : page.getByRole('table').first());
        await page.getByRole('heading', { name: home.heading, exact: true }).waitFor();
        await ready().waitFor();
        // The load of the home when signed in: a fresh navigation to it (the page, its modules and
        // every API call), timed until its trend is drawn; the median of three.
        const runs: number[] = [];
        for (let k = 0; k < 3; k++) {
          const started = Date.now();
          await page.reload();
          await ready().waitFor();
          await page.getByRole('table').first().waitFor();
          runs.push(Date.now() - started);
        }
        timings[home.email] = runs.sort((a, b) => a - b)[1]!;
        // The chart's numbers are in a table beside it; the drawing is hidden from screen readers.
        if (home.chart) {
          expect(await page.getByTestId(home.chart).getAttribute('aria-hidden')).toBeNull();
          expect(await page.getByTestId(home.chart).locator('.trend-chart').getAttribute('aria-hidden')).toBe('true');
        }
        await expectFits(page);
        await check(page, `${home.email.split('@')[0]}-${size}`);
        expect(errors).toEqual([]);
        expect(logged).toEqual([]);
        await context.close();
      }
      console.log(`load of each home at ${size} px, median of 3 (ms): ${JSON.stringify(timings)}`);
      mkdirSync(join(SHOTS, '..'), { recursive: true });
      writeFileSync(join(SHOTS, '..', `portal-demo-home-load-${size}.json`), JSON.stringify(timings, null, 2));
      // The goal is under 1 s; speed is a benchmark's to measure, not a test's to assert (docs/demo.md has the figures).
    }, 180_000);
  }

  it('the dashboard draws the 0–10 distribution by category, the mix per month and a sparkline per unit, each with its numbers in a table', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page } = await signInAt(stack.base, context, 'manager.emea@acme.test');
    await page.getByRole('heading', { name: 'Dashboard: EMEA' }).waitFor();
    await settled(page);
    const dist = page.getByTestId('dist-chart');
    await dist.waitFor();
    // Eleven columns; 0–6 red, 7–8 amber, 9–10 green, their heights in the order of the table's counts.
    const cols = await dist.locator('.seg').evaluateAll((els) => els.map((e) => ({ c: e.className, h: Number.parseFloat((e as HTMLElement).style.height) })));
    expect(cols.map((c) => c.c.replace('seg ', ''))).toEqual([...Array(7).fill('detractor'), 'passive', 'passive', 'promoter', 'promoter']);
    const counts = (await page.locator('table', { hasText: 'Answers per score' }).locator('tbody td').allTextContents()).map(Number);
    const max = Math.max(...counts);
    for (const [score, c] of cols.entries()) expect(c.h).toBeCloseTo((100 * counts[score]!) / max, 1);
    // The mix: one column per month with answers, its shares from the table's counts.
    const rows = await page
      .locator('table', { hasText: 'NPS per month' })
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent?.trim() ?? '')));
    const mix = await page
      .getByTestId('mix-chart')
      .locator('.mix-col')
      .evaluateAll((els) => els.map((e) => Array.from(e.querySelectorAll('.seg')).map((s) => Number.parseFloat((s as HTMLElement).style.height))));
    expect(mix.length).toBe(rows.length);
    rows.forEach((r, k) => {
      const [p, a, d] = r[4]!.split(' · ').map(Number) as [number, number, number];
      expect(mix[k]![0]).toBeCloseTo((100 * p) / (p + a + d), 1);
      expect(mix[k]![2]).toBeCloseTo((100 * d) / (p + a + d), 1);
    });
    // A sparkline per site, and its numbers for screen readers.
    const units = page.locator('table', { hasText: 'Units under EMEA' });
    await units.locator('svg.spark').nth(2).waitFor();
    expect(await units.locator('svg.spark').count()).toBe(3);
    expect(await units.locator('tr', { hasText: 'Paris' }).locator('.sr-only').textContent()).toMatch(/^NPS by month: \d{4}-\d{2} -?\d/);
    // Program health below the scores: the funnel, the open alert of Paris, the top themes.
    const health = page.getByTestId('health');
    await health.getByRole('heading', { name: 'Program health' }).waitFor();
    expect(await health.locator('li', { hasText: 'Paris' }).count()).toBe(1);
    expect(await health.locator('table', { hasText: 'Top themes' }).locator('tbody tr').count()).toBe(5);
    // Weeks instead of months.
    await page.getByLabel('Trend by').selectOption('week');
    await page.locator('table', { hasText: 'NPS per week' }).waitFor();
    await check(page, 'emea-weeks');
    await context.close();
  }, 120_000);

  it('what a new user hit: no console error on sign-in, a favicon, headings over their columns, "1 key"', async () => {
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    const logged = consoleErrors(page);
    await page.goto(`${stack.base}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const icon = await page.locator('link[rel=icon]').getAttribute('href');
    expect((await fetch(`${stack.base}${icon}`)).status).toBe(200);
    await page.getByLabel('Email').fill('admin@acme.test');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Dashboard: Acme Field Services' }).waitFor();
    await settled(page);
    expect(logged).toEqual([]);
    // Every heading of the breakdown aligned as the cells of its column.
    const units = page.locator('table', { hasText: 'Units under Acme Field Services' });
    const align = await units.evaluate((t) => {
      const heads = Array.from(t.querySelectorAll('thead th')).map((th) => getComputedStyle(th).textAlign);
      const cells = Array.from(t.querySelectorAll('tbody tr:first-child > *')).map((c) => getComputedStyle(c).textAlign);
      return { heads, cells };
    });
    expect(align.heads.map((a) => (a === 'start' ? 'left' : a))).toEqual(align.cells.map((a) => (a === 'start' ? 'left' : a)));
    // One API key is "1 key".
    const token = await loginToken(stack.base, 'admin@acme.test');
    await callApi(stack.base, token, 'POST', '/api/v1/api-keys', { name: 'CRM sync', scopes: ['read'] });
    await page.goto(`${stack.base}/#/admin/api-keys`);
    await page.getByText('1 key', { exact: true }).waitFor();
    await context.close();
  });

  it('npm start speaks plainly: jobs in words, no offline stack traces, survey tokens cut, a line on shutdown', async () => {
    // A survey link opened: its request line shows the token's first characters only.
    // One still open an hour from now: a sent invitation past its expiry answers 410 until the cron marks it expired.
    const { id } = await one<{ id: string }>("select id from invitations where status = 'sent' and expires_at > ? limit 1", [Date.now() + 3_600_000]);
    const token = await loginToken(stack.base, 'admin@acme.test');
    const { link } = await callApi(stack.base, token, 'GET', `/api/v1/invitations/${id}`);
    expect((await fetch(link)).status).toBe(200);
    const secret = new URL(link).pathname.slice(3);
    await waitFor('the request line', async () => stack.output().includes(`/s/${secret.slice(0, 8)}…`));
    const out = stack.output();
    expect(out).not.toContain(secret);
    expect(out).toContain('Jobs (driven by this process): every minute, every hour, daily at 03:00 UTC, every 5 minutes');
    expect(out).not.toMatch(/^\s+at .*GetAddrInfoReqWrap/m);
    expect(out).not.toMatch(/^cron .*: 200$/m);
    await stack.stop();
    expect(stack.output()).toMatch(/stopped: the Worker, the cron driver and the databases/);
  });
});
