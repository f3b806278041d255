// A tenant moved between data databases on the running product (npm start): answers, cases,
// rollups and plans read the same before and after, a survey link sent before still answers, the
// old database keeps nothing; writes pause (503) while a tenant moves, a database behind the
// code's schema answers 503 for its tenants only; deleted, nothing is left.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@libsql/client/web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDirectory } from '../../src/db/directory';
import { TENANT_TABLES } from '../../src/tenancy/archive';
import { createRemoteDatabase } from '../../scripts/libsql-cluster';
import { ROOT, scheduledUrl, type LocalStackState } from '../../scripts/local-stack';
import { chooseDatabase, type ScriptPlane } from '../../scripts/plane';
import { callApi, loginToken, seedAnswers, waitFor } from './browser-kit';
import { startStack, type StartedStack } from './started-stack';

const run = promisify(execFile);
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: StartedStack;
let state: LocalStackState;
let plane: ScriptPlane;
let token: string;
let tenantId: string;
const api = (method: string, path: string, body?: unknown) => callApi(stack.base, token, method, path, body);

/** Rows of the tenant in one data database, table by table (only tables that have some). */
async function rowsOf(url: string, tenant: string) {
  const client = createClient({ url });
  const found: Record<string, number> = {};
  for (const t of TENANT_TABLES) {
    const rs = await client.execute({ sql: `select count(*) as n from "${t.name}" where "${t.tenantColumn}" = ?`, args: [tenant] });
    if (Number(rs.rows[0]!.n) > 0) found[t.name] = Number(rs.rows[0]!.n);
  }
  return found;
}

const urlOf = async (databaseId: string) => String((await plane.directory.$client.execute({ sql: 'select url from data_databases where id = ?', args: [databaseId] })).rows[0]!.url);

beforeAll(async () => {
  stack = await startStack({ PLACEMENT_CACHE_SECONDS: '1' });
  state = JSON.parse(readFileSync(join(stack.dataDir, 'local-stack.json'), 'utf8')) as LocalStackState;
  plane = { directory: openDirectory(state.directoryUrl!), directoryUrl: state.directoryUrl!, createDatabase: (name) => createRemoteDatabase(state.adminUrl!, name), tokenFor: () => undefined };
  token = await loginToken(stack.base, 'admin@acme.test');
  tenantId = (await api('GET', '/api/v1/me')).tenant.id;
}, 150_000);

afterAll(async () => {
  await stack?.stop();
});

describe('a tenant on the data plane', () => {
  it('moves from the shared eu database to a dedicated one with everything intact', async () => {
    const units = Object.fromEntries(((await api('GET', '/api/v1/units')).items as { id: string; name: string }[]).map((u) => [u.name, u.id]));
    await seedAnswers(
      api,
      units,
      { Berlin: [{ score: 2, comment: 'waited two weeks' }, { score: 9 }, { score: 10 }], Paris: [{ score: 0, comment: 'nobody came' }, { score: 8 }] },
      { prefix: 'move', subnet: 41 },
    );
    // An invitation whose link goes out before the move and is answered after it.
    await api('PUT', '/api/v1/contacts/late-answer', { email: 'late@example.test' });
    const [late] = (
      await api('POST', '/api/v1/events', {
        events: [{ id: 'move-late', type: 'ticket.resolved', occurredAt: new Date().toISOString(), contactId: 'late-answer', unitId: units.Berlin, touchpoint: 'support-resolution' }],
      })
    ).results;
    const oldLink = (await api('GET', `/api/v1/invitations/${late.invitationId}`)).link as string;
    await api('POST', '/api/v1/action-plans', { unitId: units.Berlin, title: 'Call back within a day', theme: 'waiting' });
    // Both detractors' cases open (the follow-up queue), and the fold runs (cron fans out per database).
    await waitFor('two cases', async () => (await api('GET', '/api/v1/cases?scope=subtree')).items.length >= 2);
    await fetch(scheduledUrl(stack.base, '* * * * *'));
    await waitFor('rollups', async () => ((await rowsOf(stack.libsqlUrl, tenantId)).rollups ?? 0) > 0);

    const snapshot = async () => ({
      scores: await api('GET', `/api/v1/scores?unitId=${units['Acme Field Services']}&groupBy=unit`),
      cases: await api('GET', '/api/v1/cases?scope=subtree'),
      responses: await api('GET', '/api/v1/responses?limit=100'),
      plans: await api('GET', '/api/v1/action-plans'),
      units: await api('GET', '/api/v1/units'),
    });
    const before = await snapshot();
    expect(before.responses.items).toHaveLength(5);
    const held = await rowsOf(stack.libsqlUrl, tenantId);

    const target = await chooseDatabase(plane, 'eu', true);
    expect(target.placement).toBe('dedicated');
    await run(TSX, ['scripts/tenant-move.ts', '--tenant', tenantId, '--to', target.id, '--settle-ms', '1500'], { cwd: ROOT, env: { ...process.env, NPS_DATA_DIR: stack.dataDir } });

    expect(await snapshot()).toEqual(before);
    expect(await rowsOf(stack.libsqlUrl, tenantId)).toEqual({});
    expect(await rowsOf(target.url, tenantId)).toEqual(held);
    expect((await api('GET', '/api/v1/me')).tenant.region).toBe('eu');
    // The link sent before the move: its page opens and its answer is recorded in the new database.
    expect((await fetch(oldLink)).status).toBe(200);
    const answered = await fetch(oldLink, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '10.0.42.1' }, body: JSON.stringify({ score: 7 }) });
    expect(answered.status).toBe(200);
    expect((await api('GET', '/api/v1/responses?limit=100')).items).toHaveLength(6);
    expect(await rowsOf(stack.libsqlUrl, tenantId)).toEqual({});
  }, 240_000);

  it('pauses writes while a tenant moves and serves no tenant of a database behind the schema; others are untouched', async () => {
    const setStatus = (status: string) => plane.directory.$client.execute({ sql: 'update tenants set status = ? where id = ?', args: [status, tenantId] });
    await setStatus('moving');
    await sleep(1_300); // the Worker keeps placements 1 s in this stack
    const res = await fetch(`${stack.base}/api/v1/contacts/during-move2`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'y@example.test' }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
    expect((await fetch(`${stack.base}/api/v1/units`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await setStatus('active');

    const other = JSON.parse(
      (await run(TSX, ['scripts/tenant-create.ts', '--name', 'Neighbour', '--admin-email', 'owner@neighbour.test', '--json'], { cwd: ROOT, env: { ...process.env, NPS_DATA_DIR: stack.dataDir } }))
        .stdout,
    ) as { password: string; databaseId: string };
    const otherToken = await loginToken(stack.base, 'owner@neighbour.test', other.password);
    const databaseId = String((await plane.directory.$client.execute({ sql: 'select database_id from tenants where id = ?', args: [tenantId] })).rows[0]!.database_id);
    expect(databaseId).not.toBe(other.databaseId);
    await plane.directory.$client.execute({ sql: 'update data_databases set schema_version = 1 where id = ?', args: [databaseId] });
    await sleep(1_300);
    const behind = await fetch(`${stack.base}/api/v1/units`, { headers: { authorization: `Bearer ${token}` } });
    expect(behind.status).toBe(503);
    expect(behind.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await fetch(`${stack.base}/api/v1/units`, { headers: { authorization: `Bearer ${otherToken}` } })).status).toBe(200);
    await run(TSX, ['scripts/migrate.ts'], { cwd: ROOT, env: { ...process.env, DIRECTORY_URL: state.directoryUrl! } });
    await sleep(1_300);
    expect((await fetch(`${stack.base}/api/v1/units`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  }, 120_000);

  it('deletes the tenant: nothing of it left, its sign-in refused', async () => {
    const databaseId = String((await plane.directory.$client.execute({ sql: 'select database_id from tenants where id = ?', args: [tenantId] })).rows[0]!.database_id);
    const url = await urlOf(databaseId);
    await run(TSX, ['scripts/tenant-delete.ts', '--tenant', tenantId, '--confirm', tenantId], { cwd: ROOT, env: { ...process.env, NPS_DATA_DIR: stack.dataDir } });
    expect(await rowsOf(url, tenantId)).toEqual({});
    expect(await rowsOf(stack.libsqlUrl, tenantId)).toEqual({});
    const login = await fetch(`${stack.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@acme.test', password: 'demo-pass-1234' }),
    });
    expect(login.status).toBe(401);
  }, 60_000);
});
