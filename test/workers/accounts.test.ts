import { count, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountOutcomes, accounts, accountSignalValues, auditLog } from '../../src/db/schema';
import { makeSurvey, type SurveySetup } from './capture-fixture';
import { call, db, type Fixture, makeTenant, uniq } from './support';

/*
 * Accounts as records, stakeholder roles on contacts, role-weighted account NPS (its value and
 * interval derived by hand below, never from the code), outcomes and behaviour signals with
 * their bad input refused whole or row by row.
 */

let t: Fixture;
let s: SurveySetup;
const tag = uniq();
const admin = () => t.tokens.admin;
const rowsOf = async (table: typeof accounts | typeof accountOutcomes | typeof accountSignalValues) =>
  (await db(t.tenantId).select({ n: count() }).from(table).where(eq(table.tenantId, t.tenantId)))[0]!.n;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  t = await makeTenant('Accounts');
  s = await makeSurvey(t.tenantId, { channels: ['email', 'link', 'in_app'] });
  // Scores shown from 3 stakeholders (the anonymity threshold), marked below 30 (effective n).
  expect((await call('PATCH', '/api/v1/settings', { token: admin(), body: { minResponses: 3 } })).status).toBe(200);
});

describe('accounts as records', () => {
  it('PUT creates (201) then replaces (200), audited; an optional field left out is cleared', async () => {
    const id = `acme-${tag}`;
    const created = await call('PUT', `/api/v1/accounts/${id}`, {
      token: admin(),
      body: { name: 'Acme', unitId: t.units.berlin, ownerUserId: t.userIds.manager, annualRevenue: 120_000, renewalDate: '2027-03-31', segment: 'enterprise', attributes: { tier: 'gold' } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      externalId: id,
      name: 'Acme',
      unitId: t.units.berlin,
      ownerUserId: t.userIds.manager,
      annualRevenue: 120_000,
      renewalDate: '2027-03-31',
      segment: 'enterprise',
      attributes: { tier: 'gold' },
    });
    const replaced = await call('PUT', `/api/v1/accounts/${id}`, { token: admin(), body: { name: 'Acme Corp', unitId: t.units.paris } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ externalId: id, name: 'Acme Corp', unitId: t.units.paris, ownerUserId: null, annualRevenue: null, segment: null, attributes: {} });
    expect(replaced.body.createdAt).toBe(created.body.createdAt);
    const [row] = await db(t.tenantId).select().from(accounts).where(eq(accounts.externalId, id));
    const log = await call('GET', `/api/v1/audit-log?targetId=${row!.id}`, { token: admin() });
    expect(log.body.items.map((r: any) => r.action)).toEqual(['account.update', 'account.create']);
  });

  it('an unknown unit or owner is 422 and writes nothing; a reserved id or a bad body is 400', async () => {
    const before = await rowsOf(accounts);
    const bad = await call('PUT', `/api/v1/accounts/nope-${tag}`, { token: admin(), body: { name: 'X', unitId: 'unit_nowhere', ownerUserId: 'usr_nowhere' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([
      { path: 'body.unitId', message: 'unit "unit_nowhere" not found' },
      { path: 'body.ownerUserId', message: 'user "usr_nowhere" not found' },
    ]);
    expect((await call('PUT', '/api/v1/accounts/at-risk', { token: admin(), body: { name: 'X', unitId: t.units.berlin } })).status).toBe(400);
    expect((await call('PUT', `/api/v1/accounts/x-${tag}`, { token: admin(), body: { name: 'X', unitId: t.units.berlin, annualRevenue: -1 } })).status).toBe(400);
    expect((await call('PUT', `/api/v1/accounts/x-${tag}`, { token: admin(), body: { name: 'X', unitId: t.units.berlin, renewalDate: '2027-02-30' } })).status).toBe(400);
    expect(await rowsOf(accounts)).toBe(before);
  });

  it('contacts keep accountId and take a stakeholder role; a role outside the three is 400', async () => {
    const id = `c-${tag}-role`;
    const res = await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body: { accountId: `acme-${tag}`, stakeholderRole: 'decision_maker' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ accountId: `acme-${tag}`, stakeholderRole: 'decision_maker' });
    expect((await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body: { stakeholderRole: 'ceo' } })).status).toBe(400);
    const cleared = await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body: { stakeholderRole: null } });
    expect(cleared.body).toMatchObject({ accountId: `acme-${tag}`, stakeholderRole: null });
  });
});

describe('role-weighted account NPS', () => {
  const acct = `globex-${tag}`;
  beforeAll(async () => {
    expect((await call('PUT', `/api/v1/accounts/${acct}`, { token: admin(), body: { name: 'Globex', unitId: t.units.berlin } })).status).toBe(201);
    // Stakeholders: three decision makers, two influencers, two users and one without a role
    // (counts as a user); one tester (its answers are not counted) and one of another account.
    const people: [string, Record<string, unknown>][] = [
      ['d1', { stakeholderRole: 'decision_maker' }],
      ['d2', { stakeholderRole: 'decision_maker' }],
      ['d3', { stakeholderRole: 'decision_maker' }],
      ['i1', { stakeholderRole: 'influencer' }],
      ['i2', { stakeholderRole: 'influencer' }],
      ['u1', { stakeholderRole: 'user' }],
      ['u2', { stakeholderRole: 'user' }],
      ['n1', {}],
      ['tester', { stakeholderRole: 'decision_maker', isTest: true }],
      ['other', { stakeholderRole: 'decision_maker', accountIdOverride: true }],
    ];
    for (const [who, extra] of people) {
      const { accountIdOverride, ...rest } = extra;
      const body = { accountId: accountIdOverride ? `other-${tag}` : acct, ...rest };
      expect((await call('PUT', `/api/v1/contacts/${who}-${tag}`, { token: admin(), body })).status).toBe(201);
    }
    const now = Date.now();
    // [contact, score, days ago]: d1 answered 3 long ago and 10 lately (the latest counts);
    // d2 has an answer 400 days ago (outside the 12-month window) and 6 inside it.
    const answers: [string, number, number][] = [
      ['d1', 3, 200],
      ['d1', 10, 20],
      ['d2', 10, 400],
      ['d2', 6, 30],
      ['d3', 9, 40],
      ['i1', 9, 50],
      ['i2', 7, 60],
      ['u1', 2, 70],
      ['u2', 10, 80],
      ['n1', 8, 90],
      ['tester', 0, 10],
      ['other', 0, 10],
    ];
    const res = await call('POST', '/api/v1/responses/import', {
      token: admin(),
      body: {
        responses: answers.map(([who, score, ago], i) => ({
          externalId: `imp-${tag}-${i}`,
          answeredAt: iso(now - ago * DAY),
          unitId: t.units.berlin,
          touchpoint: s.touchpointKey,
          channel: 'email',
          contactId: `${who}-${tag}`,
          score,
        })),
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.imported).toBe(answers.length);
  });

  it('weights the latest answer of each stakeholder by role, with the adjusted-Wald interval on the Kish effective n', async () => {
    const res = await call('GET', `/api/v1/accounts/${acct}`, { token: admin() });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // By hand, weights 3 (decision maker), 2 (influencer), 1 (user, or no role):
    //   latest scores: d1 10, d2 6, d3 9 (×3); i1 9, i2 7 (×2); u1 2, u2 10, n1 8 (×1)
    //   Σw = 3·3 + 2·2 + 3·1 = 16; promoters d1, d3, i1, u2: 3 + 3 + 2 + 1 = 9; detractors d2, u1: 3 + 1 = 4
    //   NPS = 100·(9 − 4)/16 = 31.25; Σw² = 3·9 + 2·4 + 3·1 = 38; n_eff = 16²/38
    const nEff = 256 / 38;
    const cP = (nEff * 9) / 16;
    const cD = (nEff * 4) / 16;
    const nAdj = nEff + 3;
    const pP = (cP + 0.75) / nAdj;
    const pD = (cD + 0.75) / nAdj;
    const half = 1.959963984540054 * Math.sqrt((pP + pD - (pP - pD) ** 2) / nAdj);
    const nps = res.body.nps;
    expect(nps.n).toBe(8);
    expect(nps.nps).toBeCloseTo(31.25, 10);
    expect(nps.effectiveN).toBeCloseTo(nEff, 10);
    expect(nps.ci.low).toBeCloseTo(100 * (pP - pD - half), 8);
    expect(nps.ci.high).toBeCloseTo(100 * (pP - pD + half), 8);
    expect(nps.suppressed).toBe(false);
    expect(nps.lowSample).toBe(true); // n_eff 6.7 < 30
    expect(nps.weights).toEqual({ decision_maker: 3, influencer: 2, user: 1 });
    // Per role, unweighted, suppressed under 3: decision makers 10, 6, 9 → (2 − 1)/3; influencers (2) hidden; users 2, 10, 8 → 0.
    expect(nps.byRole.decision_maker).toMatchObject({ nps: 100 / 3, n: 3, suppressed: false });
    expect(nps.byRole.influencer).toMatchObject({ nps: null, n: 2, suppressed: true });
    expect(nps.byRole.user).toMatchObject({ nps: 0, n: 3, suppressed: false });
  });

  it('follows the tenant weights, and hides the score under the anonymity threshold', async () => {
    expect((await call('PATCH', '/api/v1/settings', { token: admin(), body: { accounts: { roleWeights: { decision_maker: 1, influencer: 1 } } } })).status).toBe(200);
    // Equal weights: 4 promoters, 2 detractors of 8 → 25.
    const equal = await call('GET', `/api/v1/accounts/${acct}`, { token: admin() });
    expect(equal.body.nps.nps).toBeCloseTo(25, 10);
    expect(equal.body.nps.effectiveN).toBeCloseTo(8, 10);
    const recent = await call('GET', `/api/v1/accounts/${acct}?months=1`, { token: admin() });
    // One month back: d1 (20 days) and d2 (30 days, within a month only when the month has 31 days or more).
    expect(recent.body.nps.n).toBeLessThan(3);
    expect(recent.body.nps).toMatchObject({ nps: null, ci: null, suppressed: true, suppressedReason: 'below_min_n' });
    expect((await call('PATCH', '/api/v1/settings', { token: admin(), body: { accounts: { roleWeights: { decision_maker: 3, influencer: 2 } } } })).status).toBe(200);
  });

  it('is read within reach: the EMEA manager reads a Berlin account, the New York manager and a vendor do not find it', async () => {
    expect((await call('GET', `/api/v1/accounts/${acct}`, { token: t.tokens.manager })).status).toBe(200);
    for (const who of ['siteManager', 'vendor'] as const) {
      const res = await call('GET', `/api/v1/accounts/${acct}`, { token: t.tokens[who] });
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe('account not found');
    }
  });
});

describe('outcomes', () => {
  const acct = `initech-${tag}`;
  beforeAll(async () => {
    expect((await call('PUT', `/api/v1/accounts/${acct}`, { token: admin(), body: { name: 'Initech', unitId: t.units.berlin, annualRevenue: 50_000 } })).status).toBe(201);
  });

  it('records an outcome, audited', async () => {
    const at = iso(Date.now() - 5 * DAY);
    const res = await call('POST', `/api/v1/accounts/${acct}/outcomes`, { token: admin(), body: { type: 'contracted', occurredAt: at, revenueDelta: -10_000 } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ accountId: acct, type: 'contracted', occurredAt: at, revenueDelta: -10_000 });
    const rows = await db(t.tenantId).select().from(auditLog).where(eq(auditLog.targetType, 'account'));
    expect(rows.some((r) => r.action === 'account.outcome' && r.tenantId === t.tenantId)).toBe(true);
  });

  it('an unknown account is 404, an outcome in the future 422, a type outside the four 400: nothing written', async () => {
    const before = await rowsOf(accountOutcomes);
    const unknown = await call('POST', `/api/v1/accounts/ghost-${tag}/outcomes`, { token: admin(), body: { type: 'churned', occurredAt: iso(Date.now() - DAY) } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'NOT_FOUND', message: 'account not found' });
    const future = await call('POST', `/api/v1/accounts/${acct}/outcomes`, { token: admin(), body: { type: 'churned', occurredAt: iso(Date.now() + DAY) } });
    expect(future.status).toBe(422);
    expect(future.body.error.details).toEqual([{ path: 'body.occurredAt', message: 'must not be after now' }]);
    expect((await call('POST', `/api/v1/accounts/${acct}/outcomes`, { token: admin(), body: { type: 'lost', occurredAt: iso(Date.now()) } })).status).toBe(400);
    expect(await rowsOf(accountOutcomes)).toBe(before);
  });
});

describe('behaviour signals', () => {
  const acct = `umbrella-${tag}`;
  beforeAll(async () => {
    expect((await call('PUT', `/api/v1/accounts/${acct}`, { token: admin(), body: { name: 'Umbrella', unitId: t.units.paris } })).status).toBe(201);
    for (const [key, source] of [
      ['logins', 'account'],
      ['tickets', 'account'],
      ['slaUnit', 'unit'],
    ] as const) {
      expect((await call('POST', '/api/v1/measures', { token: admin(), body: { key, name: key, unit: 'count', direction: 'higher_is_better', source } })).status).toBe(201);
    }
  });

  it('loads the good rows and reports each bad one with its reason; a repeat replaces the value', async () => {
    const tomorrowPlus = iso(Date.now() + 3 * DAY).slice(0, 10);
    const res = await call('PUT', '/api/v1/accounts/signals', {
      token: admin(),
      body: {
        values: [
          { accountId: acct, signal: 'logins', date: '2026-01-01', value: 40 },
          { accountId: acct, signal: 'tickets', date: '2026-01-01', value: 2 },
          { accountId: `ghost-${tag}`, signal: 'logins', date: '2026-01-01', value: 1 },
          { accountId: acct, signal: 'logins', date: '2026-02-30', value: 1 },
          { accountId: acct, signal: 'logins', date: tomorrowPlus, value: 1 },
          { accountId: acct, signal: 'logins', date: '2026-01-02', value: 'many' },
          { accountId: acct, signal: 'logins', date: '2026-01-01', value: 41 },
          { signal: 'logins', date: '2026-01-01', value: 1 },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toEqual([
      { row: 3, accountId: `ghost-${tag}`, signal: 'logins', date: '2026-01-01', reason: `account "ghost-${tag}" not found` },
      { row: 4, accountId: acct, signal: 'logins', date: '2026-02-30', reason: 'date: a calendar day, YYYY-MM-DD' },
      { row: 5, accountId: acct, signal: 'logins', date: tomorrowPlus, reason: expect.stringMatching(/^date: out of range \(2000-01-01 to \d{4}-\d{2}-\d{2}\)$/) },
      { row: 6, accountId: acct, signal: 'logins', date: '2026-01-02', reason: 'value: a finite number' },
      { row: 7, accountId: acct, signal: 'logins', date: '2026-01-01', reason: 'the same account, signal and date as row 1' },
      { row: 8, signal: 'logins', date: '2026-01-01', reason: 'accountId: required, the account id' },
    ]);
    const again = await call('PUT', '/api/v1/accounts/signals', { token: admin(), body: { values: [{ accountId: acct, signal: 'logins', date: '2026-01-01', value: 42 }] } });
    expect(again.body).toEqual({ accepted: 1, rejected: [] });
    const stored = await db(t.tenantId).select({ value: accountSignalValues.value, day: accountSignalValues.day }).from(accountSignalValues).where(eq(accountSignalValues.tenantId, t.tenantId));
    expect(stored.map((r) => r.value).sort((a, b) => a - b)).toEqual([2, 42]);
  });

  it('a signal not declared (or a unit measure) refuses the whole call: 422, nothing loaded', async () => {
    const before = await rowsOf(accountSignalValues);
    const res = await call('PUT', '/api/v1/accounts/signals', {
      token: admin(),
      body: {
        values: [
          { accountId: acct, signal: 'logins', date: '2026-03-01', value: 1 },
          { accountId: acct, signal: 'featureUsage', date: '2026-03-01', value: 1 },
          { accountId: acct, signal: 'slaUnit', date: '2026-03-01', value: 1 },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([
      { path: 'body.values.1.signal', message: 'signal "featureUsage" is not declared' },
      { path: 'body.values.2.signal', message: 'signal "slaUnit" is not declared' },
    ]);
    expect(await rowsOf(accountSignalValues)).toBe(before);
  });

  it('over 10,000 rows is 413, nothing loaded; an account signal is not loaded as a unit measure', async () => {
    const before = await rowsOf(accountSignalValues);
    const values = Array.from({ length: 10_001 }, (_, i) => ({ accountId: acct, signal: 'logins', date: iso(Date.parse('2024-01-01') + i * DAY).slice(0, 10), value: i }));
    expect((await call('PUT', '/api/v1/accounts/signals', { token: admin(), body: { values } })).status).toBe(413);
    expect(await rowsOf(accountSignalValues)).toBe(before);
    const asUnit = await call('PUT', '/api/v1/measures/logins/values', { token: admin(), body: { values: [{ unitId: t.units.berlin, date: '2026-01-01', value: 1 }] } });
    expect(asUnit.status).toBe(422);
  });
});
