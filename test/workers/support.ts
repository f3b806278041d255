import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../src/worker';
import { commit, openDb } from '../../src/db/client';
import { loginEmails, roleGrants, units, users, type Role, type UnitKind } from '../../src/db/schema';
import { hashPassword } from '../../src/auth/password';
import { newId } from '../../src/lib/ids';
import { createTenant } from '../../src/org/tenants';
import { openDirectory } from '../../src/db/directory';
import { registerTenant } from '../../src/tenancy/directory-entry';
import { DEFAULT_DATABASE, type DatabaseRun } from '../../src/db/plane';
import type { Env } from '../../src/env';
import { runDatabaseJobs, type CronTick } from '../../src/jobs/cron';

export const PASSWORD = 'correct-horse-battery';

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as is, with `content-type` from headers (or none). */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
}

/** A request through the real Worker (fetch handler, middleware, database). */
export async function call(method: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set('authorization', `Bearer ${opts.token}`);
  let body: BodyInit | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  // The Worker's own fetch handler with the test env: `exports.default.fetch` slows down with
  // every call in a file (pool-workers 0.15.1), this stays flat.
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://nps.test${path}`, { method, headers, body }), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/**
 * The data databases of the `workers-plane` project (vitest.config.ts), else none: every tenant
 * then lives in the one database LIBSQL_URL.
 */
const PLANE: { id: string; region: string; url: string }[] | null = env.DIRECTORY_URL ? JSON.parse(env.PLANE_DATABASES!) : null;
/** Where each tenant made here lives, on the plane. */
const homes = new Map<string, { id: string; region: string; url: string }>();

/**
 * The database of a tenant's data, for tests that write or read it straight. Without a tenant:
 * the one database (or the plane's first).
 */
export const db = (tenantId?: string) => openDb((tenantId && homes.get(tenantId)?.url) || env.LIBSQL_URL || PLANE![0]!.url);

/** A unique tag so tenants, emails and client addresses of different tests never collide. */
export const uniq = () => Math.random().toString(36).slice(2, 10);

export type Fixture = Awaited<ReturnType<typeof makeTenant>>;
export type Login = 'admin' | 'analyst' | 'manager' | 'agent' | 'vendor' | 'otherVendor' | 'viewer' | 'siteManager';

const TREE: { key: string; name: string; kind: UnitKind; parent: string }[] = [
  { key: 'emea', name: 'EMEA', kind: 'region', parent: 'root' },
  { key: 'americas', name: 'Americas', kind: 'region', parent: 'root' },
  { key: 'berlin', name: 'Berlin', kind: 'site', parent: 'emea' },
  { key: 'paris', name: 'Paris', kind: 'site', parent: 'emea' },
  { key: 'newYork', name: 'New York', kind: 'site', parent: 'americas' },
  { key: 'fastfix', name: 'FastFix', kind: 'vendor', parent: 'root' },
  { key: 'quickserve', name: 'QuickServe', kind: 'vendor', parent: 'root' },
];

const GRANTS: { login: Exclude<Login, 'admin'>; role: Role; unit: string }[] = [
  { login: 'analyst', role: 'analyst', unit: 'root' },
  { login: 'manager', role: 'manager', unit: 'emea' },
  { login: 'siteManager', role: 'manager', unit: 'newYork' },
  { login: 'agent', role: 'agent', unit: 'berlin' },
  { login: 'vendor', role: 'vendor', unit: 'fastfix' },
  { login: 'otherVendor', role: 'vendor', unit: 'quickserve' },
  { login: 'viewer', role: 'viewer', unit: 'root' },
];

/**
 * A tenant like the demo one, written straight to the database: root → EMEA (Berlin, Paris),
 * Americas (New York), vendors FastFix and QuickServe; one user per role; each signed in
 * through the API so the tokens are real session JWTs.
 */
let placed = 0;

export async function makeTenant(label = 'Tenant') {
  // On the plane, tenants go to its databases in turn: two tenants made one after the other live apart.
  const home = PLANE ? PLANE[placed++ % PLANE.length]! : undefined;
  const d = home ? openDb(home.url) : db();
  const tag = uniq();
  const email = (who: string) => `${who}.${tag}@${label.replace(/\W/g, '')}.test`.toLowerCase();
  const tenant = await createTenant(d, { name: `${label} ${tag}`, adminEmail: email('admin'), adminPassword: PASSWORD });
  if (home) homes.set(tenant.tenantId, home);
  const ids: Record<string, { id: string; path: string }> = { root: { id: tenant.rootUnitId, path: tenant.rootPath } };
  const now = Date.now();
  const statements = [];
  for (const u of TREE) {
    const parent = ids[u.parent]!;
    const id = newId('unit');
    ids[u.key] = { id, path: `${parent.path}${id}/` };
    statements.push(
      d.insert(units).values({ id, tenantId: tenant.tenantId, parentId: parent.id, name: u.name, kind: u.kind, path: ids[u.key]!.path, timezone: 'UTC', createdAt: now, updatedAt: now }),
    );
  }
  const passwordHash = await hashPassword(PASSWORD);
  const userIds: Record<string, string> = { admin: tenant.adminUserId };
  for (const g of GRANTS) {
    const id = newId('usr');
    userIds[g.login] = id;
    statements.push(
      d.insert(users).values({ id, tenantId: tenant.tenantId, email: email(g.login), name: g.login, passwordHash, createdAt: now, updatedAt: now }),
      d.insert(loginEmails).values({ email: email(g.login), tenantId: tenant.tenantId, userId: id }),
      d.insert(roleGrants).values({ id: newId('grt'), tenantId: tenant.tenantId, userId: id, unitId: ids[g.unit]!.id, role: g.role, createdAt: now }),
    );
  }
  await commit(d, statements);
  if (home) {
    const emails = ['admin', ...GRANTS.map((g) => g.login)].map(email);
    await registerTenant(openDirectory(env.DIRECTORY_URL!), { id: tenant.tenantId, name: `${label} ${tag}`, region: home.region, databaseId: home.id, emails }, 'test');
  }
  const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  const tokens = {} as Record<Login, string>;
  for (const login of ['admin', ...GRANTS.map((g) => g.login)] as Login[]) {
    const res = await call('POST', '/api/v1/auth/login', { body: { email: email(login), password: PASSWORD }, headers: { 'cf-connecting-ip': ip } });
    if (res.status !== 200) throw new Error(`login of ${login} failed: ${res.status} ${JSON.stringify(res.body)}`);
    tokens[login] = res.body.token;
  }
  const unitIds = Object.fromEntries(Object.entries(ids).map(([k, v]) => [k, v.id])) as Record<'root' | (typeof TREE)[number]['key'], string>;
  // Without a plane every tenant is in the one database, in the default region (DEFAULT_REGION unset: eu).
  return { tenantId: tenant.tenantId, databaseId: home?.id, region: home?.region ?? 'eu', name: `${label} ${tag}`, units: unitIds, paths: ids, userIds, tokens, email, ip };
}

/**
 * A Cron Trigger as production runs it: the scheduled handler fans out one `cron.tick` per data
 * database on the workflow queue (recorded here), then each tick's jobs run as the consumer runs
 * them, with `e` as their environment (a test may give quiet or recording queues).
 */
export async function runCron(cron: string, at: number | Date = Date.now(), e: Env = env as Env): Promise<void> {
  const ticks: CronTick[] = [];
  const recorder = {
    send: async (body: CronTick) => void ticks.push(body),
    sendBatch: async (messages: { body: CronTick }[]) => void ticks.push(...messages.map((m) => m.body)),
  };
  const scheduledTime = typeof at === 'number' ? new Date(at) : at;
  await worker.scheduled!(createScheduledController({ cron, scheduledTime }), { ...e, WORKFLOW_QUEUE: recorder } as unknown as Env);
  const failures: unknown[] = [];
  for (const tick of ticks) await runDatabaseJobs(tick, e).catch((err: unknown) => failures.push(err));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} database ticks failed`);
}

/** One scheduled job's input for the test database. */
export const jobRun = (e: Env = env as Env): DatabaseRun => ({ env: e, db: db(), databaseId: DEFAULT_DATABASE });
