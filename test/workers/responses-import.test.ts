import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, responses, tenants } from '../../src/db/schema';
import { fullSurvey, makeSurvey, type SurveySetup } from './capture-fixture';
import { plantAnswers } from './measures-fixture';
import { call, db, type Fixture, makeTenant, runCron } from './support';

/*
 * Answers collected elsewhere: POST /api/v1/responses/import. Last year's scores after an import
 * are checked against a brute-force recount of the stored answers, not against the code.
 */

let t: Fixture;
let s: SurveySetup;
const year = new Date().getUTCFullYear() - 1;
const june = (day: number, hour = 10) => `${year}-06-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;
const importCall = (rows: unknown[], token = t.tokens.admin) => call('POST', '/api/v1/responses/import', { token, body: { responses: rows } });
const stamp = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  t = await makeTenant('Import');
  s = await makeSurvey(t.tenantId, { definition: fullSurvey() });
  // Scores shown from 5 answers (the default minimum is 30).
  await db(t.tenantId)
    .update(tenants)
    .set({ settings: { minResponses: 5 } })
    .where(eq(tenants.id, t.tenantId));
  for (const [id, extra] of [
    [`cust-${stamp}`, { tenureMonths: 14, contractSize: 'large', supportTier: 'premium' }],
    [`tester-${stamp}`, { isTest: true }],
  ] as const) {
    expect((await call('PUT', `/api/v1/contacts/${id}`, { token: t.tokens.admin, body: { email: `${id}@import.test`, locale: 'de', ...extra } })).status).toBe(201);
  }
  // Last June as captured before: ten answers in Berlin, folded, the month closed.
  await plantAnswers(
    t.tenantId,
    s,
    [10, 9, 9, 8, 7, 6, 3, 10, 2, 9].map((score, i) => ({ unitId: t.units.berlin!, at: Date.parse(june(3 + i)), score })),
  );
  await runCron('* * * * *');
});

/** A valid IVR answer, with an event's facts. */
const ivr = (n: number, score: unknown, extra: Record<string, unknown> = {}) => ({
  externalId: `ivr-${stamp}-${n}`,
  answeredAt: june(10 + (n % 15), 14),
  unitId: t.units.berlin,
  touchpoint: s.touchpointKey,
  channel: 'ivr',
  contactId: `cust-${stamp}`,
  score,
  answers: { sat: 1 + (n % 5) },
  event: { attributes: { waitSeconds: 30 + n * 10 } },
  ...extra,
});

/** Brute force: every counted, scored answer of the tenant in Berlin's (UTC) June, tallied by hand. */
async function recount() {
  const rows = await db(t.tenantId)
    .select({ score: responses.score })
    .from(responses)
    .where(
      and(
        eq(responses.tenantId, t.tenantId),
        eq(responses.counted, true),
        gte(responses.createdAt, Date.parse(`${year}-06-01T00:00:00Z`)),
        lt(responses.createdAt, Date.parse(`${year}-07-01T00:00:00Z`)),
      ),
    );
  const scores = rows.map((r) => r.score!).filter((x) => x !== null);
  const promoters = scores.filter((x) => x >= 9).length;
  const detractors = scores.filter((x) => x <= 6).length;
  return { n: scores.length, promoters, detractors, nps: (100 * (promoters - detractors)) / scores.length };
}

describe('answers collected elsewhere', () => {
  let good: ReturnType<typeof ivr>[];
  let bad: ReturnType<typeof ivr>[];
  let flagged: ReturnType<typeof ivr>;
  beforeAll(() => {
    good = [ivr(1, 10), ivr(2, 0), ivr(3, 9), ivr(4, 4), ivr(5, 10, { channel: 'paper', event: undefined, answers: undefined })];
    bad = [
      ivr(20, 11), // a score of 11
      ivr(21, 'ten'), // not a number
      ivr(22, 5, { unitId: 'unit_nowhere' }), // unknown unit
      ivr(23, 5, { touchpoint: 'no-such-touchpoint' }), // unknown touchpoint
      ivr(24, 5, { answeredAt: '1999-12-31T10:00:00Z' }), // out of range
      ivr(25, 5, { answeredAt: 'last june' }), // not a date
      ivr(26, 5, { answers: { sat: 9 } }), // CSAT is 1–5
      ivr(27, 5, { channel: 'pigeon' }), // no such channel
      ivr(28, 5, { contactId: 'nobody' }), // unknown contact
    ];
    flagged = ivr(30, 2, { contactId: `tester-${stamp}` }); // a test contact: stored, not counted
  });

  it('imports the good rows, a 4xx for each bad one, nothing of those written; audited', async () => {
    const before = await recount();
    expect(before).toMatchObject({ n: 10 });
    const res = await importCall([...good, ...bad, flagged]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ imported: 6, unchanged: 0, rejected: 9 });
    const byId = new Map(res.body.results.map((r: any) => [r.externalId, r]));
    for (const g of good) expect(byId.get(g.externalId)).toMatchObject({ status: 'imported', counted: true, qualityFlags: [] });
    expect(byId.get(flagged.externalId)).toMatchObject({ status: 'imported', counted: false, qualityFlags: ['test_contact'] });
    const statuses = bad.map((b) => (byId.get(b.externalId) as any).error.status);
    expect(statuses).toEqual([400, 400, 404, 404, 422, 400, 422, 400, 404]);
    for (const b of bad) expect((byId.get(b.externalId) as any).error.status).toBeGreaterThanOrEqual(400);
    const written = await db(t.tenantId)
      .select({
        externalId: responses.externalId,
        channel: responses.channel,
        locale: responses.locale,
        createdAt: responses.createdAt,
        tenureMonths: responses.tenureMonths,
        contractSize: responses.contractSize,
        supportTier: responses.supportTier,
      })
      .from(responses)
      .where(
        and(
          eq(responses.tenantId, t.tenantId),
          inArray(
            responses.externalId,
            [...good, ...bad, flagged].map((r) => r.externalId),
          ),
        ),
      );
    expect(written.map((w) => w.externalId).sort()).toEqual([...good, flagged].map((r) => r.externalId).sort());
    // Dated when answered, in the contact's language where the survey has it, on its channel.
    const first = written.find((w) => w.externalId === good[0]!.externalId)!;
    expect(first).toMatchObject({ channel: 'ivr', locale: 'de', createdAt: Date.parse(good[0]!.answeredAt) });
    // The contact's attributes as they stand at the import, kept on the answer for the contact cuts (docs/dimensions.md).
    expect(first).toMatchObject({ tenureMonths: 14, contractSize: 'large', supportTier: 'premium' });
    const audit = await db(t.tenantId)
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.action, 'responses.import')));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ received: 15, imported: 6, rejected: 9 });
  });

  it('a replay changes nothing', async () => {
    const before = await db(t.tenantId).select({ id: responses.id }).from(responses).where(eq(responses.tenantId, t.tenantId));
    const res = await importCall([...good, flagged]);
    expect(res.body).toMatchObject({ imported: 0, unchanged: 6, rejected: 0 });
    const after = await db(t.tenantId).select({ id: responses.id }).from(responses).where(eq(responses.tenantId, t.tenantId));
    expect(after.length).toBe(before.length);
    const audits = await db(t.tenantId)
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.action, 'responses.import')));
    expect(audits).toHaveLength(1);
    // The same external id twice in one call: the second is refused.
    const twice = await importCall([ivr(40, 9), ivr(40, 9)]);
    expect(twice.body).toMatchObject({ imported: 1, rejected: 1 });
    expect(twice.body.results[1].error.status).toBe(409);
  });

  it("last year's scores change exactly as the brute-force recount says", async () => {
    await runCron('* * * * *'); // the fold adds the imported answers to June's cells as late answers
    const expected = await recount();
    // 10 planted + 5 good + 1 from the twice-call counted; the test contact's answer is not.
    expect(expected.n).toBe(16);
    for (const q of [`from=${year}-06-01&to=${year}-06-30`, `from=${year}-06-01&to=${year}-06-30&period=month`, `from=${year}-01-01&to=${year}-12-31&period=month&groupBy=unit`]) {
      const res = await call('GET', `/api/v1/scores?unitId=${t.units.root}&${q}`, { token: t.tokens.admin });
      expect(res.status).toBe(200);
      const item = res.body.items.find((i: any) => (i.period ?? `${year}-06`) === `${year}-06`);
      expect(item, q).toMatchObject({ n: expected.n, promoters: expected.promoters, detractors: expected.detractors });
      expect(item.nps).toBeCloseTo(expected.nps, 10);
    }
  });

  it("an imported answer's event facts are linked to it (event measures)", async () => {
    expect((await call('POST', '/api/v1/measures', { token: t.tokens.admin, body: { key: 'waitSeconds', name: 'IVR wait', unit: 's', direction: 'lower_is_better', source: 'event' } })).status).toBe(
      201,
    );
    const res = await call('GET', `/api/v1/measures/waitSeconds/quadrant?unitId=${t.units.emea}&from=${year}-06-01&to=${year}-06-30`, { token: t.tokens.admin });
    const berlin = res.body.items.find((i: any) => i.unitId === t.units.berlin);
    // Counted answers with the attribute: good 1–4 (30 + 10n s) and the twice-call's first (n = 40); the test contact's is not counted.
    const waits = [1, 2, 3, 4, 40].map((n) => 30 + n * 10);
    expect(berlin.measure).toBeCloseTo(waits.reduce((a, b) => a + b, 0) / waits.length, 10);
  });

  it('reconciliation pairs the imported answers with the other system’s export', async () => {
    const csv = `external_id,score,date\n${[good[0]!, good[1]!].map((g) => `${g.contactId},${g.score},${g.answeredAt.slice(0, 10)}`).join('\n')}\n`;
    const res = await call('POST', '/api/v1/reconciliations', { token: t.tokens.admin, rawBody: csv, headers: { 'content-type': 'text/csv' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.matched).toBe(2);
    expect(res.body.mismatches).toEqual([]);
  });

  it('over 5,000 answers: 413, nothing imported; non-admins 403', async () => {
    const many = Array.from({ length: 5001 }, (_, i) => ivr(1000 + i, 9));
    const res = await importCall(many);
    expect(res.status).toBe(413);
    const any = await db(t.tenantId)
      .select({ id: responses.id })
      .from(responses)
      .where(and(eq(responses.tenantId, t.tenantId), eq(responses.externalId, many[0]!.externalId)));
    expect(any).toEqual([]);
    expect((await importCall([ivr(50, 9)], t.tokens.manager)).status).toBe(403);
  });
});
