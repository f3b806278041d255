import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client';
import { SCHEDULES } from '../../src/jobs/cron';
import { DEMO_LOGINS, DEMO_PASSWORD, seedDemoTenant } from '../../scripts/demo-tenant';
import { startLibsqlServer, type LibsqlServer } from '../../scripts/libsql-server';
import { ROOT, scheduledUrl, wranglerCrons } from '../../scripts/local-stack';
import { startStack } from './started-stack';
import { applyMigrations } from '../../scripts/migrate';

const run = promisify(execFile);
const TSX = join(ROOT, 'node_modules/.bin/tsx');

let server: LibsqlServer;
beforeAll(async () => {
  server = await startLibsqlServer({ file: ':memory:' });
  await applyMigrations(server.url);
});
afterAll(() => server.close());

async function counts() {
  const db = openDb(server.url);
  const row = await db.get<{ tenants: number; units: number; users: number; grants: number; versions: number; touchpoints: number }>(
    sql`select (select count(*) from tenants) as tenants, (select count(*) from units) as units, (select count(*) from users) as users, (select count(*) from role_grants) as grants,
        (select count(*) from survey_versions) as versions, (select count(*) from touchpoints) as touchpoints`,
  );
  return row;
}

describe('demo seed', () => {
  it('creates the demo tenant once; a second run changes nothing', async () => {
    const db = openDb(server.url);
    const before = await counts();
    expect((await seedDemoTenant(db)).created).toBe(true);
    const after = await counts();
    // enterprise + 2 regions + 6 sites + 2 vendors; three logins, one grant each; one published survey and its touchpoint.
    expect(after).toEqual({ tenants: before.tenants + 1, units: before.units + 11, users: before.users + 3, grants: before.grants + 3, versions: before.versions + 1, touchpoints: before.touchpoints + 1 });
    expect((await seedDemoTenant(db)).created).toBe(false);
    expect(await counts()).toEqual(after);
  });
});

describe('tenant:create', () => {
  it('prints one JSON line whose one-time password signs in', async () => {
    const email = `owner.${Date.now()}@newco.test`;
    const { stdout } = await run(TSX, ['scripts/tenant-create.ts', '--name', 'NewCo', '--admin-email', email, '--json'], { cwd: ROOT, env: { ...process.env, LIBSQL_URL: server.url } });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!);
    expect(Object.keys(out).sort()).toEqual(['adminEmail', 'password', 'tenantId']);
    expect(out.adminEmail).toBe(email);
    const db = openDb(server.url);
    const row = await db.get<{ name: string; root: string }>(sql`select t.name as name, u.kind as root from tenants t join units u on u.tenant_id = t.id and u.parent_id is null where t.id = ${out.tenantId}`);
    expect(row).toEqual({ name: 'NewCo', root: 'enterprise' });
    const { verifyPassword } = await import('../../src/auth/password');
    const user = await db.get<{ hash: string }>(sql`select password_hash as hash from users where email = ${email}`);
    expect(await verifyPassword(out.password, user.hash)).toBe(true);
  });

  it('refuses bad arguments with a usage line and exit code 2', async () => {
    const failed = await run(TSX, ['scripts/tenant-create.ts', '--name', 'X', '--admin-email', 'not-an-email'], { cwd: ROOT, env: { ...process.env, LIBSQL_URL: server.url } }).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/usage: npm run tenant:create/);
  });
});

describe('cron schedule', () => {
  it('wrangler.toml names exactly the schedules the Worker has jobs for', () => {
    expect(wranglerCrons().sort()).toEqual(Object.values(SCHEDULES).sort());
  });
});

describe('npm start', () => {
  it('runs the product on a fresh data folder: healthy, demo logins work, Ctrl-C stops everything', async () => {
    const stack = await startStack(18_000);
    const output = stack.output();
    try {
      const base = stack.base;
      expect(output).toContain(base);
      for (const login of DEMO_LOGINS) expect(output).toContain(login.email);
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'manager.emea@acme.test', password: DEMO_PASSWORD }) });
      expect(res.status).toBe(200);
      const { token, tenant } = (await res.json()) as { token: string; tenant: { name: string } };
      expect(tenant.name).toBe('Acme Field Services');
      const units = (await (await fetch(`${base}/api/v1/units`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { name: string }[] };
      expect(units.items.map((u) => u.name)).toEqual(expect.arrayContaining(['EMEA', 'Berlin', 'Paris', 'London']));
      expect(units.items).toHaveLength(4);
      // The endpoint the cron driver calls runs the Worker's scheduled handler for each schedule.
      for (const cron of wranglerCrons()) {
        const ran = await fetch(scheduledUrl(base, cron));
        expect(ran.status).toBe(200);
      }
      const adminToken = ((await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@acme.test', password: DEMO_PASSWORD }) })).json()) as { token: string }).token;
      const tps = (await (await fetch(`${base}/api/v1/touchpoints`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { items: { key: string; channels: string[]; delayMinutes: number; surveyId: string }[] };
      expect(tps.items).toEqual([expect.objectContaining({ key: 'support-resolution', channels: ['email'], delayMinutes: 1440 })]);
      const survey = (await (await fetch(`${base}/api/v1/surveys/${tps.items[0]!.surveyId}`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { publishedVersion: number; draft: { translations: Record<string, unknown> } };
      expect(survey.publishedVersion).toBe(1);
      expect(Object.keys(survey.draft.translations).sort()).toEqual(['de', 'en']);
      const home = await fetch(`${base}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('NPS Program Platform');
    } finally {
      expect(await stack.stop()).toBe(0);
      // Nothing it started still listens.
      await expect(fetch(`${stack.base}/healthz`)).rejects.toThrow();
    }
  }, 120_000);
});
