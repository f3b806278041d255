import { eq, inArray, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { backfillTenant, CHUNK } from '../../src/comments/backfill';
import { commentAnalyses, commentBackfill, responses } from '../../src/db/schema';
import { TenantDb } from '../../src/db/tenant-db';
import { makeSurvey, type SurveySetup } from './capture-fixture';
import { lcg, type PlantedAnswer, plantAnswers } from './measures-fixture';
import { call, db, type Fixture, makeTenant, runCron } from './support';

/*
 * The backfill of comment analyses (docs/themes.md "Backfill"): answers written with a comment and
 * no analysis (as before the analysis existed, and as the import writes them) are analysed by the
 * every-minute job in chunks, resumably and idempotently. Expected numbers come from the planted
 * design (which comments mention waiting), recounted here, never from the code's output.
 */

let t: Fixture;
let other: Fixture;
let s: SurveySetup;
const MARCH = 'from=2025-03-01&to=2025-03-31';

interface Designed extends PlantedAnswer {
  waiting: boolean;
}

/** 1,300 answers in March 2025: two in three with a comment, waiting mentioned in about a third of those. */
function designed(n: number): Designed[] {
  const next = lcg(77);
  const start = Date.parse('2025-03-03T08:00:00Z');
  return Array.from({ length: n }, (_, i) => {
    const commented = i % 3 !== 0;
    const waiting = commented && next() < 0.35;
    const comment = commented ? (waiting ? 'We had to wait for hours.' : 'Nothing else to report.') : undefined;
    return { unitId: (i % 2 ? t.units.berlin : t.units.paris)!, at: start + i * 60_000, score: waiting ? 3 : 8, ...(comment ? { comment } : {}), waiting };
  });
}

const analysesOf = (ids: string[]) =>
  db(t.tenantId).select({ id: commentAnalyses.id, themes: commentAnalyses.themes, analysedAt: commentAnalyses.analysedAt }).from(commentAnalyses).where(inArray(commentAnalyses.id, ids));

/** Opens the tenant's backfill range over its answers, as migration 0024 does for the answers stored before the analysis. */
async function openRange(tenantId: string, dueAt: number) {
  const [r] = (await db(tenantId).all(sql`select min(rowid) - 1 as seq, max(rowid) as through from responses where tenant_id = ${tenantId} and comment is not null`)) as {
    seq: number;
    through: number;
  }[];
  await db(tenantId)
    .insert(commentBackfill)
    .values({ tenantId, seq: r!.seq, through: r!.through, dueAt })
    .onConflictDoUpdate({ target: commentBackfill.tenantId, set: { seq: r!.seq, through: r!.through, dueAt } });
}

let planted: Designed[];
let ids: string[];
let waitingId: string;

beforeAll(async () => {
  t = await makeTenant('Backfill');
  other = await makeTenant('BackfillOther');
  s = await makeSurvey(t.tenantId);
  planted = designed(1300);
  ids = await plantAnswers(t.tenantId, s, planted);
  // The other tenant has a comment without an analysis, and no backfill range.
  await plantAnswers(other.tenantId, await makeSurvey(other.tenantId), [{ unitId: other.units.berlin!, at: Date.parse('2025-03-05T08:00:00Z'), score: 2, comment: 'We had to wait for hours.' }]);
  const lib = await call('GET', '/api/v1/theme-library', { token: t.tokens.admin });
  waitingId = lib.body.items.find((x: any) => x.name === 'Waiting time').id;
});

describe('comment backfill', () => {
  it('in chunks, resumable: each commented answer gets exactly one analysis; answers without a comment and analysed ones are left alone', async () => {
    // One comment analysed already (by its follow-up): marked so a second analysis would show.
    const firstCommented = planted.findIndex((a) => a.comment);
    const td = new TenantDb(db(t.tenantId), t.tenantId);
    await td.insert(commentAnalyses).values({
      id: ids[firstCommented]!,
      kind: 'response',
      responseId: ids[firstCommented]!,
      unitId: planted[firstCommented]!.unitId,
      score: planted[firstCommented]!.score,
      counted: true,
      language: 'en',
      stems: 'marked',
      phrases: [],
      themes: ['marked'],
      libraryVersion: 999,
      createdAt: planted[firstCommented]!.at,
      analysedAt: 1,
    });
    await openRange(t.tenantId, Date.now());

    // A budget of one comment: each call does one chunk of CHUNK answers and stops; the cursor is kept.
    const commentedIds = ids.filter((_, i) => planted[i]!.comment);
    expect(commentedIds).toHaveLength(866); // 1300 − ⌈1300/3⌉ = 1300 − 434
    const first = await backfillTenant(td, t.tenantId, 1);
    expect(first.more).toBe(true);
    // The first chunk: CHUNK answers from the first commented one (the range opens just before it), one analysed already.
    const firstChunk = planted.slice(firstCommented, firstCommented + CHUNK).filter((a) => a.comment).length - 1;
    expect(first.analysed).toBe(firstChunk);
    expect(await analysesOf(ids)).toHaveLength(firstChunk + 1);
    const [mark] = await td.select().from(commentBackfill);
    expect(mark!.dueAt).not.toBeNull();

    // The rest by the every-minute cron (its probe says due; the job finishes the range).
    await runCron('* * * * *');
    const stored = await analysesOf(ids);
    expect(stored.map((r) => r.id).sort()).toEqual([...commentedIds].sort());
    const [done] = await td.select().from(commentBackfill);
    expect(done).toMatchObject({ seq: done!.through, dueAt: null });

    // The analysis made by the follow-up is untouched; the tags follow the design.
    expect(stored.find((r) => r.id === ids[firstCommented])).toMatchObject({ themes: ['marked'], analysedAt: 1 });
    const designedWaiting = new Set(ids.filter((_, i) => planted[i]!.waiting));
    for (const r of stored) if (r.id !== ids[firstCommented]) expect(r.themes.includes(waitingId)).toBe(designedWaiting.has(r.id));
    // Nothing of the other tenant was analysed.
    expect(await db(other.tenantId).select().from(commentAnalyses).where(eq(commentAnalyses.tenantId, other.tenantId))).toEqual([]);
  });

  it('idempotent: running the range again adds and changes nothing', async () => {
    const before = (await analysesOf(ids)).map((r) => `${r.id}:${r.analysedAt}`).sort();
    await openRange(t.tenantId, Date.now());
    const td = new TenantDb(db(t.tenantId), t.tenantId);
    expect(await backfillTenant(td, t.tenantId)).toEqual({ analysed: 0, more: false });
    expect((await analysesOf(ids)).map((r) => `${r.id}:${r.analysedAt}`).sort()).toEqual(before);
  });

  it('the themes of the backfilled comments count as the design says', async () => {
    const res = await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}`, { token: t.tokens.admin });
    expect(res.status).toBe(200);
    // Brute force over the design: waiting comments, less the one marked analysis if it was one.
    const firstCommented = planted.findIndex((a) => a.comment);
    const expected = planted.filter((a, i) => a.waiting && i !== firstCommented).length;
    expect(res.body.items.find((x: any) => x.id === waitingId).comments).toBe(expected);
  });

  it('imported answers with a comment are analysed by the next run', async () => {
    const body = {
      responses: [
        { externalId: 'paper-1', answeredAt: '2025-03-20T10:00:00Z', unitId: t.units.berlin, touchpoint: s.touchpointKey, channel: 'paper', score: 2, comment: 'We had to wait for hours.' },
        { externalId: 'paper-2', answeredAt: '2025-03-20T11:00:00Z', unitId: t.units.berlin, touchpoint: s.touchpointKey, channel: 'paper', score: 9 },
      ],
    };
    const res = await call('POST', '/api/v1/responses/import', { token: t.tokens.admin, body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [withComment, without] = res.body.results.map((r: any) => r.responseId as string);
    const [mark] = await db(t.tenantId).select().from(commentBackfill).where(eq(commentBackfill.tenantId, t.tenantId));
    expect(mark!.dueAt).not.toBeNull();
    expect(mark!.seq).toBeLessThan(mark!.through);
    await runCron('* * * * *');
    const stored = await analysesOf([withComment, without]);
    expect(stored.map((r) => r.id)).toEqual([withComment]);
    expect(stored[0]!.themes).toContain(waitingId);
    const [after] = await db(t.tenantId).select().from(commentBackfill).where(eq(commentBackfill.tenantId, t.tenantId));
    expect(after).toMatchObject({ dueAt: null, seq: after!.through });
    // Nothing else of the tenant was read back into the range: its earlier answers stay as they were.
    const count = await db(t.tenantId).select({ n: sql<number>`count(*)` }).from(commentAnalyses).where(eq(commentAnalyses.tenantId, t.tenantId));
    expect(Number(count[0]!.n)).toBe(867);
    expect((await db(t.tenantId).select().from(responses).where(eq(responses.id, without)))[0]!.comment).toBeNull();
  });
});
