import { DEADLINE_MS } from './outage-env';
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq, inArray } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { cases, responses, webhookDeliveries } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { STRINGS } from '../../src/survey-page/strings';
import { forgetSurveys } from '../../src/surveys/published-cache';
import { signSurveyLink } from '../../src/surveys/token';
import worker from '../../src/worker';
import { subscribeAll } from './case-fixture';
import { anonymousLink, anonymousState, config, freshIp, makeInvitation, makeSurvey, type Invite, type SurveySetup } from './capture-fixture';
import { db, makeTenant, runCron, type Fixture } from './support';

/*
 * The outage suite (issue 20, docs/outage.md): real faults of a real libSQL server, caused on
 * command through its fault control (scripts/libsql-server/faults.ts): refused connections,
 * server errors (503), and a paused server (requests held until it resumes, then run). This file's
 * Worker uses that server with a request deadline of DEADLINE_MS (test/workers/outage-env.ts).
 *
 * The workflow queue's producer is a recorder (the messages are structured-cloned, as a queue
 * stores them) and this file drives the real consumer (`worker.queue`) over what it recorded, as
 * the queue would: batches of 25, acknowledged messages gone, retried ones back. A real local
 * queue would hand the messages to a consumer bound to the other suites' database.
 */

/** What an answer may take beyond the deadline: the queue send and a busy machine's scheduling. */
const SLACK_MS = 750;
/** The pause between groups of answers in the 100-answer outage: it lasts about 10 s. */
/** Between groups of answers: eight groups and the paused deadline make the 30 s outage. */
const GROUP_GAP_MS = 3700;
const control = inject('libsqlFaultControl');

async function fault(f: { mode: 'off' | 'refuse' | 'error' | 'pause' | 'slow'; after?: number; status?: number; delayMs?: number }) {
  const res = await fetch(`${control}/fault`, { method: 'POST', body: JSON.stringify(f) });
  if (res.status !== 200) throw new Error(`fault control: ${res.status} ${await res.text()}`);
  return (await res.json()) as { passed: number; faulted: number; held: number };
}

interface Queued {
  id: string;
  body: any;
  at: number;
  attempts: number;
}
/** The workflow queue as recorded: what waits, and every buffered answer ever sent (for redeliveries). */
const pending: Queued[] = [];
const everBuffered: Queued[] = [];
let sequence = 0;
const push = (body: unknown) => {
  const m: Queued = { id: `q${++sequence}`, body: structuredClone(body), at: Date.now(), attempts: 1 };
  pending.push(m);
  if (m.body.type === 'response.buffered') everBuffered.push({ ...m });
};
const workflow = {
  send: async (body: unknown) => void push(body),
  sendBatch: async (batch: Iterable<{ body: unknown }>) => {
    for (const m of batch) push(m.body);
  },
  metrics: async () => ({
    backlogCount: pending.length,
    backlogBytes: 0,
    oldestMessageTimestamp: pending.length ? new Date(Math.min(...pending.map((m) => m.at))) : undefined,
  }),
};
const outEnv = { ...(env as unknown as Env), WORKFLOW_QUEUE: workflow as unknown as Queue<unknown> } as Env;

/** One batch through the real consumer; which messages it acknowledged and which it asked to retry. */
async function deliver(messages: Queued[]) {
  const batch = createMessageBatch(
    'nps-workflow',
    messages.map((m) => ({ id: m.id, timestamp: new Date(m.at), attempts: m.attempts, body: m.body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as never, outEnv as never);
  const result = await getQueueResult(batch, ctx);
  return { acked: result.explicitAcks, retried: result.retryMessages.map((r) => r.msgId) };
}

const FOLLOWED = ['response.buffered', 'response.captured'];

/** Runs the queue until none of the buffered answers and their follow-ups waits; every message acked or retried, never neither. */
async function drain() {
  for (let round = 0; round < 10; round++) {
    const ready = pending.filter((m) => FOLLOWED.includes(m.body.type));
    if (!ready.length) return;
    for (let i = 0; i < ready.length; i += 25) {
      const chunk = ready.slice(i, i + 25);
      const { acked, retried } = await deliver(chunk);
      for (const m of chunk) {
        if (acked.includes(m.id)) pending.splice(pending.indexOf(m), 1);
        else if (retried.includes(m.id)) m.attempts++;
        else throw new Error(`message ${m.id} neither acknowledged nor retried`);
      }
    }
  }
  throw new Error('the queue did not drain in 10 rounds');
}

interface Hit {
  status: number;
  headers: Headers;
  text: string;
  body: any;
  ms: number;
}

/** A request through the Worker with this file's env; `ms` is the time until the whole answer was read. */
async function hit(method: string, path: string, opts: { json?: unknown; form?: Record<string, string>; token?: string; headers?: Record<string, string> } = {}): Promise<Hit> {
  const headers = new Headers(opts.headers);
  if (!headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', freshIp());
  if (opts.token) headers.set('authorization', `Bearer ${opts.token}`);
  let body: string | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers.set('content-type', 'application/json');
  } else if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers.set('content-type', 'application/x-www-form-urlencoded');
  }
  const started = Date.now();
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://nps.test${path}`, { method, headers, body }), outEnv as never, ctx);
  const text = await res.text();
  const ms = Date.now() - started;
  await waitOnExecutionContext(ctx);
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* HTML */
  }
  return { status: res.status, headers: res.headers, text, body: parsed, ms };
}

/** Brute force, independent of the scoring module: 9–10 promoter, 7–8 passive, 0–6 detractor. */
const categoryOf = (score: number) => (score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor');

const responsesOf = (tenantId: string, invitationIds: string[]) =>
  db()
    .select()
    .from(responses)
    .where(and(eq(responses.tenantId, tenantId), inArray(responses.invitationId, invitationIds)));
const casesOf = (tenantId: string, touchpointId: string) =>
  db()
    .select()
    .from(cases)
    .where(and(eq(cases.tenantId, tenantId), eq(cases.touchpointId, touchpointId)));
const createdEvents = async (tenantId: string, responseIds: string[]) =>
  (
    await db()
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.eventType, 'response.created')))
  ).filter((d) => responseIds.includes((d.payload as { data: { id: string } }).data.id));

async function invitations(s: SurveySetup, unit: string, n: number) {
  const out: Invite[] = [];
  for (let i = 0; i < n; i += 20) out.push(...(await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => makeInvitation(s, unit)))));
  return out;
}

let t: Fixture;
beforeAll(async () => {
  t = await makeTenant('Outage');
  // A webhook wants every answer: each new answer has a follow-up (response.created), a detractor also a case.
  await subscribeAll(t.tenantId);
});
afterEach(async () => {
  // Whatever a test left, the next one starts on a healthy database with nothing waiting.
  await fault({ mode: 'off' });
  pending.length = 0;
});

describe('capture on a healthy database', () => {
  it('makes the same storage calls as before the buffer existed: the target read and the write, or the one statement of a first answer', async () => {
    const s = await makeSurvey(t.tenantId);
    const [inv, anon] = [(await invitations(s, t.units.berlin!, 1))[0]!, await anonymousLink(s, t.units.paris)];
    const requests = async () => ((await (await fetch(`${env.LIBSQL_URL}/stats`)).json()) as { requests: number }).requests;
    forgetSurveys();
    const before = await requests();
    const res = await hit('POST', inv.path, { json: { score: 9 } });
    expect(res.status).toBe(200);
    // One pipeline request per storage call (docs/capture.md: two round trips of one statement
    // each while the isolate does not hold the survey version; one once it does).
    expect((await requests()) - before).toBe(2);
    const [next] = await invitations(s, t.units.berlin!, 1);
    const warm = await requests();
    expect((await hit('POST', next!.path, { json: { score: 9 } })).status).toBe(200);
    expect((await requests()) - warm).toBe(1);
    const page = await hit('GET', anon.path);
    const state = /name="state" value="([^"]+)"/.exec(page.text)![1]!;
    const between = await requests();
    expect((await hit('POST', anon.path, { json: { score: 9, state } })).status).toBe(200);
    // An anonymous link: the read batch (rate limit, target, the page's response) and the write.
    expect((await requests()) - between).toBe(2);
    expect(pending.filter((m) => m.body.type === 'response.buffered')).toEqual([]);
  });
});

describe('capture during an outage', () => {
  it('100 answers submitted during a 30 s outage (refusing, failing, hanging): each answered within the deadline, all counted once after recovery, each detractor one case', async () => {
    const s = await makeSurvey(t.tenantId);
    const invites = await invitations(s, t.units.berlin!, 100);
    // Scores 0..10 in turn; three kinds of submit: page one's form (score only), the page's
    // script (JSON, a comment on every other one), page two's form as the script posts it (score and comment).
    const scores = invites.map((_, i) => i % 11);
    const kinds = invites.map((_, i) => (['form', 'json', 'form2'] as const)[i % 3]!);
    const comments = invites.map((_, i) => (kinds[i] === 'form2' || (kinds[i] === 'json' && i % 2 === 1) ? `answer number ${i}` : null));
    const results: Hit[] = [];
    const submit = async (i: number) => {
      const { path } = invites[i]!;
      const score = scores[i]!;
      const comment = comments[i];
      results[i] =
        kinds[i] === 'json'
          ? await hit('POST', path, { json: { score, ...(comment ? { comment } : {}) } })
          : await hit('POST', path, { form: { score: String(score), step: kinds[i] === 'form' ? '1' : '2', website: '', ...(comment ? { comment } : {}) } });
    };
    // The answers come in groups spread over the 30 s outage.
    const inTurn = async (from: number, to: number, parallel: number) => {
      for (let i = from; i < to; i += parallel) {
        await Promise.all([...Array.from({ length: Math.min(parallel, to - i) }, (_, k) => submit(i + k)), new Promise((r) => setTimeout(r, GROUP_GAP_MS))]);
      }
    };

    const outageStarted = Date.now();
    // 1. Connections refused: 40 answers, 10 at a time. A cron tick fails (the queue retries it later).
    await fault({ mode: 'refuse' });
    await inTurn(0, 40, 10);
    await expect(runCron('* * * * *', Date.now(), outEnv)).rejects.toThrow();

    // 2. Server errors: 30 answers. Monitoring sees the database down and the buffer's size and age.
    await fault({ mode: 'error', status: 503 });
    await inTurn(40, 70, 10);
    const health = await hit('GET', '/healthz');
    expect(health.status).toBe(503);
    expect(health.headers.get('retry-after')).toBeNull();
    expect(health.body.error.details.databases).toEqual([expect.objectContaining({ id: 'default', reachable: false, error: 'server-error' })]);
    expect(health.body.error.details.buffer.queue).toEqual({ backlog: 70, oldestAgeSeconds: expect.any(Number) });
    // The consumer tries while the database still fails: the first message fails, the rest of the batch is retried untried; nothing acknowledged.
    const early = pending.slice(0, 25);
    const during = await deliver(early);
    expect(during.acked).toEqual([]);
    expect(during.retried.sort()).toEqual(early.map((m) => m.id).sort());

    // 3. The server paused: 30 answers at once, each held until the deadline. Other routes fail fast too.
    await fault({ mode: 'pause' });
    await inTurn(70, 100, 30);
    const units = await hit('GET', '/api/v1/units', { token: t.tokens.admin });
    expect(units.status).toBe(503);
    expect(units.body.error.code).toBe('UNAVAILABLE');
    expect(units.headers.get('retry-after')).toBe('60');
    expect(units.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    const outageMs = Date.now() - outageStarted;

    // Every submit was answered within the deadline, as usual: the thank-you, or 202 "accepted" for the script.
    for (const [i, r] of results.entries()) {
      expect(r.ms, `submit ${i} took ${r.ms} ms`).toBeLessThan(DEADLINE_MS + SLACK_MS);
      if (kinds[i] === 'json') {
        expect(r.status, r.text).toBe(202);
        expect(r.body).toEqual({ responseId: null, status: 'accepted', score: scores[i], category: categoryOf(scores[i]!) });
      } else {
        expect(r.status, r.text).toBe(200);
        expect(r.text).toContain(STRINGS.en!.thanks);
      }
    }
    const slowest = Math.max(...results.map((r) => r.ms));
    expect(everBuffered.filter((m) => invites.some((inv) => inv.id === m.body.link.claims.invitationId))).toHaveLength(100);
    // Nothing reached the database meanwhile.
    await fault({ mode: 'off' });
    expect(
      await responsesOf(
        t.tenantId,
        invites.map((i) => i.id),
      ),
    ).toEqual([]);

    // Recovery: the queue delivers the buffered answers and their follow-ups.
    await drain();
    const rows = await responsesOf(
      t.tenantId,
      invites.map((i) => i.id),
    );
    expect(rows).toHaveLength(100);
    const byInvitation = new Map(rows.map((r) => [r.invitationId, r]));
    for (const [i, inv] of invites.entries()) {
      expect(byInvitation.get(inv.id), `invitation ${i}`).toMatchObject({ score: scores[i], comment: comments[i], counted: true, channel: 'email' });
    }
    // The answers count once, in their day, through the scores API after the fold catches up.
    await runCron('* * * * *', Date.now(), outEnv);
    const report = await hit('GET', `/api/v1/scores?unitId=${t.units.root}&groupBy=touchpoint`, { token: t.tokens.admin });
    expect(report.status, report.text).toBe(200);
    const mine = report.body.items.find((x: { key: string }) => x.key === s.touchpointId);
    const tally = { promoter: 0, passive: 0, detractor: 0 };
    for (const score of scores) tally[categoryOf(score)]++;
    expect(tally).toEqual({ promoter: 18, passive: 18, detractor: 64 }); // 0..10 nine times, 0 once more
    expect(mine).toMatchObject({ n: 100, promoters: tally.promoter, passives: tally.passive, detractors: tally.detractor, nps: (100 * (tally.promoter - tally.detractor)) / 100 });
    // Each detractor opened one case; every answer told the webhook once.
    const detractorIds = rows.filter((r) => categoryOf(r.score!) === 'detractor').map((r) => r.id);
    const opened = await casesOf(t.tenantId, s.touchpointId);
    expect(opened.map((c) => c.responseId).sort()).toEqual(detractorIds.sort());
    expect(
      await createdEvents(
        t.tenantId,
        rows.map((r) => r.id),
      ),
    ).toHaveLength(100);

    // The queue delivers them all again (at least once, it may): nothing is done twice.
    const again = everBuffered.filter((m) => invites.some((inv) => inv.id === m.body.link.claims.invitationId));
    for (let i = 0; i < again.length; i += 25) expect((await deliver(again.slice(i, i + 25))).retried).toEqual([]);
    await drain();
    expect(
      await responsesOf(
        t.tenantId,
        invites.map((i) => i.id),
      ),
    ).toHaveLength(100);
    expect(await casesOf(t.tenantId, s.touchpointId)).toHaveLength(tally.detractor);
    expect(
      await createdEvents(
        t.tenantId,
        rows.map((r) => r.id),
      ),
    ).toHaveLength(100);

    // Healthy again: 200, nothing waiting but the webhook deliveries the fold's tick queued (their consumer is webhooks.test.ts's).
    expect(pending.every((m) => m.body.type === 'webhook.deliver')).toBe(true);
    pending.length = 0;
    const healthy = await hit('GET', '/healthz');
    expect(healthy.status).toBe(200);
    expect(healthy.body.buffer.queue).toEqual({ backlog: 0, oldestAgeSeconds: null });
    expect(outageMs).toBeGreaterThanOrEqual(30_000);
    console.log(JSON.stringify({ outageMs, slowestSubmitMs: slowest, deadlineMs: DEADLINE_MS }));
  }, 120_000);

  it('the same link submitted twice during the outage and once after: one response, the last comment', async () => {
    const s = await makeSurvey(t.tenantId);
    const [a, b] = await invitations(s, t.units.paris!, 2);
    // Link a: the answer after recovery comes before the buffer is written. Link b: after it.
    for (const [inv, drainFirst] of [
      [a!, false],
      [b!, true],
    ] as const) {
      await fault({ mode: 'error' });
      const first = await hit('POST', inv.path, { json: { score: 3 } });
      const second = await hit('POST', inv.path, { form: { score: '3', step: '1', website: '' } });
      expect([first.status, second.status]).toEqual([202, 200]);
      await fault({ mode: 'off' });
      if (drainFirst) await drain();
      const after = await hit('POST', inv.path, { json: { score: 3, comment: 'Please call me back' } });
      expect(after.status, after.text).toBe(200);
      expect(after.body.status).toBe(drainFirst ? 'updated' : 'recorded');
      await drain();
      const rows = await responsesOf(t.tenantId, [inv.id]);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ score: 3, comment: 'Please call me back' });
      expect(await caseOf(rows[0]!.id)).toHaveLength(1);
    }
  });

  it('an anonymous link answered during an outage: the tap and page two make one response; the address travels only as keyed hashes', async () => {
    const s = await makeSurvey(t.tenantId);
    const link = await anonymousLink(s, t.units.paris);
    const state = await anonymousState(s, t.units.paris);
    const ip = '203.0.113.77';
    await fault({ mode: 'refuse' });
    const tap = await hit('POST', link.path, { json: { score: 2, state }, headers: { 'cf-connecting-ip': ip } });
    expect(tap.status, tap.text).toBe(202);
    expect(tap.body.state).toEqual(expect.any(String));
    // Page two as the script posts it, with the state the tap gave back.
    const two = await hit('POST', link.path, { form: { score: '2', comment: 'Dirty floors', state: tap.body.state, step: '2', website: '' }, headers: { 'cf-connecting-ip': ip } });
    expect(two.status).toBe(200);
    const messages = pending.map((m) => m.body);
    expect(messages).toHaveLength(2);
    expect(messages[0].nonce).toEqual(messages[1].nonce);
    expect(messages[0].client).toEqual({ key: expect.any(String), hash: expect.any(String) });
    expect(JSON.stringify(messages)).not.toContain(ip);
    await fault({ mode: 'off' });
    await drain();
    const rows = await db()
      .select()
      .from(responses)
      .where(and(eq(responses.tenantId, t.tenantId), eq(responses.touchpointId, s.touchpointId)));
    expect(rows).toEqual([expect.objectContaining({ score: 2, comment: 'Dirty floors', invitationId: null, counted: true, qualityFlags: [], formNonce: messages[0].nonce })]);
    expect(await caseOf(rows[0]!.id)).toHaveLength(1);
  });

  it('a write that did not answer in time but landed later: written once, its case opened once', async () => {
    const s = await makeSurvey(t.tenantId);
    const [inv] = await invitations(s, t.units.berlin!, 1);
    // The read passes, the write is held past the deadline: the answer is buffered as "may have landed".
    await fault({ mode: 'pause', after: 1 });
    const res = await hit('POST', inv!.path, { json: { score: 1, comment: 'Nobody came' } });
    expect(res.status).toBe(202);
    expect(res.ms).toBeLessThan(2 * DEADLINE_MS + SLACK_MS);
    expect(pending.at(-1)!.body).toMatchObject({ type: 'response.buffered', maybeWritten: true });
    // The server resumes: the held write runs now, with no follow-up sent for it.
    await fault({ mode: 'off' });
    let rows: Awaited<ReturnType<typeof responsesOf>> = [];
    for (let tries = 0; tries < 50 && !rows.length; tries++) {
      rows = await responsesOf(t.tenantId, [inv!.id]);
      if (!rows.length) await new Promise((r) => setTimeout(r, 20));
    }
    expect(rows).toHaveLength(1);
    expect(await caseOf(rows[0]!.id)).toEqual([]);
    await drain();
    expect(await responsesOf(t.tenantId, [inv!.id])).toHaveLength(1);
    expect(await caseOf(rows[0]!.id)).toHaveLength(1);
    expect(await createdEvents(t.tenantId, [rows[0]!.id])).toHaveLength(1);
  });
});

const caseOf = (responseId: string) =>
  db()
    .select()
    .from(cases)
    .where(and(eq(cases.tenantId, t.tenantId), eq(cases.responseId, responseId)));

describe('survey pages during an outage', () => {
  it('a page opened while the database hangs renders from the cache of published versions, or the friendly page, within the deadline', async () => {
    const s = await makeSurvey(t.tenantId);
    const [seen, unseen, cold] = await invitations(s, t.units.berlin!, 3);
    const other = await makeSurvey(t.tenantId);
    const [otherInv] = await invitations(other, t.units.berlin!, 1);
    const seenLink = await anonymousLink(s, t.units.paris);
    const unseenLink = await anonymousLink(s, t.units.berlin);
    // Healthy: one invitation's page and one anonymous link's page warm this isolate's cache.
    forgetSurveys();
    expect((await hit('GET', seen!.path)).status).toBe(200);
    expect((await hit('GET', seenLink.path)).status).toBe(200);

    await fault({ mode: 'pause' });
    // Another invitation of the same version, never opened: its link names the survey and version.
    const page = await hit('GET', unseen!.path, { headers: { 'accept-language': 'de' } });
    expect(page.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Wie wahrscheinlich ist es, dass Sie Acme einem Freund oder Kollegen empfehlen?');
    expect(page.text).toContain('<html lang="de"');
    // Another anonymous link of the touchpoint: its newest version as last seen.
    const anon = await hit('GET', unseenLink.path);
    expect(anon.status).toBe(200);
    expect(anon.text).toContain('How likely are you to recommend Acme');
    expect(anon.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    // The page rendered during the outage is answered: buffered, thanked, written once the database is back.
    const state = /name="state" value="([^"]+)"/.exec(page.text)![1]!;
    const answered = await hit('POST', unseen!.path, { form: { score: '4', state, step: '1', website: '' }, headers: { 'accept-language': 'de' } });
    expect(answered.status).toBe(200);
    // The survey is at hand: page two asks the detractor's question, in the page's language.
    expect(answered.text).toContain('Das tut uns leid. Was hätten wir besser machen sollen?');

    // A survey this isolate never showed, and a link signed before links named their survey: the friendly page, localized.
    for (const path of [otherInv!.path, `/s/${await signSurveyLink(config(), { tenantId: t.tenantId, invitationId: cold!.id, surveyVersion: 1 }, Date.now() + 86_400_000)}`]) {
      const busy = await hit('GET', path, { headers: { 'accept-language': 'de-AT' } });
      expect(busy.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('60');
      expect(busy.text).toContain(STRINGS.de!.busyTitle);
      expect(busy.text).toContain('<html lang="de"');
    }

    await fault({ mode: 'off' });
    await drain();
    expect(await responsesOf(t.tenantId, [unseen!.id])).toEqual([expect.objectContaining({ score: 4, locale: 'de' })]);
  });
});

describe('the buffer consumer under faults', () => {
  it('a consumer failing mid-batch during an outage: no message lost, nothing done twice', async () => {
    const s = await makeSurvey(t.tenantId);
    const invites = await invitations(s, t.units.newYork!, 6);
    const scores = [0, 10, 5, 8, 2, 9];
    await fault({ mode: 'refuse' });
    for (const [i, inv] of invites.entries()) expect((await hit('POST', inv.path, { json: { score: scores[i] } })).status).toBe(202);
    const buffered = [...pending];
    expect(buffered).toHaveLength(6);

    // The database comes back and fails again in the middle of the batch: five requests pass, then 503s.
    await fault({ mode: 'error', after: 5 });
    const first = await deliver(buffered);
    expect(first.acked.length).toBeGreaterThan(0);
    expect(first.retried.length).toBeGreaterThan(0);
    expect([...first.acked, ...first.retried].sort()).toEqual(buffered.map((m) => m.id).sort());
    expect(first.acked.filter((id) => first.retried.includes(id))).toEqual([]);
    // Recovered: what was acknowledged is written, nothing else yet.
    await fault({ mode: 'off' });
    const written = await responsesOf(
      t.tenantId,
      invites.map((i) => i.id),
    );
    expect(written).toHaveLength(first.acked.length);

    // The queue redelivers what was retried, and (at least once) what was acknowledged.
    for (const m of pending) if (first.retried.includes(m.id)) m.attempts++;
    pending.push(...buffered.filter((m) => first.acked.includes(m.id)).map((m) => ({ ...m, id: `${m.id}-again` })));
    await drain();
    const rows = await responsesOf(
      t.tenantId,
      invites.map((i) => i.id),
    );
    expect(rows.map((r) => [r.invitationId, r.score]).sort()).toEqual(invites.map((inv, i) => [inv.id, scores[i]]).sort());
    const detractors = rows.filter((r) => categoryOf(r.score!) === 'detractor').map((r) => r.id);
    expect(detractors).toHaveLength(3);
    expect((await casesOf(t.tenantId, s.touchpointId)).map((c) => c.responseId).sort()).toEqual(detractors.sort());
    expect(
      await createdEvents(
        t.tenantId,
        rows.map((r) => r.id),
      ),
    ).toHaveLength(6);
  });

  it('an answer without its score waits for the one that carries it; an invalid part is dropped, the rest written', async () => {
    const s = await makeSurvey(t.tenantId);
    const [inv] = await invitations(s, t.units.berlin!, 1);
    await fault({ mode: 'error' });
    expect((await hit('POST', inv!.path, { json: { score: 6 } })).status).toBe(202);
    expect((await hit('POST', inv!.path, { json: { comment: 'Too slow', answers: { nope: 'x' } } })).status).toBe(202);
    await fault({ mode: 'off' });
    const [score, comment] = pending.splice(0);
    // The comment first: no score stored yet, so it is retried (not dropped).
    expect(await deliver([comment!])).toEqual({ acked: [], retried: [comment!.id] });
    expect(await deliver([score!])).toEqual({ acked: [score!.id], retried: [] });
    expect(await deliver([{ ...comment!, attempts: 2 }])).toEqual({ acked: [comment!.id], retried: [] });
    expect(await responsesOf(t.tenantId, [inv!.id])).toEqual([expect.objectContaining({ score: 6, comment: 'Too slow', answers: {} })]);
  });
});

describe('the directory down', () => {
  it('a tenant whose placement cannot be read: its answers are buffered, its pages render from the cache', async () => {
    const s = await makeSurvey(t.tenantId);
    const [seen, inv] = await invitations(s, t.units.paris!, 2);
    expect((await hit('GET', seen!.path)).status).toBe(200); // warms the cache
    // The same Worker with a directory that refuses: no tenant's placement can be read (nothing is cached for this configuration).
    const directoryDown = { ...outEnv, DIRECTORY_URL: 'http://127.0.0.1:9' } as Env;
    const call = async (method: string, path: string, json?: unknown) => {
      const ctx = createExecutionContext();
      const headers = json === undefined ? undefined : { 'content-type': 'application/json' };
      const res = await worker.fetch(new Request(`http://nps.test${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) }), directoryDown as never, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, text: await res.text() };
    };
    const page = await call('GET', inv!.path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('How likely are you to recommend Acme');
    const answer = await call('POST', inv!.path, { score: 2, comment: 'Directory down' });
    expect(answer.status, answer.text).toBe(202);
    expect(pending.map((m) => m.body)).toEqual([expect.objectContaining({ type: 'response.buffered', maybeWritten: false, answer: expect.objectContaining({ score: 2, comment: 'Directory down' }) })]);
    // The consumer finds the tenant once the directory answers (here: this file's one database).
    await drain();
    expect(await responsesOf(t.tenantId, [inv!.id])).toEqual([expect.objectContaining({ score: 2, comment: 'Directory down' })]);
  });
});
