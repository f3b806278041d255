import { beforeAll, describe, expect, it } from 'vitest';
import { RISK_WINDOW } from '../../src/accounts/risk';
import { commit } from '../../src/db/client';
import { accountRisks, accounts } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { call, db, type Fixture, makeTenant, uniq } from './support';

/*
 * The at-risk list over more kept risks than its window (src/accounts/risk.ts RISK_WINDOW): a
 * subtree with enough accounts among the tenant's largest revenues at risk is served from the
 * window, a smaller one from its own accounts. Either way the list must be the subtree's accounts
 * sorted by revenue at risk (then probability), largest first: checked against a brute-force sort
 * of the rows this test wrote.
 *
 * The tenant: New York holds RISK_WINDOW + 100 accounts with the largest revenues at risk
 * (100,000 down), EMEA 30 (Berlin 20, Paris 10): 15 with revenues among the window's and 15 below
 * its floor, so that EMEA has some accounts inside the window and some outside. Equal
 * revenues with different probabilities check the second sort key.
 */

let t: Fixture;
interface Row {
  externalId: string;
  unit: 'newYork' | 'berlin' | 'paris';
  probability: number;
  revenueAtRisk: number;
}
const rows: Row[] = [];

/** The expected list: the rows under the unit, sorted by revenue at risk then probability, both descending. */
const expected = (under: Row['unit'][], limit: number) =>
  rows
    .filter((r) => under.includes(r.unit))
    .sort((a, b) => b.revenueAtRisk - a.revenueAtRisk || b.probability - a.probability)
    .slice(0, limit)
    .map((r) => r.externalId);

beforeAll(async () => {
  t = await makeTenant('at-risk list');
  const tag = uniq();
  const now = Date.now();
  const big = RISK_WINDOW + 100;
  for (let i = 0; i < big; i++) rows.push({ externalId: `ny-${tag}-${i}`, unit: 'newYork', probability: 0.5 + (i % 7) / 100, revenueAtRisk: 100_000 - 10 * Math.floor(i / 2) });
  // New York's row RISK_WINDOW - 1 (the window's floor without EMEA): EMEA's 15 far above it push
  // the floor up by 15 rows (about 80), and stay inside; its 15 below it stay outside.
  const floor = 100_000 - 10 * Math.floor((RISK_WINDOW - 1) / 2);
  for (let i = 0; i < 30; i++)
    rows.push({ externalId: `emea-${tag}-${i}`, unit: i % 3 === 2 ? 'paris' : 'berlin', probability: 0.3 + (i % 4) / 10, revenueAtRisk: i < 15 ? floor + 1_000 + 10 * (i % 5) : floor - 5 - 10 * i });
  const d = db(t.tenantId);
  const ids = rows.map(() => newId('acc'));
  const chunks = <T>(xs: T[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));
  const accountRows = rows.map((r, i) => ({
    id: ids[i]!,
    tenantId: t.tenantId,
    externalId: r.externalId,
    name: r.externalId,
    unitId: t.units[r.unit]!,
    annualRevenue: 200_000,
    createdAt: now,
    updatedAt: now,
  }));
  const riskRows = rows.map((r, i) => ({
    tenantId: t.tenantId,
    accountId: ids[i]!,
    probability: r.probability,
    revenueAtRisk: r.revenueAtRisk,
    reasons: [],
    atRisk: false,
    crossedAt: null,
    computedAt: now,
  }));
  for (const c of chunks(accountRows, 200)) await commit(d, [d.insert(accounts).values(c)]);
  for (const c of chunks(riskRows, 300)) await commit(d, [d.insert(accountRisks).values(c)]);
});

const list = async (query: string) => {
  const res = await call('GET', `/api/v1/accounts/at-risk${query}`, { token: t.tokens.admin });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.items as { accountId: string }[]).map((i) => i.accountId);
};

describe('the at-risk list over more risks than its window', () => {
  it('the root: the tenant-wide largest, served from the window', async () => {
    expect(await list('?limit=50')).toEqual(expected(['newYork', 'berlin', 'paris'], 50));
  });

  it('a region with only part of its accounts in the window: every one of its accounts, in order', async () => {
    const got = await list(`?unitId=${t.units.emea}&limit=50`);
    expect(got).toHaveLength(30);
    expect(got).toEqual(expected(['berlin', 'paris'], 50));
  });

  it('a limit the window fills (EMEA has 15 accounts in it): the first ten, the same as a full sort', async () => {
    expect(await list(`?unitId=${t.units.emea}&limit=10`)).toEqual(expected(['berlin', 'paris'], 10));
  });

  it('a site, and a site outside the window altogether', async () => {
    expect(await list(`?unitId=${t.units.berlin}&limit=5`)).toEqual(expected(['berlin'], 5));
    expect(await list(`?unitId=${t.units.paris}&limit=500`)).toEqual(expected(['paris'], 500));
    expect(await list(`?unitId=${t.units.americas}&limit=500`)).toEqual(expected(['newYork'], 500));
  });
});
