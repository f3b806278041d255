import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { and } from 'drizzle-orm';
import { cases, invitations, responses, tenants } from '../../src/db/schema';
import { signSurveyLink } from '../../src/surveys/token';
import { config, send as answerLink } from './capture-fixture';
import { newId } from '../../src/lib/ids';
import { answerRow, makeContact, makeKey, makeTouchpoint } from './program-fixture';
import { call, db, makeTenant, PASSWORD, runCron, uniq, type Fixture } from './support';

/**
 * The vendor scorecard across sites (docs/dimensions.md "Vendor scorecards across sites"): the
 * vendor's answers are those whose event named it, at every site, plus those filed under the
 * vendor unit that name no vendor (from before the dimension). Golden numbers by hand, minimum n 2,
 * every answer on 2025-05-10 (UTC units):
 *
 *   FastFix served at Berlin        10 10 9 3    P 3, D 1, n 4      → NPS 50
 *   FastFix served at Paris         10 6         P 1, D 1 (6 is a detractor) → NPS 0
 *   FastFix served at New York      0            n 1                → suppressed (below 2)
 *   filed under FastFix, no vendor  8 2          passive 1, D 1     (legacy: FastFix's)
 *   filed under FastFix, FastFix    10           counted once
 *   filed under FastFix, QuickServe 0            QuickServe's, not FastFix's
 *   QuickServe served at Berlin     0 0          not FastFix's
 *   Berlin, no vendor               9            Berlin's only
 *
 *   FastFix: P 10 10 9 10 10 = 5, passive 8 = 1, D 3 6 0 2 = 4, n 10 → NPS (5 − 4) / 10 = 10
 *   EMEA (Berlin + Paris): n 6, P 4, D 2 → NPS 100 · 2 / 6 = 33.3…; Americas: n 1, suppressed
 *   Berlin's own score: 4 + 2 + 1 = 7 answers
 * Cases: on Berlin's FastFix 3 and on the legacy 2 (FastFix's), on QuickServe's Berlin 0 and on the
 * QuickServe-named 0 under FastFix (not FastFix's): FastFix's scorecard counts 2.
 */

let t: Fixture;
let berlinManager: string;
const FROM = '2025-05-01';
const TO = '2025-05-31';
const WHEN = Date.parse('2025-05-10T12:00:00Z');
const card = (token: string, unit = t.units.fastfix, range = `from=${FROM}&to=${TO}`) => call('GET', `/api/v1/vendors/${unit}/scorecard?${range}`, { token });
const total = async (token: string, params: Record<string, string>) => {
  const res = await call('GET', `/api/v1/scores?${new URLSearchParams({ from: FROM, to: TO, ...params })}`, { token });
  return res.status === 200 ? (res.body.items as { n: number }[]).reduce((a, i) => a + i.n, 0) : res.status;
};

/** A counted answer at a unit, naming a vendor or none, answered at `at`. */
const vendorAnswer = (tp: { id: string; surveyId: string }, unitId: string, score: number, vendorId: string | null, at = WHEN) => answerRow(t.tenantId, tp, unitId, score, at, { vendorId });

beforeAll(async () => {
  t = await makeTenant('AcrossSites');
  const tp = await makeTouchpoint(t.tenantId);
  const d = db(t.tenantId);
  const answer = (unitId: string, score: number, vendorId: string | null) => vendorAnswer(tp, unitId, score, vendorId);
  const { berlin, paris, newYork, fastfix, quickserve } = t.units as Record<string, string>;
  const ffBerlin = [10, 10, 9, 3].map((s) => answer(berlin!, s, fastfix!));
  const legacy = [8, 2].map((s) => answer(fastfix!, s, null));
  const qsBerlin = [0, 0].map((s) => answer(berlin!, s, quickserve!));
  const qsUnderFf = answer(fastfix!, 0, quickserve!);
  const rows = [
    ...ffBerlin,
    ...[10, 6].map((s) => answer(paris!, s, fastfix!)),
    answer(newYork!, 0, fastfix!),
    ...legacy,
    answer(fastfix!, 10, fastfix!),
    qsUnderFf,
    ...qsBerlin,
    answer(berlin!, 9, null),
  ];
  const kase = (r: (typeof rows)[number]) => ({
    id: newId('case'),
    tenantId: t.tenantId,
    responseId: r.id,
    unitId: r.unitId,
    touchpointId: tp.id,
    status: 'open' as const,
    score: r.score,
    firstContactDueAt: WHEN + 3_600_000,
    resolutionDueAt: WHEN + 48 * 3_600_000,
    createdAt: WHEN,
    updatedAt: WHEN,
  });
  await commit(d, [
    d.insert(responses).values(rows),
    d.insert(cases).values([kase(ffBerlin[3]!), kase(legacy[1]!), kase(qsBerlin[0]!), kase(qsUnderFf)]),
    d
      .update(tenants)
      .set({ settings: { minResponses: 2 } })
      .where(eq(tenants.id, t.tenantId)),
  ]);
  const email = `berlin.${uniq()}@acrosssites.test`;
  expect((await call('POST', '/api/v1/users', { token: t.tokens.admin, body: { email, password: PASSWORD, grants: [{ unitId: t.units.berlin, role: 'manager' }] } })).status).toBe(201);
  berlinManager = (await call('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD }, headers: { 'cf-connecting-ip': `198.51.100.${Math.floor(Math.random() * 250)}` } })).body.token;
});

describe('a vendor scorecard across sites', () => {
  const check = async () => {
    const res = await card(t.tokens.vendor);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const b = res.body;
    expect(b.nps).toMatchObject({ key: 'all', n: 10, promoters: 5, passives: 1, detractors: 4, nps: 10, suppressed: false });
    expect(b.trend.map((i: { period: string; n: number; nps: number }) => [i.period, i.n, i.nps])).toEqual([['2025-05', 10, 10]]);
    expect(b.casesInWindow).toBe(2);
    const region = (id: string) => b.regions.find((r: { unitId: string }) => r.unitId === id);
    expect(b.regions).toHaveLength(2);
    expect(region(t.units.emea!)).toMatchObject({ name: 'EMEA', kind: 'region', score: { n: 6, promoters: 4, passives: 0, detractors: 2, suppressed: false } });
    expect(region(t.units.emea!).score.nps).toBeCloseTo(100 / 3, 9);
    expect(region(t.units.emea!).score.ci).not.toBeNull();
    expect(region(t.units.americas!)).toMatchObject({ score: { n: 1, nps: null, ci: null, suppressed: true, suppressedReason: 'below_min_n' } });
    const site = (id: string) => b.sites.find((s: { unitId: string }) => s.unitId === id);
    expect(b.sites).toHaveLength(3);
    expect(site(t.units.berlin!)).toMatchObject({ name: 'Berlin', regionId: t.units.emea, score: { n: 4, nps: 50, suppressed: false } });
    expect(site(t.units.paris!)).toMatchObject({ score: { n: 2, nps: 0 } });
    expect(site(t.units.newYork!)).toMatchObject({ regionId: t.units.americas, score: { n: 1, nps: null, suppressed: true } });
    // The legacy answers are at no site: the total less the regions (10 − 6 − 1 = 3: 8, 2 and the 10 filed under FastFix).
    expect(b.nps.n - b.regions.reduce((a: number, r: { score: { n: number } }) => a + r.score.n, 0)).toBe(3);
  };

  it("counts the FastFix jobs at Berlin in FastFix's scorecard, per region and site, once each; live tail and rollups", async () => {
    await check();
    await runCron('* * * * *');
    await check();
  });

  it("Berlin's, EMEA's and the tenant's scores count the FastFix jobs; who sees what", async () => {
    expect(await total(t.tokens.admin, { unitId: t.units.berlin! })).toBe(7);
    expect(await total(t.tokens.admin, { unitId: t.units.emea! })).toBe(9); // Berlin 7 + Paris 2
    expect(await total(t.tokens.admin, {})).toBe(14); // every row above
    expect(await total(t.tokens.vendor, { vendorId: t.units.fastfix!, unitId: t.units.berlin! })).toBe(4);
    expect(await total(berlinManager, { unitId: t.units.berlin!, vendorId: t.units.fastfix! })).toBe(4);
    expect(await total(t.tokens.otherVendor, { vendorId: t.units.fastfix! })).toBe(404);
    // The scorecard: FastFix's users and the tenant's readers; not QuickServe's, not a site manager.
    expect((await card(t.tokens.otherVendor)).status).toBe(404);
    expect((await card(berlinManager)).status).toBe(404);
    expect((await card(t.tokens.admin)).body.nps.n).toBe(10);
    // QuickServe's own scorecard: its two Berlin answers and the one filed under FastFix naming it.
    const qs = await card(t.tokens.otherVendor, t.units.quickserve);
    expect(qs.body.nps).toMatchObject({ n: 3, detractors: 3, nps: -100 });
    expect(qs.body.sites.map((s: { unitId: string }) => s.unitId)).toEqual([t.units.berlin]);
  });

  it("a vendor's NPS target measures the same answers as its scorecard", async () => {
    const set = await call('PUT', `/api/v1/units/${t.units.fastfix}/targets`, { token: t.tokens.admin, body: { period: '2025-05', threshold: 0, target: 10, stretch: 30, basis: 'nps' } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const got = await call('GET', `/api/v1/targets/attainment?unitId=${t.units.fastfix}&period=2025-05`, { token: t.tokens.vendor });
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    // NPS 10 from n 10 (as the scorecard): the target band (10) by the point estimate.
    expect(got.body.items[0]).toMatchObject({ n: 10, nps: 10, band: 'target' });
  });

  it("a vendor's target is rebaselined on the answers it served at every site", async () => {
    // FastFix changes its process on 1 August 2025. The four weeks before (4–31 July): FastFix jobs at
    // Berlin 10, 10, 3, 2: P 2, D 2, n 4, NPS 0. After a two-week grace, the four weeks from 15 August:
    // FastFix jobs at Berlin 10, 10, 9, 3 and a legacy answer filed under FastFix naming no vendor, 8:
    // P 3, passive 1, D 1, n 5, NPS 100 · (3 − 1) / 5 = 40. Not FastFix's: a QuickServe job at Berlin
    // (0) and a Berlin answer naming no vendor (0). The open 2025 target moves by 40 − 0 = 40 points.
    // (FastFix's own subtree holds only the legacy answer: 0 answers before, so a rebaseline on it
    // would be refused as too few.)
    const tp = await makeTouchpoint(t.tenantId);
    const { berlin, fastfix, quickserve } = t.units as Record<string, string>;
    const row = (unitId: string, score: number, vendorId: string | null, day: string) => vendorAnswer(tp, unitId, score, vendorId, Date.parse(`${day}T12:00:00Z`));
    await db(t.tenantId)
      .insert(responses)
      .values([
        ...[10, 10, 3, 2].map((s, k) => row(berlin!, s, fastfix!, `2025-07-${10 + k}`)),
        ...[10, 10, 9, 3].map((s, k) => row(berlin!, s, fastfix!, `2025-08-${20 + k}`)),
        row(fastfix!, 8, null, '2025-08-25'),
        row(berlin!, 0, quickserve!, '2025-08-26'),
        row(berlin!, 0, null, '2025-08-27'),
      ]);
    const target = await call('PUT', `/api/v1/units/${fastfix}/targets`, { token: t.tokens.admin, body: { period: '2025', threshold: 0, target: 10, stretch: 30, basis: 'nps' } });
    expect(target.status, JSON.stringify(target.body)).toBeLessThan(300);
    const note = await call('POST', '/api/v1/annotations', { token: t.tokens.admin, body: { unitId: fastfix, date: '2025-08-01', kind: 'process_change', title: 'New parts supplier' } });
    expect(note.status, JSON.stringify(note.body)).toBe(201);
    const rebased = await call('POST', `/api/v1/units/${fastfix}/targets/rebaseline`, {
      token: t.tokens.admin,
      body: { annotationId: note.body.id, reason: 'Parts now from the central store', graceWeeks: 2, weeks: 4 },
    });
    expect(rebased.status, JSON.stringify(rebased.body)).toBe(200);
    expect(rebased.body.before).toMatchObject({ from: '2025-07-04', to: '2025-07-31', n: 4, nps: 0 });
    expect(rebased.body.after).toMatchObject({ from: '2025-08-15', to: '2025-09-11', n: 5, nps: 40 });
    expect(rebased.body.change.points).toBeCloseTo(40, 9);
    expect(rebased.body.targets).toEqual([expect.objectContaining({ period: '2025', threshold: 40, target: 50, stretch: 70, shift: 40 })]);
  });
});

describe('through the real path: an event names the site, the vendor and the agent', () => {
  it("a FastFix job at Berlin answered today: in FastFix's scorecard at Berlin, for FastFix's user only, in Berlin's scores, on the agent's page", async () => {
    const key = await makeKey(t.tokens.admin);
    const tp = await makeTouchpoint(t.tenantId, { delayMinutes: 0 });
    // The default range (the 90 days to today) holds none of the answers above (2025).
    const before = await card(t.tokens.vendor, t.units.fastfix, '');
    expect(before.body.nps.n).toBe(0);
    const berlinBefore = await total(berlinManager, { unitId: t.units.berlin!, from: before.body.from, to: before.body.to });
    const contact = await makeContact(t.tokens.admin);
    const ingest = await call('POST', '/api/v1/events', {
      token: key,
      body: {
        events: [
          {
            id: `ev-${uniq()}`,
            type: 'job.done',
            occurredAt: new Date(Date.now() - 60_000).toISOString(),
            contactId: contact.externalId,
            unitId: t.units.berlin,
            vendorId: t.units.fastfix,
            agentId: t.userIds.agent,
            touchpoint: tp.key,
          },
        ],
      },
    });
    expect(ingest.status, JSON.stringify(ingest.body)).toBe(200);
    const invitationId = ingest.body.results[0].invitationId as string;
    const [inv] = await db(t.tenantId)
      .select()
      .from(invitations)
      .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.id, invitationId)));
    const token = await signSurveyLink(config(), { tenantId: t.tenantId, invitationId, surveyId: inv!.surveyId, surveyVersion: inv!.surveyVersion }, inv!.expiresAt);
    expect((await answerLink('POST', `/s/${token}`, { json: { score: 10 } })).status).toBe(200);

    for (const pass of ['live tail', 'rollups']) {
      if (pass === 'rollups') await runCron('* * * * *');
      const after = await card(t.tokens.vendor, t.units.fastfix, '');
      expect(after.status).toBe(200);
      // One answer (a promoter), below the minimum of 2: counted, not shown.
      expect(after.body.nps).toMatchObject({ n: 1, promoters: 1, suppressed: true });
      expect(after.body.regions.map((r: { unitId: string; score: { n: number } }) => [r.unitId, r.score.n])).toEqual([[t.units.emea, 1]]);
      expect(after.body.sites.map((r: { unitId: string; score: { n: number } }) => [r.unitId, r.score.n])).toEqual([[t.units.berlin, 1]]);
      expect((await card(t.tokens.otherVendor, t.units.fastfix, '')).status).toBe(404);
      expect((await card(t.tokens.otherVendor, t.units.quickserve, '')).body.nps.n).toBe(0);
      expect(await total(berlinManager, { unitId: t.units.berlin!, from: before.body.from, to: before.body.to })).toBe(Number(berlinBefore) + 1);
      // The agent who handled it: counted on their page, below the agent minimum (default 30).
      const mine = await call('GET', '/api/v1/agents/me', { token: t.tokens.agent });
      expect(mine.body).toMatchObject({ hidden: 'below_minimum', minimum: 30, score: { n: 1, nps: null, suppressed: true } });
    }
  });
});
