import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { responses, surveys, touchpoints } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import { call, db, type Fixture, makeTenant } from './support';

/**
 * Annotations (issue 17, item 1): written by admins and managers of the unit, audited; listed for
 * a unit's trend (its subtree, and ancestors' annotations that apply to it); and
 * `GET /api/v1/scores?around=<id>` comparing the weeks before and after the annotated day, with
 * the difference test worked out by hand below.
 */

let t: Fixture;
let other: Fixture;
const post = (body: unknown, token = t.tokens.admin) => call('POST', '/api/v1/annotations', { token, body });
const list = (qs: string, token = t.tokens.admin) => call('GET', `/api/v1/annotations?${qs}`, { token });

/** Berlin's answers: [day, promoters, passives, detractors] (fixture units are in UTC). */
const BERLIN: [string, number, number, number][] = [
  ['2026-01-20', 9, 0, 0], // more than 4 weeks before: outside both windows
  ['2026-02-10', 20, 10, 20], // before: n 50, NPS 0
  ['2026-03-02', 5, 2, 1], // the day itself: after
  ['2026-03-10', 30, 8, 4], // after: with the day, n 50, 35/10/5, NPS 60
  ['2026-04-05', 0, 0, 9], // more than 4 weeks after: outside
];
const PARIS: [string, number, number, number][] = [
  ['2026-02-11', 3, 1, 1], // before: n 5
  ['2026-03-11', 1, 1, 1], // after: n 3, below the anonymity threshold
];

beforeAll(async () => {
  [t, other] = await Promise.all([makeTenant('Notes'), makeTenant('OtherNotes')]);
  const d = db();
  const now = Date.now();
  const sid = newId('srv');
  const tp = newId('tp');
  const rows = (unitId: string, plan: [string, number, number, number][]) =>
    plan.flatMap(([day, ...counts]) =>
      counts.flatMap((n, i) =>
        Array.from({ length: n }, () => ({
          id: newId('rsp'),
          tenantId: t.tenantId,
          touchpointId: tp,
          unitId,
          surveyId: sid,
          surveyVersion: 1,
          channel: 'email' as const,
          locale: 'en',
          score: [9, 7, 0][i]!,
          counted: true,
          createdAt: Date.parse(`${day}T10:00:00Z`),
          updatedAt: now,
        })),
      ),
    );
  await commit(d, [
    d.insert(surveys).values({ id: sid, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(touchpoints).values({ id: tp, tenantId: t.tenantId, key: 'tp', name: 'TP', kind: 'site_visit', surveyId: sid, channels: ['email'], createdAt: now, updatedAt: now }),
    d.insert(responses).values([...rows(t.units.berlin!, BERLIN), ...rows(t.units.paris!, PARIS)]),
  ]);
});

describe('writing annotations', () => {
  it('an admin and a manager of the unit annotate it; audited; the answer is the stored annotation', async () => {
    const res = await post({ unitId: t.units.berlin, date: '2026-03-02', kind: 'process_change', title: 'New dispatch process' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      unitId: t.units.berlin,
      unitName: 'Berlin',
      date: '2026-03-02',
      kind: 'process_change',
      title: 'New dispatch process',
      appliesToSubtree: false,
      createdBy: t.userIds.admin,
    });
    const [row] = (await call('GET', `/api/v1/audit-log?targetType=annotation&targetId=${res.body.id}`, { token: t.tokens.admin })).body.items;
    expect(row).toMatchObject({ action: 'annotation.create', actorId: t.userIds.admin, requestId: res.headers.get('x-request-id') });
    const byManager = await post({ unitId: t.units.paris, date: '2026-03-05', kind: 'outage', title: 'Phones down' }, t.tokens.manager);
    expect(byManager.status).toBe(201);
    expect(byManager.body.createdBy).toBe(t.userIds.manager);
  });

  it('refuses bad input with a clear 4xx and writes nothing', async () => {
    const before = (await list(`unitId=${t.units.root}`)).body.items.length;
    const cases: [unknown, number, string][] = [
      [{ unitId: t.units.berlin, date: '2026-02-30', kind: 'release', title: 'x' }, 400, 'body.date'],
      [{ unitId: t.units.berlin, date: '2026-03', kind: 'release', title: 'x' }, 400, 'body.date'],
      [{ unitId: t.units.berlin, date: '2026-03-02', kind: 'holiday', title: 'x' }, 400, 'body.kind'],
      [{ unitId: t.units.berlin, date: '2026-03-02', kind: 'release', title: '   ' }, 400, 'body.title'],
      [{ unitId: t.units.berlin, date: '2026-03-02', kind: 'release', title: 'x', extra: 1 }, 400, 'body'],
    ];
    for (const [body, status, path] of cases) {
      const res = await post(body);
      expect([JSON.stringify(body), res.status, res.body.error.code]).toEqual([JSON.stringify(body), status, 'VALIDATION_FAILED']);
      expect(res.body.error.details.map((x: any) => x.path).join(' ')).toContain(path);
    }
    // Another tenant's unit: 404, as for a unit that exists nowhere.
    const foreign = await post({ unitId: other.units.berlin, date: '2026-03-02', kind: 'release', title: 'x' });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'NOT_FOUND']);
    // A viewer reads but does not annotate; a manager outside the unit does not see it.
    expect((await post({ unitId: t.units.berlin, date: '2026-03-02', kind: 'release', title: 'x' }, t.tokens.viewer)).status).toBe(403);
    expect((await post({ unitId: t.units.berlin, date: '2026-03-02', kind: 'release', title: 'x' }, t.tokens.siteManager)).status).toBe(404);
    expect((await list(`unitId=${t.units.root}`)).body.items.length).toBe(before);
  });
});

describe('listing annotations for a trend', () => {
  it("a unit's own and its subtree's, and its ancestors' that apply to the subtree, by date within the range", async () => {
    const merger = await post({ unitId: t.units.root, date: '2026-01-15', kind: 'merger', title: 'Merger with Globex', appliesToSubtree: true });
    const rootOnly = await post({ unitId: t.units.root, date: '2026-01-16', kind: 'other', title: 'Board visit' });
    const ny = await post({ unitId: t.units.newYork, date: '2026-03-03', kind: 'release', title: 'NY release' });
    expect([merger.status, rootOnly.status, ny.status]).toEqual([201, 201, 201]);

    const emea = (await list(`unitId=${t.units.emea}`, t.tokens.manager)).body.items;
    expect(emea.map((a: any) => [a.date, a.title, a.inherited])).toEqual([
      ['2026-01-15', 'Merger with Globex', true],
      ['2026-03-02', 'New dispatch process', false],
      ['2026-03-05', 'Phones down', false],
    ]);
    const berlin = (await list(`unitId=${t.units.berlin}&from=2026-02-01&to=2026-12-31`)).body.items;
    expect(berlin.map((a: any) => a.title)).toEqual(['New dispatch process']);
    const root = (await list(`unitId=${t.units.root}&from=2026-01-16&to=2026-03-03`)).body.items;
    expect(root.map((a: any) => a.title)).toEqual(['Board visit', 'New dispatch process', 'NY release']);
    expect((await list(`unitId=${t.units.root}&from=2026-03-03&to=2026-03-01`)).status).toBe(400);
    // An agent reads the unit but not its scores.
    expect((await list(`unitId=${t.units.berlin}`, t.tokens.agent)).status).toBe(403);
  });
});

describe('scores around an annotation', () => {
  it('compares the 4 weeks from the day on with the 4 weeks before, with the two-sample test', async () => {
    const [note] = (await list(`unitId=${t.units.berlin}&from=2026-03-02&to=2026-03-02`)).body.items;
    const res = await call('GET', `/api/v1/scores?around=${note.id}`, { token: t.tokens.admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.around).toEqual({
      annotation: { id: note.id, unitId: t.units.berlin, date: '2026-03-02', kind: 'process_change', title: 'New dispatch process' },
      weeks: 4,
      before: { from: '2026-02-02', to: '2026-03-01' },
      after: { from: '2026-03-02', to: '2026-03-29' },
    });
    const [item] = res.body.items;
    // After: 35 promoters, 10 passives, 5 detractors; before: 20/10/20. Outside answers excluded.
    expect(item).toMatchObject({ key: 'all', n: 50, promoters: 35, passives: 10, detractors: 5, suppressed: false });
    expect(item.nps).toBeCloseTo(60, 12);
    expect(item.before).toMatchObject({ n: 50, nps: 0, suppressed: false });
    // z = (0.6 − 0)/√(varA + varB): varA = (0.7 + 0.1 − 0.6²)/50 = 0.0088, varB = (0.4 + 0.4 − 0)/50 = 0.016,
    // z = 0.6/√0.0248 = 3.8100; two-sided p = erfc(z/√2). For |z| > 3.2905, p < 0.001.
    const z = 0.6 / Math.sqrt(0.0248);
    expect(z).toBeGreaterThan(3.2905);
    expect(item.delta.points).toBeCloseTo(60, 12);
    expect(item.delta.p).toBeLessThan(0.001);
    expect(item.delta.p).toBeGreaterThan(0.0001);

    // Two weeks each side: before 2026-02-16..03-01 has no answers; after 2026-03-02..03-15 has all 50.
    const two = (await call('GET', `/api/v1/scores?around=${note.id}&aroundWeeks=2`, { token: t.tokens.admin })).body;
    expect(two.around.before).toEqual({ from: '2026-02-16', to: '2026-03-01' });
    expect(two.items[0]).toMatchObject({ n: 50, before: { n: 0, suppressed: true, suppressedReason: 'no_answers', nps: null } });
    expect(two.items[0].delta).toBeUndefined();
  });

  it('by child unit, for the EMEA manager; a suppressed side gives no delta', async () => {
    const [note] = (await list(`unitId=${t.units.berlin}&from=2026-03-02&to=2026-03-02`)).body.items;
    const res = await call('GET', `/api/v1/scores?around=${note.id}&unitId=${t.units.emea}&groupBy=unit`, { token: t.tokens.manager });
    expect(res.status).toBe(200);
    const byKey = Object.fromEntries(res.body.items.map((i: any) => [i.key, i]));
    expect(byKey[t.units.berlin!]).toMatchObject({ n: 50, before: { n: 50 } });
    // Paris: 3 answers after (suppressed under 5), 5 before (shown, a low sample).
    expect(byKey[t.units.paris!]).toMatchObject({ n: 3, suppressed: true, before: { n: 5, suppressed: false, lowSample: true } });
    expect(byKey[t.units.paris!].delta).toBeUndefined();
  });

  it('refuses a range beside it (400), an unknown or foreign annotation (404), aroundWeeks alone (400)', async () => {
    const [note] = (await list(`unitId=${t.units.berlin}&from=2026-03-02&to=2026-03-02`)).body.items;
    for (const qs of [`around=${note.id}&from=2026-01-01`, `around=${note.id}&compare=previous`, `around=${note.id}&period=week`, 'aroundWeeks=2', `around=${note.id}&aroundWeeks=27`]) {
      const res = await call('GET', `/api/v1/scores?${qs}`, { token: t.tokens.admin });
      expect([qs, res.status, res.body.error.code]).toEqual([qs, 400, 'VALIDATION_FAILED']);
    }
    expect((await call('GET', `/api/v1/scores?around=ann_nothing`, { token: t.tokens.admin })).status).toBe(404);
    expect((await call('GET', `/api/v1/scores?around=${note.id}`, { token: other.tokens.admin })).status).toBe(404);
    // The New York manager does not see Berlin's annotation.
    expect((await call('GET', `/api/v1/scores?around=${note.id}`, { token: t.tokens.siteManager })).status).toBe(404);
  });
});
