// `npx tsx scripts/bench-dimensions.ts [--answers N] [--runs R] [--keep]`: scores by vendor and by agent
// (docs/dimensions.md) at N answers (default 1,000,000), in process on a temporary libSQL file.
// The answers are written straight to `responses`; the real fold (`foldTenant`, `closeMonths`)
// builds the rollups; the real `gather` (src/scores/query.ts) is timed for `groupBy=vendor`,
// `groupBy=agent`, a vendor filter and an agent filter, over the API's default 90 days and over two years. Not
// through the Worker (that is `npm run bench`): this times the reads the route makes.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import type { Db } from '../src/db/client';
import { TenantDb } from '../src/db/tenant-db';
import { closeMonths, FOLD_BATCH, foldTenant } from '../src/scores/fold';
import { gather, type ScoresScope } from '../src/scores/query';
import { ROOT } from './local-stack';

const { values: args } = parseArgs({ options: { answers: { type: 'string' }, runs: { type: 'string' }, keep: { type: 'boolean', default: false } }, strict: true });
const TOTAL = Number(args.answers ?? 1_000_000);
const RUNS = Number(args.runs ?? 21);
const DAY = 86_400_000;
const REGIONS = 10;
const SITES_PER_REGION = 50;
const VENDORS = 3;
const AGENTS_PER_SITE = 8;

/** A seeded generator (mulberry32): the same data every run. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const p50 = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
const log = (s: string) => console.log(s);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-dimensions-'));
  const client = createClient({ url: `file:${join(dir, 'data.db')}` });
  try {
    for (const file of readdirSync(join(ROOT, 'migrations'))
      .filter((f) => f.endsWith('.sql'))
      .sort()) {
      for (const statement of readFileSync(join(ROOT, 'migrations', file), 'utf8').split('--> statement-breakpoint')) if (statement.trim()) await client.execute(statement);
    }
    await client.execute('pragma foreign_keys = off');
    await client.execute('pragma journal_mode = wal');
    const tenantId = 'tnt_bench_dims';
    const now = Date.now();
    const units: { id: string; parent: string | null; kind: string; path: string }[] = [{ id: 'u_root', parent: null, kind: 'enterprise', path: '/u_root/' }];
    const sites: string[] = [];
    for (let r = 0; r < REGIONS; r++) {
      const region = `u_r${r}`;
      units.push({ id: region, parent: 'u_root', kind: 'region', path: `/u_root/${region}/` });
      for (let s = 0; s < SITES_PER_REGION; s++) {
        const site = `u_r${r}s${s}`;
        sites.push(site);
        units.push({ id: site, parent: region, kind: 'site', path: `/u_root/${region}/${site}/` });
      }
    }
    const vendors = Array.from({ length: VENDORS }, (_, v) => `u_v${v}`);
    for (const v of vendors) units.push({ id: v, parent: 'u_root', kind: 'vendor', path: `/u_root/${v}/` });
    await client.execute({ sql: "insert into tenants (id, name, settings, created_at, updated_at) values (?, 'Bench dimensions', '{}', ?, ?)", args: [tenantId, now, now] });
    await client.batch(
      units.map((u) => ({
        sql: "insert into units (id, tenant_id, parent_id, name, kind, path, timezone, created_at, updated_at) values (?, ?, ?, ?, ?, ?, 'Europe/Berlin', ?, ?)",
        args: [u.id, tenantId, u.parent, u.id, u.kind, u.path, now, now],
      })),
      'write',
    );

    // Answers over two years: a site, a vendor on 40 % of the jobs, an agent of the site on 90 %.
    const next = rng(16);
    const started = performance.now();
    const CHUNK = 500;
    for (let i = 0; i < TOTAL; i += CHUNK) {
      const values: string[] = [];
      const params: (string | number | null)[] = [];
      for (let j = i; j < Math.min(TOTAL, i + CHUNK); j++) {
        const at = now - 730 * DAY + Math.floor((j / TOTAL) * 730 * DAY);
        const site = Math.floor(next() * sites.length);
        const vendor = next() < 0.4 ? vendors[Math.floor(next() * VENDORS)]! : null;
        const agent = next() < 0.9 ? `a_${site}_${Math.floor(next() * AGENTS_PER_SITE)}` : null;
        const score = Math.min(10, Math.floor(next() * 12));
        values.push("(?, ?, ?, 'tp_bench', 'srv_bench', 1, ?, ?, ?, '{}', '[]', 1, ?, ?, ?, ?, ?, ?)");
        params.push(
          `rsp_${j}`,
          tenantId,
          sites[site]!,
          next() < 0.8 ? 'email' : 'sms',
          next() < 0.7 ? 'de' : 'en',
          score,
          ['smb', 'enterprise', null][Math.floor(next() * 3)] ?? null,
          vendor,
          agent,
          at,
          at,
          at,
        );
      }
      await client.execute({
        sql: `insert into responses (id, tenant_id, unit_id, touchpoint_id, survey_id, survey_version, channel, locale, score, answers, quality_flags, counted, segment, vendor_id, agent_id, answered_at, created_at, updated_at) values ${values.join(', ')}`,
        args: params,
      });
    }
    log(`${TOTAL.toLocaleString('en')} answers written in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const db = drizzle(client) as unknown as Db;
    const t = new TenantDb(db, tenantId as never);
    const folding = performance.now();
    for (;;) if ((await foldTenant(t, now)).folded < FOLD_BATCH) break;
    await closeMonths(t, now);
    const count = async (table: string) => Number((await client.execute({ sql: `select count(*) as n from ${table} where tenant_id = ?`, args: [tenantId] })).rows[0]!.n);
    log(
      `folded and months closed in ${((performance.now() - folding) / 1000).toFixed(1)} s: ${(await count('rollups')).toLocaleString('en')} day cells, ${(await count('rollup_dim_days')).toLocaleString('en')} dimension day rows, ${(await count('rollup_dim_months')).toLocaleString('en')} dimension month rows`,
    );

    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const to = day(now);
    const cases: [string, Partial<ScoresScope>, string][] = [
      ['groupBy=vendor, 90 days', { groupBy: 'vendor' }, day(now - 89 * DAY)],
      ['groupBy=agent, 90 days', { groupBy: 'agent' }, day(now - 89 * DAY)],
      ['vendorId=<vendor>, 90 days', { vendorId: vendors[0] }, day(now - 89 * DAY)],
      ['groupBy=vendor, two years', { groupBy: 'vendor' }, day(now - 729 * DAY)],
      ['groupBy=agent, two years', { groupBy: 'agent' }, day(now - 729 * DAY)],
      ['groupBy=unit (regions), two years: the existing case', { groupBy: 'unit' }, day(now - 729 * DAY)],
    ];
    // A team lead's view: the agents of one region and of one site.
    const region: ScoresScope['root'] = { id: 'u_r0', path: '/u_root/u_r0/' };
    const site: ScoresScope['root'] = { id: 'u_r0s0', path: '/u_root/u_r0/u_r0s0/' };
    log('');
    log(`| query (the root unless named; ${TOTAL.toLocaleString('en')} answers) | groups | n | p50 of ${RUNS} | max |`);
    log('| --- | --- | --- | --- | --- |');
    const scoped: [string, Partial<ScoresScope>, string, ScoresScope['root']][] = [
      ...cases.map(([name, extra, from]) => [name, extra, from, { id: 'u_root', path: '/u_root/' }] as [string, Partial<ScoresScope>, string, ScoresScope['root']]),
      ['groupBy=agent at a region (50 sites), 90 days', { groupBy: 'agent' }, day(now - 89 * DAY), region],
      ['groupBy=agent at a site, 90 days', { groupBy: 'agent' }, day(now - 89 * DAY), site],
      ['groupBy=agent at a site, two years', { groupBy: 'agent' }, day(now - 729 * DAY), site],
      // A contact cut: the same path as the agent's (the bench's answers have no contact: one group).
      ['groupBy=tenure, two years', { groupBy: 'tenure' }, day(now - 729 * DAY), { id: 'u_root', path: '/u_root/' }],
      ['groupBy=tenure by week, two years', { groupBy: 'tenure', period: 'week' }, day(now - 729 * DAY), { id: 'u_root', path: '/u_root/' }],
      // An agent's own page: one agent's answers wherever they were served.
      ['agentId=<agent>, 90 days', { agentId: 'a_0_0' }, day(now - 89 * DAY), { id: 'u_root', path: '/u_root/' }],
      ['agentId=<agent> by week, two years', { agentId: 'a_0_0', period: 'week' }, day(now - 729 * DAY), { id: 'u_root', path: '/u_root/' }],
    ];
    for (const [name, extra, from, root] of scoped) {
      const scope: ScoresScope = { root, from, to, weight: 'none', ...extra };
      const ms: number[] = [];
      let groups = 0;
      let n = 0;
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        const out = await gather(t, scope);
        ms.push(performance.now() - t0);
        groups = out.size;
        n = 0;
        for (const byPeriod of out.values()) for (const cells of byPeriod.values()) for (const c of cells.values()) n += c.promoters + c.passives + c.detractors;
      }
      log(`| ${name} | ${groups} | ${n.toLocaleString('en')} | ${p50(ms).toFixed(1)} ms | ${Math.max(...ms).toFixed(1)} ms |`);
    }
  } finally {
    client.close();
    if (args.keep) log(`kept: ${join(dir, 'data.db')}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
