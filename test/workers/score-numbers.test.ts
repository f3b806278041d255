import { and, eq, sql } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { commit } from '../../src/db/client';
import { contacts, units } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { mergeSettings } from './case-fixture';
import { makeTouchpoint } from './program-fixture';
import { call, db, makeTenant, PASSWORD, type Fixture, runCron } from './support';

/**
 * Numbers that must not break: weights out of bounds (refused at the door, ignored when read),
 * suppression that fails closed, post-stratification through the settings API, the default
 * `to` of the unit's local today, and `compare` and contact cuts validated and bounded.
 */
let t: Fixture;
let tp: { id: string; surveyId: string };
const DAY = 86_400_000;
const fold = () => runCron('* * * * *');
const scores = (qs: string, token = t.tokens.admin) => call('GET', `/api/v1/scores?${qs}`, { token });
const today = () => new Date().toISOString().slice(0, 10);

/** An answer written through SQL, as a row the API would never write could be. */
async function rawAnswer(unitId: string, score: number, opts: { ltv?: number | null; segment?: string | null; at?: number; contactId?: string | null } = {}) {
  const id = newId('rsp');
  const at = opts.at ?? Date.now();
  await db().run(sql`insert into responses (id, tenant_id, touchpoint_id, unit_id, contact_id, survey_id, survey_version, channel, locale, score, counted, segment, lifetime_value, answered_at, created_at, updated_at)
    values (${id}, ${t.tenantId}, ${tp.id}, ${unitId}, ${opts.contactId ?? null}, ${tp.surveyId}, 1, 'email', 'en', ${score}, 1, ${opts.segment ?? null}, ${opts.ltv ?? null}, ${at}, ${at}, ${at})`);
  return id;
}

beforeAll(async () => {
  t = await makeTenant('Numbers');
  tp = await makeTouchpoint(t.tenantId);
  await mergeSettings(t.tenantId, { minResponses: 1 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('lifetime values at the door', () => {
  it('the contacts API, the CSV and JSON-lines import and the reweighting refuse values outside the documented bounds', async () => {
    const put = (lifetimeValue: number) => call('PUT', `/api/v1/contacts/door-${lifetimeValue}`, { token: t.tokens.admin, body: { lifetimeValue } });
    for (const bad of [1e200, 1e-200, 1e12 * 10, -1]) {
      const res = await put(bad);
      expect(res.status, String(bad)).toBe(400);
      expect(res.body.error.details[0].path).toBe('body.lifetimeValue');
    }
    for (const good of [0, 0.01, 1e12]) expect((await put(good)).status, String(good)).toBe(201);

    const csv = await call('POST', '/api/v1/contacts/import', {
      token: t.tokens.admin,
      rawBody: 'externalId,lifetimeValue\nimp-1,1e200\nimp-2,1e-200\nimp-3,250\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(csv.status).toBe(200);
    expect(csv.body.accepted).toBe(1);
    expect(csv.body.rejected.map((r: any) => r.externalId)).toEqual(['imp-1', 'imp-2']);
    expect(csv.body.rejected[0].reason).toMatch(/lifetimeValue/);
    const lines = await call('POST', '/api/v1/contacts/import', {
      token: t.tokens.admin,
      rawBody: '{"externalId":"imp-4","lifetimeValue":1e200}\n{"externalId":"imp-5","lifetimeValue":7}\n',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(lines.body).toMatchObject({ accepted: 1, rejected: [{ row: 1, externalId: 'imp-4' }] });
    const stored = await db()
      .select({ externalId: contacts.externalId })
      .from(contacts)
      .where(and(eq(contacts.tenantId, t.tenantId), sql`${contacts.externalId} in ('imp-1', 'imp-2', 'imp-4')`));
    expect(stored).toEqual([]);

    const reweight = await call('POST', '/api/v1/contacts/imp-3/reweight', { token: t.tokens.admin, body: { lifetimeValue: 1e200, reason: 'typo in the CRM' } });
    expect(reweight.status).toBe(400);
  });
});

describe('a stored weight out of bounds', () => {
  it('never fails the scores of its unit, region or root, weighted or not, folded or live, by cell or by contact cut', async () => {
    const berlin = t.units.berlin!;
    const contactId = newId('con');
    await db()
      .insert(contacts)
      .values({ id: contactId, tenantId: t.tenantId, externalId: `huge-${newId('x')}`, tenureMonths: 3 });
    // Written through SQL: the API refuses both values now.
    await rawAnswer(berlin, 10, { ltv: 1e200, contactId });
    await rawAnswer(berlin, 9, { ltv: 100, contactId });
    await rawAnswer(berlin, 0, { ltv: 300 });
    const check = async () => {
      for (const unit of [berlin, t.units.emea!, t.units.root]) {
        for (const extra of ['', '&weight=ltv', '&groupBy=tenure&weight=ltv', '&groupBy=touchpoint&weight=ltv', '&groupBy=unit&period=day&weight=ltv']) {
          const res = await scores(`unitId=${unit}${extra}`);
          expect(res.status, `${unit}${extra}: ${JSON.stringify(res.body)}`).toBe(200);
        }
      }
      // The out-of-bounds weight is ignored (weighs 0, like an unknown value): 100 for the promoter, 300 for the detractor.
      const [item] = (await scores(`unitId=${berlin}&weight=ltv`)).body.items;
      expect(item).toMatchObject({ n: 3, promoters: 2, detractors: 1, suppressed: false });
      expect(item.nps).toBeCloseTo((100 * (100 - 300)) / 400, 9);
      expect(item.effectiveN).toBeCloseTo(400 ** 2 / (100 ** 2 + 300 ** 2), 9);
    };
    await check();
    await fold();
    await check();
  });

  it('a weight whose square underflows suppresses instead of showing a score of no weight', async () => {
    const paris = t.units.paris!;
    await rawAnswer(paris, 10, { ltv: 1e-200 });
    const check = async () => {
      const res = await scores(`unitId=${paris}&weight=ltv`);
      expect(res.status).toBe(200);
      expect(res.body.items[0]).toMatchObject({ n: 1, nps: null, ci: null, suppressed: true });
      expect(Number.isFinite(res.body.items[0].effectiveN)).toBe(true);
    };
    await check();
    await fold();
    await check();
  });
});

describe('post-stratification', () => {
  it('population shares are set through the settings API and weigh each segment to its share', async () => {
    const unit = t.units.newYork!;
    // smb: 10, 10, 0 (NPS 33.3); enterprise: 0 (NPS −100); an answer without a segment weighs 0.
    for (const [score, segment] of [
      [10, 'smb'],
      [10, 'smb'],
      [0, 'smb'],
      [0, 'enterprise'],
      [10, null],
    ] as const)
      await rawAnswer(unit, score, { segment });
    expect((await scores(`unitId=${unit}&weight=poststrat`)).status).toBe(422);

    const bad = await call('PATCH', '/api/v1/settings', { token: t.tokens.admin, body: { populationShares: { smb: 1.5 } } });
    expect(bad.status).toBe(400);
    const set = await call('PATCH', '/api/v1/settings', { token: t.tokens.admin, body: { populationShares: { smb: 0.7, enterprise: 0.3 } } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.populationShares).toEqual({ smb: 0.7, enterprise: 0.3 });

    const res = await scores(`unitId=${unit}&weight=poststrat`);
    expect(res.status).toBe(200);
    const smb = (100 * (2 - 1)) / 3;
    const enterprise = -100;
    expect(res.body.items[0].nps).toBeCloseTo(0.7 * smb + 0.3 * enterprise, 9);
    expect(res.body.items[0].n).toBe(5);

    expect((await call('PATCH', '/api/v1/settings', { token: t.tokens.admin, body: { populationShares: null } })).status).toBe(200);
    expect((await scores(`unitId=${unit}&weight=poststrat`)).status).toBe(422);
  });
});

describe('the default end of the range', () => {
  it("is the unit's local today: a unit at UTC+14 counts its own today's answer", async () => {
    // 11:00 UTC: already tomorrow on Kiritimati (UTC+14). A past instant keeps the session valid.
    const now = Date.now();
    const at = Date.parse(`${today()}T11:00:00Z`) - (new Date(now).getUTCHours() < 11 ? DAY : 0);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(at);
    const unitId = newId('unit');
    const root = t.paths.root!;
    await commit(db(), [
      db()
        .insert(units)
        .values({
          id: unitId,
          tenantId: t.tenantId,
          parentId: root.id,
          name: 'Kiritimati',
          kind: 'site',
          path: `${root.path}${unitId}/`,
          timezone: 'Pacific/Kiritimati',
          createdAt: at,
          updatedAt: at,
        }),
    ]);
    await rawAnswer(unitId, 9, { at });
    const login = await call('POST', '/api/v1/auth/login', { body: { email: t.email('admin'), password: PASSWORD }, headers: { 'cf-connecting-ip': t.ip } });
    const res = await scores(`unitId=${unitId}`, login.body.token);
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ n: 1, promoters: 1 });
  });
});

describe('compare and contact cuts', () => {
  it('compare takes calendar days in order within the range cap', async () => {
    for (const compare of ['2026-02-30..2026-03-05', '2026-03-10..2026-03-01', '2020-01-01..2026-01-01']) {
      const res = await scores(`from=2026-03-01&to=2026-03-31&compare=${compare}`);
      expect(res.status, compare).toBe(400);
      expect(res.body.error.details[0].path).toBe('query.compare');
    }
    expect((await scores('from=2026-03-01&to=2026-03-31&compare=2026-02-01..2026-02-28')).status).toBe(200);
  });

  it('a cut counted from the answers by day is bounded: a longer range answers 422 and says how long it may be', async () => {
    // The account and the agent are counted from the answers; so is a contact cut filtered by vendor (the totals hold no vendor).
    for (const query of ['groupBy=account', 'groupBy=agent', `groupBy=tenure&vendorId=${t.units.fastfix}`]) {
      const res = await scores(`from=2026-01-01&to=2026-03-31&period=day&${query}`, t.tokens.viewer);
      expect(res.status, query).toBe(422);
      expect(res.body.error.message).toMatch(/31 days/);
    }
    expect((await scores('from=2026-03-01&to=2026-03-31&period=day&groupBy=account', t.tokens.viewer)).status).toBe(200);
    // Tenure, contract size and support tier are kept as subtree totals: any range by day.
    for (const groupBy of ['tenure', 'contractSize', 'supportTier']) expect((await scores(`from=2026-01-01&to=2026-03-31&period=day&groupBy=${groupBy}`, t.tokens.viewer)).status, groupBy).toBe(200);
    expect((await scores('from=2026-01-01&to=2026-03-31&period=week&groupBy=tenure', t.tokens.viewer)).status).toBe(200);
  });
});
