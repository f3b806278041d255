import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { backfillTenant } from '../../src/comments/backfill';
import { commit } from '../../src/db/client';
import { commentBackfill, units } from '../../src/db/schema';
import { TenantDb } from '../../src/db/tenant-db';
import { newId } from '../../src/lib/ids';
import { makeSurvey } from './capture-fixture';
import { type PlantedAnswer, plantAnswers } from './measures-fixture';
import { call, db, type Fixture, makeTenant } from './support';

/**
 * Themes as features of the peer clusters (issue 17 item 6, docs/targets.md "Peer clusters"):
 * six sites with the very same answers month by month (so level, trend, volatility and detractor
 * share are equal), whose detractors write about waiting at three of them and about the invoice
 * at the other three. The comments are analysed by the backfill job, as stored comments are.
 *
 * Per site and month (March–May 2025): 6 promoters ("Great service."), 2 passives (no comment),
 * 4 detractors ("We had to wait for hours." or "The invoice was wrong."): 36 answers, 30 analysed
 * comments, 12 detractor mentions of its theme: 100·12/30 = 40 per 100 analysed comments, 0 of the other.
 */

let t: Fixture;
const WAITING = ['Wait A', 'Wait B', 'Wait C'];
const BILLING = ['Bill A', 'Bill B', 'Bill C'];
const sites: Record<string, string> = {};
const RANGE = 'from=2025-03-01&to=2025-05-31';
let ids: { waiting: string; billing: string };

beforeAll(async () => {
  t = await makeTenant('ClusterThemes');
  const s = await makeSurvey(t.tenantId);
  const emea = t.paths.emea!;
  const now = Date.now();
  for (const name of [...WAITING, ...BILLING]) sites[name] = newId('unit');
  const d = db(t.tenantId);
  await commit(d, [
    d.insert(units).values(
      Object.entries(sites).map(([name, id]) => ({
        id,
        tenantId: t.tenantId,
        parentId: emea.id,
        name,
        kind: 'site' as const,
        path: `${emea.path}${id}/`,
        timezone: 'UTC',
        createdAt: now,
        updatedAt: now,
      })),
    ),
  ]);
  const planted: PlantedAnswer[] = [];
  for (const name of [...WAITING, ...BILLING]) {
    const complaint = WAITING.includes(name) ? 'We had to wait for hours.' : 'The invoice was wrong.';
    for (const month of ['03', '04', '05']) {
      const at = Date.parse(`2025-${month}-10T10:00:00Z`);
      for (let i = 0; i < 6; i++) planted.push({ unitId: sites[name]!, at: at + i * 60_000, score: 10, comment: 'Great service.' });
      for (let i = 0; i < 2; i++) planted.push({ unitId: sites[name]!, at: at + (10 + i) * 60_000, score: 8 });
      for (let i = 0; i < 4; i++) planted.push({ unitId: sites[name]!, at: at + (20 + i) * 60_000, score: 2, comment: complaint });
    }
  }
  await plantAnswers(t.tenantId, s, planted);
  const lib = await call('GET', '/api/v1/theme-library', { token: t.tokens.admin });
  ids = { waiting: lib.body.items.find((x: any) => x.name === 'Waiting time').id, billing: lib.body.items.find((x: any) => x.name === 'Billing').id };
});

/** The comments analysed as stored comments are: the tenant's backfill range over its answers, run to the end. */
async function backfill() {
  const [r] = (await db(t.tenantId).all(sql`select min(rowid) - 1 as seq, max(rowid) as through from responses where tenant_id = ${t.tenantId}`)) as { seq: number; through: number }[];
  await db(t.tenantId).insert(commentBackfill).values({ tenantId: t.tenantId, seq: r!.seq, through: r!.through, dueAt: Date.now() });
  const done = await backfillTenant(new TenantDb(db(t.tenantId), t.tenantId), t.tenantId);
  expect(done).toEqual({ analysed: 6 * 3 * 10, more: false });
}

describe('peer clusters with themes', () => {
  it('sites that differ only by what their detractors write about fall into different clusters, named by the theme', async () => {
    const get = () => call('GET', `/api/v1/clusters?unitId=${t.units.emea}&${RANGE}`, { token: t.tokens.admin });
    // Before the comments are analysed: no theme feature.
    const before = await get();
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body.themes).toEqual([]);

    await backfill();
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body.themes.map((x: any) => x.id).sort()).toEqual([ids.waiting, ids.billing].sort());
    // The patterns are equal: every site has level 100·(18 − 12)/36 ≈ 16.7 and detractor share 33.3.
    const all = res.body.clusters.flatMap((c: any) => c.sites);
    expect(all).toHaveLength(6);
    for (const site of all) {
      expect(site.level).toBeCloseTo((100 * (18 - 12)) / 36, 9);
      expect(site.detractorShare).toBeCloseTo((100 * 12) / 36, 9);
    }
    expect(res.body.k).toBe(2);
    const clusterOf = (name: string) => res.body.clusters.find((c: any) => c.sites.some((s: any) => s.name === name));
    expect(
      clusterOf('Wait A')
        .sites.map((s: any) => s.name)
        .sort(),
    ).toEqual(WAITING);
    expect(
      clusterOf('Bill A')
        .sites.map((s: any) => s.name)
        .sort(),
    ).toEqual(BILLING);
    // Two tight groups: every site's silhouette is 1.
    expect(res.body.silhouette).toBeCloseTo(1, 9);
    // The shares: 12 detractor mentions per 30 analysed comments = 40 per 100; none of the other theme.
    const waitSite = clusterOf('Wait A').sites.find((s: any) => s.name === 'Wait A');
    expect(waitSite.themes.find((x: any) => x.id === ids.waiting).detractorShare).toBeCloseTo(40, 9);
    expect(waitSite.themes.find((x: any) => x.id === ids.billing).detractorShare).toBe(0);
    expect(clusterOf('Wait A').description).toMatch(/detractors often mention Waiting time$/);
    expect(clusterOf('Bill A').description).toMatch(/detractors often mention Billing$/);
    expect(clusterOf('Bill A').centre.themes.find((x: any) => x.id === ids.billing).detractorShare).toBeCloseTo(40, 9);

    // The same call twice: the same clusters.
    const again = await get();
    expect(again.body).toEqual(res.body);
  });

  it('a site with fewer than 10 analysed comments has no theme share and is clustered at the mean of the others on those features', async () => {
    const quiet = newId('unit');
    const emea = t.paths.emea!;
    const now = Date.now();
    const d = db(t.tenantId);
    await d.insert(units).values({ id: quiet, tenantId: t.tenantId, parentId: emea.id, name: 'Quiet', kind: 'site', path: `${emea.path}${quiet}/`, timezone: 'UTC', createdAt: now, updatedAt: now });
    // The same answers as the others, without comments.
    const s = await makeSurvey(t.tenantId);
    const planted: PlantedAnswer[] = [];
    for (const month of ['03', '04', '05']) {
      const at = Date.parse(`2025-${month}-10T10:00:00Z`);
      for (const [score, n] of [
        [10, 6],
        [8, 2],
        [2, 4],
      ] as const)
        for (let i = 0; i < n; i++) planted.push({ unitId: quiet, at: at + (score * 10 + i) * 60_000, score });
    }
    await plantAnswers(t.tenantId, s, planted);
    const res = await call('GET', `/api/v1/clusters?unitId=${t.units.emea}&${RANGE}`, { token: t.tokens.admin });
    const site = res.body.clusters.flatMap((c: any) => c.sites).find((x: any) => x.name === 'Quiet');
    expect(site.themes).toEqual(
      expect.arrayContaining([
        { id: ids.waiting, detractorShare: null },
        { id: ids.billing, detractorShare: null },
      ]),
    );
    // The others still split by their theme (Quiet joins one of the two groups; it is equally far from both).
    const clusterOf = (name: string) => res.body.clusters.find((c: any) => c.sites.some((x: any) => x.name === name));
    expect(clusterOf('Wait A').id).not.toBe(clusterOf('Bill A').id);
    for (const name of WAITING) expect(clusterOf(name).id).toBe(clusterOf('Wait A').id);
    for (const name of BILLING) expect(clusterOf(name).id).toBe(clusterOf('Bill A').id);
  });
});
