import { TenantDb } from '../../src/db/tenant-db';
import fc from 'fast-check';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { CONTACT_DIMS, contacts, responses, rollupDimDays, rollupDimMonths, rollupMonths, rollups, rollupWatermarks, surveys, surveyVersions, tenants, touchpoints, units } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { closeMonths, lastClosedMonth, recomputeCells, cellOf } from '../../src/scores/fold';
import { standardSurvey } from '../../src/surveys/templates';
import { call, db, makeTenant, type Fixture, runCron } from './support';

/**
 * The scores API against a brute-force recount over the raw responses, written here without
 * the scoring module: categories 9–10 / 7–8 / 0–6, NPS = 100·(P − D)/n, local days by Intl.
 */

let t: Fixture;
let touchpointIds: string[];
let surveyId: string;
let contactIds: string[];
/** The contact pool answers draw from: every tenure bucket, unknown attributes included. */
const CONTACTS = [
  { tenureMonths: null, contractSize: null, supportTier: null, accountId: null },
  { tenureMonths: 0, contractSize: 'small', supportTier: 'basic', accountId: 'acct-1' },
  { tenureMonths: 5, contractSize: 'small', supportTier: 'premium', accountId: 'acct-1' },
  { tenureMonths: 6, contractSize: 'large', supportTier: 'basic', accountId: 'acct-2' },
  { tenureMonths: 12, contractSize: 'medium', supportTier: null, accountId: 'acct-3' },
  { tenureMonths: 30, contractSize: 'large', supportTier: 'premium', accountId: null },
  { tenureMonths: 60, contractSize: null, supportTier: 'basic', accountId: 'acct-2' },
];
const UNIT_KEYS = ['root', 'emea', 'berlin', 'paris', 'americas', 'newYork', 'fastfix'] as const;
const ZONES: Record<string, string> = {
  root: 'UTC',
  emea: 'Europe/Berlin',
  berlin: 'Europe/Berlin',
  // A half-hour offset that changes by half an hour (daylight saving on 5 April 2026): local days computed in SQL must follow it.
  paris: 'Australia/Lord_Howe',
  americas: 'America/New_York',
  newYork: 'America/New_York',
  fastfix: 'Asia/Tokyo',
};
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');

beforeAll(async () => {
  t = await makeTenant('Scores');
  const d = db();
  const now = Date.now();
  surveyId = newId('srv');
  touchpointIds = [newId('tp'), newId('tp')];
  contactIds = CONTACTS.map(() => newId('ct'));
  await commit(d, [
    ...CONTACTS.map((c, i) => d.insert(contacts).values({ id: contactIds[i]!, tenantId: t.tenantId, externalId: `scores-${i}`, ...c, createdAt: now, updatedAt: now })),
    d.insert(surveys).values({ id: surveyId, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 2, createdAt: now, updatedAt: now }),
    d.insert(surveyVersions).values({ id: newId('srv_v'), tenantId: t.tenantId, surveyId, version: 1, definition: standardSurvey('X'), createdAt: now }),
    ...touchpointIds.map((id, i) =>
      d.insert(touchpoints).values({ id, tenantId: t.tenantId, key: `tp-${i}`, name: `TP ${i}`, kind: 'site_visit', surveyId, channels: ['email'], createdAt: now, updatedAt: now }),
    ),
    ...Object.entries(ZONES).map(([k, tz]) =>
      d
        .update(units)
        .set({ timezone: tz })
        .where(and(eq(units.tenantId, t.tenantId), eq(units.id, t.units[k as keyof typeof t.units]!))),
    ),
    // Show every score: the suppression rule has its own tests.
    d
      .update(tenants)
      .set({ settings: { minResponses: 1, agentMinResponses: 1, populationShares: { smb: 0.7, enterprise: 0.3 } } })
      .where(eq(tenants.id, t.tenantId)),
  ]);
});

interface Answer {
  unit: (typeof UNIT_KEYS)[number];
  score: number;
  at: number;
  touchpoint: number;
  channel: 'email' | 'sms';
  segment: string | null;
  locale: 'en' | 'de';
  ltv: number | null;
  counted: boolean;
  contact: number | null;
  /**
   * The contact's attributes when the answer came, kept on the answer (the contact cuts count
   * these): drawn from the pool apart from the contact, as if the contact changed since.
   */
  asOf: number;
  /** The vendor that did the job (docs/dimensions.md), whatever the unit, and the agent who handled it. */
  vendor: 'fastfix' | 'quickserve' | null;
  agent: string | null;
}

const answerArb = fc.record({
  unit: fc.constantFrom(...UNIT_KEYS),
  score: fc.integer({ min: 0, max: 10 }),
  at: fc.integer({ min: T0, max: T0 + 75 * DAY }),
  touchpoint: fc.integer({ min: 0, max: 1 }),
  channel: fc.constantFrom('email' as const, 'sms' as const),
  segment: fc.constantFrom('smb', 'enterprise', null),
  locale: fc.constantFrom('en' as const, 'de' as const),
  ltv: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: null }),
  counted: fc.integer({ min: 0, max: 9 }).map((x) => x < 8),
  contact: fc.option(fc.integer({ min: 0, max: CONTACTS.length - 1 }), { nil: null }),
  asOf: fc.integer({ min: 0, max: CONTACTS.length - 1 }),
  vendor: fc.constantFrom('fastfix' as const, 'quickserve' as const, null),
  agent: fc.constantFrom('agent-a', 'agent-b', 'ext:77', null),
});
const VENDOR_FILTERS = [undefined, 'fastfix', 'quickserve'] as const;
const AGENT_FILTERS = [undefined, 'agent-a', 'ext:77'] as const;

async function insertAnswers(list: Answer[]) {
  const d = db();
  const rows = list.map((a) => ({
    id: newId('rsp'),
    tenantId: t.tenantId,
    touchpointId: touchpointIds[a.touchpoint]!,
    unitId: t.units[a.unit]!,
    contactId: a.contact === null ? null : contactIds[a.contact]!,
    ...(a.contact === null ? {} : { tenureMonths: CONTACTS[a.asOf]!.tenureMonths, contractSize: CONTACTS[a.asOf]!.contractSize, supportTier: CONTACTS[a.asOf]!.supportTier }),
    surveyId,
    surveyVersion: 1,
    channel: a.channel,
    locale: a.locale,
    score: a.score,
    counted: a.counted,
    segment: a.segment,
    lifetimeValue: a.ltv,
    vendorId: a.vendor === null ? null : t.units[a.vendor]!,
    agentId: a.agent,
    answeredAt: a.at,
    createdAt: a.at,
    updatedAt: a.at,
  }));
  for (let i = 0; i < rows.length; i += 200) await d.insert(responses).values(rows.slice(i, i + 200));
  return rows.map((r) => r.id);
}

const fold = () => runCron('* * * * *');

/** What the database holds, recounted by brute force. */
async function recount(q: { unit: string; from: string; to: string; groupBy?: string; period?: string; ltv?: boolean; vendor?: string; agent?: string }) {
  const rows = await db()
    .select({
      score: responses.score,
      counted: responses.counted,
      createdAt: responses.createdAt,
      path: units.path,
      tz: units.timezone,
      touchpointId: responses.touchpointId,
      channel: responses.channel,
      segment: responses.segment,
      locale: responses.locale,
      ltv: responses.lifetimeValue,
      vendorId: responses.vendorId,
      agentId: responses.agentId,
      tenureMonths: responses.tenureMonths,
      contractSize: responses.contractSize,
      supportTier: responses.supportTier,
      contact: contacts,
    })
    .from(responses)
    .innerJoin(units, eq(units.id, responses.unitId))
    .leftJoin(contacts, eq(contacts.id, responses.contactId))
    .where(eq(responses.tenantId, t.tenantId));
  const [root] = await db()
    .select({ path: units.path })
    .from(units)
    .where(eq(units.id, t.units[q.unit as keyof typeof t.units]!));
  const rootPath = root!.path;
  const groups = new Map<string, { p: number; a: number; d: number; w: number; wp: number; wd: number; dist: number[] }>();
  for (const r of rows) {
    if (!r.counted || r.score === null || !r.path.startsWith(rootPath)) continue;
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: r.tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(r.createdAt);
    if (day < q.from || day > q.to) continue;
    // The vendor and agent filters: the answer's own vendor unit and agent, whatever its unit.
    if (q.vendor !== undefined && r.vendorId !== t.units[q.vendor as keyof typeof t.units]) continue;
    if (q.agent !== undefined && r.agentId !== q.agent) continue;
    let key = 'all';
    if (q.groupBy === 'unit') key = r.path === rootPath ? t.units[q.unit as keyof typeof t.units]! : r.path.slice(rootPath.length).split('/')[0]!;
    if (q.groupBy === 'channel') key = r.channel;
    if (q.groupBy === 'segment') key = r.segment ?? '';
    if (q.groupBy === 'touchpoint') key = r.touchpointId;
    if (q.groupBy === 'locale') key = r.locale;
    if (q.groupBy === 'vendor') key = r.vendorId ?? 'none';
    if (q.groupBy === 'agent') key = r.agentId ?? 'none';
    // Contact cuts (docs/dimensions.md): tenure in buckets <6m, 6-12m, 1-2y, 2-5y, 5y+, contract size and support tier
    // as the answer keeps them (the contact as it stood then); the account is the contact's now. Missing: 'unknown'.
    if (q.groupBy === 'tenure') {
      const m = r.tenureMonths;
      key = m === null ? 'unknown' : m < 6 ? '<6m' : m < 12 ? '6-12m' : m < 24 ? '1-2y' : m < 60 ? '2-5y' : '5y+';
    }
    if (q.groupBy === 'contractSize') key = r.contractSize ?? 'unknown';
    if (q.groupBy === 'supportTier') key = r.supportTier ?? 'unknown';
    if (q.groupBy === 'account') key = r.contact?.accountId ?? 'unknown';
    if (q.period === 'month') key += `|${day.slice(0, 7)}`;
    if (q.period === 'week') {
      const monday = new Date(`${day}T00:00:00Z`);
      monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
      key += `|${monday.toISOString().slice(0, 10)}`;
    }
    if (q.period === 'day') key += `|${day}`;
    const g = groups.get(key) ?? { p: 0, a: 0, d: 0, w: 0, wp: 0, wd: 0, dist: new Array(11).fill(0) };
    g.dist[r.score]++;
    const w = r.ltv ?? 0;
    if (r.score >= 9) g.p++, (g.wp += w);
    else if (r.score >= 7) g.a++;
    else g.d++, (g.wd += w);
    g.w += w;
    groups.set(key, g);
  }
  return groups;
}

async function scores(q: { unit: string; from: string; to: string; groupBy?: string; period?: string; weight?: string; vendor?: string; agent?: string }) {
  const params = new URLSearchParams({ unitId: t.units[q.unit as keyof typeof t.units]!, from: q.from, to: q.to });
  if (q.groupBy) params.set('groupBy', q.groupBy);
  if (q.period) params.set('period', q.period);
  if (q.weight) params.set('weight', q.weight);
  if (q.vendor) params.set('vendorId', t.units[q.vendor as keyof typeof t.units]!);
  if (q.agent) params.set('agentId', q.agent);
  params.set('distribution', 'true');
  const res = await call('GET', `/api/v1/scores?${params}`, { token: t.tokens.admin });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items as any[];
}

/** One page of GET /api/v1/scores as the API answers it (items and nextCursor). */
async function scoresPage(q: { unit: string; from: string; to: string; groupBy: string; period?: string; compare?: string; limit?: number; after?: string }) {
  const params = new URLSearchParams({ unitId: t.units[q.unit as keyof typeof t.units]!, from: q.from, to: q.to, groupBy: q.groupBy, distribution: 'true' });
  if (q.period) params.set('period', q.period);
  if (q.compare) params.set('compare', q.compare);
  if (q.limit !== undefined) params.set('limit', String(q.limit));
  if (q.after !== undefined) params.set('after', q.after);
  const res = await call('GET', `/api/v1/scores?${params}`, { token: t.tokens.admin });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { items: any[]; nextCursor: string | null };
}

function expectMatches(items: any[], truth: Awaited<ReturnType<typeof recount>>, opts: { period?: boolean; ltv?: boolean }) {
  const seen = items.filter((i) => i.n > 0);
  expect(seen.length).toBe(truth.size);
  for (const item of seen) {
    const key = `${item.key === 'all' ? 'all' : item.key}${opts.period ? `|${item.period}` : ''}`;
    const g = truth.get(key === 'all' ? 'all' : key) ?? truth.get(key.replace(/^all/, ''));
    expect(g, `group ${key}`).toBeDefined();
    expect([item.promoters, item.passives, item.detractors]).toEqual([g!.p, g!.a, g!.d]);
    expect(item.n).toBe(g!.p + g!.a + g!.d);
    // The 0–10 distribution of the same answers, hidden with the score when suppressed.
    expect(item.distribution, `distribution of ${key}`).toEqual(item.suppressed ? undefined : g!.dist);
    if (opts.ltv) {
      if (g!.w > 0) expect(item.nps).toBeCloseTo((100 * (g!.wp - g!.wd)) / g!.w, 9);
    } else expect(item.nps).toBeCloseTo((100 * (g!.p - g!.d)) / (g!.p + g!.a + g!.d), 9);
  }
}

describe('scores against a brute-force recount', () => {
  it('rollups + live tail equal the raw answers, through folds, late arrivals and exclusions', async () => {
    const d = db();
    const stream = fc.sample(answerArb, { numRuns: 400, seed: 4242 });
    await insertAnswers(stream.slice(0, 250));
    await fold();
    // Late arrivals: old answers inserted after the fold (the live tail), then some folded.
    const late = await insertAnswers(stream.slice(250, 330));
    await fold();
    await insertAnswers(stream.slice(330));
    // Exclusions and inclusions of folded answers, each cell recomputed.
    const flip = late.slice(0, 15);
    const changed = await d
      .select()
      .from(responses)
      .where(and(eq(responses.tenantId, t.tenantId), sql`${responses.id} in ${flip}`));
    await d
      .update(responses)
      .set({ counted: sql`not ${responses.counted}` })
      .where(and(eq(responses.tenantId, t.tenantId), sql`${responses.id} in ${flip}`));
    const zones = Object.fromEntries(Object.entries(ZONES).map(([k, z]) => [t.units[k as keyof typeof t.units], z]));
    await recomputeCells(
      new TenantDb(d, t.tenantId),
      changed.map((r) =>
        cellOf({
          unitId: r.unitId,
          createdAt: r.createdAt,
          timezone: zones[r.unitId]!,
          touchpointId: r.touchpointId,
          channel: r.channel,
          segment: r.segment ?? '',
          locale: r.locale,
          surveyId: r.surveyId,
          surveyVersion: r.surveyVersion,
          vendorId: r.vendorId,
        }),
      ),
    );

    const queries = fc.sample(
      fc.record({
        unit: fc.constantFrom('root', 'emea', 'americas', 'berlin'),
        start: fc.integer({ min: -2, max: 40 }),
        length: fc.integer({ min: 0, max: 62 }),
        groupBy: fc.constantFrom(undefined, 'unit', 'channel', 'segment', 'touchpoint', 'tenure', 'contractSize', 'supportTier', 'account'),
        period: fc.constantFrom(undefined, 'month', 'week', 'day'),
        ltv: fc.boolean(),
      }),
      { numRuns: 40, seed: 7 },
    );
    // The vendor and agent dimensions: grouped by them, and each filter alone, together, and with every other cut.
    const actorQueries = fc.sample(
      fc.record({
        unit: fc.constantFrom('root', 'emea', 'americas', 'berlin', 'fastfix'),
        start: fc.integer({ min: -2, max: 40 }),
        length: fc.integer({ min: 0, max: 62 }),
        groupBy: fc.constantFrom(undefined, 'vendor', 'agent', 'unit', 'segment', 'touchpoint', 'locale', 'tenure'),
        period: fc.constantFrom(undefined, 'month', 'week'),
        ltv: fc.boolean(),
        vendor: fc.constantFrom(...VENDOR_FILTERS),
        agent: fc.constantFrom(...AGENT_FILTERS),
      }),
      { numRuns: 60, seed: 16 },
    );
    for (const q of actorQueries) {
      const from = new Date(T0 + q.start * DAY).toISOString().slice(0, 10);
      const to = new Date(T0 + (q.start + q.length) * DAY).toISOString().slice(0, 10);
      const spec = { unit: q.unit, from, to, groupBy: q.groupBy, period: q.period, vendor: q.vendor, agent: q.agent };
      const items = await scores({ ...spec, weight: q.ltv ? 'ltv' : 'none' });
      expectMatches(items, await recount(spec), { period: !!q.period, ltv: q.ltv });
    }
    // Every vendor and agent cut over whole months (the month totals) and ragged edges (the day cells),
    // at the root and below it (the answers counted from the unit, vendor and agent indexes), by month
    // and in total (where only the answers near the ends have their local day computed).
    for (const unit of ['root', 'emea'])
      for (const groupBy of ['vendor', 'agent', 'unit', undefined])
        for (const [vendor, agent] of [
          [undefined, undefined],
          ['fastfix', undefined],
          [undefined, 'agent-a'],
          ['quickserve', 'ext:77'],
        ] as const)
          for (const [a, b] of [
            [0, 60],
            [3, 64],
          ])
            for (const period of ['month', undefined]) {
              const spec = { unit, from: new Date(T0 + a! * DAY).toISOString().slice(0, 10), to: new Date(T0 + b! * DAY).toISOString().slice(0, 10), groupBy, period, vendor, agent };
              expectMatches(await scores(spec), await recount(spec), { period: !!period });
            }
    const contactCut = (g: string | undefined) => g === 'tenure' || g === 'contractSize' || g === 'supportTier' || g === 'account';
    for (const q of queries) {
      // A contact cut by day covers at most 31 days (422 beyond: score-numbers.test.ts).
      const length = q.period === 'day' && contactCut(q.groupBy) ? Math.min(q.length, 30) : q.length;
      const from = new Date(T0 + q.start * DAY).toISOString().slice(0, 10);
      const to = new Date(T0 + (q.start + length) * DAY).toISOString().slice(0, 10);
      const spec = { unit: q.unit, from, to, groupBy: q.groupBy, period: q.period };
      const items = await scores({ ...spec, weight: q.ltv ? 'ltv' : 'none' });
      expectMatches(items, await recount(spec), { period: !!q.period, ltv: q.ltv });
    }
    // Every contact cut with every period, whatever the sample drew: each answer's local day computed in SQL.
    for (const groupBy of ['tenure', 'contractSize', 'supportTier', 'account'])
      for (const period of [undefined, 'day', 'week', 'month'] as const) {
        const spec = { unit: 'root', from: new Date(T0 + 3 * DAY).toISOString().slice(0, 10), to: new Date(T0 + (period === 'day' ? 33 : 64) * DAY).toISOString().slice(0, 10), groupBy, period };
        expectMatches(await scores({ ...spec, weight: 'ltv' }), await recount(spec), { period: !!period, ltv: true });
      }
    // Issue 19, item 2: every documented cut with every period at the root, over a month and over two
    // (day periods of the account and agent over 31 days at most: 422 beyond, score-numbers.test.ts).
    for (const groupBy of [undefined, 'unit', 'touchpoint', 'channel', 'segment', 'locale', 'tenure', 'contractSize', 'supportTier', 'account', 'vendor', 'agent'])
      for (const period of [undefined, 'day', 'week', 'month'] as const)
        for (const days of [30, 61]) {
          if (period === 'day' && days > 30 && (groupBy === 'account' || groupBy === 'agent')) continue;
          const spec = { unit: 'root', from: new Date(T0 + 3 * DAY).toISOString().slice(0, 10), to: new Date(T0 + (3 + days) * DAY).toISOString().slice(0, 10), groupBy, period };
          expectMatches(await scores(spec), await recount(spec), { period: !!period });
        }
    // Paging (docs/measurement.md): the account and agent cuts a page of groups at a time, at the root
    // (the keys walked through their indexes, the remainder read on the last page) and below it (every
    // group of the subtree, then the page). Walked to the end with small pages, they are the recount's
    // groups exactly, each once, in the keys' binary order with the remainder last, every page within
    // its limit but the last (which may add the remainder) and the cursor ending in null.
    const remainderOf = { account: 'unknown', agent: 'none' } as const;
    for (const unit of ['root', 'emea'])
      for (const groupBy of ['account', 'agent'] as const)
        for (const period of [undefined, 'month', 'week', 'day'] as const)
          for (const limit of [1, 2]) {
            const spec = { unit, from: new Date(T0 + 3 * DAY).toISOString().slice(0, 10), to: new Date(T0 + (period === 'day' ? 33 : 64) * DAY).toISOString().slice(0, 10), groupBy, period };
            const walked: any[] = [];
            const keys: string[] = [];
            let after: string | null | undefined;
            for (let pages = 0; after !== null; pages++) {
              expect(pages, 'the pages end').toBeLessThan(20);
              const page = await scoresPage({ ...spec, limit, after });
              const pageKeys = [...new Set(page.items.map((i: any) => i.key as string))];
              expect(pageKeys.length).toBeLessThanOrEqual(page.nextCursor === null ? limit + 1 : limit);
              if (page.nextCursor !== null) expect(page.nextCursor).toBe(pageKeys.at(-1));
              walked.push(...page.items);
              keys.push(...pageKeys);
              after = page.nextCursor;
            }
            expect(new Set(keys).size, `${unit} ${groupBy} ${period}: each group once`).toBe(keys.length);
            const keyed = keys.filter((k) => k !== remainderOf[groupBy]);
            expect(keyed).toEqual([...keyed].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
            if (keys.includes(remainderOf[groupBy])) expect(keys.at(-1)).toBe(remainderOf[groupBy]);
            expectMatches(walked, await recount(spec), { period: !!period });
          }
    // A page compared with the previous range: each of its groups has the delta it has in the whole answer.
    for (const unit of ['root', 'emea'])
      for (const groupBy of ['account', 'agent'] as const) {
        const spec = { unit, from: new Date(T0 + 33 * DAY).toISOString().slice(0, 10), to: new Date(T0 + 64 * DAY).toISOString().slice(0, 10), groupBy, compare: 'previous' };
        const whole = await scoresPage(spec);
        expect(whole.nextCursor).toBeNull();
        let after: string | null | undefined;
        let seen = 0;
        while (after !== null) {
          const page = await scoresPage({ ...spec, limit: 1, after });
          for (const item of page.items) expect(item).toEqual(whole.items.find((i: any) => i.key === item.key));
          seen += page.items.length;
          after = page.nextCursor;
        }
        expect(seen).toBe(whole.items.length);
      }
    // A cut that is not paged by default answers every group without a cursor, and a page with one when asked.
    const range = `from=${new Date(T0).toISOString().slice(0, 10)}&to=${new Date(T0 + 64 * DAY).toISOString().slice(0, 10)}`;
    const all = (await call('GET', `/api/v1/scores?groupBy=touchpoint&${range}`, { token: t.tokens.admin })).body;
    expect(all.nextCursor).toBeUndefined();
    expect(all.items.length).toBeGreaterThan(1);
    const first = (await call('GET', `/api/v1/scores?groupBy=touchpoint&${range}&limit=1`, { token: t.tokens.admin })).body;
    const keys = all.items.map((i: any) => i.key as string).sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0));
    expect(first.items.map((i: any) => i.key)).toEqual(keys.slice(0, 1));
    expect(first.nextCursor).toBe(keys[0]);
    const rest = (await call('GET', `/api/v1/scores?groupBy=touchpoint&${range}&limit=1000&after=${encodeURIComponent(first.nextCursor)}`, { token: t.tokens.admin })).body;
    expect(rest.items.map((i: any) => i.key)).toEqual(keys.slice(1));
    expect(rest.nextCursor).toBeNull();
    // The contact totals rebuilt from the first answer (after the migration that added them, or a unit
    // move): while behind, the contact cuts count the answers; a fold catches up, then folds the new ones.
    const contactSpecs = ['tenure', 'contractSize', 'supportTier'].flatMap((groupBy) =>
      (['week', 'day', undefined] as const).map((period) => ({
        unit: 'root',
        from: new Date(T0 + 3 * DAY).toISOString().slice(0, 10),
        to: new Date(T0 + 64 * DAY).toISOString().slice(0, 10),
        groupBy,
        period,
      })),
    );
    const contactRows = () =>
      d
        .select({ n: sql<number>`count(*)` })
        .from(rollupDimDays)
        .where(and(eq(rollupDimDays.tenantId, t.tenantId), inArray(rollupDimDays.dim, [...CONTACT_DIMS])));
    expect((await contactRows())[0]!.n).toBeGreaterThan(0);
    await d.update(rollupWatermarks).set({ contactDimsSeq: 0 }).where(eq(rollupWatermarks.tenantId, t.tenantId));
    await d.delete(rollupDimDays).where(and(eq(rollupDimDays.tenantId, t.tenantId), inArray(rollupDimDays.dim, [...CONTACT_DIMS])));
    await d.delete(rollupDimMonths).where(and(eq(rollupDimMonths.tenantId, t.tenantId), inArray(rollupDimMonths.dim, [...CONTACT_DIMS])));
    for (const spec of contactSpecs) expectMatches(await scores({ ...spec, weight: 'ltv' }), await recount(spec), { period: !!spec.period, ltv: true });
    await fold();
    const [mark] = await d.select().from(rollupWatermarks).where(eq(rollupWatermarks.tenantId, t.tenantId));
    expect(mark!.contactDimsSeq).toBe(mark!.responseSeq);
    expect((await contactRows())[0]!.n).toBeGreaterThan(0);
    for (const spec of contactSpecs) expectMatches(await scores({ ...spec, weight: 'ltv' }), await recount(spec), { period: !!spec.period, ltv: true });
    // A property test of many requests: its time follows the machine's load, not a target.
  }, 120_000);

  it('unit moves carry their folded answers to the new ancestors: every cut still equals the raw answers', async () => {
    const stream = fc.sample(answerArb, { numRuns: 150, seed: 99 });
    const move = async (unit: keyof typeof t.units, parent: keyof typeof t.units) => {
      const res = await call('PATCH', `/api/v1/units/${t.units[unit]}`, { token: t.tokens.admin, body: { parentId: t.units[parent] } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    const check = async (seed: number) => {
      const queries = fc.sample(
        fc.record({
          unit: fc.constantFrom('root', 'emea', 'americas', 'berlin'),
          start: fc.integer({ min: -2, max: 40 }),
          length: fc.integer({ min: 0, max: 62 }),
          groupBy: fc.constantFrom(undefined, 'unit', 'segment', 'channel', 'vendor', 'agent'),
          period: fc.constantFrom(undefined, 'month', 'day'),
        }),
        { numRuns: 16, seed },
      );
      for (const q of queries) {
        const spec = {
          unit: q.unit,
          from: new Date(T0 + q.start * DAY).toISOString().slice(0, 10),
          to: new Date(T0 + (q.start + q.length) * DAY).toISOString().slice(0, 10),
          groupBy: q.groupBy,
          period: q.period,
        };
        expectMatches(await scores(spec), await recount(spec), { period: !!q.period });
      }
    };
    await insertAnswers(stream.slice(0, 50));
    await move('paris', 'americas'); // a leaf, with answers folded and in the tail
    await fold();
    await check(1);
    await insertAnswers(stream.slice(50, 100));
    await fold();
    await move('emea', 'americas'); // a region with a child below it: two levels shift
    await check(2);
    await insertAnswers(stream.slice(100));
    await move('emea', 'root');
    await move('paris', 'emea');
    await fold();
    await check(3);
  });

  it('answers of the open month (read from day rows) and of a month that closes later count the same', async () => {
    const now = Date.now();
    const recent = fc.sample(
      answerArb.map((a) => ({ ...a, at: now - 45 * DAY + Math.floor(((a.at - T0) / (75 * DAY)) * 45 * DAY) })),
      { numRuns: 120, seed: 5 },
    );
    const ids = await insertAnswers(recent);
    await fold(); // closes every month before the current one; the current month stays open
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const month = day(now).slice(0, 7);
    const monthEnd = day(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0));
    const monthRows = async () =>
      (
        await db()
          .select()
          .from(rollupMonths)
          .where(and(eq(rollupMonths.tenantId, t.tenantId), eq(rollupMonths.month, month)))
      ).length;
    const check = async () => {
      for (const unit of ['root', 'emea', 'americas'])
        for (const groupBy of [undefined, 'unit', 'segment'])
          for (const period of [undefined, 'month']) {
            // Up to the end of the current month: a whole month in the range, still open until it closes.
            const spec = { unit, from: day(now - 50 * DAY), to: monthEnd, groupBy, period };
            expectMatches(await scores(spec), await recount(spec), { period: !!period });
          }
    };
    await check();
    // A correction in the open month, then the month closes (its month rows built from the days).
    const d = db();
    const flip = ids.slice(-10);
    const changed = await d
      .select()
      .from(responses)
      .where(and(eq(responses.tenantId, t.tenantId), sql`${responses.id} in ${flip}`));
    await d
      .update(responses)
      .set({ counted: sql`not ${responses.counted}` })
      .where(and(eq(responses.tenantId, t.tenantId), sql`${responses.id} in ${flip}`));
    const zones = Object.fromEntries((await d.select({ id: units.id, tz: units.timezone }).from(units).where(eq(units.tenantId, t.tenantId))).map((u) => [u.id, u.tz]));
    await recomputeCells(
      new TenantDb(d, t.tenantId),
      changed.map((r) => cellOf({ ...r, segment: r.segment ?? '', timezone: zones[r.unitId]! })),
    );
    await check();
    expect(await monthRows()).toBe(0); // the fold writes no month rows for an open month
    expect(await closeMonths(new TenantDb(d, t.tenantId), now + 40 * DAY)).toBe(lastClosedMonth(now + 40 * DAY));
    expect(await monthRows()).toBeGreaterThan(0);
    await check();
  });

  it('a second fold changes nothing (idempotent)', async () => {
    await fold();
    const before = await db().select().from(rollups).where(eq(rollups.tenantId, t.tenantId));
    await fold();
    const after = await db().select().from(rollups).where(eq(rollups.tenantId, t.tenantId));
    expect(after).toEqual(before);
    expect(before.length).toBeGreaterThan(0);
  });
});

describe('suppression, intervals and comparison', () => {
  it('refuses a page of groups without a groupBy, and a limit out of 1..1000 (400)', async () => {
    for (const qs of ['limit=5', 'after=acct-1', 'groupBy=account&limit=0', 'groupBy=agent&limit=1001', 'groupBy=agent&limit=two', 'groupBy=agent&after=']) {
      const res = await call('GET', `/api/v1/scores?${qs}`, { token: t.tokens.admin });
      expect([qs, res.status, res.body.error.code]).toEqual([qs, 400, 'VALIDATION_FAILED']);
    }
  });

  it('hides a score below the minimum n, shows n, and compares with the previous period', async () => {
    const f = await makeTenant('Small');
    const d = db();
    const now = Date.now();
    const sid = newId('srv');
    const tp = newId('tp');
    await commit(d, [
      d.insert(surveys).values({ id: sid, tenantId: f.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 1, createdAt: now, updatedAt: now }),
      d.insert(touchpoints).values({ id: tp, tenantId: f.tenantId, key: 'tp', name: 'TP', kind: 'site_visit', surveyId: sid, channels: ['email'], createdAt: now, updatedAt: now }),
      d
        .update(tenants)
        .set({ settings: { minResponses: 30 } })
        .where(eq(tenants.id, f.tenantId)),
    ]);
    const at = (day: string) => Date.parse(`${day}T12:00:00Z`);
    const rows = (day: string, counts: [number, number, number]) =>
      counts.flatMap((n, i) =>
        Array.from({ length: n }, () => ({
          id: newId('rsp'),
          tenantId: f.tenantId,
          touchpointId: tp,
          unitId: f.units.berlin!,
          surveyId: sid,
          surveyVersion: 1,
          channel: 'email' as const,
          locale: 'en',
          score: [10, 8, 3][i]!,
          counted: true,
          createdAt: at(day),
          updatedAt: at(day),
        })),
      );
    // June: 50 promoters, 30 passives, 20 detractors (NPS 30). May: 30, 30, 40 (NPS −10). April: 5 answers.
    await d.insert(responses).values([...rows('2026-06-10', [50, 30, 20]), ...rows('2026-05-10', [30, 30, 40]), ...rows('2026-04-10', [3, 1, 1])]);
    const get = async (qs: string) => (await call('GET', `/api/v1/scores?${qs}`, { token: f.tokens.admin })).body.items;
    const [june] = await get('from=2026-06-01&to=2026-06-30&compare=2026-05-01..2026-05-31');
    expect(june).toMatchObject({ key: 'all', n: 100, promoters: 50, passives: 30, detractors: 20, suppressed: false });
    expect(june.nps).toBeCloseTo(30, 12);
    // Adjusted Wald by hand: n' = 103, p+ = 50.75/103, p− = 20.75/103, centre = 30/103,
    // var = (71.5/103 − (30/103)²)/103, z(0.975) = 1.959963984540054.
    const centre = 30 / 103;
    const half = 1.959963984540054 * Math.sqrt((71.5 / 103 - centre ** 2) / 103);
    expect(june.ci.low).toBeCloseTo(100 * (centre - half), 9);
    expect(june.ci.high).toBeCloseTo(100 * (centre + half), 9);
    // June − May = 40 points; z on proportions: var_j = (0.7 − 0.09)/100, var_m = (0.7 − 0.01)/100.
    const z = 0.4 / Math.sqrt((0.7 - 0.09) / 100 + (0.7 - 0.01) / 100);
    expect(june.delta.points).toBeCloseTo(40, 12);
    expect(z).toBeGreaterThan(3.5);
    expect(june.delta.p).toBeLessThan(0.001);
    const [april] = await get('from=2026-04-01&to=2026-04-30');
    expect(april).toMatchObject({ n: 5, promoters: 3, suppressed: true, suppressedReason: 'below_min_n', nps: null, ci: null });
    // A suppressed side gives no delta.
    const [may] = await get('from=2026-05-01&to=2026-05-31&compare=previous');
    expect(may.delta).toBeUndefined();
    // Roles: the vendor scores only its own unit; Berlin is outside its reach.
    expect((await call('GET', `/api/v1/scores?unitId=${f.units.berlin}`, { token: f.tokens.vendor })).status).toBe(404);
    expect((await call('GET', `/api/v1/scores?unitId=${f.units.fastfix}`, { token: f.tokens.vendor })).status).toBe(200);
    expect((await call('GET', `/api/v1/scores?unitId=${f.units.berlin}`, { token: f.tokens.agent })).status).toBe(403);
    expect((await call('GET', '/api/v1/scores?from=2026-06-31', { token: f.tokens.admin })).status).toBe(400);
    expect((await call('GET', '/api/v1/scores?from=2026-06-02&to=2026-06-01', { token: f.tokens.admin })).status).toBe(400);
  });
});

describe('reweighting (a correction)', () => {
  it("changes the lifetime value a contact's folded answers weigh with, recomputes their cells, and is audited", async () => {
    const f = await makeTenant('Reweight');
    const d = db();
    const now = Date.now();
    const sid = newId('srv');
    const tp = newId('tp');
    const big = { id: newId('con'), tenantId: f.tenantId, externalId: 'big-account', createdAt: now, updatedAt: now };
    const small = { id: newId('con'), tenantId: f.tenantId, externalId: 'small-account', createdAt: now, updatedAt: now };
    const answer = (contactId: string, score: number, ltv: number) => ({
      id: newId('rsp'),
      tenantId: f.tenantId,
      touchpointId: tp,
      unitId: f.units.berlin!,
      contactId,
      surveyId: sid,
      surveyVersion: 1,
      channel: 'email' as const,
      locale: 'en',
      score,
      lifetimeValue: ltv,
      counted: true,
      createdAt: Date.parse('2026-07-01T12:00:00Z'),
      updatedAt: now,
    });
    await commit(d, [
      d.insert(surveys).values({ id: sid, tenantId: f.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 1, createdAt: now, updatedAt: now }),
      d.insert(touchpoints).values({ id: tp, tenantId: f.tenantId, key: 'tp', name: 'TP', kind: 'site_visit', surveyId: sid, channels: ['email'], createdAt: now, updatedAt: now }),
      d
        .update(tenants)
        .set({ settings: { minResponses: 1 } })
        .where(eq(tenants.id, f.tenantId)),
      d.insert(contacts).values([big, small]),
      // The big account: two detractors at 100 each; the small one: one promoter at 100.
      d.insert(responses).values([answer(big.id, 2, 100), answer(big.id, 4, 100), answer(small.id, 10, 100)]),
    ]);
    await fold();
    const ltv = async () => (await call('GET', '/api/v1/scores?from=2026-07-01&to=2026-07-01&weight=ltv', { token: f.tokens.admin })).body.items[0];
    // Weighted NPS = 100·(Σw promoters − Σw detractors)/Σw = 100·(100 − 200)/300.
    expect((await ltv()).nps).toBeCloseTo(-100 / 3, 9);
    const res = await call('POST', '/api/v1/contacts/small-account/reweight', { token: f.tokens.admin, body: { lifetimeValue: 800, reason: 'CRM correction: renewed contract' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ responses: 1, cells: 1 });
    // Now 100·(800 − 200)/1000 = 60; Kish n_eff = 1000²/(800² + 2·100²) = 1e6/660,000.
    const after = await ltv();
    expect(after.nps).toBeCloseTo(60, 9);
    expect(after.effectiveN).toBeCloseTo(1_000_000 / 660_000, 9);
    expect(after.n).toBe(3);
    const [entry] = (await call('GET', `/api/v1/audit-log?targetType=contact&targetId=${small.id}`, { token: f.tokens.admin })).body.items;
    expect(entry).toMatchObject({ action: 'responses.reweight', details: { reason: 'CRM correction: renewed contract', lifetimeValue: 800, responses: 1 } });
    expect((await call('POST', '/api/v1/contacts/nobody/reweight', { token: f.tokens.admin, body: { lifetimeValue: 1, reason: 'test' } })).status).toBe(404);
    expect((await call('POST', '/api/v1/contacts/small-account/reweight', { token: f.tokens.manager, body: { lifetimeValue: 1, reason: 'test' } })).status).toBe(403);
    expect((await call('POST', '/api/v1/contacts/small-account/reweight', { token: f.tokens.admin, body: { lifetimeValue: -1, reason: 'test' } })).status).toBe(400);
  });
});
