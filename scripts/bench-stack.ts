// The local stack of `npm run bench`, driven piece by piece: the data plane as production has
// it (docs/architecture.md, "Data plane"), a directory and ten data databases in one local libSQL
// cluster (scripts/libsql-cluster.ts) as its own Node process (so its memory is its own, and each
// database's counters answer GET <url>/stats), the migrations, and `wrangler dev` (workerd with
// local Queues) with DIRECTORY_URL on a frozen copy of the Worker's sources, so that edits to the
// working tree during a run do not reload the Worker mid-measurement.
import WebSocket from 'ws';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openDirectory, registerDatabase } from '../src/db/directory';
import type { Region } from '../src/db/directory-schema';
import { registerTenant } from '../src/tenancy/directory-entry';
import { createRemoteDatabase } from './libsql-cluster';
import { ROOT } from './local-stack';
import { applyDirectoryMigrations, migrateAll } from './migrate';

export const HOST = '127.0.0.1';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A GET on a new connection each time: the control requests of the bench (counters, cron ticks)
 * come seconds or minutes apart, and a kept-alive socket the server closed meanwhile would
 * fail them.
 */
export function getOnce(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export interface DbStats {
  /** Rows returned, plus rows changed by UPDATE and DELETE. */
  rowsRead: number;
  /** Rows scanned, as libSQL counts them and Turso bills them as "rows read" (scripts/libsql-server/rows-scanned.ts). */
  rowsScanned: number;
  rowsWritten: number;
  statements: number;
  requests: number;
}

export interface StatementScan {
  runs: number;
  scanned: number;
}
export type StatementScans = Map<string, StatementScan>;

/** The statements that scanned the most rows between two snapshots, the most first. */
export function topScans(a: StatementScans, b: StatementScans, n: number): ({ sql: string } & StatementScan)[] {
  return [...b]
    .map(([sql, v]) => ({ sql, runs: v.runs - (a.get(sql)?.runs ?? 0), scanned: v.scanned - (a.get(sql)?.scanned ?? 0) }))
    .filter((x) => x.scanned > 0)
    .sort((x, y) => y.scanned - x.scanned)
    .slice(0, n);
}

export const sumStats = (a: DbStats, b: DbStats): DbStats => ({
  rowsRead: a.rowsRead + b.rowsRead,
  rowsScanned: a.rowsScanned + b.rowsScanned,
  rowsWritten: a.rowsWritten + b.rowsWritten,
  statements: a.statements + b.statements,
  requests: a.requests + b.requests,
});

export const diffStats = (a: DbStats, b: DbStats): DbStats => ({
  rowsRead: b.rowsRead - a.rowsRead,
  rowsScanned: b.rowsScanned - a.rowsScanned,
  rowsWritten: b.rowsWritten - a.rowsWritten,
  statements: b.statements - a.statements,
  requests: b.requests - a.requests,
});

/** A data database of the bench's plane: its catalog id, region, URL and file. */
export interface PlaneDatabase {
  id: string;
  region: Region;
  url: string;
  file: string;
}

/** The plane of the bench: ten data databases, five per region; the bench's own tenant lives in the first. */
export const PLANE_DATABASES: { id: string; region: Region }[] = [1, 2, 3, 4, 5].flatMap((n) => [
  { id: `eu-shared-${n}`, region: 'eu' as const },
  { id: `us-shared-${n}`, region: 'us' as const },
]);

export interface Stack {
  dataDir: string;
  workerPort: number;
  /** The bench tenant's data database (the first of the plane): its file, URL and catalog id. */
  dbFile: string;
  libsqlUrl: string;
  databaseId: string;
  directoryUrl: string;
  databases: PlaneDatabase[];
  workerUrl: string;
  /** The libSQL cluster: every database of the plane, the directory included, in one process. */
  libsqlPid: number;
  /** What runs the Worker's workerd: `wrangler dev`, or Miniflare alone (scripts/worker-miniflare.ts). */
  runtime: Runtime;
  /** The Node process of that runtime (its workerd processes are its children). */
  runtimePid: number;
  /** The counters of the bench tenant's database (rows read and written, statements, pipeline requests) since it started. */
  stats(): Promise<DbStats>;
  /** The counters of any database of the cluster (the directory's, another data database's). */
  statsOf(url: string): Promise<DbStats>;
  /** The bench tenant's database: runs and rows scanned by SQL text since it started (`GET /stats/statements`). */
  scannedByStatement(): Promise<StatementScans>;
  /** Enters a tenant written straight into a data database in the directory (placement, sign-in identities). */
  register(tenant: { id: string; name: string; emails: string[] }, databaseId?: string): Promise<void>;
  /** Waits until the counters stop moving for `quietMs` (queue consumers done). */
  quiesce(quietMs?: number, maxMs?: number): Promise<DbStats>;
  /** Runs the every-minute jobs on the bench tenant's database to the end (src/bench/routes.ts); ms. */
  tick(): Promise<number>;
  /** A Cron Trigger of `cron` as the scheduled handler fans it out (a probe per database), with each due tick's jobs run to the end. */
  probeTick(cron: string, at?: number): Promise<{ ms: number; result: ProbeTickResult }>;
  stop(): Promise<void>;
}

/** What /__bench/cron?probe=1 answers (src/bench/routes.ts). */
export interface ProbeTickResult {
  databases: number;
  ticks: { databaseId: string; jobs: string[] }[];
  probeMs: number;
  jobsMs: number;
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} not ready in ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    const onData = (d: Buffer) => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        resolve(m[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}):\n${seen}`));
    });
  });
}

/** A copy of what `wrangler dev` builds from (sources, config, assets), with node_modules linked. */
function frozenApp(dataDir: string): string {
  const app = join(dataDir, 'app');
  mkdirSync(app, { recursive: true });
  // migrations/meta: the Worker reads its schema version from the journal (src/db/schema-version.ts).
  for (const entry of ['src', 'web', 'migrations/meta', 'wrangler.toml', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, entry), join(app, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
  return app;
}

/**
 * `wrangler`: `wrangler dev` (scripts/worker-dev.ts), as every bench but bench:memory runs it.
 * `miniflare`: the Worker in workerd through Miniflare's API, without wrangler's proxy and its
 * workers in front of ours (scripts/worker-miniflare.ts; no static assets).
 */
export type Runtime = 'wrangler' | 'miniflare';

/**
 * `vars`: more Worker vars, e.g. OUTBOUND_ALLOW for the bench's provider stand-in.
 * `localObservability`: wrangler's local observability (on by default in `wrangler dev`: every
 * invocation of the Worker streamed as a trace to a collector worker in the same workerd, which
 * writes its spans and logs to a SQLite Durable Object and never deletes them). Production has
 * none of it, so the bench runs without it (X_LOCAL_OBSERVABILITY=false) unless asked
 * (bench/README.md, "Reading the results").
 */
export async function startStack(
  dataDir: string,
  log: (line: string) => void,
  inspectorPort?: number,
  vars: Record<string, string> = {},
  plane = PLANE_DATABASES,
  { localObservability = false, runtime = 'wrangler' }: { localObservability?: boolean; runtime?: Runtime } = {},
): Promise<Stack> {
  const clusterDir = join(dataDir, 'plane');
  const workerPort = await freePort();
  const logFile = createWriteStream(join(dataDir, 'stack.log'));

  const libsql = spawn(process.execPath, ['--import', 'tsx', 'scripts/libsql-cluster.ts', '--dir', clusterDir, '--host', HOST], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let wrangler: ChildProcess | undefined;
  // A start that fails half-way stops what it had started.
  const abort = (error: unknown): never => {
    if (wrangler?.pid && wrangler.exitCode === null) {
      try {
        process.kill(-wrangler.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    if (libsql.exitCode === null) libsql.kill('SIGTERM');
    throw error;
  };
  const adminUrl = (await waitForLine(libsql, /listening on \S+/, 30_000, 'libSQL cluster').catch(abort)).replace('listening on ', '');
  libsql.stdout!.pipe(logFile);
  libsql.stderr!.pipe(logFile);
  // The directory, then the data databases registered in its catalog and migrated (as tenant:create and db:migrate do).
  const setUp = async () => {
    const directoryUrl = await createRemoteDatabase(adminUrl, 'directory');
    await applyDirectoryMigrations(directoryUrl);
    const directory = openDirectory(directoryUrl);
    const databases: PlaneDatabase[] = [];
    for (const d of plane) {
      const url = await createRemoteDatabase(adminUrl, d.id);
      await registerDatabase(directory, { id: d.id, region: d.region, url, placement: 'shared' });
      databases.push({ ...d, url, file: join(clusterDir, `${d.id}.db`) });
    }
    await migrateAll({ directoryUrl });
    return { directoryUrl, directory, databases };
  };
  const { directoryUrl, directory, databases } = await setUp().catch(abort);
  const home = databases[0]!;
  log(`libSQL cluster ${adminUrl} (pid ${libsql.pid}): the directory and ${databases.length} data databases (${databases.map((d) => d.id).join(', ')}) in ${clusterDir}`);

  const workerUrl = `http://${HOST}:${workerPort}`;
  const app = frozenApp(dataDir);
  // wrangler dev without its DevTools inspector (scripts/worker-dev.ts says why), or Miniflare alone.
  const options = {
    ip: HOST,
    port: workerPort,
    vars: { DIRECTORY_URL: directoryUrl, ENVIRONMENT: 'development', PUBLIC_BASE_URL: workerUrl, BENCH: '1', ...vars },
    persistTo: join(dataDir, 'wrangler'),
    inspectorPort,
  };
  wrangler = spawn(process.execPath, ['--import', 'tsx', join(ROOT, runtime === 'miniflare' ? 'scripts/worker-miniflare.ts' : 'scripts/worker-dev.ts'), JSON.stringify(options)], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', X_LOCAL_OBSERVABILITY: localObservability ? 'true' : 'false' },
  });
  wrangler.stdout!.pipe(logFile);
  wrangler.stderr!.pipe(logFile);
  let exited = false;
  wrangler.once('exit', () => (exited = true));
  for (let i = 0; ; i++) {
    if (exited) abort(new Error(`${runtime} exited; see ${join(dataDir, 'stack.log')}`));
    try {
      if ((await getOnce(`${workerUrl}/healthz`)).status === 200) break;
    } catch {
      /* not up yet */
    }
    if (i > 600) abort(new Error(`the Worker did not become healthy; see ${join(dataDir, 'stack.log')}`));
    await sleep(200);
  }
  const runtimePid = wrangler.pid!;
  log(`${runtime === 'miniflare' ? 'Miniflare' : 'wrangler dev'} ${workerUrl} (pid ${runtimePid}) with DIRECTORY_URL ${directoryUrl}, on a frozen copy of src/ in ${app}`);

  const statsOf = async (url: string): Promise<DbStats> => JSON.parse((await getOnce(`${url}/stats`)).body) as DbStats;
  const stats = () => statsOf(home.url);
  const scannedByStatement = async () =>
    new Map((JSON.parse((await getOnce(`${home.url}/stats/statements`)).body) as { statements: ({ sql: string } & StatementScan)[] }).statements.map(({ sql, ...v }) => [sql, v]));
  const cron = async (query: string) => {
    const t0 = performance.now();
    // The jobs themselves, run to the end (src/bench/routes.ts): the scheduled handler only fans the ticks out to the queue.
    const res = await getOnce(`${workerUrl}/__bench/cron?${query}`);
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`cron tick failed: ${res.status} ${res.body.slice(0, 300)}; see ${join(dataDir, 'stack.log')}`);
    return { ms, body: res.body };
  };
  return {
    dataDir,
    workerPort,
    dbFile: home.file,
    libsqlUrl: home.url,
    databaseId: home.id,
    directoryUrl,
    databases,
    workerUrl,
    libsqlPid: libsql.pid!,
    runtime,
    runtimePid,
    stats,
    statsOf,
    scannedByStatement,
    async register(tenant, databaseId = home.id) {
      const region = databases.find((d) => d.id === databaseId)!.region;
      await registerTenant(directory, { id: tenant.id, name: tenant.name, region, databaseId, emails: tenant.emails }, 'bench');
    },
    async quiesce(quietMs = 3000, maxMs = 300_000) {
      const started = Date.now();
      let last = await stats();
      let since = Date.now();
      for (;;) {
        await sleep(250);
        const now = await stats();
        if (now.requests !== last.requests || now.statements !== last.statements) {
          last = now;
          since = Date.now();
        } else if (Date.now() - since >= quietMs) return now;
        if (Date.now() - started > maxMs) throw new Error('the database never went quiet');
      }
    },
    async tick() {
      return (await cron(`cron=${encodeURIComponent('* * * * *')}&database=${home.id}`)).ms;
    },
    async probeTick(expression, at = Date.now()) {
      const { ms, body } = await cron(`cron=${encodeURIComponent(expression)}&probe=1&at=${at}`);
      return { ms, result: JSON.parse(body) as ProbeTickResult };
    },
    async stop() {
      if (!exited) {
        try {
          process.kill(-runtimePid, 'SIGTERM'); // its process group: wrangler or Miniflare, and its workerd
        } catch {
          /* gone */
        }
        for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      }
      if (libsql.exitCode === null) {
        libsql.kill('SIGTERM');
        await new Promise((r) => (libsql.exitCode === null ? libsql.once('exit', r) : r(null)));
      }
      logFile.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Peak memory of each process, from /proc/<pid>/status (VmHWM: the peak resident set).

export interface ProcMemory {
  pid: number;
  role: string;
  command: string;
  hwmKiB: number;
  rssKiB: number;
}

function readStatus(pid: number): { hwm: number; rss: number; ppid: number; name: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const num = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
    return { hwm: num('VmHWM'), rss: num('VmRSS'), ppid: num('PPid'), name: /^Name:\s+(.*)$/m.exec(s)?.[1] ?? '?' };
  } catch {
    return null;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readStatus(Number(entry));
    if (!st) continue;
    children.set(st.ppid, [...(children.get(st.ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Who listens on a port (ss -ltnp), to tell wrangler's proxy workerd from the one running the Worker. */
function listener(port: number): number | null {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return Number(/pid=(\d+)/.exec(out)?.[1] ?? NaN) || null;
  } catch {
    return null;
  }
}

const CLOCK_TICK_MS = 10; // USER_HZ = 100 on Linux

/** CPU time (user + system) of a process so far, in ms. */
function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS; // utime, stime (fields 14 and 15)
  } catch {
    return null;
  }
}

/** Busy and total CPU time of the whole machine so far, in ms (all cores), from /proc/stat. */
export function machineCpu(): { busyMs: number; totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  return { busyMs: busy * CLOCK_TICK_MS, totalMs: (busy + idle + iowait) * CLOCK_TICK_MS };
}

export type CpuSnapshot = Map<number, { role: string; ms: number }>;

/**
 * The bench's processes: peak memory sampled every second (VmHWM), CPU time on demand. Roles
 * are told apart by command line, and the two workerd processes of `wrangler dev` by who
 * listens on the Worker's port (wrangler's proxy; the other one runs the Worker). Under a root of
 * role `miniflare` (scripts/worker-miniflare.ts) the one workerd runs the Worker.
 */
export class ProcessWatch {
  private readonly peak = new Map<number, ProcMemory>();
  private readonly roles = new Map<number, string>();
  /** Resident memory (KiB) by role at named moments of the run. */
  readonly marks: { label: string; rssKiB: Record<string, number> }[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly roots: { pid: number; role: string }[],
    private readonly workerPort: number,
  ) {}

  private pids(): { pid: number; role: string }[] {
    const out: { pid: number; role: string }[] = [];
    for (const { pid: root, role } of this.roots) {
      if (role !== 'wrangler' && role !== 'miniflare') {
        out.push({ pid: root, role });
        continue;
      }
      for (const pid of descendants(root)) {
        let r = this.roles.get(pid);
        if (!r) {
          const cmd = cmdline(pid);
          if (role === 'miniflare') r = /workerd/.test(cmd) ? 'workerd (runs the Worker)' : /worker-miniflare\.ts/.test(cmd) ? 'Miniflare (Node)' : `Miniflare child (${readStatus(pid)?.name ?? '?'})`;
          else if (/workerd/.test(cmd)) {
            const proxy = listener(this.workerPort);
            r = proxy === null ? 'workerd' : proxy === pid ? "workerd (wrangler's proxy)" : 'workerd (runs the Worker)';
          } else if (/esbuild/.test(cmd)) r = "esbuild (wrangler's bundler)";
          else if (/wrangler-dist\/cli|worker-dev\.ts/.test(cmd)) r = 'wrangler dev (Node)';
          else if (/wrangler/.test(cmd)) r = 'wrangler launcher (Node)';
          else r = `wrangler child (${readStatus(pid)?.name ?? '?'})`;
          this.roles.set(pid, r);
        }
        out.push({ pid, role: r });
      }
    }
    return out;
  }

  sample(): void {
    for (const { pid, role } of this.pids()) {
      const st = readStatus(pid);
      if (!st) continue;
      const prev = this.peak.get(pid);
      this.peak.set(pid, { pid, role, command: prev?.command ?? cmdline(pid).slice(0, 160), hwmKiB: Math.max(prev?.hwmKiB ?? 0, st.hwm), rssKiB: Math.max(prev?.rssKiB ?? 0, st.rss) });
    }
  }

  /** Resident memory (KiB) by role now (processes of one role added up). */
  rss(): Record<string, number> {
    const rssKiB: Record<string, number> = {};
    for (const { pid, role } of this.pids()) rssKiB[role] = (rssKiB[role] ?? 0) + (readStatus(pid)?.rss ?? 0);
    return rssKiB;
  }

  /** The peak resident set so far (VmHWM) of each role's processes, added up, KiB. */
  hwm(): Record<string, number> {
    const hwmKiB: Record<string, number> = {};
    for (const { pid, role } of this.pids()) hwmKiB[role] = (hwmKiB[role] ?? 0) + (readStatus(pid)?.hwm ?? 0);
    return hwmKiB;
  }

  /** The processes of one role now. */
  pidsOf(role: string): number[] {
    return this.pids()
      .filter((p) => p.role === role)
      .map((p) => p.pid);
  }

  mark(label: string): void {
    this.marks.push({ label, rssKiB: this.rss() });
  }

  cpu(): CpuSnapshot {
    const out: CpuSnapshot = new Map();
    for (const { pid, role } of this.pids()) {
      const ms = cpuMs(pid);
      if (ms !== null) out.set(pid, { role, ms });
    }
    return out;
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  stop(): ProcMemory[] {
    clearInterval(this.timer);
    this.sample();
    return [...this.peak.values()];
  }
}

/** CPU ms used between two snapshots, by role (processes of one role added up). */
export function cpuByRole(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, { role, ms }] of b) out[role] = (out[role] ?? 0) + ms - (a.get(pid)?.ms ?? 0);
  return out;
}

export function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const meminfo = existsSync('/proc/meminfo') ? readFileSync('/proc/meminfo', 'utf8') : '';
  return {
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    memTotalGiB: Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0) / 1024 / 1024,
  };
}

export const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * Enters a bench tenant written straight into the files in the stack's directory (the Worker
 * finds tenants there) and signs its admin in: the token, or an error saying why (a bench whose
 * sign-in failed silently measured nothing but 401s).
 */
export async function enterOrg(stack: Stack, org: { tenantId: string; adminEmail: string; adminPassword: string }, name: string): Promise<string> {
  await stack.register({ id: org.tenantId, name, emails: [org.adminEmail] });
  const res = await fetch(`${stack.workerUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: org.adminEmail, password: org.adminPassword }),
  });
  if (res.status !== 200) throw new Error(`sign-in of the bench tenant failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * A DevTools protocol session with the Worker's runtime (a stack started with an inspector port):
 * `call` sends one method and resolves with its result, or with null after `timeoutMs` when given;
 * `on` handles an event.
 */
export async function inspectorSession(port: number) {
  const targets = JSON.parse((await getOnce(`http://${HOST}:${port}/json`)).body) as { title: string; webSocketDebuggerUrl: string }[];
  // The runtime's own inspector (Miniflare) lists every isolate; wrangler's proxy, the Worker's alone.
  const worker = targets.find((t) => t.title.includes('core:user:')) ?? targets[0]!;
  const ws = new WebSocket(worker.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let seq = 0;
  const pending = new Map<number, (result: unknown) => void>();
  const listeners = new Map<string, (params: unknown) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; method?: string; params?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
    else if (msg.method) listeners.get(msg.method)?.(msg.params);
  });
  const call = (method: string, params: Record<string, unknown> = {}, timeoutMs?: number) =>
    new Promise<unknown>((resolve) => {
      const id = ++seq;
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => resolve(null), timeoutMs);
      pending.set(id, (result) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(result);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  /** One handler per event (e.g. HeapProfiler.addHeapSnapshotChunk); a later one replaces it. */
  const on = (method: string, handler: (params: unknown) => void) => listeners.set(method, handler);
  return { call, on, close: () => ws.close() };
}

/**
 * Every isolate of a workerd started with an inspector (wrangler starts the runtime with one of its
 * own when the bench asks for an inspector port; Miniflare's runtime listens on that port itself):
 * found on the ports the process listens on.
 */
export async function runtimeIsolates(pid: number): Promise<{ title: string; url: string }[]> {
  const ports = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => Number(/:(\d+)\s/.exec(l)?.[1]));
  const targets: { title: string; url: string }[] = [];
  for (const port of ports) {
    try {
      const res = await getOnce(`http://${HOST}:${port}/json`);
      if (res.status === 200)
        for (const t of JSON.parse(res.body) as { title: string; webSocketDebuggerUrl: string }[]) targets.push({ title: t.title.replace('workerd: worker ', ''), url: t.webSocketDebuggerUrl });
    } catch {
      /* not an inspector */
    }
  }
  return targets;
}

/** The JS heap of each isolate (Runtime.getHeapUsage on a fresh session), and their sum; an isolate that does not answer in 5 s is left out. */
export async function isolateHeaps(targets: { title: string; url: string }[]) {
  const each: { title: string; usedSize: number; totalSize: number }[] = [];
  for (const t of targets) {
    const ws = new WebSocket(t.url);
    try {
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const h = await new Promise<{ usedSize: number; totalSize: number } | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 5000);
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as { id?: number; result?: { usedSize: number; totalSize: number } };
          if (m.id === 1) {
            clearTimeout(timer);
            resolve(m.result ?? null);
          }
        });
        ws.send(JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage', params: {} }));
      });
      if (h) each.push({ title: t.title, usedSize: h.usedSize, totalSize: h.totalSize });
    } catch {
      /* gone or busy */
    } finally {
      ws.close();
    }
  }
  return { each, usedSize: each.reduce((a, x) => a + x.usedSize, 0), totalSize: each.reduce((a, x) => a + x.totalSize, 0) };
}
