import { env } from 'cloudflare:workers';
import { and, eq, inArray, like } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, events, invitations, waves } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { samplePoint } from '../../src/events/eligibility';
import { newId } from '../../src/lib/ids';
import { runDueWaves, runKey } from '../../src/waves/run';
import { makeContact, makeKey, makeTouchpoint } from './program-fixture';
import { call, db, makeTenant, uniq, type Fixture, type Login, runCron, jobRun } from './support';

/**
 * Waves run at times long past (1999): the every-minute scan of due invitations, which runs
 * with the same cron, then finds nothing of other suites' to hand over, and the real clock
 * still decides fatigue. Each test's waves are paused after it, so no later tick runs them.
 */
let t: Fixture;
const admin = () => t.tokens.admin;
const DAY = 86_400_000;
let runSlot = 0;
/** A distinct past run time per call: 1999-01-04 09:00 UTC plus whole days. */
const nextPastRun = () => Date.UTC(1999, 0, 4, 9, 0) + runSlot++ * 7 * DAY;

/** Stands in for the delivery queue producer, so the every-minute cron sends nothing anywhere. */
const quietEnv = () =>
  ({
    ...(env as Env),
    DELIVERY_QUEUE: { send: async () => undefined, sendBatch: async () => undefined } as unknown as Queue<unknown>,
  }) as Env;
const tick = (scheduledTime: number) => runCron('* * * * *', scheduledTime, quietEnv());

const created: string[] = [];
async function createWave(body: Record<string, unknown>, token = admin()) {
  const res = await call('POST', '/api/v1/waves', { token, body: { name: `Wave ${uniq()}`, schedule: '0 9 * * 1', audience: { kind: 'accounts' }, unitId: t.units.root, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  created.push(res.body.id);
  return res.body as { id: string; nextRunAt: string };
}
/** Makes the wave due at `runAt` (a time long past). */
const dueAt = (waveId: string, runAt: number) => db().update(waves).set({ nextRunAt: runAt }).where(eq(waves.id, waveId));
const waveRow = async (id: string) => (await db().select().from(waves).where(eq(waves.id, id)))[0]!;
const invitationsOf = (source: string) =>
  db()
    .select()
    .from(invitations)
    .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.source, source)));
const decisionsOf = (waveId: string, runAt: number) =>
  db()
    .select()
    .from(events)
    .where(and(eq(events.tenantId, t.tenantId), like(events.eventId, `${runKey(waveId, runAt)}:%`)));

beforeAll(async () => {
  t = await makeTenant('Waves');
});
// Due waves are taken oldest first by every tick: a test's waves are paused once it is done.
afterEach(async () => {
  if (created.length)
    await db()
      .update(waves)
      .set({ active: false })
      .where(inArray(waves.id, created.splice(0)));
});

describe('the wave API', () => {
  it('creates a wave with its next run from the schedule in the root time zone; lists, changes and deletes it', async () => {
    const tp = await makeTouchpoint(t.tenantId);
    const before = Date.now();
    const w = await createWave({ touchpointKey: tp.key, name: 'Quarterly relationship', schedule: '0 9 1 1,4,7,10 *', audience: { kind: 'segment', segment: 'enterprise' } });
    expect(w).toMatchObject({
      name: 'Quarterly relationship',
      touchpointKey: tp.key,
      schedule: '0 9 1 1,4,7,10 *',
      timezone: 'UTC',
      audience: { kind: 'segment', segment: 'enterprise' },
      unitId: t.units.root,
      active: true,
      lastRunAt: null,
    });
    const next = new Date(w.nextRunAt);
    expect(next.getTime()).toBeGreaterThan(before);
    expect([0, 3, 6, 9]).toContain(next.getUTCMonth());
    expect([next.getUTCDate(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 9, 0]);

    const list = await call('GET', '/api/v1/waves', { token: admin() });
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual(w);

    const renamed = await call('PATCH', `/api/v1/waves/${w.id}`, { token: admin(), body: { name: 'Renamed', active: false } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed', active: false, nextRunAt: w.nextRunAt });
    const rescheduled = await call('PATCH', `/api/v1/waves/${w.id}`, { token: admin(), body: { schedule: '30 8 * * *', active: true } });
    expect(rescheduled.status).toBe(200);
    const nextDaily = new Date(rescheduled.body.nextRunAt);
    expect([nextDaily.getUTCHours(), nextDaily.getUTCMinutes()]).toEqual([8, 30]);
    expect(nextDaily.getTime() - Date.now()).toBeLessThanOrEqual(DAY);

    const log = await call('GET', `/api/v1/audit-log?targetId=${w.id}`, { token: admin() });
    expect(log.body.items.map((r: any) => r.action)).toEqual(['wave.update', 'wave.update', 'wave.create']);

    expect((await call('DELETE', `/api/v1/waves/${w.id}`, { token: admin() })).status).toBe(204);
    expect((await call('PATCH', `/api/v1/waves/${w.id}`, { token: admin(), body: { name: 'x' } })).status).toBe(404);
    expect((await call('DELETE', `/api/v1/waves/${w.id}`, { token: admin() })).status).toBe(404);
    expect((await call('GET', '/api/v1/waves', { token: admin() })).body.items.map((x: any) => x.id)).not.toContain(w.id);
  });

  it('reads the schedule in the time zone of the root unit', async () => {
    const T = await makeTenant('WavesTz');
    await call('PATCH', `/api/v1/units/${T.units.root}`, { token: T.tokens.admin, body: { timezone: 'America/New_York' } });
    const tp = await makeTouchpoint(T.tenantId);
    const res = await call('POST', '/api/v1/waves', {
      token: T.tokens.admin,
      body: { touchpointKey: tp.key, name: 'NY', schedule: '0 9 * * *', audience: { kind: 'accounts' }, unitId: T.units.root },
    });
    expect(res.status).toBe(201);
    created.push(res.body.id);
    expect(res.body.timezone).toBe('America/New_York');
    expect([13, 14]).toContain(new Date(res.body.nextRunAt).getUTCHours()); // 09:00 in New York, EDT or EST
  });

  it.each([
    ['not a cron expression', { schedule: 'every monday' }, 'body.schedule'],
    ['six parts (seconds)', { schedule: '0 0 9 * * 1' }, 'body.schedule'],
    ['a minute of 61', { schedule: '61 9 * * *' }, 'body.schedule'],
    ['a date that never comes', { schedule: '0 9 30 2 *' }, 'body.schedule'],
    ['an unknown audience', { audience: { kind: 'everyone' } }, 'body.audience.kind'],
    ['a segment audience without segment', { audience: { kind: 'segment' } }, 'body.audience.segment'],
    ['an unknown field', { tenantId: 'ten_x' }, 'body'],
  ])('refuses %s with 400', async (_, patch, path) => {
    const tp = await makeTouchpoint(t.tenantId);
    const before = (await call('GET', '/api/v1/waves', { token: admin() })).body.items.length;
    const res = await call('POST', '/api/v1/waves', {
      token: admin(),
      body: { touchpointKey: tp.key, name: 'Bad', schedule: '0 9 * * 1', audience: { kind: 'accounts' }, unitId: t.units.root, ...patch },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.path)).toContain(path);
    expect((await call('GET', '/api/v1/waves', { token: admin() })).body.items.length).toBe(before);
  });

  it('refuses an unknown touchpoint or unit with 404, and a bad new schedule with 400', async () => {
    const tp = await makeTouchpoint(t.tenantId);
    const base = { name: 'W', schedule: '0 9 * * 1', audience: { kind: 'accounts' } };
    expect((await call('POST', '/api/v1/waves', { token: admin(), body: { ...base, touchpointKey: 'no-such', unitId: t.units.root } })).status).toBe(404);
    expect((await call('POST', '/api/v1/waves', { token: admin(), body: { ...base, touchpointKey: tp.key, unitId: newId('unit') } })).status).toBe(404);
    const w = await createWave({ touchpointKey: tp.key });
    const bad = await call('PATCH', `/api/v1/waves/${w.id}`, { token: admin(), body: { schedule: '* * *' } });
    expect(bad.status).toBe(400);
    expect((await waveRow(w.id)).schedule).toBe('0 9 * * 1');
  });
});

describe('a wave run (cron)', () => {
  it('invites every stakeholder of each B2B account under the rules; a second run at the same time creates nothing', async () => {
    const tp = await makeTouchpoint(t.tenantId, { channels: ['email', 'link'], delayMinutes: 0 });
    const account = `acct-${uniq()}`;
    const stakeholders = await Promise.all([
      makeContact(admin(), { accountId: account, locale: 'de' }),
      makeContact(admin(), { accountId: account, email: null }),
      makeContact(admin(), { accountId: `${account}-2` }),
    ]);
    const optedOut = await makeContact(admin(), { accountId: account, optedOut: true });
    const employee = await makeContact(admin(), { accountId: account, isEmployee: true });
    const tester = await makeContact(admin(), { accountId: account, isTest: true });
    const noAccount = await makeContact(admin(), { segment: 'consumer' });
    // Invited by an event yesterday: fatigue.
    const tired = await makeContact(admin(), { accountId: account });
    const yesterday = Date.now() - DAY;
    await db()
      .insert(invitations)
      .values({
        id: newId('inv'),
        tenantId: t.tenantId,
        contactId: tired.id,
        unitId: t.units.root!,
        touchpointId: tp.id,
        surveyId: tp.surveyId,
        surveyVersion: 1,
        channel: 'email',
        status: 'sent',
        source: 'event:x',
        dueAt: yesterday,
        expiresAt: yesterday + 30 * DAY,
        createdAt: yesterday,
        updatedAt: yesterday,
      });

    const w = await createWave({ touchpointKey: tp.key, audience: { kind: 'accounts' }, unitId: t.units.emea });
    const runAt = nextPastRun();
    await dueAt(w.id, runAt);
    const source = runKey(w.id, runAt);
    expect(source).toBe(`wave:${w.id}:${new Date(runAt).toISOString()}`);
    const before = Date.now();
    await tick(runAt);

    const invs = await invitationsOf(source);
    const byContact = new Map(invs.map((i) => [i.contactId, i]));
    expect(new Set(byContact.keys())).toEqual(new Set(stakeholders.map((s) => s.id)));
    expect(byContact.get(stakeholders[0]!.id)).toMatchObject({ channel: 'email', locale: 'de', unitId: t.units.emea, touchpointId: tp.id, surveyVersion: 1 });
    expect(byContact.get(stakeholders[1]!.id)!.channel).toBe('link');
    for (const i of invs) {
      expect(i.dueAt).toBeGreaterThanOrEqual(before); // max(now, runAt + delay)
      expect(i.expiresAt).toBe(i.dueAt + 30 * DAY);
    }

    const decisions = await decisionsOf(w.id, runAt);
    const reasonOf = Object.fromEntries(decisions.map((d) => [d.contactId, d.reason]));
    expect(reasonOf).toEqual({
      [stakeholders[0]!.id]: 'eligible',
      [stakeholders[1]!.id]: 'eligible',
      [stakeholders[2]!.id]: 'eligible',
      [optedOut.id]: 'opted_out',
      [employee.id]: 'employee',
      [tester.id]: 'test_contact',
      [tired.id]: 'fatigue',
    });
    expect(reasonOf[noAccount.id]).toBeUndefined();
    for (const d of decisions) expect(d).toMatchObject({ type: 'wave.run', occurredAt: runAt, unitId: t.units.emea, touchpointId: tp.id, attributes: { waveId: w.id } });

    const row = await waveRow(w.id);
    expect(row.lastRunAt).toBe(runAt);
    expect(row.nextRunAt).toBe(runAt + 7 * DAY); // the next Monday 09:00
    const audit = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.targetId, w.id), eq(auditLog.action, 'wave.run')));
    expect(audit).toEqual([expect.objectContaining({ actorType: 'system', details: expect.objectContaining({ decided: 7, invited: 3, complete: true }) })]);

    // The same scheduled time again: the wave is not due any more.
    await tick(runAt);
    expect((await invitationsOf(source)).length).toBe(3);
    // Even forced due again for the same run time, every contact already has its decision.
    await dueAt(w.id, runAt);
    await tick(runAt);
    expect((await invitationsOf(source)).map((i) => i.id).sort()).toEqual(invs.map((i) => i.id).sort());
    expect((await decisionsOf(w.id, runAt)).length).toBe(7);
    expect((await waveRow(w.id)).nextRunAt).toBe(runAt + 7 * DAY);
  });

  it('a segment audience; recent_negative looks back from the run time; sampling hashes the contact and the run', async () => {
    const tp = await makeTouchpoint(t.tenantId, { rules: { suppressAfterNegativeDays: 30, sampling: { gold: 1, '*': 0.5 } } });
    const segment = `seg-${uniq()}`;
    const runAt = nextPastRun();
    const key = await makeKey(admin());
    const gold = await makeContact(admin(), { segment: 'gold' });
    const members = await Promise.all(Array.from({ length: 12 }, () => makeContact(admin(), { segment })));
    const goldInSegment = await makeContact(admin(), { segment });
    // A negative interaction 10 days before the run suppresses; one 40 days before does not.
    const [recent, old] = [await makeContact(admin(), { segment }), await makeContact(admin(), { segment })];
    const negative = (c: { externalId: string }, ago: number) => ({ id: `neg-${uniq()}`, type: 'interaction.negative', occurredAt: new Date(runAt - ago).toISOString(), contactId: c.externalId });
    expect((await call('POST', '/api/v1/events', { token: key, body: { events: [negative(recent, 10 * DAY), negative(old, 40 * DAY)] } })).status).toBe(200);

    const w = await createWave({ touchpointKey: tp.key, audience: { kind: 'segment', segment } });
    await dueAt(w.id, runAt);
    await tick(runAt);
    const decisions = await decisionsOf(w.id, runAt);
    const reasonOf = new Map(decisions.map((d) => [d.contactId, d.reason]));
    expect(reasonOf.has(gold.id)).toBe(false);
    expect(reasonOf.get(recent.id)).toBe('recent_negative');
    const key_ = runKey(w.id, runAt);
    for (const c of [...members, goldInSegment, old]) {
      const expected = (await samplePoint(t.tenantId, c.id, key_)) < 0.5 ? 'eligible' : 'sampled_out';
      expect([c.id, reasonOf.get(c.id)]).toEqual([c.id, expected]);
    }
    expect(new Set(members.map((m) => reasonOf.get(m.id)))).toEqual(new Set(['eligible', 'sampled_out']));
  });

  it('decides at most the given number of contacts per tick and goes on at the next tick', async () => {
    const tp = await makeTouchpoint(t.tenantId);
    const segment = `batch-${uniq()}`;
    const people = await Promise.all(Array.from({ length: 5 }, () => makeContact(admin(), { segment })));
    const w = await createWave({ touchpointKey: tp.key, audience: { kind: 'segment', segment } });
    const runAt = nextPastRun();
    await dueAt(w.id, runAt);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await runDueWaves(jobRun(quietEnv()), runAt, 2);
      counts.push((await decisionsOf(w.id, runAt)).length);
      if (i < 2) expect((await waveRow(w.id)).nextRunAt).toBe(runAt); // still due: the run is not over
    }
    expect(counts).toEqual([2, 4, 5]);
    expect((await invitationsOf(runKey(w.id, runAt))).map((i) => i.contactId).sort()).toEqual(people.map((p) => p.id).sort());
    expect(await waveRow(w.id)).toMatchObject({ lastRunAt: runAt, nextRunAt: runAt + 7 * DAY });
    const steps = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.targetId, w.id), eq(auditLog.action, 'wave.run')));
    expect(steps.map((s) => (s.details as any).complete).sort()).toEqual([false, false, true]);
  });

  it('a paused wave does not run; a wave on an inactive touchpoint records why no one was invited', async () => {
    const tp = await makeTouchpoint(t.tenantId);
    const segment = `pause-${uniq()}`;
    const c = await makeContact(admin(), { segment });
    const paused = await createWave({ touchpointKey: tp.key, audience: { kind: 'segment', segment } });
    await call('PATCH', `/api/v1/waves/${paused.id}`, { token: admin(), body: { active: false } });
    const runAt = nextPastRun();
    await dueAt(paused.id, runAt);
    await tick(runAt);
    expect(await decisionsOf(paused.id, runAt)).toEqual([]);

    const off = await makeTouchpoint(t.tenantId, { active: false });
    const w = await createWave({ touchpointKey: off.key, audience: { kind: 'segment', segment } });
    await dueAt(w.id, runAt);
    await tick(runAt);
    expect((await decisionsOf(w.id, runAt)).map((d) => [d.contactId, d.reason])).toEqual([[c.id, 'touchpoint_inactive']]);
  });
});

describe('who may manage waves: admin on the root, else 403', () => {
  const LOGINS: Login[] = ['admin', 'analyst', 'manager', 'siteManager', 'agent', 'vendor', 'otherVendor', 'viewer'];
  let tp: { key: string };
  let target: { id: string };
  beforeAll(async () => {
    tp = await makeTouchpoint(t.tenantId);
    target = await createWave({ touchpointKey: tp.key, name: 'Target' });
  });

  it.each(LOGINS)('%s', async (login) => {
    const token = t.tokens[login];
    const name = `By ${login} ${uniq()}`;
    const list = await call('GET', '/api/v1/waves', { token });
    const create = await call('POST', '/api/v1/waves', { token, body: { touchpointKey: tp.key, name, schedule: '0 9 * * 1', audience: { kind: 'accounts' }, unitId: t.units.root } });
    const patch = await call('PATCH', `/api/v1/waves/${target.id}`, { token, body: { name } });
    const all = (await call('GET', '/api/v1/waves', { token: admin() })).body.items;
    if (login === 'admin') {
      expect([list.status, create.status, patch.status]).toEqual([200, 201, 200]);
      created.push(create.body.id);
      const extra = await createWave({ touchpointKey: tp.key });
      expect((await call('DELETE', `/api/v1/waves/${extra.id}`, { token })).status).toBe(204);
    } else {
      for (const res of [list, create, patch, await call('DELETE', `/api/v1/waves/${target.id}`, { token })]) {
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('FORBIDDEN');
      }
      expect(all.map((w: any) => w.name)).not.toContain(name);
      expect(all.map((w: any) => w.id)).toContain(target.id);
    }
  });

  it('an admin API key may; a read-only key may list only; without a credential 401', async () => {
    const key = await makeKey(admin());
    const readOnly = await makeKey(admin(), { scopes: ['read'] });
    expect((await call('GET', '/api/v1/waves', { token: readOnly })).status).toBe(200);
    expect((await call('PATCH', `/api/v1/waves/${target.id}`, { token: readOnly, body: { name: 'ro' } })).status).toBe(403);
    expect((await call('PATCH', `/api/v1/waves/${target.id}`, { token: key, body: { name: 'Target' } })).status).toBe(200);
    expect((await call('GET', '/api/v1/waves')).status).toBe(401);
  });
});

describe('tenants', () => {
  it("B cannot see, change or delete A's waves, nor aim a wave at A's unit or touchpoint", async () => {
    const B = await makeTenant('WavesB');
    const aTp = await makeTouchpoint(t.tenantId);
    const a = await createWave({ touchpointKey: aTp.key, name: 'A secret wave' });
    const aBefore = await waveRow(a.id);
    const token = B.tokens.admin;
    const patch = await call('PATCH', `/api/v1/waves/${a.id}`, { token, body: { name: 'pwned', active: false } });
    const patchGhost = await call('PATCH', `/api/v1/waves/${newId('wave')}`, { token, body: { name: 'pwned', active: false } });
    expect(patch.status).toBe(404);
    expect([patch.status, patch.body.error.message]).toEqual([patchGhost.status, patchGhost.body.error.message]);
    expect((await call('DELETE', `/api/v1/waves/${a.id}`, { token })).status).toBe(404);
    const list = await call('GET', '/api/v1/waves', { token });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(a.id);
    const bTp = await makeTouchpoint(B.tenantId);
    const base = { name: 'B', schedule: '0 9 * * 1', audience: { kind: 'accounts' } };
    expect((await call('POST', '/api/v1/waves', { token, body: { ...base, touchpointKey: bTp.key, unitId: t.units.root } })).status).toBe(404);
    expect((await call('POST', '/api/v1/waves', { token, body: { ...base, touchpointKey: aTp.key, unitId: B.units.root } })).status).toBe(404);
    expect(await waveRow(a.id)).toEqual(aBefore);
  });

  it("a run decides only the wave's own tenant's contacts", async () => {
    const B = await makeTenant('WavesRunB');
    const segment = `iso-${uniq()}`;
    const bContact = await makeContact(B.tokens.admin, { segment });
    const aContact = await makeContact(admin(), { segment });
    const tp = await makeTouchpoint(t.tenantId);
    const w = await createWave({ touchpointKey: tp.key, audience: { kind: 'segment', segment } });
    const runAt = nextPastRun();
    await dueAt(w.id, runAt);
    await tick(runAt);
    expect((await decisionsOf(w.id, runAt)).map((d) => d.contactId)).toEqual([aContact.id]);
    const inB = await db().select().from(invitations).where(eq(invitations.contactId, bContact.id));
    expect(inB).toEqual([]);
  });
});
