import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, db, makeTenant, type Fixture } from './support';

/**
 * The themes query at scale and the emerging test (docs/themes.md "Query", "Emerging themes").
 * Stored analyses are written straight to the table here (their making is tested in
 * themes.test.ts): 100,000 comments in range counted exactly from the stored tags; how fast is
 * measured by `npm run bench:themes` (bench/THEMES.md), not asserted here.
 */

let big: Fixture;
let small: Fixture;
const lib: Record<string, string> = {};
const libSmall: Record<string, string> = {};
const MARCH_START = Date.UTC(2026, 2, 1);
const FEB_START = Date.UTC(2026, 0, 29); // the 31 days before March
const DAY = 86_400_000;

async function library(f: Fixture, into: Record<string, string>) {
  const res = await call('GET', '/api/v1/theme-library', { token: f.tokens.admin });
  for (const x of res.body.items) into[x.name] = x.id;
  return res.body.version as number;
}

/** `count` analyses, one every `spacing` ms from `start`, on the fixture's three sites in turn; themes and score by index. */
async function plant(f: Fixture, version: number, start: number, spacing: number, count: number, themes: string, score: string, prefix: string) {
  await db().run(sql`
    with recursive n(i) as (select 0 union all select i + 1 from n where i < ${count - 1})
    insert into comment_analyses (id, tenant_id, kind, response_id, unit_id, score, counted, language, sentiment, stems, words, phrases, themes, library_version, created_at, analysed_at)
    select ${prefix} || i, ${f.tenantId}, 'response', ${prefix} || i,
      case i % 3 when 0 then ${f.units.berlin} when 1 then ${f.units.paris} else ${f.units.newYork} end,
      ${sql.raw(score)}, 1, 'en', case when i % 2 = 0 then -0.5 else 0.5 end, 'wait', 'waiting', '[]', ${sql.raw(themes)}, ${version}, ${start} + i * ${spacing}, ${start}
    from n`);
}

beforeAll(async () => {
  [big, small] = await Promise.all([makeTenant('ThemesScale'), makeTenant('ThemesEmerging')]);
  const v = await library(big, lib);
  // 100,000 comments in March (and 50,000 in the period before): every fifth mentions Billing, every third Waiting time.
  const themes = `case when i % 15 = 0 then json_array('${lib.Billing}', '${lib['Waiting time']}') when i % 5 = 0 then json_array('${lib.Billing}') when i % 3 = 0 then json_array('${lib['Waiting time']}') else '[]' end`;
  await plant(big, v, MARCH_START, Math.floor((31 * DAY) / 100_000), 100_000, themes, 'i % 11', 'sc_');
  await plant(big, v, FEB_START, Math.floor((31 * DAY) / 50_000), 50_000, themes, 'i % 11', 'sp_');
  const w = await library(small, libSmall);
  const m = (name: string) => libSmall[name]!;
  // 100 comments in each period; mentions by index, counted by hand below.
  const cur = `(select json_group_array(value) from json_each(json_array(
      case when i < 30 then '${m('Billing')}' end, case when i < 26 then '${m('Scheduling')}' end,
      case when i < 20 then '${m('Waiting time')}' end, case when i < 25 then '${m('Product quality')}' end)) where value is not null)`;
  const prev = `(select json_group_array(value) from json_each(json_array(
      case when i < 10 then '${m('Billing')}' end, case when i < 24 then '${m('Scheduling')}' end,
      case when i < 8 then '${m('Product quality')}' end)) where value is not null)`;
  await plant(small, w, MARCH_START + DAY, 3_600_000, 100, cur, '3', 'ec_');
  await plant(small, w, FEB_START + DAY, 3_600_000, 100, prev, '3', 'ep_');
});

/** P(X ≥ k) for X ~ Binomial(n, 1/2), exactly: Σ C(n, i) / 2^n in integers. */
function halfTail(k: number, n: number): number {
  let c = 1n;
  let sum = 0n;
  for (let i = 0; i <= n; i++) {
    if (i >= k) sum += c;
    c = (c * BigInt(n - i)) / BigInt(i + 1);
  }
  return Number((sum * 10n ** 12n) / 2n ** BigInt(n)) / 1e12;
}

describe('GET /api/v1/themes at scale', () => {
  it('counts 100,000 comments in range exactly from the stored tags (its speed: npm run bench:themes)', async () => {
    const res = await call('GET', `/api/v1/themes?unitId=${big.units.root}&from=2026-03-01&to=2026-03-31`, { token: big.tokens.viewer });
    expect(res.status).toBe(200);
    const body = res.body as { items: { name: string; comments: number; share: number; emerging: boolean }[] };
    // i in 0..99,999: Billing when i % 5 = 0 → 20,000; Waiting time when i % 3 = 0 → 33,334.
    const by = new Map(body.items.map((x) => [x.name, x]));
    expect(by.get('Billing')!.comments).toBe(20_000);
    expect(by.get('Waiting time')!.comments).toBe(33_334);
    expect(by.get('Billing')!.share).toBeCloseTo(0.2, 4);
    // Same rate per comment in February (10,000 of 50,000): not emerging.
    expect(by.get('Billing')!.emerging).toBe(false);
  });
});

describe('emerging themes', () => {
  it('needs at least 25 mentions and one-sided p < 0.05 against the period before of the same length', async () => {
    const res = await call('GET', `/api/v1/themes?unitId=${small.units.root}&from=2026-03-01&to=2026-03-31`, { token: small.tokens.admin });
    expect(res.status).toBe(200);
    const by = new Map(res.body.items.map((x: { name: string }) => [x.name, x]));
    // 100 comments in each period, so under the null each mention falls in March with probability 1/2.
    // Billing 30 vs 10: P(X ≥ 30 | 40) ≈ 0.0011 → emerging.
    expect(halfTail(30, 40)).toBeLessThan(0.05);
    expect(by.get('Billing')).toMatchObject({ comments: 30, emerging: true });
    // Product quality 25 vs 8, at the minimum: P(X ≥ 25 | 33) ≈ 0.0023 → emerging.
    expect(halfTail(25, 33)).toBeLessThan(0.05);
    expect(by.get('Product quality')).toMatchObject({ comments: 25, emerging: true });
    // Scheduling 26 vs 24: P(X ≥ 26 | 50) ≈ 0.44 → not emerging.
    expect(halfTail(26, 50)).toBeGreaterThan(0.05);
    expect(by.get('Scheduling')).toMatchObject({ comments: 26, emerging: false });
    // Waiting time 20 vs 0: p = 2^-20, but fewer than 25 mentions → not emerging.
    expect(by.get('Waiting time')).toMatchObject({ comments: 20, emerging: false });
  });
});
