import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { responses, surveys, touchpoints, units } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import { call, db, type Fixture, makeTenant } from './support';

/**
 * Peer clusters (issue 17, item 6): planted declining sites and stable sites fall into different
 * clusters, the same call twice gives the same clusters, each is described in words, each site
 * has its percentile within its cluster, and a plan with a significant improvement at a peer is
 * listed as "what worked there".
 *
 * January–June 2025, 20 answers a month per site:
 *   declining sites j = 0..3: month i has 14 − 2i + j promoters and 2 + 2i detractors: NPS 60 → −40 (+5j)
 *   stable sites j = 0..3: 10 + j promoters, 4 detractors every month: NPS 30 + 5j, flat
 */

let t: Fixture;
const sites: Record<string, string> = {};
const DECLINING = ['Decl A', 'Decl B', 'Decl C', 'Decl D'];
const STABLE = ['Stab A', 'Stab B', 'Stab C', 'Stab D'];
const FROM = '2025-01-01';
const TO = '2025-06-30';

beforeAll(async () => {
  t = await makeTenant('Clusters');
  const d = db();
  const now = Date.now();
  const sid = newId('srv');
  const tp = newId('tp');
  const emea = t.paths.emea!;
  for (const name of [...DECLINING, ...STABLE]) sites[name] = newId('unit');
  const answers: (typeof responses.$inferInsert)[] = [];
  const add = (site: string, day: string, [p, a, dd]: [number, number, number]) => {
    for (const [score, n] of [
      [10, p],
      [8, a],
      [3, dd],
    ] as const)
      for (let i = 0; i < n; i++)
        answers.push({
          id: newId('rsp'),
          tenantId: t.tenantId,
          touchpointId: tp,
          unitId: sites[site]!,
          surveyId: sid,
          surveyVersion: 1,
          channel: 'email',
          locale: 'en',
          score,
          counted: true,
          createdAt: Date.parse(`${day}T12:00:00Z`),
          updatedAt: now,
        });
  };
  DECLINING.forEach((name, j) => {
    for (let i = 0; i < 6; i++) {
      const p = 14 - 2 * i + j;
      const dd = 2 + 2 * i;
      add(name, `2025-0${i + 1}-15`, [p, 20 - p - dd, dd]);
    }
  });
  STABLE.forEach((name, j) => {
    for (let i = 0; i < 6; i++) add(name, `2025-0${i + 1}-15`, [10 + j, 6 - j, 4]);
  });
  // Outside the clustered range: Stab A improved from October (4/8/8, NPS −20) to November 2024
  // (16/2/2, NPS 70) under a plan; Stab B did not change under another.
  add('Stab A', '2024-10-15', [4, 8, 8]);
  add('Stab A', '2024-11-15', [16, 2, 2]);
  add('Stab B', '2024-10-15', [8, 6, 6]);
  add('Stab B', '2024-11-15', [8, 6, 6]);
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
    d.insert(surveys).values({ id: sid, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(touchpoints).values({ id: tp, tenantId: t.tenantId, key: 'tp', name: 'TP', kind: 'site_visit', surveyId: sid, channels: ['email'], createdAt: now, updatedAt: now }),
  ]);
  for (let i = 0; i < answers.length; i += 200) await d.insert(responses).values(answers.slice(i, i + 200));
  const windows = { beforeFrom: '2024-10-01', beforeTo: '2024-10-31', afterFrom: '2024-11-01', afterTo: '2024-11-30' };
  for (const [site, title] of [
    ['Stab A', 'Callback within a day'],
    ['Stab B', 'New uniforms'],
  ])
    expect((await call('POST', '/api/v1/action-plans', { token: t.tokens.admin, body: { unitId: sites[site!], title, ...windows } })).status).toBe(201);
});

const get = (qs: string, token = t.tokens.admin) => call('GET', `/api/v1/clusters?${qs}`, { token });

describe('peer clusters', () => {
  it('puts the planted declining sites and the stable sites in different clusters, described in words', async () => {
    const res = await get(`unitId=${t.units.emea}&from=${FROM}&to=${TO}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body;
    expect(body.k).toBe(2);
    expect(body.candidates.map((c: any) => c.k)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(body.silhouette).toBe(Math.max(...body.candidates.map((c: any) => c.silhouette)));
    const clusterOf = (name: string) => body.clusters.find((c: any) => c.sites.some((s: any) => s.name === name));
    const declining = clusterOf('Decl A');
    const stable = clusterOf('Stab A');
    expect(declining.id).not.toBe(stable.id);
    expect(declining.sites.map((s: any) => s.name).sort()).toEqual(DECLINING);
    expect(stable.sites.map((s: any) => s.name).sort()).toEqual(STABLE);
    // Cluster 1 is the higher-scoring one: the stable sites (NPS 30 to 45) over the declining (10 to 25).
    expect(stable.id).toBe(1);
    expect(declining.description).toMatch(/^declining and volatile/);
    expect(stable.description).toMatch(/^steady and consistent/);
    // Decl A: months 60, 40, 20, 0, −20, −40 → level 10, detractors (2+4+…+12)/120 = 35 per 100,
    // the weighted trend negative, the monthly SD that of 60…−40 in steps of 20: √(7000/5) ≈ 37.4.
    const a = declining.sites.find((s: any) => s.name === 'Decl A');
    expect(a.n).toBe(120);
    expect(a.level).toBeCloseTo(10, 9);
    expect(a.detractorShare).toBeCloseTo(35, 9);
    expect(a.trend).toBeLessThan(-15);
    expect(a.volatility).toBeCloseTo(Math.sqrt(7000 / 5), 9);
    // Percentiles within the cluster (mid-rank, 100·(below + ½)/4): levels 10, 15, 20, 25.
    expect(Object.fromEntries(declining.sites.map((s: any) => [s.name, s.percentile]))).toEqual({ 'Decl A': 12.5, 'Decl B': 37.5, 'Decl C': 62.5, 'Decl D': 87.5 });
    // Berlin and Paris have no answers: not clustered, and said why.
    expect(body.unclustered.map((u: any) => [u.name, u.reason]).sort()).toEqual([
      ['Berlin', 'too_few_answers'],
      ['Paris', 'too_few_answers'],
    ]);
  });

  it('the same call twice gives the same clusters', async () => {
    const qs = `unitId=${t.units.emea}&from=${FROM}&to=${TO}`;
    const [one, two] = [await get(qs), await get(qs)];
    expect(two.body).toEqual(one.body);
  });

  it('lists what worked at peers: a plan with a significant improvement, not one without', async () => {
    const body = (await get(`unitId=${t.units.emea}&from=${FROM}&to=${TO}`, t.tokens.manager)).body;
    const stable = body.clusters.find((c: any) => c.sites.some((s: any) => s.name === 'Stab A'));
    // Before 4/8/8 (NPS −20), after 16/2/2 (NPS 70): z = 0.9/√((0.6 − 0.04)/20 + (0.9 − 0.49)/20) ≈ 4.09, p < 0.001.
    expect(stable.whatWorked).toEqual([
      expect.objectContaining({ unitId: sites['Stab A'], title: 'Callback within a day', before: expect.objectContaining({ nps: -20, n: 20 }), after: expect.objectContaining({ nps: 70, n: 20 }) }),
    ]);
    expect(stable.whatWorked[0].change.points).toBeCloseTo(90, 9);
    expect(stable.whatWorked[0].change.p).toBeLessThan(0.001);
    const declining = body.clusters.find((c: any) => c !== stable);
    expect(declining.whatWorked).toEqual([]);
    // A viewer reads the clusters but not the plans.
    const viewer = (await get(`unitId=${t.units.emea}&from=${FROM}&to=${TO}`, t.tokens.viewer)).body;
    expect(viewer.clusters.every((c: any) => c.whatWorked === null)).toBe(true);
  });

  it('too few sites: nothing clustered, each said why; bad input 400; another tenant 404; agents 403', async () => {
    const one = await get(`unitId=${t.units.americas}&from=${FROM}&to=${TO}`);
    expect(one.body).toMatchObject({ k: null, clusters: [] });
    expect((await get(`unitId=${t.units.emea}&from=2025-07-01&to=2025-06-01`)).status).toBe(400);
    expect((await get(`unitId=${t.units.emea}&from=2025-02-30`)).status).toBe(400);
    const other = await makeTenant('OtherClusters');
    expect((await get(`unitId=${other.units.emea}`)).status).toBe(404);
    expect((await get(`unitId=${t.units.berlin}`, t.tokens.agent)).status).toBe(403);
  });
});
