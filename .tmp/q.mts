import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { sql } from 'drizzle-orm';
import { TenantDb } from '../src/db/tenant-db.ts';
import { answersWithFacts, eventFact } from '../src/measures/answer-facts.ts';
import { computeDrivers } from '../src/drivers/drivers.ts';
const client = createClient({ url: 'file:/tmp/q.db' });
const db = drizzle(client) as any;
await migrate(db, { migrationsFolder: 'migrations' });
const T = 'ten_q';
const n = 100000;
const exists = (await client.execute('select count(*) as c from responses')).rows[0].c;
if (!exists) {
  await client.execute(`insert into tenants (id, name) values ('${T}', 'q')`);
  await client.execute(`insert into units (id, tenant_id, parent_id, name, kind, path, timezone) values ('root', '${T}', null, 'r', 'enterprise', '/root/', 'UTC')`);
  for (let s = 0; s < 500; s++) await client.execute(`insert into units (id, tenant_id, parent_id, name, kind, path, timezone) values ('u${s}', '${T}', 'root', 'u${s}', 'site', '/root/u${s}/', 'UTC')`);
  await client.execute(`insert into surveys (id, tenant_id, name, default_locale, draft, published_version) values ('s', '${T}', 's', 'en', '{}', 1)`);
  await client.execute(`insert into touchpoints (id, tenant_id, key, name, kind, survey_id, channels) values ('tp', '${T}', 'k', 'k', 'x', 's', '[]')`);
  await client.execute(`insert into measures (id, tenant_id, key, name, unit, direction, source) values ('m1', '${T}', 'resolutionHours', 'r', 'h', 'lower_is_better', 'event'), ('m2', '${T}', 'reopened', 'r', 'h', 'lower_is_better', 'event')`);
  const now = Date.now();
  const stmts = [];
  for (let i = 0; i < n; i++) {
    const at = now - 2 * 86400000 - Math.floor(Math.random() * 80 * 86400000);
    const u = `u${i % 500}`;
    stmts.push({ sql: `insert into invitations (id, tenant_id, unit_id, touchpoint_id, survey_id, survey_version, channel, status, source, due_at, expires_at) values (?, '${T}', ?, 'tp', 's', 1, 'email', 'sent', ?, ?, ?)`, args: [`inv${i}`, u, `event:e${i}`, at, at] });
    stmts.push({ sql: `insert into events (id, tenant_id, event_id, type, occurred_at, unit_id, attributes, decision, reason, invitation_id) values (?, '${T}', ?, 't', ?, ?, ?, 'invite', 'eligible', ?)`, args: [`evt${i}`, `e${i}`, at, u, JSON.stringify({ resolutionHours: i % 90, reopened: i % 7 === 0 }), `inv${i}`] });
    stmts.push({ sql: `insert into responses (id, tenant_id, invitation_id, touchpoint_id, unit_id, survey_id, survey_version, channel, locale, score, counted, created_at, updated_at) values (?, '${T}', ?, 'tp', ?, 's', 1, 'email', 'en', ?, 1, ?, ?)`, args: [`rsp${String(i).padStart(6, '0')}`, `inv${i}`, u, Math.max(0, 10 - Math.floor((i % 90) / 9) - (i % 7 === 0 ? 2 : 0)), at, at] });
  }
  for (let i = 0; i < stmts.length; i += 30000) await client.batch(stmts.slice(i, i + 30000), 'write');
}
const t = new TenantDb(db, T);
const to = new Date().toISOString().slice(0, 10);
const from = new Date(Date.now() - 89 * 86400000).toISOString().slice(0, 10);
let t0 = performance.now();
if (process.env.SKIP) { const r0 = await computeDrivers(t, { unitId: "root", path: "/root/", from, to }); console.log("computeDrivers", (performance.now() - t0).toFixed(0), "ms", r0.n, r0.r2, JSON.stringify(r0.items.map(i=>[i.driver,i.weight.toFixed(4),i.significant]))); process.exit(0); }
const { query } = await answersWithFacts(t, { path: '/root/', from, to }, { score: sql`responses.score`, a: eventFact('resolutionHours'), b: eventFact('reopened') });
const rows = await query.orderBy(sql`responses.id`);
console.log('query', rows.length, (performance.now() - t0).toFixed(0), 'ms');
t0 = performance.now();
const plan = await client.execute(`explain query plan ${query.toSQL().sql}`.replace(/\?/g, "'x'"));
console.log(plan.rows.map((r) => r.detail).join('\n'));
t0 = performance.now();
const r = await computeDrivers(t, { unitId: 'root', path: '/root/', from, to });
console.log('computeDrivers', (performance.now() - t0).toFixed(0), 'ms', r.n, r.r2);
