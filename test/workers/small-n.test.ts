import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { responses, surveys, touchpoints, units } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import { byDefinition } from './shrinkage-definition';
import { call, db, type Fixture, makeTenant } from './support';

/**
 * Fair small-n scores (issue 17, item 5): the anonymity threshold (settings `minResponses`,
 * default 5: below it a score is suppressed) and the reliability threshold
 * (`reliabilityThreshold`, default 30: below it a score shows with `lowSample: true`) on every
 * place scores are shown; `estimate=shrunk` shrinking each site toward its sibling sites,
 * checked against the method computed the long way (test/workers/shrinkage-definition.ts).
 */

let t: Fixture;
let extra: Record<'madrid' | 'rome' | 'oslo' | 'lisbon' | 'emeaVendor', string>;
const FROM = '2026-05-01';
const TO = '2026-05-31';

/** Planted May answers per unit: [promoters, passives, detractors]. */
const PLANTED = {
  berlin: [20, 5, 5], // n 30, raw 50: at the reliability threshold, not marked
  paris: [7, 1, 2], //   n 10, raw 50: the same raw score as Berlin from a third of the answers
  madrid: [2, 2, 6], //  n 10, raw −40
  rome: [4, 2, 4], //    n 10, raw 0
  oslo: [2, 6, 2], //    n 10, raw 0: the same n and raw score as Rome, other passives
  lisbon: [1, 1, 1], //  n 3: below the anonymity threshold, suppressed (still one of the peers)
  emea: [1, 0, 1], //    the region's own answers: not a site
  emeaVendor: [8, 0, 0], // a vendor under EMEA: no peers of its kind
} as const satisfies Record<string, readonly [number, number, number]>;
const SITES = ['berlin', 'paris', 'madrid', 'rome', 'oslo', 'lisbon'] as const;

const unitId = (key: keyof typeof PLANTED) => (key in extra ? extra[key as keyof typeof extra] : t.units[key as 'berlin'])!;
const get = async (qs: string, token = t.tokens.admin) => call('GET', `/api/v1/scores?${qs}`, { token });

beforeAll(async () => {
  t = await makeTenant('SmallN');
  const d = db();
  const now = Date.now();
  const sid = newId('srv');
  const tp = newId('tp');
  const emea = t.paths.emea!;
  extra = { madrid: newId('unit'), rome: newId('unit'), oslo: newId('unit'), lisbon: newId('unit'), emeaVendor: newId('unit') };
  const unitRows = Object.entries(extra).map(([key, id]) => ({
    id,
    tenantId: t.tenantId,
    parentId: emea.id,
    name: key,
    kind: key === 'emeaVendor' ? ('vendor' as const) : ('site' as const),
    path: `${emea.path}${id}/`,
    timezone: 'UTC',
    createdAt: now,
    updatedAt: now,
  }));
  const answers = Object.entries(PLANTED).flatMap(([key, counts]) =>
    counts.flatMap((n, i) =>
      Array.from({ length: n }, (_, j) => ({
        id: newId('rsp'),
        tenantId: t.tenantId,
        touchpointId: tp,
        unitId: unitId(key as keyof typeof PLANTED),
        surveyId: sid,
        surveyVersion: 1,
        channel: 'email' as const,
        locale: 'en',
        score: [10, 8, 3][i]!,
        counted: true,
        createdAt: Date.parse(`2026-05-${String(1 + (j % 28)).padStart(2, '0')}T12:00:00Z`),
        updatedAt: now,
      })),
    ),
  );
  await commit(d, [
    d.insert(units).values(unitRows),
    d.insert(surveys).values({ id: sid, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(touchpoints).values({ id: tp, tenantId: t.tenantId, key: 'tp', name: 'TP', kind: 'site_visit', surveyId: sid, channels: ['email'], createdAt: now, updatedAt: now }),
    d.insert(responses).values(answers),
  ]);
});

const byKey = (items: any[]) => Object.fromEntries(items.map((i) => [i.key, i]));

describe('the anonymity and reliability thresholds', () => {
  it('by default: below 5 suppressed with its reason, 5 to 29 shown with lowSample, 30 plain', async () => {
    const res = await get(`unitId=${t.units.emea}&groupBy=unit&from=${FROM}&to=${TO}`);
    expect(res.status).toBe(200);
    const items = byKey(res.body.items);
    expect(items[unitId('lisbon')]).toMatchObject({ n: 3, nps: null, ci: null, suppressed: true, suppressedReason: 'below_min_n' });
    expect(items[unitId('lisbon')].lowSample).toBeUndefined();
    // Paris: 10 answers, NPS 100·(7 − 2)/10 = 50, shown and marked.
    expect(items[unitId('paris')]).toMatchObject({ n: 10, nps: 50, suppressed: false, lowSample: true });
    // Berlin: 30 answers, the threshold is inclusive: not marked.
    expect(items[unitId('berlin')]).toMatchObject({ n: 30, nps: 50, suppressed: false });
    expect(items[unitId('berlin')].lowSample).toBeUndefined();
    // The region's own 2 answers: suppressed.
    expect(items[t.units.emea!]).toMatchObject({ n: 2, suppressed: true });
    // Without estimate=shrunk there is no shrunk field at all.
    for (const i of res.body.items) expect(i).not.toHaveProperty('shrunk');
  });

  it('the CSV export and an action plan window carry the mark too', async () => {
    const csv = await call('GET', `/api/v1/exports/scores.csv?unitId=${t.units.emea}&groupBy=unit&from=${FROM}&to=${TO}`, { token: t.tokens.admin });
    expect(csv.status).toBe(200);
    const [header, ...rows] = (csv.body as string)
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    const col = (name: string) => header!.indexOf(name);
    const row = (key: string) => rows.find((r) => r[0] === key)!;
    expect(row(unitId('paris'))[col('low_sample')]).toBe('true');
    expect(row(unitId('berlin'))[col('low_sample')]).toBe('false');
    expect(row(unitId('lisbon'))[col('suppressed')]).toBe('true');

    const plan = await call('POST', '/api/v1/action-plans', { token: t.tokens.admin, body: { unitId: unitId('paris'), title: 'Faster callbacks', afterFrom: FROM, afterTo: TO } });
    expect(plan.status).toBe(201);
    const got = await call('GET', `/api/v1/action-plans/${plan.body.id}`, { token: t.tokens.admin });
    expect(got.body.after).toMatchObject({ n: 10, nps: 50, suppressed: false, lowSample: true });
  });

  it('are set in the settings: a changed reliability threshold moves the mark; one below the anonymity threshold is refused', async () => {
    const patch = (body: unknown) => call('PATCH', '/api/v1/settings', { token: t.tokens.admin, body });
    const paris = async () => byKey((await get(`unitId=${t.units.emea}&groupBy=unit&from=${FROM}&to=${TO}`)).body.items)[unitId('paris')];
    expect((await call('GET', '/api/v1/settings', { token: t.tokens.admin })).body).toMatchObject({ minResponses: 5, reliabilityThreshold: 30 });

    const bad = await patch({ reliabilityThreshold: 4 });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([{ path: 'body.reliabilityThreshold', message: 'must be at least minResponses (5)' }]);
    const both = await patch({ minResponses: 12, reliabilityThreshold: 11 });
    expect(both.status).toBe(422);
    expect((await call('GET', '/api/v1/settings', { token: t.tokens.admin })).body).toMatchObject({ minResponses: 5, reliabilityThreshold: 30 });
    expect((await patch({ reliabilityThreshold: 0 })).status).toBe(400);

    expect((await patch({ reliabilityThreshold: 10 })).status).toBe(200);
    const plain = await paris();
    expect(plain).toMatchObject({ n: 10, suppressed: false });
    expect(plain.lowSample).toBeUndefined();
    // An anonymity threshold above Paris's 10 answers hides it again.
    expect((await patch({ minResponses: 11, reliabilityThreshold: 30 })).status).toBe(200);
    expect(await paris()).toMatchObject({ n: 10, nps: null, suppressed: true, suppressedReason: 'below_min_n' });
    const audit = (await call('GET', `/api/v1/audit-log?targetType=tenant&targetId=${t.tenantId}`, { token: t.tokens.admin })).body.items;
    expect(audit[0]).toMatchObject({ action: 'settings.update', details: { changed: expect.arrayContaining(['minResponses', 'reliabilityThreshold']) } });
    expect((await patch({ minResponses: 5, reliabilityThreshold: 30 })).status).toBe(200);
  });
});

describe('estimate=shrunk', () => {
  const planted = (key: keyof typeof PLANTED) => [...PLANTED[key]] as [number, number, number];
  const raw = ([p, a, d]: [number, number, number]) => (100 * (p - d)) / (p + a + d);

  it('shrinks each site toward its sibling sites: the documented method computed independently', async () => {
    const res = await get(`unitId=${t.units.emea}&groupBy=unit&from=${FROM}&to=${TO}&estimate=shrunk`);
    expect(res.status).toBe(200);
    const items = byKey(res.body.items);
    // The peers are the six sites under EMEA, Lisbon's 3 answers included; not the vendor, not EMEA's own answers.
    const want = byDefinition(SITES.map(planted));
    SITES.forEach((site, i) => {
      const item = items[unitId(site)];
      if (site === 'lisbon') {
        expect(item.shrunk).toBeNull();
        return;
      }
      expect(item.shrunk.nps, site).toBeCloseTo(want.shrunk[i]!.nps, 9);
      expect(item.shrunk.ci.low, site).toBeCloseTo(want.shrunk[i]!.low, 9);
      expect(item.shrunk.ci.high, site).toBeCloseTo(want.shrunk[i]!.high, 9);
      expect(item.shrunk.ci.level).toBe(0.95);
      // Between the raw score and the peer mean.
      expect(item.shrunk.nps).toBeGreaterThanOrEqual(Math.min(raw(planted(site)), want.peerNps) - 1e-9);
      expect(item.shrunk.nps).toBeLessThanOrEqual(Math.max(raw(planted(site)), want.peerNps) + 1e-9);
    });
    // The peers differ beyond noise here (ρ > 0): a real, finite prior strength.
    expect(want.rho).toBeGreaterThan(0);
    // Berlin and Paris both score 50 raw; Berlin's 30 answers keep it closer to 50 than Paris's 10.
    const gap = (site: 'berlin' | 'paris') => Math.abs(items[unitId(site)].shrunk.nps - 50);
    expect(gap('berlin')).toBeLessThan(gap('paris'));
    // Rome (4/2/4) and Oslo (2/6/2): the same n and raw score, the same shrunk score.
    expect(items[unitId('rome')].shrunk.nps).toBe(items[unitId('oslo')].shrunk.nps);
    // No peers of its kind for the vendor; the region's own answers are not a sibling.
    expect(items[extra.emeaVendor].shrunk).toBeNull();
    expect(items[t.units.emea!].shrunk).toBeNull();
  });

  it("a unit alone is shrunk toward its siblings, as in its parent's table; by month the same; the root has no siblings", async () => {
    const table = byKey((await get(`unitId=${t.units.emea}&groupBy=unit&from=${FROM}&to=${TO}&estimate=shrunk`)).body.items);
    const [alone] = (await get(`unitId=${unitId('paris')}&from=${FROM}&to=${TO}&estimate=shrunk`)).body.items;
    expect(alone.shrunk).toEqual(table[unitId('paris')].shrunk);
    // The EMEA manager reads Paris's shrunk score too.
    const asManager = (await get(`unitId=${unitId('paris')}&from=${FROM}&to=${TO}&estimate=shrunk`, t.tokens.manager)).body.items[0];
    expect(asManager.shrunk).toEqual(alone.shrunk);
    const [monthly] = (await get(`unitId=${unitId('paris')}&from=${FROM}&to=${TO}&period=month&estimate=shrunk`)).body.items;
    expect(monthly).toMatchObject({ period: '2026-05', n: 10 });
    expect(monthly.shrunk.nps).toBeCloseTo(alone.shrunk.nps, 12);
    // A month without answers: no peers with answers, nothing to shrink toward.
    const [april] = (await get(`unitId=${unitId('paris')}&from=2026-04-01&to=2026-04-30&estimate=shrunk`)).body.items;
    expect(april).toMatchObject({ n: 0, suppressed: true, shrunk: null });
    const [root] = (await get(`from=${FROM}&to=${TO}&estimate=shrunk`)).body.items;
    expect(root).toMatchObject({ key: 'all', suppressed: false, shrunk: null });
  });

  it('refuses what it cannot shrink (422) and a value it does not know (400)', async () => {
    for (const qs of [`groupBy=touchpoint&estimate=shrunk`, `weight=ltv&estimate=shrunk`, `groupBy=tenure&estimate=shrunk`]) {
      const res = await get(`unitId=${t.units.emea}&from=${FROM}&to=${TO}&${qs}`);
      expect([qs, res.status, res.body.error.code, res.body.error.details[0].path]).toEqual([qs, 422, 'UNPROCESSABLE', 'query.estimate']);
    }
    expect((await get(`unitId=${t.units.emea}&estimate=posterior`)).status).toBe(400);
  });
});
