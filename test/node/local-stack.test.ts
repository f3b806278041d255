import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Database from 'libsql';
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
import { startLibsqlCluster, type LibsqlCluster } from '../../scripts/libsql-cluster';
import { bootLocalPlane } from '../../scripts/plane';

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
    expect(after).toEqual({
      tenants: before.tenants + 1,
      units: before.units + 11,
      users: before.users + 3,
      grants: before.grants + 3,
      versions: before.versions + 1,
      touchpoints: before.touchpoints + 1,
    });
    expect((await seedDemoTenant(db)).created).toBe(false);
    expect(await counts()).toEqual(after);
  });
});

describe('tenant:create and the tenant lifecycle on the data plane', () => {
  let dir: string;
  let cluster: LibsqlCluster;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nps-plane-'));
    cluster = await startLibsqlCluster({ dir });
    const plane = await bootLocalPlane(cluster);
    env = { ...process.env, DIRECTORY_URL: plane.directoryUrl, LIBSQL_ADMIN_URL: cluster.adminUrl };
  });
  afterAll(async () => {
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const create = async (...args: string[]) => {
    const { stdout } = await run(TSX, ['scripts/tenant-create.ts', ...args, '--json'], { cwd: ROOT, env });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0]!) as { tenantId: string; adminEmail: string; password: string; region: string; databaseId: string };
  };
  /** Every row naming the tenant, table by table, read straight from a database file. */
  const rowsIn = (file: string, tenantId: string) => {
    const db = new Database(file, { readonly: true });
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'").all() as { name: string }[];
      const found: Record<string, number> = {};
      for (const { name } of tables) {
        const columns = (db.prepare(`select name from pragma_table_info('${name}')`).all() as { name: string }[]).map((c) => c.name);
        const owner = columns.includes('tenant_id') ? 'tenant_id' : name === 'tenants' ? 'id' : null;
        if (!owner) continue;
        const n = (db.prepare(`select count(*) as n from "${name}" where "${owner}" = ?`).get(tenantId) as { n: number }).n;
        if (n > 0) found[name] = n;
      }
      return found;
    } finally {
      db.close();
    }
  };

  it("prints one JSON line whose one-time password signs in; the tenant is in its region's shared database", async () => {
    const email = `owner.${Date.now()}@newco.test`;
    const out = await create('--name', 'NewCo', '--admin-email', email);
    expect(Object.keys(out).sort()).toEqual(['adminEmail', 'databaseId', 'password', 'region', 'tenantId']);
    expect(out).toMatchObject({ adminEmail: email, region: 'eu', databaseId: 'eu-shared-1' });
    const db = openDb(cluster.server('eu-shared-1')!.url);
    const row = await db.get<{ name: string; root: string }>(
      sql`select t.name as name, u.kind as root from tenants t join units u on u.tenant_id = t.id and u.parent_id is null where t.id = ${out.tenantId}`,
    );
    expect(row).toEqual({ name: 'NewCo', root: 'enterprise' });
    const { verifyPassword } = await import('../../src/auth/password');
    const user = await db.get<{ hash: string }>(sql`select password_hash as hash from users where email = ${email}`);
    expect(await verifyPassword(out.password, user.hash)).toBe(true);
  });

  it("keeps an eu tenant's rows in the eu database file only, a us tenant's in the us one, a dedicated tenant's in its own", async () => {
    const eu = await create('--name', 'Euro GmbH', '--admin-email', `a.${Date.now()}@euro.test`, '--region', 'eu');
    const us = await create('--name', 'US Inc', '--admin-email', `a.${Date.now()}@us.test`, '--region', 'us');
    const own = await create('--name', 'Big Corp', '--admin-email', `a.${Date.now()}@big.test`, '--region', 'us', '--dedicated');
    expect(us).toMatchObject({ region: 'us', databaseId: 'us-shared-1' });
    expect(own.region).toBe('us');
    expect(own.databaseId).toMatch(/^us-ded-/);
    const file = (id: string) => join(dir, `${id}.db`);
    const holders = (tenantId: string) => ['eu-shared-1', 'us-shared-1', own.databaseId].filter((id) => Object.keys(rowsIn(file(id), tenantId)).length > 0);
    expect(holders(eu.tenantId)).toEqual(['eu-shared-1']);
    expect(holders(us.tenantId)).toEqual(['us-shared-1']);
    expect(holders(own.tenantId)).toEqual([own.databaseId]);
    expect(rowsIn(file('eu-shared-1'), eu.tenantId)).toMatchObject({ tenants: 1, units: 1, users: 1, role_grants: 1, audit_log: 1 });
    // The directory knows where each is, and no answers or contacts: it has no such tables.
    const directory = new Database(file('directory'), { readonly: true });
    expect(directory.prepare('select id, region, database_id as db from tenants where id in (?, ?) order by region').all(eu.tenantId, us.tenantId)).toEqual([
      { id: eu.tenantId, region: 'eu', db: 'eu-shared-1' },
      { id: us.tenantId, region: 'us', db: 'us-shared-1' },
    ]);
    expect((directory.prepare("select count(*) as n from sqlite_master where name in ('responses', 'contacts')").get() as { n: number }).n).toBe(0);
    directory.close();
  });

  it('exports a tenant to a file with its manifest, then deletes it: nothing of it is left in any table', async () => {
    const t = await create('--name', 'Short Lived', '--admin-email', `a.${Date.now()}@short.test`, '--region', 'us');
    const out = join(dir, 'short.ndjson');
    await run(TSX, ['scripts/tenant-export.ts', '--tenant', t.tenantId, '--out', out], { cwd: ROOT, env });
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ archive: 'nps-tenant', tenantId: t.tenantId });
    const manifest = lines.at(-1).manifest;
    expect(manifest.tables.users.rows).toBe(1);
    expect(lines.filter((l) => l.table === 'units')).toHaveLength(manifest.tables.units.rows);
    const refused = await run(TSX, ['scripts/tenant-delete.ts', '--tenant', t.tenantId, '--confirm', 'someone-else'], { cwd: ROOT, env }).catch((e) => e);
    expect(refused.code).toBe(2);
    await run(TSX, ['scripts/tenant-delete.ts', '--tenant', t.tenantId, '--confirm', t.tenantId], { cwd: ROOT, env });
    expect(rowsIn(join(dir, 'us-shared-1.db'), t.tenantId)).toEqual({});
    const directory = new Database(join(dir, 'directory.db'), { readonly: true });
    expect((directory.prepare('select count(*) as n from tenants where id = ?').get(t.tenantId) as { n: number }).n).toBe(0);
    expect((directory.prepare('select count(*) as n from identities where tenant_id = ?').get(t.tenantId) as { n: number }).n).toBe(0);
    expect(
      directory
        .prepare('select action from directory_audit where tenant_id = ? order by rowid')
        .all(t.tenantId)
        .map((r) => (r as { action: string }).action),
    ).toEqual(['tenant.create', 'tenant.export', 'tenant.delete_start', 'tenant.delete']);
    directory.close();
  }, 120_000);

  it('refuses bad arguments with a usage line and exit code 2', async () => {
    const failed = await run(TSX, ['scripts/tenant-create.ts', '--name', 'X', '--admin-email', 'not-an-email'], { cwd: ROOT, env }).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/usage: npm run tenant:create/);
    const region = await run(TSX, ['scripts/tenant-create.ts', '--name', 'X', '--admin-email', 'x@x.test', '--region', 'mars'], { cwd: ROOT, env }).catch((e) => e);
    expect(region.code).toBe(2);
  });
});

describe('cron schedule', () => {
  it('wrangler.toml names exactly the schedules the Worker has jobs for', () => {
    expect(wranglerCrons().sort()).toEqual(Object.values(SCHEDULES).sort());
  });
});

describe('npm start', () => {
  it('runs the product on a fresh data folder: healthy, demo logins work, Ctrl-C stops everything', async () => {
    const stack = await startStack();
    const output = stack.output();
    try {
      const base = stack.base;
      expect(output).toContain(base);
      for (const login of DEMO_LOGINS) expect(output).toContain(login.email);
      expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({
        status: 'ok',
        databases: [
          { id: 'directory', reachable: true },
          { id: 'eu-shared-1', reachable: true },
          { id: 'us-shared-1', reachable: true },
        ],
      });
      const res = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'manager.emea@acme.test', password: DEMO_PASSWORD }),
      });
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
      const adminToken = (
        (await (
          await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@acme.test', password: DEMO_PASSWORD }) })
        ).json()) as { token: string }
      ).token;
      const tps = (await (await fetch(`${base}/api/v1/touchpoints`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as {
        items: { key: string; channels: string[]; delayMinutes: number; surveyId: string }[];
      };
      expect(tps.items).toEqual([expect.objectContaining({ key: 'support-resolution', channels: ['email'], delayMinutes: 1440 })]);
      const survey = (await (await fetch(`${base}/api/v1/surveys/${tps.items[0]!.surveyId}`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as {
        publishedVersion: number;
        draft: { translations: Record<string, unknown> };
      };
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
