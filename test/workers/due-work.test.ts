import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOGIN_COUNTER_TTL_MS } from '../../src/auth/rate-limit';
import { NOTICE_RETRY_MS } from '../../src/cases/due-cases';
import { openDb } from '../../src/db/client';
import {
  alertRules,
  cases,
  commentBackfill,
  contacts,
  invitations,
  jobSteps,
  rateLimits,
  responses,
  roleGrants,
  rollupWatermarks,
  savedReports,
  targets,
  churnModels,
  sessions,
  surveys,
  tenants,
  touchpoints,
  users,
  waves,
  webhookDeliveries,
  webhooks,
} from '../../src/db/schema';
import { LEASE_MS as DELIVERY_LEASE_MS } from '../../src/delivery/deliver';
import { isDigestTime } from '../../src/digests/run';
import type { Env } from '../../src/env';
import { type CronTick, runDatabaseJobs, SCHEDULED, SCHEDULES } from '../../src/jobs/cron';
import { digestWindow, dueJobs, markFolded } from '../../src/jobs/due-work';
import { newId } from '../../src/lib/ids';
import { createTenant } from '../../src/org/tenants';
import worker from '../../src/worker';
import { probePlane } from './probe-plane';

/*
 * Issue 11, item 5: the cron sends a tick only to a data database that has work, and an idle
 * database costs one statement of index seeks (src/jobs/due-work.ts). Each job's probe is
 * checked here: its work alone makes it due (at the time the job would act, not before), and
 * without it every probe is idle. The databases are a plane of this file's own (test/global-setup.ts),
 * so no other suite's work shows in them.
 */

const DIRECTORY_URL = probePlane.directoryUrl;
const [A, B] = probePlane.databases;
const a = openDb(A!.url);
const planeEnv = { ...(env as unknown as Env), DIRECTORY_URL, LIBSQL_URL: undefined } as unknown as Env;

const T0 = Date.now();
const MINUTE = 60_000;
const DAY = 86_400_000;
const EVERY = { minute: SCHEDULES.everyMinute, fiveMinutes: SCHEDULES.everyFiveMinutes, hour: SCHEDULES.hourly, day: SCHEDULES.daily };

/** The jobs of `cron` whose probe says due on database A at `now`. */
const due = (cron: string, now: number) => dueJobs(a, Object.fromEntries(Object.entries(SCHEDULED[cron]!).map(([name, job]) => [name, job.due(now)])));

/** Every due job of every expression on A at `now`, as `cron job`. */
async function allDue(now: number): Promise<string[]> {
  const out: string[] = [];
  for (const cron of Object.values(SCHEDULES)) for (const job of await due(cron, now)) out.push(`${cron} ${job}`);
  return out;
}

const stats = async (url: string) => (await (await fetch(`${url}/stats`)).json()) as { rowsRead: number; rowsWritten: number; statements: number; requests: number };

let tenantId: string;
let rootId: string;
let adminId: string;
let surveyId: string;
let touchpointId: string;
let contactId: string;
let responseId: string;

/** A response of the tenant (cases need one); each one is work for the fold until folded. */
async function answer(id = newId('rsp')) {
  await a.insert(responses).values({ id, tenantId, touchpointId, unitId: rootId, surveyId, surveyVersion: 1, channel: 'email', locale: 'en', score: 3, counted: true, createdAt: Date.now() });
  return id;
}

/** Runs one job of an expression on A as a tick's consumer would, at `now`. */
const runJob = (cron: string, job: string, now: number, e: Env = planeEnv) =>
  runDatabaseJobs({ type: 'cron.tick', idempotencyKey: `test:${job}:${now}`, cron, databaseId: A!.id, scheduledTime: now, jobs: [job] }, e);

/** Queue producers that keep what the jobs send. */
const recorded: unknown[] = [];
const recorder = { send: async (body: unknown) => void recorded.push(body), sendBatch: async (m: { body: unknown }[]) => void recorded.push(...m.map((x) => x.body)) };
const quietEnv = { ...planeEnv, DELIVERY_QUEUE: recorder, WORKFLOW_QUEUE: recorder } as unknown as Env;

beforeAll(async () => {
  const t = await createTenant(a, { name: 'Probe', adminEmail: `probe.${newId('x')}@probe.test`, adminPassword: 'correct-horse-battery' });
  ({ tenantId, rootUnitId: rootId, adminUserId: adminId } = t);
  surveyId = newId('srv');
  touchpointId = newId('tp');
  contactId = newId('ct');
  await a.insert(surveys).values({ id: surveyId, tenantId, name: 'S', defaultLocale: 'en', draft: {}, publishedVersion: 1 });
  await a.insert(touchpoints).values({ id: touchpointId, tenantId, key: 'tp', name: 'TP', kind: 'support_resolution', surveyId, channels: ['email'] });
  await a.insert(contacts).values({ id: contactId, tenantId, externalId: 'c1', email: 'c1@example.test' });
  responseId = await answer();
  // The fold takes it in (and closes the months): from here on A is idle.
  await runJob(EVERY.minute, 'fold', T0);
});

beforeEach(async () => {
  expect(await allDue(T0)).toEqual([]);
});

afterEach(async () => {
  await a.batch([
    a.delete(jobSteps),
    a.delete(cases),
    a.delete(webhookDeliveries),
    a.delete(webhooks),
    a.delete(invitations),
    a.delete(waves),
    a.delete(alertRules),
    a.delete(savedReports),
    a.delete(targets),
    a.delete(commentBackfill),
    a.delete(churnModels),
    a.delete(sessions),
    a.delete(rateLimits),
    a.delete(roleGrants).where(eq(roleGrants.role, 'manager')),
    a.update(tenants).set({ settings: {} }),
  ]);
  recorded.length = 0;
});

const invitation = (values: Partial<typeof invitations.$inferInsert>) =>
  a.insert(invitations).values({
    id: newId('inv'),
    tenantId,
    contactId,
    unitId: rootId,
    touchpointId,
    surveyId,
    surveyVersion: 1,
    channel: 'email',
    status: 'scheduled',
    source: 'test',
    dueAt: T0 + DAY,
    expiresAt: T0 + 30 * DAY,
    updatedAt: T0,
    ...values,
  });

const aCase = (values: Partial<typeof cases.$inferInsert>) =>
  a.insert(cases).values({ id: newId('case'), tenantId, responseId, unitId: rootId, touchpointId, status: 'open', score: 3, updatedAt: T0 - DAY * 3, ...values });

describe('each job has a probe: its work alone makes it due, when the job would act', () => {
  it('waves: an active wave whose next run has come', async () => {
    await a.insert(waves).values({ id: newId('wav'), tenantId, touchpointId, name: 'W', schedule: '0 9 * * 1', audience: { kind: 'accounts' }, unitId: rootId, nextRunAt: T0 + MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.minute} waves`]);
    await a.update(waves).set({ active: false });
    expect(await allDue(T0 + MINUTE)).toEqual([]);
  });

  it('deliveries: a scheduled invitation due', async () => {
    await invitation({ dueAt: T0 + MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.minute} deliveries`]);
  });

  it('deliveries: an open invitation past its expiry (and not an answered one)', async () => {
    await invitation({ status: 'sent', expiresAt: T0 + MINUTE });
    await invitation({ status: 'answered', expiresAt: T0 - MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.minute} deliveries`]);
  });

  it('deliveries: a `sending` invitation untouched for the lease', async () => {
    await invitation({ status: 'sending', updatedAt: T0 });
    expect(await allDue(T0 + DELIVERY_LEASE_MS - 1)).toEqual([]);
    expect(await allDue(T0 + DELIVERY_LEASE_MS)).toEqual([`${EVERY.minute} deliveries`]);
  });

  it('deliveries: a reminder due (sent, not reminded, not expired)', async () => {
    await invitation({ status: 'sent', reminderDueAt: T0 + MINUTE });
    await invitation({ status: 'sent', reminderDueAt: T0 - MINUTE, remindedAt: T0 - 2 * MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.minute} deliveries`]);
  });

  it('fold: an answer past the mark, until a fold takes it in; an answer at the mark replaced; months to close', async () => {
    const id = await answer();
    expect(await allDue(T0)).toEqual([`${EVERY.minute} fold`]);
    await runJob(EVERY.minute, 'fold', T0);
    expect(await allDue(T0)).toEqual([]);
    // The newest answer deleted and its rowid taken by the next one: under the mark, still new.
    await a.delete(responses).where(eq(responses.id, id));
    expect(await allDue(T0)).toEqual([`${EVERY.minute} fold`]);
    const again = await answer();
    const [mark] = await a.all<{ seq: number }>(sql`select seq from cron_marks where job = 'fold'`);
    const [row] = await a.all<{ rowid: number }>(sql`select rowid from responses where id = ${again}`);
    expect(row!.rowid).toBe(mark!.seq);
    expect(await allDue(T0)).toEqual([`${EVERY.minute} fold`]);
    await runJob(EVERY.minute, 'fold', T0);
    expect(await allDue(T0)).toEqual([]);
    // A tenant whose finished months are not closed yet.
    await a.update(rollupWatermarks).set({ monthsClosedThrough: '' });
    expect(await allDue(T0)).toEqual([`${EVERY.minute} fold`]);
    await runJob(EVERY.minute, 'fold', T0);
    expect(await allDue(T0)).toEqual([]);
    // A tenant whose contact totals are being rebuilt (after a unit move): every answer folded, the totals behind.
    await a.update(rollupWatermarks).set({ contactDimsSeq: 0 });
    expect(await allDue(T0)).toEqual([`${EVERY.minute} fold`]);
    await runJob(EVERY.minute, 'fold', T0);
    expect(await allDue(T0)).toEqual([]);
    const [w] = await a.select().from(rollupWatermarks);
    expect(w!.contactDimsSeq).toBe(w!.responseSeq);
  });

  it('fold: the mark never moves past an answer not folded yet (one that came during the fold, or past its budget)', async () => {
    const mark = () => a.all<{ seq: number; ref: string }>(sql`select seq, ref from cron_marks where job = 'fold'`);
    const before = await mark();
    expect(before[0]!.seq).toBeGreaterThan(0);
    const id = await answer();
    await markFolded(a, T0); // as after a fold that did not take this answer in
    expect(await mark()).toEqual(before);
    expect(await allDue(T0)).toEqual([`${EVERY.minute} fold`]);
    await runJob(EVERY.minute, 'fold', T0);
    expect((await mark())[0]!.ref).toBe(id);
  });

  it('webhooks: a pending delivery whose attempt is due (not a delivered one)', async () => {
    const webhookId = newId('whk');
    await a.insert(webhooks).values({ id: webhookId, tenantId, url: 'https://example.test/hook', events: ['*'], secret: 'whsec_x' });
    const delivery = (values: Partial<typeof webhookDeliveries.$inferInsert>) =>
      a.insert(webhookDeliveries).values({ id: newId('msg'), tenantId, webhookId, eventType: 'response.created', payload: {}, status: 'pending', nextAttemptAt: T0 + MINUTE, ...values });
    await delivery({});
    await delivery({ status: 'delivered', nextAttemptAt: T0 - MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.minute} webhooks`]);
  });

  it('case notifications: a case whose owner is to be told', async () => {
    await aCase({ notifyDueAt: T0 + MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.minute} caseNotifications`]);
  });

  it('escalation: a case late for first contact, not yet escalated for it', async () => {
    await aCase({ firstContactDueAt: T0 + MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.fiveMinutes} escalation`]);
    await a.update(cases).set({ escalated: ['first_contact'], escalationLevel: 1 });
    await a.insert(jobSteps).values({ tenantId, key: `case.escalated:${(await a.select().from(cases))[0]!.id}:first_contact:1:email` });
    expect(await allDue(T0 + MINUTE)).toEqual([]);
    await a.update(cases).set({ escalated: [], escalationLevel: 0, firstContactAt: T0 });
    expect(await allDue(T0 + MINUTE)).toEqual([]);
  });

  it('escalation: a case late for resolution, not yet escalated for it', async () => {
    await aCase({ status: 'contacted', firstContactAt: T0 - DAY, resolutionDueAt: T0 + MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.fiveMinutes} escalation`]);
    await a.update(cases).set({ escalated: ['resolution'] });
    expect(await allDue(T0 + MINUTE)).toEqual([]);
    await a.update(cases).set({ escalated: [], status: 'resolved' });
    expect(await allDue(T0 + MINUTE)).toEqual([]);
  });

  it('escalation: a recent escalation whose email step is missing', async () => {
    await aCase({ escalated: ['resolution'], escalationLevel: 1, resolutionDueAt: T0 - DAY, updatedAt: T0 - MINUTE });
    const [c] = await a.select().from(cases);
    expect(await allDue(T0)).toEqual([`${EVERY.fiveMinutes} escalation`]);
    await a.insert(jobSteps).values({ tenantId, key: `case.escalated:${c!.id}:resolution:1:email` });
    expect(await allDue(T0)).toEqual([]);
    await a.delete(jobSteps);
    expect(await allDue(T0 - MINUTE)).toEqual([]); // not after the escalation's own tick
    expect(await due(EVERY.fiveMinutes, T0 - MINUTE + NOTICE_RETRY_MS)).toEqual([]); // a day later the retries stop
  });

  it('alerts: an active rule', async () => {
    await a.insert(alertRules).values({ id: newId('alr'), tenantId, unitId: rootId, windowDays: 7, baselineDays: 28, minDropPoints: 10, alpha: 0.05, minN: 30, active: false });
    expect(await allDue(T0)).toEqual([]);
    await a.update(alertRules).set({ active: true });
    expect(await allDue(T0)).toEqual([`${EVERY.hour} alerts`]);
  });

  it('digests: a manager, while it is Monday morning somewhere', async () => {
    const day = new Date(T0).getUTCDay(); // the last Monday 10:00 UTC before T0, and the Thursday after it
    const monday = Date.UTC(new Date(T0).getUTCFullYear(), new Date(T0).getUTCMonth(), new Date(T0).getUTCDate() - ((day + 6) % 7) - 7, 10);
    const thursday = monday + 3 * DAY;
    expect(await allDue(monday)).toEqual([]); // the admin is no manager
    const userId = newId('usr');
    await a.insert(users).values({ id: userId, tenantId, email: `manager.${userId}@probe.test`, passwordHash: 'x' });
    await a.insert(roleGrants).values({ id: newId('grt'), tenantId, userId, unitId: rootId, role: 'manager' });
    expect(await allDue(monday)).toEqual([`${EVERY.hour} digests`]);
    expect(await allDue(thursday)).toEqual([]);
  });

  it('digests: the window holds every moment a digest can be due, in every time zone', () => {
    const zones = Intl.supportedValuesOf('timeZone');
    const start = Date.UTC(2026, 2, 22); // a week around a change to summer time in Europe
    for (let t = start; t < start + 8 * DAY; t += 15 * MINUTE) {
      if (digestWindow(t)) continue;
      for (const z of zones) expect(isDigestTime(t, z), `${new Date(t).toISOString()} ${z}`).toBe(false);
    }
  });

  it('reports: a saved report whose next run has come', async () => {
    await a.insert(savedReports).values({ id: newId('rpt'), tenantId, ownerType: 'user', ownerId: adminId, unitId: rootId, name: 'R', filters: {}, nextRunAt: T0 + MINUTE });
    await a.insert(savedReports).values({ id: newId('rpt'), tenantId, ownerType: 'user', ownerId: adminId, unitId: rootId, name: 'R2', filters: {}, nextRunAt: null });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.hour} reports`]);
  });

  it('credentials: an expired session, one revoked over a day ago, a stale login counter', async () => {
    await a.insert(sessions).values({ id: newId('ses'), tenantId, userId: adminId, expiresAt: T0 + MINUTE });
    expect(await allDue(T0 + MINUTE)).toEqual([]);
    expect(await allDue(T0 + MINUTE + 1)).toEqual([`${EVERY.day} credentials`]);
    await a.delete(sessions);
    await a.insert(sessions).values({ id: newId('ses'), tenantId, userId: adminId, expiresAt: T0 + 30 * DAY, revokedAt: T0 - DAY });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + 1)).toEqual([`${EVERY.day} credentials`]);
    await a.delete(sessions);
    await a.insert(rateLimits).values({ key: `login:${newId('x')}`, windowStart: T0 - LOGIN_COUNTER_TTL_MS, count: 1 });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + 1)).toEqual([`${EVERY.day} credentials`]);
  });

  it('targets: a target period past its close, its attainment not yet frozen', async () => {
    const target = { tenantId, unitId: rootId, basis: 'nps' as const, threshold: 0, target: 10, stretch: 20 };
    await a.insert(targets).values({ id: newId('tgt'), ...target, period: '2026-01', closesAt: T0 + MINUTE });
    await a.insert(targets).values({ id: newId('tgt'), ...target, period: '2025', closesAt: null }); // frozen already
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.day} targets`]);
  });

  it('comment backfill: a tenant with answers left in its backfill range; the job walks it to the end', async () => {
    const [top] = (await a.all(sql`select max(rowid) as seq from responses where tenant_id = ${tenantId}`)) as { seq: number }[];
    const seq = top!.seq;
    await a.insert(commentBackfill).values({ tenantId, seq, through: seq, dueAt: null });
    expect(await allDue(T0)).toEqual([]);
    await a.update(commentBackfill).set({ seq: seq - 1, dueAt: T0 + MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.minute} commentBackfill`]);
    await runJob(EVERY.minute, 'commentBackfill', T0 + MINUTE);
    expect(await a.select().from(commentBackfill)).toMatchObject([{ seq, through: seq, dueAt: null }]);
    expect(await allDue(T0 + MINUTE)).toEqual([]);
  });

  it('churn: a churn model due for training; the job sends it to the queue and leases it a day', async () => {
    await a.insert(churnModels).values({ tenantId, kind: 'rules', status: 'pending', dueAt: T0 + MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.day} churn`]);
    await runJob(EVERY.day, 'churn', T0 + MINUTE, quietEnv);
    expect(recorded).toEqual([{ type: 'churn.train', tenantId, idempotencyKey: `churn.train:${tenantId}:${new Date(T0 + MINUTE).toISOString().slice(0, 10)}` }]);
    expect(await allDue(T0 + MINUTE)).toEqual([]);
    expect(await allDue(T0 + MINUTE + 86_400_000)).toEqual([`${EVERY.day} churn`]);
  });

  it('churn scoring: accounts due for their daily re-scoring; the job sends churn.score and leases it a day', async () => {
    await a.insert(churnModels).values({ tenantId, kind: 'rules', status: 'ready', scoreDueAt: T0 + MINUTE });
    expect(await allDue(T0)).toEqual([]);
    expect(await allDue(T0 + MINUTE)).toEqual([`${EVERY.day} churnScoring`]);
    await runJob(EVERY.day, 'churnScoring', T0 + MINUTE, quietEnv);
    expect(recorded).toEqual([{ type: 'churn.score', tenantId, idempotencyKey: `churn.score:${tenantId}:${new Date(T0 + MINUTE).toISOString().slice(0, 10)}` }]);
    expect(await allDue(T0 + MINUTE)).toEqual([]);
    expect(await allDue(T0 + MINUTE + 86_400_000)).toEqual([`${EVERY.day} churnScoring`]);
  });

  it('retention: a tenant with a retention period', async () => {
    await a.update(tenants).set({ settings: { retention: { commentDays: null, contactDays: null } } });
    expect(await allDue(T0)).toEqual([]);
    await a.update(tenants).set({ settings: { retention: { commentDays: 90 } } });
    expect(await allDue(T0)).toEqual([`${EVERY.day} retention`]);
    await a.update(tenants).set({ settings: { retention: { contactDays: 365 } } });
    expect(await allDue(T0)).toEqual([`${EVERY.day} retention`]);
  });
});

/** The scheduled handler as production runs it, on this file's plane; the ticks it sends. */
async function fanOut(cron: string, at: number): Promise<CronTick[]> {
  const ticks: CronTick[] = [];
  const queue = { send: async (body: CronTick) => void ticks.push(body), sendBatch: async (m: { body: CronTick }[]) => void ticks.push(...m.map((x) => x.body)) };
  await worker.scheduled!(createScheduledController({ cron, scheduledTime: new Date(at) }), { ...planeEnv, WORKFLOW_QUEUE: queue } as never);
  return ticks;
}

describe('the scheduled handler sends a tick only to a database with work', () => {
  it('idle databases get no tick, and each costs one statement whose reads are index seeks', async () => {
    // B only ever receives probes; its server explains each statement it runs and reports any
    // table scan, even of the small tables (test/global-setup.ts). test/node/due-work-plans.test.ts
    // checks that every read of every probe is a SEARCH.
    for (const cron of Object.values(SCHEDULES)) {
      const before = await Promise.all([stats(A!.url), stats(B!.url)]);
      expect(await fanOut(cron, T0)).toEqual([]);
      const after = await Promise.all([stats(A!.url), stats(B!.url)]);
      for (const i of [0, 1]) {
        // One pipeline request with one statement, returning the one row of flags.
        expect({ statements: after[i]!.statements - before[i]!.statements, requests: after[i]!.requests - before[i]!.requests, rowsRead: after[i]!.rowsRead - before[i]!.rowsRead }).toEqual({
          statements: 1,
          requests: 1,
          rowsRead: 1,
        });
      }
    }
    expect(await (await fetch(`${B!.url}/scans`)).json()).toEqual({ scans: [] });
  });

  it('a database with work gets one tick naming the jobs that have it; its consumer runs them, then it is idle', async () => {
    await invitation({ dueAt: T0 - MINUTE });
    const ticks = await fanOut(EVERY.minute, T0);
    expect(ticks).toEqual([{ type: 'cron.tick', idempotencyKey: `cron:${EVERY.minute}:${A!.id}:${T0}`, cron: EVERY.minute, databaseId: A!.id, scheduledTime: T0, jobs: ['deliveries'] }]);
    expect(await fanOut(EVERY.hour, T0)).toEqual([]);
    await runDatabaseJobs(ticks[0]!, quietEnv);
    expect(recorded).toMatchObject([{ type: 'invitation.send', tenantId }]);
    expect(await fanOut(EVERY.minute, T0)).toEqual([]); // `sending`, within its lease
  });

  it('a database that cannot be asked gets a tick for every job (never idle by mistake)', async () => {
    const directory = openDb(DIRECTORY_URL);
    await directory.run(sql`insert into data_databases (id, region, url, placement, schema_version) values ('probe-down', 'eu', 'http://127.0.0.1:9', 'shared', 99)`);
    try {
      // The catalog is kept per isolate: a directory URL of its own reads it afresh.
      const ticks = await fanOutWith({ ...planeEnv, DIRECTORY_URL: `${DIRECTORY_URL}/` } as unknown as Env, EVERY.hour, T0);
      expect(ticks.map((t) => [t.databaseId, t.jobs])).toEqual([['probe-down', Object.keys(SCHEDULED[EVERY.hour]!)]]);
    } finally {
      await directory.run(sql`delete from data_databases where id = 'probe-down'`);
    }
  });
});

async function fanOutWith(e: Env, cron: string, at: number): Promise<CronTick[]> {
  const ticks: CronTick[] = [];
  const queue = { send: async (body: CronTick) => void ticks.push(body), sendBatch: async (m: { body: CronTick }[]) => void ticks.push(...m.map((x) => x.body)) };
  await worker.scheduled!(createScheduledController({ cron, scheduledTime: new Date(at) }), { ...e, WORKFLOW_QUEUE: queue } as never);
  return ticks;
}
