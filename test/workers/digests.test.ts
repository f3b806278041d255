import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { cases, digests, responses, tenants, units } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { newId } from '../../src/lib/ids';
import { makeTouchpoint } from './program-fixture';
import { providerSpace } from './provider';
import { db, makeTenant, type Fixture, runCron } from './support';
import worker from '../../src/worker';

/**
 * Weekly digests through the real hourly cron, for two time zones: the EMEA manager's units are
 * in Europe/Berlin (UTC+1 in March), the New York manager's in America/New_York (UTC−4 from
 * 9 March 2025). Monday 2025-03-17 08:00 is 07:00 UTC in Berlin and 12:00 UTC in New York.
 * Last week is 2025-03-10..16 in local days, the week before 2025-03-03..09.
 */

const MON_0700Z = Date.UTC(2025, 2, 17, 7, 0);
const MON_1200Z = Date.UTC(2025, 2, 17, 12, 0);
let t: Fixture;
let mail: ReturnType<typeof providerSpace>;

const quiet = { send: async () => undefined, sendBatch: async () => undefined };
const hourly = (at: number) => runCron('0 * * * *', at, { ...(env as Env), WORKFLOW_QUEUE: quiet, DELIVERY_QUEUE: quiet } as unknown as Env);
const mine = () => db().select().from(digests).where(eq(digests.tenantId, t.tenantId));
const mailTo = async () => (await mail.requests()).map((r) => JSON.parse(r.body) as { to: string; subject: string; text: string });

beforeAll(async () => {
  t = await makeTenant('Digests');
  mail = providerSpace();
  const tp = await makeTouchpoint(t.tenantId);
  const d = db();
  const answer = (score: number, at: number, comment: string | null = null, locale = 'en') => ({
    id: newId('rsp'),
    tenantId: t.tenantId,
    touchpointId: tp.id,
    unitId: t.units.berlin!,
    surveyId: tp.surveyId,
    surveyVersion: 1,
    channel: 'link' as const,
    locale,
    score,
    comment,
    counted: true,
    createdAt: at,
    updatedAt: at,
  });
  const lastWeek = Date.UTC(2025, 2, 12, 10);
  const weekBefore = Date.UTC(2025, 2, 5, 10);
  const rows = [
    // Last week: 4 promoters, 1 passive, 3 detractors → NPS (4 − 3)/8 = 12.5, n = 8.
    ...[10, 10, 9, 9].map((s) => answer(s, lastWeek)),
    answer(8, lastWeek),
    answer(2, lastWeek, 'Waited two hours, the technician was rude'),
    answer(4, lastWeek, 'Rude staff and long wait'),
    answer(5, lastWeek, 'Die Wartezeit war sehr lang, Techniker unfreundlich', 'de'),
    // The week before: 1 promoter, 4 detractors → NPS −60, n = 5.
    answer(10, weekBefore),
    ...[0, 1, 2, 3].map((s) => answer(s, weekBefore, 'Dirty van')),
    // Sunday 23:30 UTC is Monday 00:30 in Berlin: this week, in neither period.
    answer(0, Date.UTC(2025, 2, 16, 23, 30), 'Excluded boundary'),
  ];
  const now = Date.now();
  await commit(d, [
    d.insert(responses).values(rows),
    ...(['emea', 'berlin', 'paris'] as const).map((k) => d.update(units).set({ timezone: 'Europe/Berlin' }).where(eq(units.id, t.units[k]!))),
    d.update(units).set({ timezone: 'America/New_York' }).where(eq(units.id, t.units.newYork!)),
    d
      .update(tenants)
      .set({ settings: { minResponses: 5, email: { baseUrl: mail.url, apiKey: 'mail-key-digests-00', from: 'digest@acme.test' } } })
      .where(eq(tenants.id, t.tenantId)),
    // Cases in Berlin: open and overdue, contacted and on time, resolved (not counted).
    d.insert(cases).values([
      {
        id: newId('case'),
        tenantId: t.tenantId,
        responseId: rows[5]!.id,
        unitId: t.units.berlin!,
        touchpointId: tp.id,
        status: 'open',
        score: 2,
        firstContactDueAt: MON_0700Z - 3600_000,
        resolutionDueAt: MON_0700Z + 86_400_000,
        createdAt: now,
        updatedAt: now,
      },
      {
        id: newId('case'),
        tenantId: t.tenantId,
        responseId: rows[6]!.id,
        unitId: t.units.berlin!,
        touchpointId: tp.id,
        status: 'contacted',
        score: 4,
        firstContactAt: lastWeek,
        firstContactDueAt: lastWeek + 3600_000,
        resolutionDueAt: MON_0700Z + 86_400_000,
        createdAt: now,
        updatedAt: now,
      },
      {
        id: newId('case'),
        tenantId: t.tenantId,
        responseId: rows[7]!.id,
        unitId: t.units.berlin!,
        touchpointId: tp.id,
        status: 'resolved',
        score: 5,
        resolutionDueAt: MON_0700Z - 86_400_000,
        createdAt: now,
        updatedAt: now,
      },
    ]),
  ]);
  // Each comment analysed as the workflow does when a comment comes (docs/themes.md): the digest names its themes from the stored tags.
  for (const r of rows.filter((x) => x.comment)) {
    const batch = createMessageBatch('nps-workflow', [
      { id: r.id, timestamp: new Date(), attempts: 1, body: { type: 'comment.analyse', tenantId: t.tenantId, responseId: r.id, idempotencyKey: `comment.analyse:${r.id}` } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env as never);
    if ((await getQueueResult(batch, ctx)).explicitAcks.length !== 1) throw new Error(`analysis of ${r.id} failed`);
  }
});

describe('weekly digests', () => {
  it("Monday 08:00 in each manager's time zone, once per week", async () => {
    // Sunday 07:00 UTC and Monday 06:00 UTC: nobody's Monday 08:00 yet.
    await hourly(Date.UTC(2025, 2, 16, 7));
    await hourly(MON_0700Z - 3600_000);
    expect(await mine()).toEqual([]);

    // 07:00 UTC: 08:00 in Berlin (EMEA manager), 03:00 in New York.
    await hourly(MON_0700Z);
    let rows = await mine();
    expect(rows.map((r) => [r.userId, r.week])).toEqual([[t.userIds.manager, '2025-03-17']]);
    let sent = await mailTo();
    expect(sent.map((m) => m.to)).toEqual([t.email('manager')]);
    const text = sent[0]!.text;
    expect(text).toBe(rows[0]!.body);
    const lines = text.split('\n');
    expect(lines.length).toBeLessThan(40);
    expect(lines[0]).toBe('Good morning manager, your NPS week 2025-03-10 to 2025-03-16:');
    expect(lines).toContain('EMEA');
    expect(text).toMatch(/^ {2}NPS 12\.5 \(95% CI -?\d+\.\d to \d+\.\d\), n = 8$/m);
    // 8 answers: at least the anonymity threshold (5), below the default reliability threshold (30).
    expect(lines).toContain('  Low sample: fewer than 30 answers, read with care');
    expect(text).toMatch(/^ {2}Change vs the week before: \+72\.5 points \(p = /m);
    // The starter library's themes in last week's three detractor comments, by hand: "Waited two hours, the
    // technician was rude" (waiting, technician, friendliness), "Rude staff and long wait" (friendliness,
    // waiting), "Die Wartezeit war sehr lang, Techniker unfreundlich" (waiting, technician, friendliness).
    // The week before ("Dirty van") and this week's Monday are in neither.
    expect(lines).toContain('  Detractor themes (of 3 detractor comments): Friendliness (3), Waiting time (3), Technician skill (2)');
    expect(lines).toContain('  Cases: 2 open, 1 overdue');
    expect(lines).toContain('  Action plans: no action plans yet');

    // 12:00 UTC: 08:00 in New York; Berlin (13:00) has its digest already.
    await hourly(MON_1200Z);
    rows = await mine();
    expect(rows.map((r) => r.userId).sort()).toEqual([t.userIds.manager, t.userIds.siteManager].sort());
    sent = await mailTo();
    expect(sent.map((m) => m.to)).toEqual([t.email('manager'), t.email('siteManager')]);
    const ny = sent[1]!.text.split('\n');
    expect(ny).toContain('New York');
    expect(ny).toContain('  NPS: not shown, 0 answers (fewer than 5)');
    expect(ny).toContain('  Detractor themes: no detractor comments');
    expect(ny).toContain('  Cases: 0 open, 0 overdue');

    // Again, and later that Monday: nothing more.
    await hourly(MON_1200Z);
    await hourly(MON_1200Z + 3600_000);
    expect(await mine()).toHaveLength(2);
    expect(await mail.requests()).toHaveLength(2);
  });
});
