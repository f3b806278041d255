import { TenantDb } from '../../src/db/tenant-db';
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { events, rateLimits, responses, rollups, touchpoints } from '../../src/db/schema';
import { caseOf, deliverCaptured, subscribeAll } from './case-fixture';
import { foldTenant } from '../../src/scores/fold';
import { newId, sha256Hex } from '../../src/lib/ids';
import { QUALITY } from '../../src/responses/quality';
import { forgetSurveys } from '../../src/surveys/published-cache';
import worker from '../../src/worker';
import {
  anonymousLink,
  anonymousState,
  freshIp,
  fullSurvey,
  invitationOf,
  invitationState,
  makeContact,
  makeInvitation,
  makeSurvey,
  responseById,
  responseOf,
  send,
  sent,
  type SendResult,
  type SurveySetup,
} from './capture-fixture';
import { call, db, makeTenant, type Fixture } from './support';

let t: Fixture;
let std: SurveySetup;
let full: SurveySetup;
beforeAll(async () => {
  t = await makeTenant('Capture');
  [std, full] = await Promise.all([makeSurvey(t.tenantId), makeSurvey(t.tenantId, { definition: fullSurvey() })]);
  // A webhook wants every answer here, so each new answer has a follow-up and is enqueued.
  await subscribeAll(t.tenantId);
});
beforeEach(() => {
  sent.length = 0;
});

const capturedFor = (id: string) => sent.filter((m) => m.body.responseId === id);

describe('capture by JSON', () => {
  it('records the first score: one response, the invitation answered, one message on the workflow queue', async () => {
    const contact = await makeContact(t.tenantId, { locale: 'de', segment: 'smb', lifetimeValue: 1200, tenureMonths: 7, contractSize: 'medium', supportTier: 'premium' });
    const inv = await makeInvitation(std, t.units.berlin, { contactId: contact.id });
    const ip = freshIp();
    const res = await send('POST', inv.path, { json: { score: 3, state: await invitationState(inv) }, ip, userAgent: 'UA-1' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'recorded', score: 3, category: 'detractor' });
    expect(res.body.responseId).toMatch(/^rsp_/);
    const [row] = await responseOf(t.tenantId, inv.id);
    expect(row).toMatchObject({
      id: res.body.responseId,
      score: 3,
      comment: null,
      answers: {},
      qualityFlags: [],
      counted: true,
      channel: 'email',
      locale: 'en', // the locale the page showed (its state), not re-chosen
      unitId: t.units.berlin,
      touchpointId: std.touchpointId,
      contactId: contact.id,
      surveyId: std.surveyId,
      surveyVersion: 1,
      segment: 'smb',
      lifetimeValue: 1200,
      // The contact as it stood when the answer came: the contact cuts count these (docs/dimensions.md).
      tenureMonths: 7,
      contractSize: 'medium',
      supportTier: 'premium',
    });
    // A personal invitation's answer keeps no client fingerprint; the address itself is nowhere.
    expect(row!.clientHash).toBeNull();
    expect(JSON.stringify(row)).not.toContain(ip);
    expect((await invitationOf(t.tenantId, inv.id)).status).toBe('answered');
    // A detractor: the message names the unit's path, so the follow-up reads the unit's chain with the answer.
    expect(sent.map((m) => m.body)).toEqual([{ type: 'response.captured', tenantId: t.tenantId, responseId: row!.id, idempotencyKey: `response.captured:${row!.id}`, unitPath: t.paths.berlin!.path }]);
  });

  it('enqueues only answers with a follow-up: a detractor (a case), a passive where passives open cases; never a promoter nobody subscribed to', async () => {
    const quiet = await makeTenant('Capture quiet');
    const plain = await makeSurvey(quiet.tenantId);
    const passives = await makeSurvey(quiet.tenantId);
    await db()
      .update(touchpoints)
      .set({ rules: { includePassives: true } })
      .where(eq(touchpoints.id, passives.touchpointId));
    const answer = async (setup: SurveySetup, score: number) => (await send('POST', (await makeInvitation(setup, quiet.units.berlin)).path, { json: { score } })).body.responseId as string;
    const [promoter, passive, detractor, passiveHere] = [await answer(plain, 10), await answer(plain, 8), await answer(plain, 4), await answer(passives, 7)];
    expect([promoter, passive, detractor, passiveHere].map((id) => capturedFor(id).length)).toEqual([0, 0, 1, 1]);
    // Once a webhook wants response.created, every new answer is followed up.
    await subscribeAll(quiet.tenantId);
    expect(capturedFor(await answer(plain, 10))).toHaveLength(1);
  });

  it('a repeated identical submit changes nothing and enqueues nothing', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const first = await send('POST', inv.path, { json: { score: 9 } });
    expect(first.body.status).toBe('recorded');
    const [before] = await responseOf(t.tenantId, inv.id);
    sent.length = 0;
    const again = await send('POST', inv.path, { json: { score: 9 } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ responseId: first.body.responseId, status: 'unchanged', score: 9, category: 'promoter' });
    expect(await responseOf(t.tenantId, inv.id)).toEqual([before]);
    expect(sent).toEqual([]);
  });

  it('the comment follows the score; the first score and the first comment stand', async () => {
    const inv = await makeInvitation(std, t.units.paris);
    const first = await send('POST', inv.path, { json: { score: 7 } });
    expect(first.body.status).toBe('recorded');
    const commented = await send('POST', inv.path, { json: { comment: '  Faster replies please  ' } });
    expect(commented.body).toEqual({ responseId: first.body.responseId, status: 'updated', score: 7, category: 'passive' });
    // A later, different score is ignored (not an error): the first stands.
    const rescored = await send('POST', inv.path, { json: { score: 10 } });
    expect(rescored.body).toMatchObject({ status: 'unchanged', score: 7, category: 'passive' });
    const recommented = await send('POST', inv.path, { json: { score: 10, comment: 'Changed my mind' } });
    expect(recommented.body.status).toBe('unchanged');
    const [row] = await responseOf(t.tenantId, inv.id);
    expect(row).toMatchObject({ score: 7, comment: 'Faster replies please' });
    // One follow-up for the score; the comment that came after it is analysed once (docs/themes.md).
    expect(capturedFor(first.body.responseId).map((m) => m.body.type)).toEqual(['response.captured', 'comment.analyse']);
  });

  it.each([
    ['11', 11],
    ['-1', -1],
    ['the string "7"', '7'],
    ['7.5', 7.5],
    ['null', null],
    ['true', true],
  ])('refuses a score of %s with 400 and the field path, storing nothing', async (_, score) => {
    const inv = await makeInvitation(std, t.units.berlin);
    const res = await send('POST', inv.path, { json: { score } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.map((d: any) => d.path)).toEqual(['body.score']);
    expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(await responseOf(t.tenantId, inv.id)).toEqual([]);
    expect((await invitationOf(t.tenantId, inv.id)).status).toBe('sent');
    expect(sent).toEqual([]);
  });

  it('refuses a first submit without a score with 422; once scored, a comment alone is fine', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const res = await send('POST', inv.path, { json: { comment: 'No score yet' } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'UNPROCESSABLE', details: [{ path: 'body.score', message: expect.any(String) }] });
    expect(await responseOf(t.tenantId, inv.id)).toEqual([]);
    expect((await send('POST', inv.path, { json: {} })).status).toBe(422);
    await send('POST', inv.path, { json: { score: 5 } });
    expect((await send('POST', inv.path, { json: { comment: 'Now with a score' } })).body.status).toBe('updated');
  });

  it('refuses unknown fields, malformed JSON, other media types and oversized bodies', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const extra = await send('POST', inv.path, { json: { score: 5, tenantId: 'ten_x' } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe('VALIDATION_FAILED');
    const malformed = await send('POST', inv.path, { rawBody: '{"score": 5', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('BAD_REQUEST');
    const text = await send('POST', inv.path, { rawBody: 'score=5', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const big = await send('POST', inv.path, { json: { score: 5, comment: 'x'.repeat(20_000) } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const long = await send('POST', inv.path, { json: { score: 5, comment: 'x'.repeat(2001) } });
    expect(long.status).toBe(400);
    expect(await responseOf(t.tenantId, inv.id)).toEqual([]);
  });

  it('answers 404 for a link that is not valid and 410 GONE for a closed one, as JSON', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const forged = await send('POST', `/s/${inv.token.slice(0, -3)}abc`, { json: { score: 5 } });
    expect(forged.status).toBe(404);
    expect(forged.body.error.code).toBe('NOT_FOUND');
    const expired = await makeInvitation(std, t.units.berlin, { expiresAt: Date.now() - 1000, tokenExpiresAt: Date.now() + 60_000 });
    const closed = await send('POST', expired.path, { json: { score: 5 } });
    expect(closed.status).toBe(410);
    expect(closed.body.error.code).toBe('GONE');
    const cancelled = await makeInvitation(std, t.units.berlin, { status: 'cancelled' });
    expect((await send('POST', cancelled.path, { json: { score: 5 } })).status).toBe(410);
    expect(await responseOf(t.tenantId, expired.id)).toEqual([]);
    expect(await responseOf(t.tenantId, cancelled.id)).toEqual([]);
  });
});

describe('answers against the survey version', () => {
  const good = { sat: 4, effort: 6, way: 'chat', fix: ['speed', 'staff'] };

  it('stores valid answers of every type with the score', async () => {
    const inv = await makeInvitation(full, t.units.berlin);
    const res = await send('POST', inv.path, { json: { score: 2, comment: 'Slow', answers: { ...good, order: 'A-17' } } });
    expect(res.body.status).toBe('recorded');
    const [row] = await responseOf(t.tenantId, inv.id);
    expect(row).toMatchObject({ score: 2, comment: 'Slow', answers: { ...good, order: 'A-17' } });
  });

  it.each([
    ['an unknown question', { nope: 1 }, 'body.answers.nope'],
    ['a wrong option', { way: 'fax' }, 'body.answers.way'],
    ['CSAT 6', { sat: 6 }, 'body.answers.sat'],
    ['CSAT 0', { sat: 0 }, 'body.answers.sat'],
    ['CSAT as a string', { sat: '4' }, 'body.answers.sat'],
    ['CES 8', { effort: 8 }, 'body.answers.effort'],
    ['CES 3.5', { effort: 3.5 }, 'body.answers.effort'],
    ['an unknown option in a multiple choice', { fix: ['speed', 'weather'] }, 'body.answers.fix'],
    ['an option twice', { fix: ['speed', 'speed'] }, 'body.answers.fix'],
    ['the score as an answer', { nps: 5 }, 'body.answers.nps'],
    ['the main comment as an answer', { reason: 'x' }, 'body.answers.reason'],
    ['a question not asked of a promoter (showIf)', { fix: ['price'] }, 'body.answers.fix'],
  ])('refuses %s, and stores nothing of the submit', async (_, bad, path) => {
    const inv = await makeInvitation(full, t.units.berlin);
    const score = path === 'body.answers.fix' && (bad as any).fix?.[0] === 'price' ? 10 : 3;
    const res = await send('POST', inv.path, { json: { score, comment: 'Should not be stored', answers: { sat: 5, ...bad } } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.map((d: any) => d.path)).toEqual([path]);
    expect(await responseOf(t.tenantId, inv.id)).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('later answers add the questions not yet answered; an answered question keeps its first answer', async () => {
    const inv = await makeInvitation(full, t.units.berlin);
    await send('POST', inv.path, { json: { score: 1, answers: { sat: 2 } } });
    const more = await send('POST', inv.path, { json: { answers: { sat: 5, way: 'phone' } } });
    expect(more.body.status).toBe('updated');
    const same = await send('POST', inv.path, { json: { answers: { sat: 5, way: 'email' } } });
    expect(same.body.status).toBe('unchanged');
    const [row] = await responseOf(t.tenantId, inv.id);
    expect(row!.answers).toEqual({ sat: 2, way: 'phone' });
  });

  it('a comment for a survey without comment question is refused', async () => {
    const def = fullSurvey();
    def.questions = def.questions.filter((q) => q.type !== 'comment');
    const noComment = await makeSurvey(t.tenantId, { definition: def });
    const inv = await makeInvitation(noComment, t.units.berlin);
    const res = await send('POST', inv.path, { json: { score: 5, comment: 'hello' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'body.comment', message: expect.any(String) }]);
  });
});

describe('concurrency', () => {
  it('20 concurrent submits of one token: one response, one "recorded", no error, one message', async () => {
    const inv = await makeInvitation(std, t.units.newYork);
    const results = await Promise.all(Array.from({ length: 20 }, () => send('POST', inv.path, { json: { score: 8 } })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const statuses = results.map((r) => r.body.status);
    expect(statuses.filter((s) => s === 'recorded')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'unchanged')).toHaveLength(19);
    const ids = new Set(results.map((r) => r.body.responseId));
    expect(ids.size).toBe(1);
    expect(await responseOf(t.tenantId, inv.id)).toHaveLength(1);
    expect(capturedFor([...ids][0]!)).toHaveLength(1);
  });

  it('concurrent submits with different comments: one row, exactly one comment kept', async () => {
    const inv = await makeInvitation(std, t.units.newYork);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => send('POST', inv.path, { json: { score: 4, comment: `comment ${i}` } })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(results.filter((r) => r.body.status === 'recorded')).toHaveLength(1);
    const rows = await responseOf(t.tenantId, inv.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.comment).toMatch(/^comment \d$/);
    expect(rows[0]!.score).toBe(4);
  });
});

describe('quality flags', () => {
  const flagsOf = async (responseId: string) => {
    const row = await responseById(t.tenantId, responseId);
    return { flags: row!.qualityFlags, counted: row!.counted };
  };

  it('honeypot: a filled hidden field flags the answer and keeps it out of scores; an empty one does not', async () => {
    const [a, b] = await Promise.all([makeInvitation(std, t.units.berlin), makeInvitation(std, t.units.berlin)]);
    const bot = await send('POST', a.path, { json: { score: 10, website: 'http://spam.example' } });
    expect(bot.body.status).toBe('recorded');
    expect(await flagsOf(bot.body.responseId)).toEqual({ flags: ['honeypot'], counted: false });
    const human = await send('POST', b.path, { json: { score: 10, website: '' } });
    expect(await flagsOf(human.body.responseId)).toEqual({ flags: [], counted: true });
    // Flagged answers still go to the follow-up (the closed loop decides what to do with them).
    expect(capturedFor(bot.body.responseId)).toHaveLength(1);
  });

  it(`too fast (anonymous links): under ${QUALITY.minMs / 1000} s after the server rendered the page (signed state), or with a forged state`, async () => {
    const { path } = await anonymousLink(std, t.units.berlin);
    const fast = await send('POST', path, { json: { score: 6, state: await anonymousState(std, t.units.berlin, { ageMs: 500 }) } });
    expect(await flagsOf(fast.body.responseId)).toEqual({ flags: ['too_fast'], counted: false });
    const calm = await send('POST', path, { json: { score: 6, state: await anonymousState(std, t.units.berlin, { ageMs: QUALITY.minMs + 500 }) } });
    expect(await flagsOf(calm.body.responseId)).toEqual({ flags: [], counted: true });
    // A state signed for another link (or altered) proves nothing: too fast.
    const borrowed = await send('POST', path, { json: { score: 6, state: await anonymousState(std, t.units.paris, { ageMs: 60_000 }) } });
    expect(await flagsOf(borrowed.body.responseId)).toEqual({ flags: ['too_fast'], counted: false });
  });

  it('a personal invitation answered within a second of its page counts, and its detractor gets a case', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const res = await send('POST', inv.path, { json: { score: 0, state: await invitationState(inv, { ageMs: 200 }) } });
    expect(res.status, res.text).toBe(200);
    expect(await flagsOf(res.body.responseId)).toEqual({ flags: [], counted: true });
    const [message] = capturedFor(res.body.responseId);
    expect(message!.body.unitPath).toBe(t.paths.berlin!.path);
    expect(await deliverCaptured(t.tenantId, res.body.responseId, 1, message!.body.unitPath)).toMatchObject({ acked: true });
    expect(await caseOf(t.tenantId, res.body.responseId)).toHaveLength(1);
  });

  it('test and employee contacts are flagged; an ordinary contact is not', async () => {
    const [tester, staff, customer] = await Promise.all([makeContact(t.tenantId, { isTest: true }), makeContact(t.tenantId, { isEmployee: true }), makeContact(t.tenantId)]);
    const invs = await Promise.all([tester, staff, customer].map((p) => makeInvitation(std, t.units.paris, { contactId: p.id })));
    const ids = [];
    for (const inv of invs) ids.push((await send('POST', inv.path, { json: { score: 9 } })).body.responseId);
    expect(await flagsOf(ids[0])).toEqual({ flags: ['test_contact'], counted: false });
    expect(await flagsOf(ids[1])).toEqual({ flags: ['employee_contact'], counted: false });
    expect(await flagsOf(ids[2])).toEqual({ flags: [], counted: true });
  });

  it(`bulk (anonymous links): past ${QUALITY.bulkMax} answers from one address in 10 minutes the rest are flagged, whatever the user agent; another address is not`, async () => {
    const ip = freshIp();
    const links = await Promise.all(Array.from({ length: QUALITY.bulkMax + 2 }, () => makeSurvey(t.tenantId)));
    const flags: string[][] = [];
    for (const [i, s] of links.entries()) {
      const res = await send('POST', (await anonymousLink(s, t.units.americas)).path, { json: { score: 10, state: await anonymousState(s, t.units.americas) }, ip, userAgent: `browser ${i}` });
      flags.push((await responseById(t.tenantId, res.body.responseId))!.qualityFlags);
    }
    expect(flags.slice(0, QUALITY.bulkMax)).toEqual(Array(QUALITY.bulkMax).fill([]));
    expect(flags.slice(QUALITY.bulkMax)).toEqual([['bulk'], ['bulk']]);
    const other = await send('POST', (await anonymousLink(std, t.units.americas)).path, { json: { score: 10, state: await anonymousState(std, t.units.americas) } });
    expect(await flagsOf(other.body.responseId)).toEqual({ flags: [], counted: true });
  });

  it('15 colleagues answering their own invitations from one office address and browser build: all 15 count in the scores', async () => {
    const office = await makeTenant('Office');
    const s = await makeSurvey(office.tenantId);
    const ip = freshIp();
    const invs = await Promise.all(Array.from({ length: 15 }, () => makeInvitation(s, office.units.paris)));
    for (const inv of invs) {
      const res = await send('POST', inv.path, { json: { score: 9, state: await invitationState(inv) }, ip, userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/126 office build' });
      expect(res.body.status).toBe('recorded');
      expect(await responseById(office.tenantId, res.body.responseId)).toMatchObject({ qualityFlags: [], counted: true });
    }
    const scores = await call('GET', `/api/v1/scores?unitId=${office.units.paris}`, { token: office.tokens.admin });
    expect(scores.status, JSON.stringify(scores.body)).toBe(200);
    expect(scores.body.items[0]).toMatchObject({ n: 15, promoters: 15 });
  });
});

describe('anonymous touchpoint links', () => {
  it('an admin gets a link whose answers have no invitation; the state continues the same response', async () => {
    const link = await call('POST', `/api/v1/touchpoints/${std.touchpointId}/links`, { token: t.tokens.admin, body: { unitId: t.units.berlin } });
    expect(link.status).toBe(201);
    expect(link.body).toMatchObject({ touchpointId: std.touchpointId, unitId: t.units.berlin });
    expect(link.body.url).toMatch(/^http:\/\/127\.0\.0\.1:8787\/s\/[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(Date.parse(link.body.expiresAt) - Date.now()).toBeGreaterThan(360 * 86_400_000);
    const audit = await call('GET', `/api/v1/audit-log?targetType=touchpoint&targetId=${std.touchpointId}`, { token: t.tokens.admin });
    expect(audit.body.items[0]).toMatchObject({ action: 'touchpoint.link', details: { unitId: t.units.berlin } });

    const path = new URL(link.body.url).pathname;
    const page = await send('GET', path);
    expect(page.status).toBe(200);
    const state = /name="state" value="([^"]+)"/.exec(page.text)![1]!;
    await new Promise((r) => setTimeout(r, QUALITY.minMs + 100));
    const ip = freshIp();
    const first = await send('POST', path, { json: { score: 2, state }, ip });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ status: 'recorded', score: 2, category: 'detractor', state: expect.any(String) });
    const row = await responseById(t.tenantId, first.body.responseId);
    expect(row).toMatchObject({ invitationId: null, contactId: null, channel: 'link', unitId: t.units.berlin, touchpointId: std.touchpointId, qualityFlags: [], counted: true });
    const more = await send('POST', path, { json: { comment: 'Too slow', state: first.body.state }, ip });
    expect(more.body).toMatchObject({ responseId: first.body.responseId, status: 'updated' });
    expect((await responseById(t.tenantId, first.body.responseId))!.comment).toBe('Too slow');
    expect(capturedFor(first.body.responseId).map((m) => m.body.type)).toEqual(['response.captured', 'comment.analyse']);
  }, 15_000);

  it('duplicate: the same address answering the same touchpoint again within 24 h, whatever its user agent; another address is not one', async () => {
    const { path } = await anonymousLink(std, t.units.paris);
    const ip = freshIp();
    const page = () => anonymousState(std, t.units.paris);
    const a = await send('POST', path, { json: { score: 9, state: await page() }, ip, userAgent: 'Phone A' });
    const b = await send('POST', path, { json: { score: 9, state: await page() }, ip, userAgent: 'Phone A' });
    const c = await send('POST', path, { json: { score: 9, state: await page() }, ip, userAgent: 'Phone B' });
    const d = await send('POST', path, { json: { score: 9, state: await page() }, userAgent: 'Phone A' });
    expect(new Set([a, b, c, d].map((r) => r.body.responseId)).size).toBe(4);
    expect((await responseById(t.tenantId, a.body.responseId))!.qualityFlags).toEqual([]);
    expect(await responseById(t.tenantId, b.body.responseId)).toMatchObject({ qualityFlags: ['duplicate'], counted: false });
    expect(await responseById(t.tenantId, c.body.responseId)).toMatchObject({ qualityFlags: ['duplicate'], counted: false });
    expect(await responseById(t.tenantId, d.body.responseId)).toMatchObject({ qualityFlags: [], counted: true });
  });

  it('one page, one answer: its state posted again (12 user agents, one address) continues the same response and counts once', async () => {
    const s = await makeSurvey(t.tenantId);
    const { path } = await anonymousLink(s, t.units.newYork);
    const ip = freshIp();
    const state = await anonymousState(s, t.units.newYork);
    const results: SendResult[] = [];
    for (let i = 0; i < 12; i++) results.push(await send('POST', path, { json: { score: 10, state }, ip, userAgent: `stuffer ${i}` }));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    const ids = new Set(results.map((r) => r.body.responseId));
    expect(ids.size).toBe(1);
    expect(results.map((r) => r.body.status)).toEqual(['recorded', ...Array(11).fill('unchanged')]);
    // A later post of the page's state may still add the comment, to the same response.
    const more = await send('POST', path, { json: { score: 0, comment: 'Quick service', state }, ip });
    expect(more.body).toMatchObject({ responseId: results[0]!.body.responseId, status: 'updated', score: 10 });
    const rows = await db()
      .select()
      .from(responses)
      .where(and(eq(responses.tenantId, t.tenantId), eq(responses.touchpointId, s.touchpointId)));
    expect(rows.filter((r) => r.counted)).toHaveLength(1);
    // The client's key is a keyed hash of the address: neither the address nor its plain SHA-256.
    const row = rows.find((r) => r.id === results[0]!.body.responseId)!;
    expect(row.clientHash).toMatch(/^[0-9a-f]{64}$/);
    expect([await sha256Hex(ip), await sha256Hex(`${t.tenantId}\n${ip}`), await sha256Hex(`${t.tenantId}\n${ip}\nstuffer 0`)]).not.toContain(row.clientHash);
    expect(JSON.stringify(row)).not.toContain(ip);
  });

  it("one page's state posted 10 times at once makes one response", async () => {
    const { path } = await anonymousLink(full, t.units.newYork);
    const state = await anonymousState(full, t.units.newYork);
    const ip = freshIp();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => send('POST', path, { json: { score: 3, state }, ip, userAgent: `racer ${i}` })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => r.body.responseId)).size).toBe(1);
    expect(results.filter((r) => r.body.status === 'recorded')).toHaveLength(1);
  });

  it('each rendered page carries a nonce of its own', async () => {
    const { path } = await anonymousLink(std, t.units.berlin);
    const stateOf = async () => /name="state" value="([^"]+)"/.exec((await send('GET', path)).text)![1]!;
    const nonceOf = (state: string) => JSON.parse(atob(state.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/'))).n;
    const [one, two] = [nonceOf(await stateOf()), nonceOf(await stateOf())];
    expect(one).toMatch(/^[\w-]{20,}$/);
    expect(two).not.toBe(one);
  });

  it("without the page (no signed state) an anonymous answer is too fast; a state cannot continue another touchpoint's response", async () => {
    const { path } = await anonymousLink(std, t.units.paris);
    const bare = await send('POST', path, { json: { score: 9 } });
    expect(await responseById(t.tenantId, bare.body.responseId)).toMatchObject({ qualityFlags: ['too_fast'], counted: false });
    const other = await anonymousLink(full, t.units.paris);
    const stolen = await anonymousState(std, t.units.paris, { r: bare.body.responseId });
    // On the other link the state does not verify: no continuation, so a score is needed.
    const res = await send('POST', other.path, { json: { comment: 'hijack', state: stolen } });
    expect(res.status).toBe(422);
    expect((await responseById(t.tenantId, bare.body.responseId))!.comment).toBeNull();
  });

  it(`rate limit: ${QUALITY.anonymousPerAddress} submits per address in 10 minutes, then 429 with Retry-After; other addresses go on`, async () => {
    const { path } = await anonymousLink(std, t.units.newYork);
    const ip = freshIp();
    const results = [];
    for (let i = 0; i < QUALITY.anonymousPerAddress; i++) results.push((await send('POST', path, { json: { score: 5 }, ip, userAgent: `agent ${i}` })).status);
    expect(results).toEqual(Array(QUALITY.anonymousPerAddress).fill(200));
    const before = await db().select().from(responses).where(eq(responses.tenantId, t.tenantId));
    const limited = await send('POST', path, { json: { score: 5 }, ip });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await db().select().from(responses).where(eq(responses.tenantId, t.tenantId))).toHaveLength(before.length);
    // The form gets a page, not JSON.
    const page = await send('POST', path, { form: { score: '5' }, ip });
    expect(page.status).toBe(429);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect((await send('POST', path, { json: { score: 5 } })).status).toBe(200);
    // The counter's key is a hash, never the address.
    const keys = (await db().select({ key: rateLimits.key }).from(rateLimits)).map((r) => r.key);
    expect(keys.some((k) => k.includes(ip))).toBe(false);
  });

  it('one anonymous link is revoked: its page and submits answer 410 Gone, another link of the same touchpoint and unit keeps working', async () => {
    const s = await makeSurvey(t.tenantId);
    const issue = async () => (await call('POST', `/api/v1/touchpoints/${s.touchpointId}/links`, { token: t.tokens.admin, body: { unitId: t.units.paris } })).body.url as string;
    const [doomed, kept] = [await issue(), await issue()];
    expect(doomed).not.toBe(kept);
    const [doomedPath, keptPath] = [new URL(doomed).pathname, new URL(kept).pathname];
    const first = await send('POST', doomedPath, { json: { score: 4, state: await anonymousState(s, t.units.paris) } });
    expect(first.status).toBe(200);

    // A manager of the unit may not; the admin may, by the link's URL.
    const byManager = await call('POST', `/api/v1/touchpoints/${s.touchpointId}/links/revoke`, { token: t.tokens.manager, body: { url: doomed } });
    expect(byManager.status).toBe(403);
    const revoked = await call('POST', `/api/v1/touchpoints/${s.touchpointId}/links/revoke`, { token: t.tokens.admin, body: { url: doomed } });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body).toMatchObject({ touchpointId: s.touchpointId, unitId: t.units.paris, revokedAt: expect.any(String), expiresAt: expect.any(String) });
    const audit = await call('GET', `/api/v1/audit-log?targetType=touchpoint&targetId=${s.touchpointId}`, { token: t.tokens.admin });
    expect(audit.body.items[0]).toMatchObject({ action: 'touchpoint.link_revoke', requestId: revoked.headers.get('x-request-id'), details: { unitId: t.units.paris } });
    // Again (by the bare token): the same answer, nothing more written.
    const again = await call('POST', `/api/v1/touchpoints/${s.touchpointId}/links/revoke`, { token: t.tokens.admin, body: { url: doomedPath.slice(3) } });
    expect(again.body).toEqual(revoked.body);
    expect((await call('GET', `/api/v1/audit-log?targetType=touchpoint&targetId=${s.touchpointId}`, { token: t.tokens.admin })).body.items).toHaveLength(audit.body.items.length);

    const page = await send('GET', doomedPath, { headers: { 'accept-language': 'en' } });
    expect(page.status).toBe(410);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('This survey has closed.');
    const submit = await send('POST', doomedPath, { json: { score: 9, state: await anonymousState(s, t.units.paris) } });
    expect(submit.status).toBe(410);
    expect(submit.body.error.code).toBe('GONE');
    const form = await send('POST', doomedPath, { form: { score: '9', state: await anonymousState(s, t.units.paris) } });
    expect(form.status).toBe(410);
    // The answer already given cannot be continued through the revoked link either; it stays.
    const more = await send('POST', doomedPath, { json: { comment: 'late', state: first.body.state } });
    expect(more.status).toBe(410);
    expect(await responseById(t.tenantId, first.body.responseId)).toMatchObject({ score: 4, comment: null });

    expect((await send('GET', keptPath)).status).toBe(200);
    const other = await send('POST', keptPath, { json: { score: 9, state: await anonymousState(s, t.units.paris) } });
    expect(other.body).toMatchObject({ status: 'recorded' });
  });

  it("revoking refuses what is not one of the touchpoint's links", async () => {
    const s = await makeSurvey(t.tenantId);
    const revoke = (touchpointId: string, url: string) => call('POST', `/api/v1/touchpoints/${touchpointId}/links/revoke`, { token: t.tokens.admin, body: { url } });
    const link = (await anonymousLink(std, t.units.berlin)).token;
    expect((await revoke(s.touchpointId, link)).status).toBe(404);
    const invitation = await makeInvitation(std, t.units.berlin);
    const asLink = await revoke(std.touchpointId, invitation.token);
    expect(asLink.status).toBe(422);
    expect(asLink.body.error.details).toEqual([{ path: 'body.url', message: 'not an anonymous survey link' }]);
    expect((await revoke(std.touchpointId, 'https://example.test/s/garbage')).status).toBe(422);
    const expired = (await anonymousLink(std, t.units.berlin, Date.now() - 60_000)).token;
    expect((await revoke(std.touchpointId, expired)).status).toBe(422);
    expect((await call('POST', `/api/v1/touchpoints/${std.touchpointId}/links/revoke`, { token: t.tokens.admin, body: { url: link, extra: 1 } })).status).toBe(400);
    // Nothing of it was revoked.
    expect((await send('GET', `/s/${link}`)).status).toBe(200);
  });

  it('the link route refuses an unknown unit, an inactive touchpoint and an unpublished survey', async () => {
    const unknownUnit = await call('POST', `/api/v1/touchpoints/${std.touchpointId}/links`, { token: t.tokens.admin, body: { unitId: 'unit_nope' } });
    expect(unknownUnit.status).toBe(404);
    const unknownTp = await call('POST', '/api/v1/touchpoints/tp_nope/links', { token: t.tokens.admin, body: { unitId: t.units.berlin } });
    expect(unknownTp.status).toBe(404);
    const inactive = await makeSurvey(t.tenantId, { active: false });
    expect((await call('POST', `/api/v1/touchpoints/${inactive.touchpointId}/links`, { token: t.tokens.admin, body: { unitId: t.units.berlin } })).status).toBe(422);
    const draft = await makeSurvey(t.tenantId, { published: false });
    expect((await call('POST', `/api/v1/touchpoints/${draft.touchpointId}/links`, { token: t.tokens.admin, body: { unitId: t.units.berlin } })).status).toBe(422);
    const extra = await call('POST', `/api/v1/touchpoints/${std.touchpointId}/links`, { token: t.tokens.admin, body: { unitId: t.units.berlin, tenantId: 'x' } });
    expect(extra.status).toBe(400);
    const days = await call('POST', `/api/v1/touchpoints/${std.touchpointId}/links`, { token: t.tokens.admin, body: { unitId: t.units.berlin, expiresInDays: 7 } });
    expect(Math.round((Date.parse(days.body.expiresAt) - Date.now()) / 86_400_000)).toBe(7);
  });
});

describe('include and exclude', () => {
  it('GET shows flags and counted; include counts a flagged answer, exclude removes it, each audited with its reason', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const res = await send('POST', inv.path, { json: { score: 0, comment: 'bot?', website: 'filled' } });
    const id = res.body.responseId;
    const got = await call('GET', `/api/v1/responses/${id}`, { token: t.tokens.admin });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, score: 0, category: 'detractor', comment: 'bot?', qualityFlags: ['honeypot'], counted: false, invitationId: inv.id });

    const included = await call('POST', `/api/v1/responses/${id}/include`, { token: t.tokens.admin, body: { reason: 'Checked with the customer: a real answer' } });
    expect(included.status).toBe(200);
    expect(included.body).toMatchObject({ counted: true, qualityFlags: ['honeypot'] });
    expect((await responseById(t.tenantId, id))!.counted).toBe(true);
    const excluded = await call('POST', `/api/v1/responses/${id}/exclude`, { token: t.tokens.admin, body: { reason: 'Duplicate of a phone interview' } });
    expect(excluded.body.counted).toBe(false);
    expect((await responseById(t.tenantId, id))!.counted).toBe(false);

    const log = await call('GET', `/api/v1/audit-log?targetType=response&targetId=${id}`, { token: t.tokens.admin });
    expect(log.body.items.map((r: any) => [r.action, r.details.reason, r.requestId])).toEqual([
      ['response.exclude', 'Duplicate of a phone interview', excluded.headers.get('x-request-id')],
      ['response.include', 'Checked with the customer: a real answer', included.headers.get('x-request-id')],
    ]);
    expect(log.body.items[1].details).toMatchObject({ counted: true, wasCounted: false, qualityFlags: ['honeypot'] });
  });

  it('an anonymous detractor flagged on capture and included later by an admin gets its case, exactly once', async () => {
    const { path } = await anonymousLink(std, t.units.berlin);
    // Without the page: too fast, not counted, so the follow-up opens no case.
    const id = (await send('POST', path, { json: { score: 1, comment: 'Nobody came' } })).body.responseId;
    expect(await responseById(t.tenantId, id)).toMatchObject({ qualityFlags: ['too_fast'], counted: false });
    for (const m of capturedFor(id)) expect((await deliverCaptured(t.tenantId, id, 1, m.body.unitPath)).acked).toBe(true);
    expect(await caseOf(t.tenantId, id)).toHaveLength(0);

    sent.length = 0;
    const admin = { authorization: `Bearer ${t.tokens.admin}` };
    const moderate = (action: 'include' | 'exclude') => send('POST', `/api/v1/responses/${id}/${action}`, { json: { reason: 'Checked with the site: a real visit' }, headers: admin });
    expect((await moderate('include')).status).toBe(200);
    // The include hands the answer to the normal follow-up path: the message of a new answer.
    expect(capturedFor(id).map((m) => m.body)).toEqual([
      { type: 'response.captured', tenantId: t.tenantId, responseId: id, idempotencyKey: `response.captured:${id}`, unitPath: t.paths.berlin!.path },
    ]);
    expect((await deliverCaptured(t.tenantId, id, 1, t.paths.berlin!.path)).acked).toBe(true);
    const [opened] = await caseOf(t.tenantId, id);
    expect(opened).toMatchObject({ status: 'open', score: 1 });

    // Excluded and included again, the message redelivered: still the one case.
    expect((await moderate('exclude')).status).toBe(200);
    expect((await moderate('include')).status).toBe(200);
    for (const m of capturedFor(id)) expect((await deliverCaptured(t.tenantId, id, 1, m.body.unitPath)).acked).toBe(true);
    expect((await caseOf(t.tenantId, id)).map((c) => c.id)).toEqual([opened!.id]);
  });

  it('a correction of a folded answer recomputes its rollup cell', async () => {
    const tenant = await makeTenant('CaptureRollup');
    const s = await makeSurvey(tenant.tenantId);
    const [a, b] = await Promise.all([makeInvitation(s, tenant.units.berlin), makeInvitation(s, tenant.units.berlin)]);
    const kept = (await send('POST', a.path, { json: { score: 10 } })).body.responseId;
    const flagged = (await send('POST', b.path, { json: { score: 0, website: 'x' } })).body.responseId;
    expect(kept && flagged).toBeTruthy();
    await foldTenant(new TenantDb(db(), tenant.tenantId), Date.now());
    const cells = async () => {
      const rows = await db().select().from(rollups).where(eq(rollups.tenantId, tenant.tenantId));
      return rows.reduce((t, r) => ({ promoters: t.promoters + r.promoters, detractors: t.detractors + r.detractors }), { promoters: 0, detractors: 0 });
    };
    // The flagged detractor is stored but not counted.
    expect(await cells()).toEqual({ promoters: 1, detractors: 0 });
    expect((await call('POST', `/api/v1/responses/${flagged}/include`, { token: tenant.tokens.admin, body: { reason: 'A real customer' } })).status).toBe(200);
    expect(await cells()).toEqual({ promoters: 1, detractors: 1 });
    expect((await call('POST', `/api/v1/responses/${kept}/exclude`, { token: tenant.tokens.admin, body: { reason: 'Our own staff' } })).status).toBe(200);
    expect(await cells()).toEqual({ promoters: 0, detractors: 1 });
  });

  it('needs a reason; an unknown response is 404', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const id = (await send('POST', inv.path, { json: { score: 8 } })).body.responseId;
    for (const body of [{}, { reason: '' }, { reason: 'ok', extra: 1 }]) {
      const res = await call('POST', `/api/v1/responses/${id}/exclude`, { token: t.tokens.admin, body });
      expect(res.status).toBe(400);
    }
    expect((await responseById(t.tenantId, id))!.counted).toBe(true);
    expect((await call('GET', '/api/v1/responses/rsp_nope', { token: t.tokens.admin })).status).toBe(404);
    expect((await call('POST', '/api/v1/responses/rsp_nope/exclude', { token: t.tokens.admin, body: { reason: 'gone' } })).status).toBe(404);
  });
});

describe('the response.captured consumer', () => {
  it('acknowledges a message whose response exists; retries one whose response is missing or which is malformed', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const id = (await send('POST', inv.path, { json: { score: 9 } })).body.responseId;
    const message = capturedFor(id)[0]!.body;
    const batch = createMessageBatch('nps-workflow', [
      { id: 'ok', timestamp: new Date(), attempts: 1, body: message },
      { id: 'missing', timestamp: new Date(), attempts: 1, body: { ...message, responseId: 'rsp_missing', idempotencyKey: 'response.captured:rsp_missing' } },
      { id: 'other-tenant', timestamp: new Date(), attempts: 1, body: { ...message, tenantId: 'ten_other' } },
      { id: 'malformed', timestamp: new Date(), attempts: 1, body: { type: 'response.captured', idempotencyKey: 'k' } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(['ok']);
    expect(result.retryMessages.map((m) => m.msgId).sort()).toEqual(['malformed', 'missing', 'other-tenant']);
  });
});

describe('forms (no script)', () => {
  it('page one posts the score and answers with page two; page two saves the comment and thanks', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const state = await invitationState(inv);
    const one = await send('POST', inv.path, { form: { score: '4', state, step: '1', website: '' } });
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toMatch(/text\/html/);
    expect(one.text).toContain('We are sorry. What should we have done better?');
    expect(one.text).not.toContain('What would make us a 10 for you?');
    const two = await send('POST', inv.path, { form: { comment: 'Call me back', state, step: '2', website: '' } });
    expect(two.status).toBe(200);
    expect(two.text).toContain('Thank you for your feedback.');
    const [row] = await responseOf(t.tenantId, inv.id);
    expect(row).toMatchObject({ score: 4, comment: 'Call me back', qualityFlags: [], counted: true });
  });

  it('a bad or missing score shows page one again with the error, storing nothing', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    for (const [score, status] of [
      ['11', 400],
      ['7.5', 400],
      ['seven', 400],
      ['', 422],
    ] as const) {
      const res = await send('POST', inv.path, { form: { score, step: '1' } });
      expect(res.status, score).toBe(status);
      expect(res.text).toContain('Please choose a score from 0 to 10.');
      expect(res.text).toContain('aria-invalid="true"');
      expect(res.text).not.toContain('"error"');
    }
    const missing = await send('POST', inv.path, { form: { step: '1' } });
    expect(missing.status).toBe(422);
    expect(await responseOf(t.tenantId, inv.id)).toEqual([]);
  });

  it('page two enforces required questions of the category and keeps what was typed', async () => {
    const inv = await makeInvitation(full, t.units.berlin);
    await send('POST', inv.path, { form: { score: '2', step: '1' } });
    const res = await send('POST', inv.path, { form: { comment: 'Keep me', 'q.way': 'chat', step: '2' } });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Please answer this question.');
    expect(res.text).toContain('>Keep me</textarea>');
    const [row] = await responseOf(t.tenantId, inv.id);
    expect(row).toMatchObject({ comment: null, answers: {} });
    const ok = await send('POST', inv.path, { form: { comment: 'Keep me', 'q.way': 'chat', 'q.sat': '2', 'q.fix': ['price', 'staff'], step: '2' } });
    expect(ok.status).toBe(200);
    expect((await responseOf(t.tenantId, inv.id))[0]).toMatchObject({ comment: 'Keep me', answers: { way: 'chat', sat: 2, fix: ['price', 'staff'] } });
  });
});

describe('another tenant', () => {
  it('a token naming another tenant for this invitation is not valid, and its answer lands nowhere', async () => {
    const other = await makeTenant('CaptureOther');
    const inv = await makeInvitation(std, t.units.berlin);
    const { signSurveyLink } = await import('../../src/surveys/token');
    const { config } = await import('./capture-fixture');
    const forged = await signSurveyLink(config(), { tenantId: other.tenantId, invitationId: inv.id, surveyVersion: 1 }, Date.now() + 86_400_000);
    const res = await send('POST', `/s/${forged}`, { json: { score: 0 } });
    expect(res.status).toBe(404);
    expect(await responseOf(t.tenantId, inv.id)).toEqual([]);
    expect(
      await db()
        .select()
        .from(responses)
        .where(and(eq(responses.tenantId, other.tenantId))),
    ).toEqual([]);
    // The other tenant's admin cannot read or moderate this tenant's responses.
    const id = (await send('POST', inv.path, { json: { score: 0 } })).body.responseId;
    expect((await call('GET', `/api/v1/responses/${id}`, { token: other.tokens.admin })).status).toBe(404);
    expect((await call('POST', `/api/v1/responses/${id}/include`, { token: other.tokens.admin, body: { reason: 'sneaky' } })).status).toBe(404);
  });
});

describe('the first answer in one round trip', () => {
  /*
   * Once the isolate holds a survey version (a page rendered, or an answer captured the long
   * way), a first answer to an invitation of it is one statement (src/responses/first-answer.ts).
   * What it writes and enqueues is checked against the two-trip path on twin invitations: the
   * same contact, locale, flags and answer, the first captured with a cold cache.
   */
  const statementsOf = async () => ((await (await fetch(`${env.LIBSQL_URL}/stats`)).json()) as { requests: number }).requests;
  const comparable = (row: Record<string, unknown>) => {
    // The twins differ in their ids, times and contacts (each its own, with the same attributes).
    const { id, invitationId, createdAt, updatedAt, answeredAt, contactId, ...rest } = row;
    return rest;
  };

  interface Twin {
    label: string;
    contact?: Parameters<typeof makeContact>[1];
    invitationLocale?: string;
    body: (inv: Awaited<ReturnType<typeof makeInvitation>>) => Promise<Record<string, unknown>>;
    acceptLanguage?: string;
    form?: boolean;
    /** The invitation names a vendor and an agent (docs/dimensions.md): the answer keeps both on either path. */
    actor?: boolean;
  }
  const twins: Twin[] = [
    {
      label: "a contact's regional locale (de-AT → de), a detractor with a comment",
      contact: { locale: 'de-AT', segment: 'smb', lifetimeValue: 900, tenureMonths: 30, contractSize: 'large', supportTier: 'basic' },
      body: async () => ({ score: 2, comment: 'zu langsam' }),
    },
    { label: "the invitation's locale without a contact, a promoter", invitationLocale: 'ar', body: async () => ({ score: 10 }) },
    { label: 'a locale the survey lacks: Accept-Language decides', contact: { locale: 'fr' }, acceptLanguage: 'it, de;q=0.8', body: async () => ({ score: 7 }) },
    { label: 'a test contact: flagged and not counted', contact: { isTest: true, locale: 'en' }, body: async () => ({ score: 4 }) },
    { label: 'an employee who filled the honeypot, by the page form', contact: { isEmployee: true }, form: true, body: async () => ({ score: '5', step: '1', website: 'x' }) },
    { label: "the page's own locale from its state", contact: { locale: 'de' }, body: async (inv) => ({ score: 8, state: await invitationState(inv, { l: 'ar' }) }) },
    { label: 'follow-up answers given with the score', contact: { locale: 'en' }, body: async () => ({ score: 9, answers: { sat: 5, way: 'chat' } }) },
    { label: 'a job a vendor performed and an agent handled', contact: { locale: 'en' }, actor: true, body: async () => ({ score: 6, comment: 'late' }) },
  ];

  for (const twin of twins) {
    it(`writes and enqueues what the two-trip path does: ${twin.label}`, async () => {
      const u = await makeTenant('OneTrip');
      const s = await makeSurvey(u.tenantId, { definition: fullSurvey() });
      const make = async () => {
        const contact = twin.contact ? await makeContact(u.tenantId, twin.contact) : null;
        return makeInvitation(s, u.units.paris, { contactId: contact?.id ?? null, locale: twin.invitationLocale, ...(twin.actor ? { vendorId: u.units.fastfix, agentId: 'ext:agent-9' } : {}) });
      };
      const [cold, warm] = [await make(), await make()];
      const twinIp = freshIp();
      const submit = async (inv: typeof cold) => {
        const body = await twin.body(inv);
        const headers = twin.acceptLanguage ? { 'accept-language': twin.acceptLanguage } : undefined;
        // One respondent network for both paths: each keeps its fingerprint (docs/integrity.md).
        return twin.form ? send('POST', inv.path, { form: body as Record<string, string>, headers, ip: twinIp }) : send('POST', inv.path, { json: body, headers, ip: twinIp });
      };
      forgetSurveys();
      sent.length = 0;
      const a = await submit(cold);
      expect(a.status, a.text).toBe(200);
      const messagesA = sent.map((m) => ({ ...m.body, responseId: 'r', idempotencyKey: 'k' }));
      sent.length = 0;
      const before = await statementsOf();
      const b = await submit(warm);
      const requests = [(await statementsOf()) - before];
      expect(b.status, b.text).toBe(200);
      const messagesB = sent.map((m) => ({ ...m.body, responseId: 'r', idempotencyKey: 'k' }));
      // One pipeline request: the statement that reads the invitation and writes the answer.
      // Other test files share the database server and its counter, so their requests can land
      // in the window: they only add. The path's own count is the least over a few warm answers
      // (the two-trip path never counts fewer than 2).
      for (let i = 0; requests.at(-1) !== 1 && i < 4; i++) {
        const extra = await make();
        const s0 = await statementsOf();
        expect((await submit(extra)).status).toBe(200);
        requests.push((await statementsOf()) - s0);
      }
      expect(Math.min(...requests)).toBe(1);
      const [rowA] = await responseOf(u.tenantId, cold.id);
      const [rowB] = await responseOf(u.tenantId, warm.id);
      expect(comparable(rowB!)).toEqual(comparable(rowA!));
      expect([rowA!.vendorId, rowA!.agentId]).toEqual(twin.actor ? [u.units.fastfix, 'ext:agent-9'] : [null, null]);
      // The contact's attributes as they stood, on both paths (compared above).
      expect([rowA!.tenureMonths, rowA!.contractSize, rowA!.supportTier]).toEqual([twin.contact?.tenureMonths ?? null, twin.contact?.contractSize ?? null, twin.contact?.supportTier ?? null]);
      // The respondent's network fingerprint, the same on both paths, never the address.
      expect(rowA!.networkHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rowA)).not.toContain(twinIp);
      expect(rowB!.contactId).toBe((await invitationOf(u.tenantId, warm.id)).contactId);
      expect(messagesB).toEqual(messagesA);
      expect((await invitationOf(u.tenantId, warm.id)).status).toBe('answered');
      // The page or JSON answer itself: the same apart from the response's id and signed state.
      const own = /rsp_\w+|"state":"[^"]+"|name="state" value="[^"]+"|nonce-[\w+/=-]+|nonce="[^"]+"|\/s\/[\w.-]+/g;
      expect(b.text.replace(own, '')).toBe(a.text.replace(own, ''));
    });
  }

  it('both paths keep the row id of the event that invited the answer (its operational facts); a wave answer has none', async () => {
    const u = await makeTenant('OneTrip');
    const other = await makeTenant('OneTripOther');
    const s = await makeSurvey(u.tenantId);
    const event = (tenantId: string, eventId: string) => ({
      id: newId('evt'),
      tenantId,
      eventId,
      type: 'ticket.resolved',
      occurredAt: Date.now(),
      attributes: { resolutionHours: 5 },
      decision: 'invite' as const,
      reason: 'eligible',
      createdAt: Date.now(),
    });
    // The other tenant has events with the very same integration ids: each answer finds its own tenant's.
    const [e1, e2] = [event(u.tenantId, 'T-1'), event(u.tenantId, 'T-2')];
    await db(u.tenantId).insert(events).values([e1, e2]);
    await db(other.tenantId)
      .insert(events)
      .values([event(other.tenantId, 'T-1'), event(other.tenantId, 'T-2')]);
    const cold = await makeInvitation(s, u.units.paris, { source: 'event:T-1' });
    const warm = await makeInvitation(s, u.units.paris, { source: 'event:T-2' });
    const wave = await makeInvitation(s, u.units.paris, { source: 'wave:w1:1' });
    forgetSurveys();
    // Cold: the two-trip path; warm: the one-statement path (the twins above count its requests).
    expect((await send('POST', cold.path, { json: { score: 3 } })).status).toBe(200);
    expect((await send('POST', warm.path, { json: { score: 9 } })).status).toBe(200);
    expect((await send('POST', wave.path, { json: { score: 7 } })).status).toBe(200);
    expect((await responseOf(u.tenantId, cold.id))[0]!.eventId).toBe(e1.id);
    expect((await responseOf(u.tenantId, warm.id))[0]!.eventId).toBe(e2.id);
    expect((await responseOf(u.tenantId, wave.id))[0]!.eventId).toBeNull();
  });

  it('an answered, expired or cancelled invitation takes the two-trip path and answers as before', async () => {
    const u = await makeTenant('OneTrip');
    const s = await makeSurvey(u.tenantId);
    const warmUp = await makeInvitation(s, u.units.paris);
    expect((await send('POST', warmUp.path, { json: { score: 9 } })).status).toBe(200);
    const expired = await makeInvitation(s, u.units.paris, { expiresAt: Date.now() - 1000, tokenExpiresAt: Date.now() + 60_000 });
    const cancelled = await makeInvitation(s, u.units.paris, { status: 'cancelled' });
    expect((await send('POST', expired.path, { json: { score: 9 } })).status).toBe(410);
    expect((await send('POST', cancelled.path, { json: { score: 9 } })).status).toBe(410);
    expect(await responseOf(u.tenantId, expired.id)).toEqual([]);
    expect(await responseOf(u.tenantId, cancelled.id)).toEqual([]);
    // Answered already: the first score stands, the comment is added.
    const again = await send('POST', warmUp.path, { json: { score: 1, comment: 'later' } });
    expect(again.body).toMatchObject({ status: 'updated', score: 9 });
    expect((await responseOf(u.tenantId, warmUp.id))[0]).toMatchObject({ score: 9, comment: 'later' });
  });
});
