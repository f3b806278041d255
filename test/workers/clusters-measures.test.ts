import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { units } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { makeSurvey } from './capture-fixture';
import { type PlantedAnswer, plantAnswers } from './measures-fixture';
import { call, db, type Fixture, makeTenant } from './support';

/**
 * Operational measures as features of the peer clusters (issue 17 item 6, docs/targets.md "Peer
 * clusters"): six sites with the very same answers month by month (so level, trend, volatility
 * and detractor share are equal), whose tickets take two days to resolve at three of them and a
 * few hours at the other three (the event attribute `resolutionHours` of the inviting event).
 *
 * Per site and month (March–May 2025): 6 promoters, 2 passives, 4 detractors, 12 answers with
 * resolution hours alternating 46, 50 at the slow sites (mean (46 + 50)/2 = 48 over 36 answers)
 * and 2, 6 at the fast ones (mean 4).
 */

let t: Fixture;
const SLOW = ['Slow A', 'Slow B', 'Slow C'];
const FAST = ['Fast A', 'Fast B', 'Fast C'];
const sites: Record<string, string> = {};
const RANGE = 'from=2025-03-01&to=2025-05-31';

async function addSites(names: string[]) {
  const emea = t.paths.emea!;
  const now = Date.now();
  for (const name of names) sites[name] = newId('unit');
  const d = db(t.tenantId);
  await commit(d, [
    d.insert(units).values(
      names.map((name) => ({
        id: sites[name]!,
        tenantId: t.tenantId,
        parentId: emea.id,
        name,
        kind: 'site' as const,
        path: `${emea.path}${sites[name]}/`,
        timezone: 'UTC',
        createdAt: now,
        updatedAt: now,
      })),
    ),
  ]);
}

/** 12 answers a month over March–May at the site, with the given resolution hours in turn (none: no attribute). */
function monthsOfAnswers(name: string, hours: number[] | null): PlantedAnswer[] {
  const planted: PlantedAnswer[] = [];
  for (const month of ['03', '04', '05']) {
    const at = Date.parse(`2025-${month}-10T10:00:00Z`);
    const scores = [...Array(6).fill(10), 8, 8, 2, 2, 2, 2] as number[];
    for (const [i, score] of scores.entries()) planted.push({ unitId: sites[name]!, at: at + i * 60_000, score, ...(hours ? { attributes: { resolutionHours: hours[i % hours.length] } } : {}) });
  }
  return planted;
}

beforeAll(async () => {
  t = await makeTenant('ClusterMeasures');
  await addSites([...SLOW, ...FAST]);
  const s = await makeSurvey(t.tenantId);
  await plantAnswers(t.tenantId, s, [...SLOW.flatMap((n) => monthsOfAnswers(n, [46, 50])), ...FAST.flatMap((n) => monthsOfAnswers(n, [2, 6]))]);
});

const get = () => call('GET', `/api/v1/clusters?unitId=${t.units.emea}&${RANGE}`, { token: t.tokens.admin });

describe('peer clusters with operational measures', () => {
  it('sites that differ only by how they work fall into different clusters, the slow ones named by the measure', async () => {
    // Before the measure is declared: no measure feature.
    const before = await get();
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body.measures).toEqual([]);

    const declared = await call('POST', '/api/v1/measures', {
      token: t.tokens.admin,
      body: { key: 'resolutionHours', name: 'Resolution hours', unit: 'h', direction: 'lower_is_better', source: 'event' },
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body.measures).toEqual([{ key: 'resolutionHours', name: 'Resolution hours', unit: 'h', direction: 'lower_is_better' }]);
    // The patterns are equal: level 100·(18 − 12)/36 ≈ 16.7 everywhere.
    const all = res.body.clusters.flatMap((c: any) => c.sites);
    expect(all).toHaveLength(6);
    for (const site of all) expect(site.level).toBeCloseTo((100 * (18 - 12)) / 36, 9);
    expect(res.body.k).toBe(2);
    const clusterOf = (name: string) => res.body.clusters.find((c: any) => c.sites.some((s: any) => s.name === name));
    expect(
      clusterOf('Slow A')
        .sites.map((s: any) => s.name)
        .sort(),
    ).toEqual(SLOW);
    expect(
      clusterOf('Fast A')
        .sites.map((s: any) => s.name)
        .sort(),
    ).toEqual(FAST);
    // The means: 48 hours at a slow site, 4 at a fast one; the centres the same.
    expect(clusterOf('Slow A').sites.find((s: any) => s.name === 'Slow B').measures).toEqual([{ key: 'resolutionHours', mean: 48 }]);
    expect(clusterOf('Fast A').sites.find((s: any) => s.name === 'Fast C').measures).toEqual([{ key: 'resolutionHours', mean: 4 }]);
    expect(clusterOf('Slow A').centre.measures).toEqual([{ key: 'resolutionHours', mean: 48 }]);
    // Lower is better: the slow cluster is the worse one, and only it is named by the measure.
    expect(clusterOf('Slow A').description).toMatch(/Resolution hours worse than at most sites$/);
    expect(clusterOf('Fast A').description).not.toMatch(/Resolution hours/);

    // The same call twice: the same clusters.
    expect((await get()).body).toEqual(res.body);
  });

  it('a unit measure enters as the mean of its daily values; a site with fewer than 10 values has none', async () => {
    const declared = await call('POST', '/api/v1/measures', {
      token: t.tokens.admin,
      body: { key: 'slaAdherence', name: 'SLA adherence', unit: '%', direction: 'higher_is_better', source: 'unit' },
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    // 20 days of March at every site but Fast C: 90 and 94 in turn (mean 92) at the slow sites,
    // 98 and 100 (mean 99) at the fast ones; Fast C has 5 days only (and no mean). A value outside
    // the range (February) does not count.
    const values: { unitId: string; date: string; value: number }[] = [];
    for (const name of [...SLOW, ...FAST]) {
      const days = name === 'Fast C' ? 5 : 20;
      const pair = SLOW.includes(name) ? [90, 94] : [98, 100];
      for (let d = 1; d <= days; d++) values.push({ unitId: sites[name]!, date: `2025-03-${String(d).padStart(2, '0')}`, value: pair[d % 2]! });
      values.push({ unitId: sites[name]!, date: '2025-02-20', value: 0 });
    }
    const put = await call('PUT', '/api/v1/measures/slaAdherence/values', { token: t.tokens.admin, body: { values } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);

    const res = await get();
    expect(res.body.measures.map((m: any) => m.key)).toEqual(['resolutionHours', 'slaAdherence']);
    const site = (name: string) => res.body.clusters.flatMap((c: any) => c.sites).find((s: any) => s.name === name);
    expect(site('Slow A').measures).toEqual([
      { key: 'resolutionHours', mean: 48 },
      { key: 'slaAdherence', mean: 92 },
    ]);
    expect(site('Fast A').measures[1]).toEqual({ key: 'slaAdherence', mean: 99 });
    expect(site('Fast C').measures[1]).toEqual({ key: 'slaAdherence', mean: null });
    // Both measures split the same way: the slow sites stay together, apart from the fast ones
    // with both means (Fast C, at the sites' mean of SLA adherence, may stand alone).
    const clusterOf = (name: string) => res.body.clusters.find((c: any) => c.sites.some((s: any) => s.name === name));
    for (const name of SLOW) expect(clusterOf(name).id).toBe(clusterOf('Slow A').id);
    expect(clusterOf('Fast B').id).toBe(clusterOf('Fast A').id);
    expect(clusterOf('Fast A').id).not.toBe(clusterOf('Slow A').id);
  });
});
