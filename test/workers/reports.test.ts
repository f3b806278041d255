import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { auditLog, responses, savedReports, tenants, units } from '../../src/db/schema';
import { JOBS, SCHEDULES } from '../../src/jobs/cron';
import { sendDueReports } from '../../src/reports/send';
import { newId } from '../../src/lib/ids';
import { nextOccurrence } from '../../src/reports/schedule';
import { answerRow, makeTouchpoint } from './program-fixture';
import { providerSpace } from './provider';
import { call, db, makeTenant, type Fixture, jobRun } from './support';

/**
 * Saved reports: CRUD with its access rules and validation, the CSV against the exports CSV for
 * the dates the test resolves itself, and the schedule through the real hourly cron (once per
 * occurrence, DST-correct). EMEA, Berlin and Paris keep their books in Europe/Berlin.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
let t: Fixture;
let mail: ReturnType<typeof providerSpace>;
/** Answers in the last days, by how many Berlin days before today: [daysAgo, score]. */
const ANSWERS: [number, number][] = [
  [1, 10],
  [1, 9],
  [2, 0],
  [5, 8],
  [10, 10],
  [27, 3],
  [28, 9], // within the last 28 complete days
  [29, 0],
  [40, 10], // before it
];

// The hourly cron's reports job alone: the cron's other jobs (alerts, digests) at these times
// would act on other test files' tenants running at the same time.
const hourly = (at: number) => sendDueReports(jobRun(), at);
const mailTo = async (to: string) => (await mail.requests()).map((r) => JSON.parse(r.body) as { to: string; subject: string; text: string }).filter((m) => m.to === to);
const berlinDay = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
const shift = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const myReports = () => db().select().from(savedReports).where(eq(savedReports.tenantId, t.tenantId));
const reportAudits = () =>
  db()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.targetType, 'saved_report')));

/** Brute force, independent of the code: the first whole hour after `after` whose Berlin clock reads the weekday and hour. */
function firstBerlinHour(after: number, weekday: string, hour: number): number {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  for (let at = Math.floor(after / HOUR) * HOUR + HOUR; at < after + 9 * DAY; at += HOUR) {
    const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
    if (p.weekday === weekday && Number(p.hour) === hour && p.minute === '00') return at;
  }
  throw new Error('none');
}

const weekly = { weekday: 3, hour: 10, recipients: ['ops.lead@reports.test', 'Quality@Reports.test'] };
const create = (token: string, body: unknown) => call('POST', '/api/v1/reports', { token, body });

beforeAll(async () => {
  t = await makeTenant('Reports');
  mail = providerSpace();
  const tp = await makeTouchpoint(t.tenantId);
  const d = db();
  const today = berlinDay(Date.now());
  // 10:00 UTC is 11:00 or 12:00 in Berlin: the same local day.
  const rows = ANSWERS.map(([ago, score], i) => {
    const at = Date.parse(`${shift(today, -ago)}T10:00:00Z`);
    return answerRow(t.tenantId, tp, i % 2 ? t.units.paris! : t.units.berlin!, score, at);
  });
  // Today's answer (a minute ago, Berlin's today): in no report, as today is not complete.
  const justNow = Date.now() - 60_000;
  rows.push({ ...rows[0]!, id: newId('rsp'), score: 0, createdAt: justNow, updatedAt: justNow });
  await commit(d, [
    d.insert(responses).values(rows),
    ...(['emea', 'berlin', 'paris'] as const).map((k) => d.update(units).set({ timezone: 'Europe/Berlin' }).where(eq(units.id, t.units[k]!))),
    d
      .update(tenants)
      .set({ settings: { minResponses: 2, email: { baseUrl: mail.url, apiKey: 'mail-key-reports-00', from: 'reports@acme.test' } } })
      .where(eq(tenants.id, t.tenantId)),
  ]);
});

describe('saved reports: create, read, change, delete', () => {
  it("a manager saves a weekly report on EMEA; the schedule's zone defaults to the unit's, its next run is the next Wednesday 10:00 in Berlin", async () => {
    const before = Date.now();
    const res = await create(t.tokens.manager, { name: 'EMEA weekly', unitId: t.units.emea, filters: { rangeDays: 28, groupBy: 'unit' }, schedule: weekly });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'EMEA weekly', unitId: t.units.emea, unitName: 'EMEA', owner: { type: 'user', id: t.userIds.manager }, lastSentAt: null });
    expect(res.body.filters).toEqual({ rangeDays: 28, groupBy: 'unit', weight: 'none', confidence: 0.95 });
    expect(res.body.schedule).toEqual({ weekday: 3, hour: 10, timezone: 'Europe/Berlin', recipients: ['ops.lead@reports.test', 'quality@reports.test'] });
    const next = Date.parse(res.body.nextRunAt);
    expect([firstBerlinHour(before, 'Wed', 10), firstBerlinHour(Date.now(), 'Wed', 10)]).toContain(next);
    const today = berlinDay(Date.now());
    expect(res.body.range).toEqual({ from: shift(today, -28), to: shift(today, -1) });

    const mine = await call('GET', '/api/v1/reports', { token: t.tokens.manager });
    expect(mine.body.items.map((r: any) => r.id)).toContain(res.body.id);
    // Admins over the unit see it; an analyst (reach, not owner, not admin) is refused; New York's manager does not see EMEA.
    expect((await call('GET', '/api/v1/reports', { token: t.tokens.admin })).body.items.map((r: any) => r.id)).toContain(res.body.id);
    expect((await call('GET', '/api/v1/reports?scope=mine', { token: t.tokens.admin })).body.items.map((r: any) => r.id)).not.toContain(res.body.id);
    expect((await call('GET', '/api/v1/reports', { token: t.tokens.analyst })).body.items.map((r: any) => r.id)).not.toContain(res.body.id);
    expect((await call('GET', `/api/v1/reports/${res.body.id}`, { token: t.tokens.admin })).status).toBe(200);
    expect((await call('GET', `/api/v1/reports/${res.body.id}`, { token: t.tokens.analyst })).status).toBe(403);
    expect((await call('GET', `/api/v1/reports/${res.body.id}`, { token: t.tokens.siteManager })).status).toBe(404);
    const audits = await reportAudits();
    expect(audits.filter((a) => a.targetId === res.body.id).map((a) => [a.action, a.actorId])).toEqual([['report.create', t.userIds.manager]]);
  });

  it('bad input answers 4xx with the envelope and writes nothing', async () => {
    const [rowsBefore, auditsBefore] = [(await myReports()).length, (await reportAudits()).length];
    const cases: [string, unknown, number, string][] = [
      ['a unit that does not exist', { name: 'x', unitId: 'unit_nope', filters: { rangeDays: 28 } }, 404, 'NOT_FOUND'],
      ['a unit outside EMEA (Americas)', { name: 'x', unitId: t.units.americas, filters: { rangeDays: 28 } }, 404, 'NOT_FOUND'],
      ['a unit outside EMEA (New York)', { name: 'x', unitId: t.units.newYork, filters: { rangeDays: 28 } }, 404, 'NOT_FOUND'],
      ['no range', { name: 'x', unitId: t.units.emea, filters: {} }, 400, 'VALIDATION_FAILED'],
      ['a range of 0 days', { name: 'x', unitId: t.units.emea, filters: { rangeDays: 0 } }, 400, 'VALIDATION_FAILED'],
      ['an unknown breakdown', { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28, groupBy: 'shoeSize' } }, 400, 'VALIDATION_FAILED'],
      ['hour 24', { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28 }, schedule: { ...weekly, hour: 24 } }, 400, 'VALIDATION_FAILED'],
      ['weekday 7', { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28 }, schedule: { ...weekly, weekday: 7 } }, 400, 'VALIDATION_FAILED'],
      ['a weekday name', { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28 }, schedule: { ...weekly, weekday: 'monday' } }, 400, 'VALIDATION_FAILED'],
      ['no recipients', { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28 }, schedule: { ...weekly, recipients: [] } }, 400, 'VALIDATION_FAILED'],
      ['a recipient that is no email', { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28 }, schedule: { ...weekly, recipients: ['not-an-email'] } }, 400, 'VALIDATION_FAILED'],
      ['an unknown time zone', { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28 }, schedule: { ...weekly, timezone: 'Mars/Olympus_Mons' } }, 400, 'VALIDATION_FAILED'],
      ['a tenantId in the body', { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28 }, tenantId: t.tenantId }, 400, 'VALIDATION_FAILED'],
      ['post-stratified without population shares', { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28, weight: 'poststrat' } }, 422, 'UNPROCESSABLE'],
    ];
    for (const [what, body, status, code] of cases) {
      const res = await create(t.tokens.manager, body);
      expect([what, res.status, res.body?.error?.code, typeof res.body?.error?.requestId]).toEqual([what, status, code, 'string']);
    }
    const tz = await create(t.tokens.manager, { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28 }, schedule: { ...weekly, timezone: 'Mars/Olympus_Mons' } });
    expect(tz.body.error.details).toEqual([expect.objectContaining({ path: 'body.schedule.timezone' })]);
    // An agent reads Berlin but not its scores: 403.
    expect((await create(t.tokens.agent, { name: 'x', unitId: t.units.berlin, filters: { rangeDays: 28 } })).status).toBe(403);
    expect((await myReports()).length).toBe(rowsBefore);
    expect((await reportAudits()).length).toBe(auditsBefore);
  });

  it('the owner changes and deletes; others are refused and nothing changes; every change is audited', async () => {
    const made = await create(t.tokens.manager, {
      name: 'Berlin monthly',
      unitId: t.units.berlin,
      filters: { rangeDays: 90, period: 'month' },
      schedule: { weekday: 'daily', hour: 7, recipients: ['a@reports.test'] },
    });
    expect(made.status).toBe(201);
    const id = made.body.id;
    expect((await call('PATCH', `/api/v1/reports/${id}`, { token: t.tokens.analyst, body: { name: 'hijacked' } })).status).toBe(403);
    expect((await call('PATCH', `/api/v1/reports/${id}`, { token: t.tokens.siteManager, body: { name: 'hijacked' } })).status).toBe(404);
    expect((await call('PATCH', `/api/v1/reports/${id}`, { token: t.tokens.manager, body: { unitId: t.units.newYork } })).status).toBe(404);
    expect((await call('PATCH', `/api/v1/reports/${id}`, { token: t.tokens.manager, body: { schedule: { ...weekly, hour: -1 } } })).status).toBe(400);
    expect((await call('PATCH', `/api/v1/reports/${id}`, { token: t.tokens.manager, body: {} })).status).toBe(400);
    expect((await call('DELETE', `/api/v1/reports/${id}`, { token: t.tokens.analyst })).status).toBe(403);
    const [row] = await db().select().from(savedReports).where(eq(savedReports.id, id));
    expect([row!.name, row!.unitId, row!.schedule]).toEqual(['Berlin monthly', t.units.berlin, { weekday: 'daily', hour: 7, timezone: 'Europe/Berlin', recipients: ['a@reports.test'] }]);

    const patched = await call('PATCH', `/api/v1/reports/${id}`, { token: t.tokens.manager, body: { name: 'Paris monthly', unitId: t.units.paris, schedule: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Paris monthly', unitId: t.units.paris, unitName: 'Paris', schedule: null, nextRunAt: null });
    // The admin over the unit may change it too.
    expect((await call('PATCH', `/api/v1/reports/${id}`, { token: t.tokens.admin, body: { filters: { rangeDays: 365 } } })).body.filters).toEqual({ rangeDays: 365, weight: 'none', confidence: 0.95 });
    expect((await call('DELETE', `/api/v1/reports/${id}`, { token: t.tokens.manager })).status).toBe(204);
    expect((await call('GET', `/api/v1/reports/${id}`, { token: t.tokens.manager })).status).toBe(404);
    const audits = (await reportAudits()).filter((a) => a.targetId === id).sort((a, b) => a.createdAt - b.createdAt);
    expect(audits.map((a) => [a.action, a.actorId])).toEqual([
      ['report.create', t.userIds.manager],
      ['report.update', t.userIds.manager],
      ['report.update', t.userIds.admin],
      ['report.delete', t.userIds.manager],
    ]);
  });
});

describe('the CSV of a saved report', () => {
  it('equals the exports CSV for the last 28 complete Berlin days, with the golden counts', async () => {
    const made = await create(t.tokens.manager, { name: 'EMEA by site', unitId: t.units.emea, filters: { rangeDays: 28, groupBy: 'unit' } });
    const today = berlinDay(Date.now());
    const [from, to] = [shift(today, -28), shift(today, -1)];
    const res = await call('GET', `/api/v1/reports/${made.body.id}/scores.csv`, { token: t.tokens.manager });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const exported = await call('GET', `/api/v1/exports/scores.csv?unitId=${t.units.emea}&from=${from}&to=${to}&groupBy=unit`, { token: t.tokens.manager });
    expect(exported.status).toBe(200);
    expect(res.body).toBe(exported.body);
    // Golden: the answers 1..28 days back, Berlin on even positions, Paris on odd ones.
    const inRange = ANSWERS.map(([ago, score], i) => ({ ago, score, unit: i % 2 ? t.units.paris : t.units.berlin })).filter((a) => a.ago >= 1 && a.ago <= 28);
    const lines = (res.body as string).trim().split('\r\n');
    expect(lines[0]).toBe(
      'key,period,nps,n,promoters,passives,detractors,ci_low,ci_high,ci_level,effective_n,suppressed,suppressed_reason,delta_points,delta_p,low_sample,shrunk_nps,shrunk_ci_low,shrunk_ci_high',
    );
    const byKey = Object.fromEntries(
      lines
        .slice(1)
        .map((l) => l.split(','))
        .map((f) => [f[0], { n: Number(f[3]), promoters: Number(f[4]), detractors: Number(f[6]) }]),
    );
    for (const unit of [t.units.berlin, t.units.paris]) {
      const mine = inRange.filter((a) => a.unit === unit);
      expect(byKey[unit!]).toEqual({ n: mine.length, promoters: mine.filter((a) => a.score >= 9).length, detractors: mine.filter((a) => a.score <= 6).length });
    }
    // Berlin: 10, 0, 10, 9 → n 4; Paris: 9, 8, 3 → n 3 (written out by hand from ANSWERS).
    expect([byKey[t.units.berlin!]!.n, byKey[t.units.paris!]!.n]).toEqual([4, 3]);
  });

  it("another tenant's or an unseen report's CSV is 404; an analyst's is 403", async () => {
    const made = await create(t.tokens.manager, { name: 'EMEA', unitId: t.units.emea, filters: { rangeDays: 7 } });
    expect((await call('GET', `/api/v1/reports/${made.body.id}/scores.csv`, { token: t.tokens.siteManager })).status).toBe(404);
    expect((await call('GET', `/api/v1/reports/${made.body.id}/scores.csv`, { token: t.tokens.analyst })).status).toBe(403);
    expect((await call('GET', '/api/v1/reports/rpt_nope/scores.csv', { token: t.tokens.manager })).status).toBe(404);
  });
});

describe('scheduled reports through the hourly cron', () => {
  it('is a job of the hourly cron', () => {
    expect(JOBS[SCHEDULES.hourly]).toContain(sendDueReports);
  });

  it('mail at the local hour, once per occurrence even when the cron runs twice, then the next Wednesday', async () => {
    const recipient = 'weekly.reader@reports.test';
    const made = await create(t.tokens.manager, { name: 'Mailed weekly', unitId: t.units.emea, filters: { rangeDays: 7 }, schedule: { ...weekly, recipients: [recipient] } });
    const at = Date.parse(made.body.nextRunAt);
    await hourly(at - HOUR);
    expect(await mailTo(recipient)).toEqual([]);
    await hourly(at);
    await hourly(at);
    await hourly(at + 60_000);
    const sent = await mailTo(recipient);
    expect(sent.length).toBe(1);
    // The range at the occurrence: the 7 Berlin days before its day, as the exports CSV has it.
    const day = berlinDay(at);
    const [from, to] = [shift(day, -7), shift(day, -1)];
    expect(sent[0]!.subject).toBe(`Mailed weekly (${from} to ${to})`);
    const exported = await call('GET', `/api/v1/exports/scores.csv?unitId=${t.units.emea}&from=${from}&to=${to}`, { token: t.tokens.manager });
    expect(sent[0]!.text).toContain(`scores.csv:\n${(exported.body as string).replace(/\r\n/g, '\n').trimEnd()}`);
    const after = await call('GET', `/api/v1/reports/${made.body.id}`, { token: t.tokens.manager });
    expect(Date.parse(after.body.nextRunAt)).toBe(firstBerlinHour(at, 'Wed', 10));
    expect(after.body.lastSentAt).toBe(new Date(at).toISOString());
    await hourly(at + HOUR);
    expect((await mailTo(recipient)).length).toBe(1);
  });

  it('across the spring DST change in Berlin: Sunday 09:00 is 08:00 UTC, a week later 07:00 UTC', async () => {
    const recipient = 'dst.reader@reports.test';
    const made = await create(t.tokens.manager, {
      name: 'Sunday',
      unitId: t.units.emea,
      filters: { rangeDays: 7 },
      schedule: { weekday: 0, hour: 9, timezone: 'Europe/Berlin', recipients: [recipient] },
    });
    const sunday = Date.UTC(2025, 2, 23, 8); // Sunday 23 March 2025, 09:00 CET
    await db().update(savedReports).set({ nextRunAt: sunday }).where(eq(savedReports.id, made.body.id));
    await hourly(sunday);
    expect((await mailTo(recipient)).map((m) => m.subject)).toEqual(['Sunday (2025-03-16 to 2025-03-22)']);
    const [row] = await db().select().from(savedReports).where(eq(savedReports.id, made.body.id));
    // Clocks go forward on 30 March (last Sunday): 09:00 CEST is 07:00 UTC.
    expect(new Date(row!.nextRunAt!).toISOString()).toBe('2025-03-30T07:00:00.000Z');
    expect(row!.lastSentAt).toBe(sunday);
  });

  it("runs as its owner: a disabled owner's report sends nothing (the occurrence still passes)", async () => {
    const recipient = 'disabled.owner@reports.test';
    const made = await create(t.tokens.viewer, {
      name: 'Viewer daily',
      unitId: t.units.emea,
      filters: { rangeDays: 7 },
      schedule: { weekday: 'daily', hour: 6, timezone: 'UTC', recipients: [recipient] },
    });
    expect(made.status).toBe(201);
    expect((await call('PATCH', `/api/v1/users/${t.userIds.viewer}`, { token: t.tokens.admin, body: { status: 'disabled' } })).status).toBe(200);
    const due = Date.UTC(2025, 5, 2, 6); // Monday 2 June 2025, 06:00 UTC
    await db().update(savedReports).set({ nextRunAt: due }).where(eq(savedReports.id, made.body.id));
    await hourly(due);
    expect(await mailTo(recipient)).toEqual([]);
    const [row] = await db().select().from(savedReports).where(eq(savedReports.id, made.body.id));
    expect(row!.nextRunAt).toBe(Date.UTC(2025, 5, 3, 6));
  });

  it('on the planning cycle: the monthly business review on the 1st covers the month before, the quarterly review the quarter before', async () => {
    // Next occurrences by the calendar, written out: Berlin is CET (UTC+1) in February and January, CEST (UTC+2) from 30 March.
    expect(new Date(nextOccurrence({ weekday: 'monthly', hour: 8, timezone: 'Europe/Berlin' }, Date.UTC(2025, 1, 10, 12))).toISOString()).toBe('2025-03-01T07:00:00.000Z');
    expect(new Date(nextOccurrence({ weekday: 'monthly', hour: 8, timezone: 'Europe/Berlin' }, Date.UTC(2025, 11, 20))).toISOString()).toBe('2026-01-01T07:00:00.000Z');
    expect(new Date(nextOccurrence({ weekday: 'quarterly', hour: 8, timezone: 'Europe/Berlin' }, Date.UTC(2025, 1, 10, 12))).toISOString()).toBe('2025-04-01T06:00:00.000Z');
    // Exactly at an occurrence, the next one is a period on.
    expect(new Date(nextOccurrence({ weekday: 'quarterly', hour: 8, timezone: 'Europe/Berlin' }, Date.UTC(2025, 3, 1, 6))).toISOString()).toBe('2025-07-01T06:00:00.000Z');

    const recipient = 'mbr.reader@reports.test';
    const made = await create(t.tokens.manager, {
      name: 'EMEA monthly business review',
      unitId: t.units.emea,
      filters: { rangeDays: 28 },
      schedule: { weekday: 'monthly', hour: 8, recipients: [recipient] },
    });
    expect(made.status).toBe(201);
    expect(made.body.schedule).toMatchObject({ weekday: 'monthly', hour: 8, timezone: 'Europe/Berlin' });
    const first = Date.UTC(2025, 2, 1, 7); // Saturday 1 March 2025, 08:00 CET
    await db().update(savedReports).set({ nextRunAt: first }).where(eq(savedReports.id, made.body.id));
    await hourly(first);
    // February 2025 whole, whatever its rangeDays: the month just ended.
    expect((await mailTo(recipient)).map((m) => m.subject)).toEqual(['EMEA monthly business review (2025-02-01 to 2025-02-28)']);
    const [row] = await db().select().from(savedReports).where(eq(savedReports.id, made.body.id));
    expect(new Date(row!.nextRunAt!).toISOString()).toBe('2025-04-01T06:00:00.000Z');

    const quarterly = await create(t.tokens.manager, {
      name: 'EMEA quarterly',
      unitId: t.units.emea,
      filters: { rangeDays: 90, period: 'month' },
      schedule: { weekday: 'quarterly', hour: 8, recipients: [recipient] },
    });
    const q = Date.UTC(2025, 3, 1, 6); // 1 April 2025, 08:00 CEST
    await db().update(savedReports).set({ nextRunAt: q }).where(eq(savedReports.id, quarterly.body.id));
    await hourly(q);
    expect((await mailTo(recipient)).map((m) => m.subject)).toContain('EMEA quarterly (2025-01-01 to 2025-03-31)');
    for (const bad of ['yearly', 'Monthly', 8])
      expect((await create(t.tokens.manager, { name: 'x', unitId: t.units.emea, filters: { rangeDays: 28 }, schedule: { weekday: bad, hour: 8, recipients: [recipient] } })).status, String(bad)).toBe(
        400,
      );
  });

  it('the next occurrence: skipped and repeated hours, other zones, daily', () => {
    // 02:00 does not exist in Berlin on 30 March 2025: the moment after the gap, 03:00 CEST.
    expect(new Date(nextOccurrence({ weekday: 'daily', hour: 2, timezone: 'Europe/Berlin' }, Date.UTC(2025, 2, 29, 12))).toISOString()).toBe('2025-03-30T01:00:00.000Z');
    // Autumn: Sunday 26 October 2025 09:00 is CET again, 08:00 UTC.
    expect(new Date(nextOccurrence({ weekday: 0, hour: 9, timezone: 'Europe/Berlin' }, Date.UTC(2025, 9, 19, 7))).toISOString()).toBe('2025-10-26T08:00:00.000Z');
    // Exactly at an occurrence, the next one is a week on.
    expect(new Date(nextOccurrence({ weekday: 0, hour: 9, timezone: 'Europe/Berlin' }, Date.UTC(2025, 2, 30, 7))).toISOString()).toBe('2025-04-06T07:00:00.000Z');
    // Monday 08:00 in Tokyo (UTC+9) is Sunday 23:00 UTC.
    expect(new Date(nextOccurrence({ weekday: 1, hour: 8, timezone: 'Asia/Tokyo' }, Date.UTC(2025, 5, 1, 12))).toISOString()).toBe('2025-06-01T23:00:00.000Z');
    // New York, daily 18:00 in summer (UTC−4).
    expect(new Date(nextOccurrence({ weekday: 'daily', hour: 18, timezone: 'America/New_York' }, Date.UTC(2025, 6, 4, 23))).toISOString()).toBe('2025-07-05T22:00:00.000Z');
  });
});
