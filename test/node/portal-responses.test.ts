import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeCheck, callApi, DESKTOP, expectFits, launchChromium, loginToken, PHONE, seedAnswers, signInAt, waitFor, openMenu } from './browser-kit';
import { localDay } from '../../src/scores/local-day';
import { startStack, type StartedStack } from './started-stack';

/**
 * The Responses page, reply templates on the case page and action plans started from a theme
 * with an owner picked, in Debian's Chromium against `npm start` on a temporary data folder.
 * Answers come in through the API (events → invitation links → capture), as in portal.test.ts;
 * expected counts are taken from the answers below, never from the page itself.
 */

let stack: StartedStack;
let base: string;
let browser: Browser;
let adminToken: string;
const unitIds: Record<string, string> = {};
let leadId: string;

const check = axeCheck('portal-responses');
const signIn = (context: BrowserContext, email: string, password?: string) => signInAt(base, context, email, password);
const api = (method: string, path: string, body?: unknown) => callApi(base, adminToken, method, path, body);

/** The answers, by unit; detractors (0-6) are written with their comment. */
const ANSWERS: Record<string, { score: number; comment?: string }[]> = {
  Berlin: [{ score: 10, comment: 'Friendly and quick.' }, { score: 9 }, { score: 8 }, { score: 3, comment: 'The engineer came a day late.' }, { score: 10 }],
  Paris: [{ score: 9 }, { score: 4, comment: 'Nobody called back.' }],
  'New York': [{ score: 6, comment: 'New York was slow.' }, { score: 9 }],
  FastFix: [{ score: 10 }, { score: 9 }, { score: 2, comment: 'FastFix broke the door.' }],
  QuickServe: [{ score: 5, comment: 'QuickServe never showed up.' }],
};
const EMEA = [...ANSWERS.Berlin!, ...ANSWERS.Paris!];
/** The robot's comment: its answer is flagged (honeypot) and hidden unless asked for. */
const ROBOT = 'Buy cheap watches now';
const comments = (list: { comment?: string }[]) => list.flatMap((a) => (a.comment ? [a.comment] : []));

beforeAll(async () => {
  stack = await startStack();
  base = stack.base;
  adminToken = await loginToken(base, 'admin@acme.test');
  for (const u of (await api('GET', '/api/v1/units')).items) unitIds[u.name] = u.id;
  await api('PATCH', '/api/v1/settings', { minResponses: 3 });
  await seedAnswers(api, unitIds, ANSWERS, { prefix: 'responses', subnet: 1, name: true });
  // One answer a robot gave in Berlin: the hidden honeypot field filled, so flagged and not counted.
  await api('PUT', '/api/v1/contacts/responses-robot', { email: 'robot@example.test', attributes: { name: 'Robbie Robot' } });
  const robotEvent = await api('POST', '/api/v1/events', {
    events: [{ id: 'responses-robot-event', type: 'ticket.resolved', occurredAt: new Date().toISOString(), contactId: 'responses-robot', unitId: unitIds.Berlin, touchpoint: 'support-resolution' }],
  });
  const robotLink = (await api('GET', `/api/v1/invitations/${robotEvent.results[0].invitationId}`)).link;
  const robot = await fetch(robotLink, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '10.0.1.250' },
    body: JSON.stringify({ score: 0, comment: ROBOT, website: 'http://spam.test' }),
  });
  expect(robot.status, await robot.clone().text()).toBe(200);
  await api('POST', '/api/v1/reply-templates', { theme: 'late-visit', locale: 'en', subject: 'About your visit in {unitName}', body: 'Dear {contactName}, you gave us {score}. We are sorry.' });
  // Another person who can own a plan in Berlin: its site lead.
  leadId = (await api('POST', '/api/v1/users', { email: 'lead.berlin@acme.test', name: 'Berlin Lead', password: 'a-long-password-1', grants: [{ unitId: unitIds.Berlin, role: 'manager' }] })).id;
  await waitFor('the recovery cases', async () => ((await api('GET', '/api/v1/cases')).items.length >= 5 ? true : undefined), 150_000);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

const answers = (page: Page) => page.locator('ol.answers > li');
const listText = async (page: Page) => (await page.locator('ol.answers').textContent()) ?? '';
const today = () => localDay(Date.now(), 'Europe/Berlin'); // Berlin's own day (scripts/demo-tenant.ts): the API's from/to are the unit's local days
async function berlinN() {
  const scores = await api('GET', `/api/v1/scores?unitId=${unitIds.Berlin}&from=${today()}&to=${today()}`);
  return scores.items[0].n as number;
}

describe('responses, replies and plan sources in Chromium', () => {
  it('EMEA manager: only EMEA answers with verbatims, detractors; a reply from a template; a plan from a theme for another owner', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signIn(context, 'manager.emea@acme.test');
    await page.getByRole('link', { name: 'Responses' }).click();
    await page
      .getByRole('heading', { name: 'Responses' })
      .waitFor()
      .catch(async (e) => {
        throw new Error(`${e}\n${await page.locator('main').textContent()}\n${errors.join('\n')}`);
      });
    await answers(page).first().waitFor();
    expect(await answers(page).count()).toBe(EMEA.length);
    const text = await listText(page);
    for (const c of comments(EMEA)) expect(text).toContain(c);
    for (const c of [...comments(ANSWERS['New York']!), ...comments(ANSWERS.FastFix!), ...comments(ANSWERS.QuickServe!), 'New York', 'FastFix', 'QuickServe']) expect(text).not.toContain(c);
    // Managers read answers but do not moderate them (admins do).
    expect(await page.getByRole('button', { name: 'Exclude' }).count()).toBe(0);
    await check(page, 'manager');

    await page.getByLabel('Category').selectOption('detractor');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const detractors = EMEA.filter((a) => a.score <= 6);
    await waitFor('the detractors only', async () => (await answers(page).count()) === detractors.length);
    for (const c of comments(detractors)) expect(await listText(page)).toContain(c);
    expect(await listText(page)).not.toContain('Friendly and quick.');
    await check(page, 'manager-detractors');

    // The Berlin case: a reply from the template, rendered by the API, edited, in the timeline.
    await page.getByRole('link', { name: 'Cases' }).click();
    await page.getByRole('link', { name: /came a day late/ }).click();
    await page.getByRole('heading', { name: 'Case in Berlin' }).waitFor();
    await page.getByLabel('Reply template').selectOption('late-visit');
    await waitFor('the rendered template', async () => (await page.getByLabel('Subject').inputValue()) === 'About your visit in Berlin');
    expect(await page.getByLabel('Message').inputValue()).toMatch(/^Dear Customer \d+, you gave us 3\. We are sorry\.$/);
    await page.getByLabel('Message').press('End');
    await page.getByLabel('Message').pressSequentially(' We will call you today.');
    await page.getByRole('button', { name: 'Add reply to timeline' }).click();
    await page.locator('ol.timeline', { hasText: 'We will call you today.' }).waitFor();
    expect(await page.locator('ol.timeline').textContent()).toContain('Reply to the customer: About your visit in Berlin');
    await check(page, 'case-reply');

    // A plan from a theme of Berlin's detractor comments, owned by Berlin's lead.
    await page.getByRole('link', { name: 'Action plans' }).click();
    await page.getByRole('heading', { name: 'Action plans' }).waitFor();
    await page.getByLabel('Unit').selectOption({ label: '· Berlin' });
    // "The engineer came a day late." is Berlin's one detractor comment: the starter library's Scheduling ("late") and Technician skill ("engineer").
    await page.locator('caption', { hasText: 'Themes in Berlin' }).waitFor();
    await page.getByLabel('Owner').locator('option', { hasText: 'Berlin Lead' }).waitFor({ state: 'attached' });
    // The themes of Berlin's detractor comments as the API names them (the library's, by stem: docs/themes.md).
    const [theme] = (await api('GET', `/api/v1/themes?unitId=${unitIds.Berlin}&category=detractor`)).items as { name: string }[];
    expect(theme).toBeDefined();
    await page.getByRole('button', { name: `Plan for this theme: ${theme!.name}` }).click();
    expect(await page.getByLabel('Title').inputValue()).toContain(theme!.name);
    expect(await page.getByLabel('Theme (optional)').inputValue()).toBe(theme!.name);
    await page.getByLabel('Owner').selectOption({ label: 'Berlin Lead (lead.berlin@acme.test)' });
    await check(page, 'plans-sources');
    await page.getByRole('button', { name: 'Create plan' }).click();
    await page.getByRole('heading', { name: theme!.name }).waitFor();
    const plans = await api('GET', `/api/v1/action-plans?ownerUserId=${leadId}`);
    expect(plans.items).toEqual([expect.objectContaining({ unitId: unitIds.Berlin, theme: theme!.name, ownerUserId: leadId })]);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('admin: excludes a Berlin detractor with a reason, the scores lose it, then includes it back', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signIn(context, 'admin@acme.test');
    await page.goto(`${base}/#/responses?unit=${unitIds.Berlin}&category=detractor`);
    await page.getByRole('heading', { name: 'Responses' }).waitFor();
    await waitFor('the Berlin detractor', async () => (await answers(page).count()) === ANSWERS.Berlin!.filter((a) => a.score <= 6).length);
    const item = answers(page).first();
    await item
      .getByLabel('Reason to exclude')
      .waitFor()
      .catch(async (e) => {
        throw new Error(`${e}\n${await page.locator('main').innerHTML()}\n${errors.join('\n')}`);
      });
    const nBefore = await berlinN();
    expect(nBefore).toBe(ANSWERS.Berlin!.length);
    await item.getByLabel('Reason to exclude').fill('Our own test call');
    await item.getByRole('button', { name: 'Exclude' }).click();
    await item.getByText('Reason: Our own test call').waitFor();
    expect(await item.locator('.tag', { hasText: 'excluded' }).count()).toBe(1);
    expect(await berlinN()).toBe(nBefore - 1);
    await check(page, 'admin-excluded');
    await item.getByLabel('Reason to include').fill('A real customer after all');
    await item.getByRole('button', { name: 'Include' }).click();
    await item.getByText('Included: the scores follow.').waitFor();
    expect(await item.locator('.tag', { hasText: 'excluded' }).count()).toBe(0);
    expect(await berlinN()).toBe(nBefore);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('FastFix vendor at 360 px by keyboard: its own answers only, no comments', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signIn(context, 'vendor@fastfix.test');
    await openMenu(page);
    await page.getByRole('link', { name: 'Responses' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Responses' }).waitFor();
    await answers(page)
      .first()
      .waitFor()
      .catch(async (e) => {
        throw new Error(`${e}\n${await page.locator('main').innerHTML()}\n${errors.join('\n')}`);
      });
    expect(await answers(page).count()).toBe(ANSWERS.FastFix!.length);
    const content = await page.content();
    for (const c of comments(ANSWERS.FastFix!)) expect(content).not.toContain(c);
    for (const other of ['QuickServe', 'Berlin', 'Paris', 'New York']) expect(await listText(page)).not.toContain(other);
    expect(await listText(page)).not.toMatch(/null|undefined/);
    expect(await page.getByLabel('With a comment only').count()).toBe(0);
    await expectFits(page);
    await check(page, 'vendor');

    // Detractors only, by keyboard: the category by its first letter, then Tab to Apply.
    await page.getByLabel('Category').focus();
    await page.keyboard.type('d');
    expect(await page.getByLabel('Category').inputValue()).toBe('detractor');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Apply filters');
    await page.keyboard.press('Enter');
    await waitFor('the FastFix detractor', async () => (await answers(page).count()) === ANSWERS.FastFix!.filter((a) => a.score <= 6).length);
    expect(await listText(page)).toContain('detractor');
    await expectFits(page);
    await check(page, 'vendor-detractors');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
  it('admin at 1280 px: touchpoint and customer names, the link to the case, flagged answers on request, search and its CSV', async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await signIn(context, 'admin@acme.test');
    await page.goto(`${base}/#/responses?unit=${unitIds.Berlin}`);
    await page.getByRole('heading', { name: 'Responses' }).waitFor();
    // Counted answers only by default: Berlin's five, not the robot's.
    await waitFor("Berlin's counted answers", async () => (await answers(page).count()) === ANSWERS.Berlin!.length);
    expect(await listText(page)).not.toContain(ROBOT);
    // The touchpoint by its name (the demo's "Support ticket resolved"), the customers by theirs.
    const touchpoints = (await api('GET', '/api/v1/touchpoints')).items as { key: string; name: string }[];
    const tpName = touchpoints.find((t) => t.key === 'support-resolution')!.name;
    expect(await page.locator('ol.answers .touchpoint').allTextContents()).toEqual(ANSWERS.Berlin!.map(() => tpName));
    // seedAnswers names the customers "Customer <i>" in the order of ANSWERS: Berlin's are 0..4.
    expect((await page.locator('ol.answers .customer').allTextContents()).sort()).toEqual(ANSWERS.Berlin!.map((_, i) => `Customer ${i}`).sort());
    expect(await listText(page)).not.toMatch(/support-resolution|null|undefined/);
    await expectFits(page);
    await check(page, 'names');

    // The flagged answer on request, its flag in words.
    await page.getByLabel('Show').selectOption({ label: 'Not counted too' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor('the flagged answer too', async () => (await answers(page).count()) === ANSWERS.Berlin!.length + 1);
    const robot = answers(page).filter({ hasText: ROBOT });
    expect(await robot.textContent()).toContain('Not counted: a hidden field was filled in (a robot).');
    expect(await robot.textContent()).toContain('Robbie Robot');
    expect(await listText(page)).not.toContain('honeypot');
    await check(page, 'flagged');

    // The detractor's case, one click away.
    const late = answers(page).filter({ hasText: 'The engineer came a day late.' });
    await late.getByRole('link', { name: 'Open the case' }).click();
    await page.getByRole('heading', { name: 'Case in Berlin' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('The engineer came a day late.');

    // A search across everything in reach, and the same selection as CSV.
    await page.goto(`${base}/#/responses`);
    await page.getByRole('heading', { name: 'Responses' }).waitFor();
    await page.getByLabel('Search').fill('door');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor('the search', async () => (await answers(page).count()) === 1);
    expect(await listText(page)).toContain('FastFix broke the door.');
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(href).toContain('q=door');
    const res = await page.request.get(`${base}${href}`);
    expect(res.status()).toBe(200);
    const csv = (await res.text()).trim().split('\r\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain('FastFix broke the door.');
    expect(csv[1]).toContain(unitIds.FastFix);
    await expectFits(page);
    await check(page, 'search');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('EMEA manager at 360 px: a search by customer name, within EMEA, without sideways scrolling', async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await signIn(context, 'manager.emea@acme.test');
    await page.goto(`${base}/#/responses?q=${encodeURIComponent('customer 3')}`);
    await page.getByRole('heading', { name: 'Responses' }).waitFor();
    // "Customer 3" is Berlin's detractor; no other EMEA customer's name or comment holds both words.
    await waitFor('the one customer', async () => (await answers(page).count()) === 1);
    expect(await listText(page)).toContain('The engineer came a day late.');
    expect(await page.getByLabel('Search').inputValue()).toBe('customer 3');
    expect(await answers(page).first().getByRole('link', { name: 'Open the case' }).count()).toBe(1);
    await expectFits(page);
    await check(page, 'manager-search-phone');
    // FastFix's words are outside EMEA.
    await page.getByLabel('Search').fill('door');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No answers match.').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
