import { beforeAll, describe, expect, it } from 'vitest';
import { ensureLibrary } from '../../src/comments/library';
import { retagTenant } from '../../src/comments/retag';
import { insertAnalysis, responseAnalysis } from '../../src/comments/tags';
import { runBatch } from '../../src/db/prepared';
import { responses } from '../../src/db/schema';
import { TenantDb } from '../../src/db/tenant-db';
import { inArray } from 'drizzle-orm';
import { independentWeights, leastSquaresR2, pearson } from '../independent-weights';
import { fullSurvey, makeSurvey, type SurveySetup } from './capture-fixture';
import { lcg, type PlantedAnswer, plantAnswers } from './measures-fixture';
import { call, db, type Fixture, makeTenant } from './support';

/*
 * Theme presence as a key-driver predictor (issue 13 item 3, issue 14 item 5; docs/drivers.md
 * "Theme presence"). Planted answers: the comment mentions waiting by design on about 40% of the
 * commented answers, and waiting costs 3 points of score; friendliness is mentioned as often but
 * has no effect. The expected weights come from the design flags (what the planted comment says),
 * through the independent computation of test/independent-weights.ts, never from the API.
 */

let t: Fixture;
let s: SurveySetup;
const admin = () => t.tokens.admin;

interface Designed extends PlantedAnswer {
  waiting: boolean;
  friendly: boolean;
  commented: boolean;
}

/** 300 answers; one in five has no comment; waiting and friendliness planted independently. */
function designed(n: number, seed: number, start: number, commentEvery: (i: number) => boolean): Designed[] {
  const next = lcg(seed);
  return Array.from({ length: n }, (_, i) => {
    const hours = 1 + Math.floor(next() * 72);
    const reopened = next() < 0.25;
    const sat = Math.min(5, Math.max(1, Math.round(5 - hours / 24 - (reopened ? 1 : 0) + next() * 1.5)));
    const commented = commentEvery(i);
    const waiting = commented && next() < 0.4;
    const friendly = commented && next() < 0.4;
    const noise = (next() - 0.5) * 3;
    const score = Math.min(10, Math.max(0, Math.round(9.5 - hours / 24 - (reopened ? 1.5 : 0) - (waiting ? 3 : 0) + noise)));
    const parts = [waiting ? 'We had to wait for hours.' : '', friendly ? 'The staff were friendly.' : ''].filter(Boolean);
    const comment = commented ? (parts.length ? parts.join(' ') : 'Nothing else to report.') : undefined;
    return {
      unitId: (i % 2 ? t.units.berlin : t.units.paris)!,
      at: start + i * 60_000,
      score,
      attributes: { resolutionHours: hours, reopened },
      answers: { sat },
      ...(comment ? { comment } : {}),
      waiting,
      friendly,
      commented,
    };
  });
}

/** Analyses the planted comments as the follow-up does (the stored analysis, under the tenant's library). */
async function analyse(ids: string[]) {
  const td = new TenantDb(db(t.tenantId), t.tenantId);
  const lib = await ensureLibrary(td, t.tenantId);
  const rows = await td
    .select({ id: responses.id, unitId: responses.unitId, score: responses.score, counted: responses.counted, comment: responses.comment, locale: responses.locale, createdAt: responses.createdAt })
    .from(responses)
    .where(inArray(responses.id, ids));
  const inserts = rows.filter((r) => r.comment).map((r) => insertAnalysis(td, responseAnalysis(lib, { ...r, comment: r.comment! })));
  for (let i = 0; i < inserts.length; i += 200) await runBatch(td, inserts.slice(i, i + 200));
}

beforeAll(async () => {
  t = await makeTenant('DriverThemes');
  s = await makeSurvey(t.tenantId, { definition: fullSurvey() });
  for (const key of ['resolutionHours', 'reopened']) {
    const res = await call('POST', '/api/v1/measures', { token: admin(), body: { key, name: key, unit: 'x', direction: 'lower_is_better', source: 'event' } });
    expect(res.status).toBe(201);
  }
});

describe('theme presence as a driver', () => {
  const q = `/api/v1/drivers?unitId=${'UNIT'}&from=2024-09-01&to=2024-09-30`;
  const query = () => q.replace('UNIT', t.units.emea!);
  let planted: Designed[];
  let ids: string[];
  let themeId: Map<string, string>;

  beforeAll(async () => {
    planted = designed(300, 23, Date.parse('2024-09-05T08:00:00Z'), (i) => i % 5 !== 0);
    ids = await plantAnswers(t.tenantId, s, planted);
    const lib = await call('GET', '/api/v1/theme-library', { token: admin() });
    expect(lib.status).toBe(200);
    themeId = new Map(lib.body.items.map((th: any) => [th.name, th.id]));
  });

  it('before the comments are analysed no theme enters and every answer counts; the analyses renew the kept result', async () => {
    const before = await call('GET', query(), { token: admin() });
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body.n).toBe(300);
    expect(before.body.items.map((i: any) => i.kind).sort()).toEqual(['measure', 'measure', 'question']);

    await analyse(ids);
    const after = await call('GET', query(), { token: admin() });
    expect(after.body.computedAt).not.toBe(before.body.computedAt);
    expect(after.body.items.some((i: any) => i.kind === 'theme')).toBe(true);
  });

  it('the weights equal an independent computation on the answers with an analysed comment; waiting drives, friendliness does not', async () => {
    const res = await call('GET', query(), { token: t.tokens.manager });
    expect(res.status).toBe(200);
    // Answers without a comment have no theme value: the model runs on the 240 commented answers.
    const used = planted.filter((a) => a.commented);
    expect(used).toHaveLength(240);
    expect(res.body).toMatchObject({ n: 240, suppressed: false });
    // Only the two planted themes have 20 mentions or more (the other starter themes none).
    const names = ['reopened', 'resolutionHours', 'sat', 'waiting', 'friendly'];
    const columns = [
      used.map((a) => (a.attributes!.reopened ? 1 : 0)),
      used.map((a) => a.attributes!.resolutionHours as number),
      used.map((a) => a.answers!.sat as number),
      used.map((a) => (a.waiting ? 1 : 0)),
      used.map((a) => (a.friendly ? 1 : 0)),
      used.map((a) => a.score),
    ];
    expect(columns[3]!.filter((v) => v === 1).length).toBeGreaterThanOrEqual(20);
    expect(columns[4]!.filter((v) => v === 1).length).toBeGreaterThanOrEqual(20);
    const expected = independentWeights(columns);
    const r = pearson(columns);
    const r2 = leastSquaresR2(columns);
    const driverOf: Record<string, string> = {
      reopened: 'reopened',
      resolutionHours: 'resolutionHours',
      sat: 'sat',
      waiting: themeId.get('Waiting time')!,
      friendly: themeId.get('Friendliness')!,
    };
    expect(res.body.items.map((i: any) => i.driver).sort()).toEqual(Object.values(driverOf).sort());
    names.forEach((name, j) => {
      const item = res.body.items.find((i: any) => i.driver === driverOf[name]);
      expect(item.weight).toBeCloseTo(expected[j]!, 9);
      expect(item.correlation).toBeCloseTo(r[j]![5]!, 9);
      expect(item.share).toBeCloseTo(expected[j]! / r2, 9);
    });
    expect(res.body.r2).toBeCloseTo(r2, 9);
    const waiting = res.body.items.find((i: any) => i.driver === driverOf.waiting);
    const friendly = res.body.items.find((i: any) => i.driver === driverOf.friendly);
    expect(waiting).toMatchObject({ kind: 'theme', name: 'Waiting time', significant: true });
    expect(waiting.correlation).toBeLessThan(0);
    expect(friendly).toMatchObject({ kind: 'theme', name: 'Friendliness', significant: false });
    expect(waiting.weight).toBeGreaterThan(10 * friendly.weight);
  });

  it('a library edit renews the kept result: a theme whose terms no longer match leaves the model', async () => {
    const a = await call('GET', query(), { token: admin() });
    const friendliness = themeId.get('Friendliness')!;
    const edit = await call('PATCH', `/api/v1/theme-library/${friendliness}`, { token: admin(), body: { terms: { en: ['rude'] } } });
    expect(edit.status, JSON.stringify(edit.body)).toBe(200);
    // The version moved: computed afresh, even before the re-tag has run.
    const b = await call('GET', query(), { token: admin() });
    expect(b.body.computedAt).not.toBe(a.body.computedAt);
    // The re-tag (from stored stems) ends: computed afresh again, and friendliness is gone.
    const td = new TenantDb(db(t.tenantId), t.tenantId);
    expect((await retagTenant(td, t.tenantId)).more).toBe(false);
    const c = await call('GET', query(), { token: admin() });
    expect(c.body.computedAt).not.toBe(b.body.computedAt);
    expect(c.body.items.map((i: any) => i.driver)).not.toContain(friendliness);
    expect(c.body.items.map((i: any) => i.name).filter(Boolean)).toEqual(['Waiting time']);
    expect(c.body.n).toBe(240);
  });

  it('fewer than half of the answers with an analysed comment: no theme enters, every answer counts', async () => {
    // October: 150 answers, one in three commented (50 < 75).
    const october = designed(150, 41, Date.parse('2024-10-07T08:00:00Z'), (i) => i % 3 === 0);
    await analyse(await plantAnswers(t.tenantId, s, october));
    const res = await call('GET', `/api/v1/drivers?unitId=${t.units.emea}&from=2024-10-01&to=2024-10-31`, { token: admin() });
    expect(res.body).toMatchObject({ n: 150, suppressed: false });
    expect(res.body.items.map((i: any) => i.kind).sort()).toEqual(['measure', 'measure', 'question']);
  });

  it('answers that are not counted do not keep themes out: coverage is over the counted answers', async () => {
    // November: 120 counted answers, all commented and analysed, and 150 excluded answers without a comment.
    const counted = designed(120, 57, Date.parse('2024-11-04T08:00:00Z'), () => true);
    const excluded = designed(150, 58, Date.parse('2024-11-12T08:00:00Z'), () => false).map((a) => ({ ...a, counted: false }));
    await analyse(await plantAnswers(t.tenantId, s, counted));
    await plantAnswers(t.tenantId, s, excluded);
    const res = await call('GET', `/api/v1/drivers?unitId=${t.units.emea}&from=2024-11-01&to=2024-11-30`, { token: admin() });
    expect(res.body).toMatchObject({ n: 120, suppressed: false });
    // Both planted themes have at least 20 mentions and 20 non-mentions here (checked on the design).
    for (const flag of ['waiting', 'friendly'] as const) {
      const m = counted.filter((a) => a[flag]).length;
      expect(m >= 20 && 120 - m >= 20).toBe(true);
    }
    expect(
      res.body.items
        .filter((i: any) => i.kind === 'theme')
        .map((i: any) => i.name)
        .sort(),
    ).toEqual(['Waiting time']);
  });
});
