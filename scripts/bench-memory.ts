// `npm run bench:memory [-- --minutes 10 --clients 2 --runtime miniflare|wrangler]`: issue 19 item 5. The
// Worker's memory over a long capture run: answers to fresh invitations posted without pause for the
// given minutes (the follow-up queue runs meanwhile in the same workerd, the every-minute jobs once a
// minute as the Cron Trigger would), the resident memory of every process of the stack sampled each
// second. The Worker runs in workerd through Miniflare alone (scripts/worker-miniflare.ts), so that
// workerd holds the Worker and Miniflare's few workers, not wrangler's; `--runtime wrangler`: under
// `wrangler dev` as the earlier runs did.
// Flat means the Worker's workerd reaches no new peak once warm: the growth of its peak resident
// memory (VmHWM) over the second half of the run, in MiB per minute; its resident memory's trend
// over the same minutes is reported with a 95 % interval. A script, not a test; writes bench/MEMORY.md.
import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Env } from '../src/env';
import { signSurveyLink } from '../src/surveys/token';
import { insertSentInvitations, Rng, setupOrg } from './bench-data';
import { httpClient } from './bench-http';
import { enterOrg, freePort, getOnce, inspectorSession, isolateHeaps, loadAverage, machine, ProcessWatch, type Runtime, runtimeIsolates, startStack } from './bench-stack';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { ROOT } from './local-stack';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string' },
    clients: { type: 'string' },
    runtime: { type: 'string' },
    snapshots: { type: 'string' },
    route: { type: 'string' },
    heap: { type: 'string' },
    samples: { type: 'string' },
    observability: { type: 'string' },
  },
});
/** What runs the Worker's workerd: Miniflare alone (the default), or `wrangler dev`. */
const RUNTIME: Runtime = args.runtime === 'wrangler' ? 'wrangler' : 'miniflare';
/** Who the other isolates in the Worker's workerd belong to. */
const OWNER = RUNTIME === 'wrangler' ? "wrangler's" : "Miniflare's";
/**
 * A folder: heap snapshots of the Worker's isolate at the start of the second half and 20 s before the load ends, to
 * compare with scripts/heap-diff.ts (what the live heap gained). A diagnostic: each snapshot stops the isolate for seconds.
 */
const SNAPSHOTS = args.snapshots;
/** `on`: wrangler's local observability as `wrangler dev` has it by default (a trace of every invocation kept in a SQLite Durable Object in the same workerd). */
const OBSERVABILITY = args.observability === 'on';
/** Seconds between reads of the JS heap through the inspector; `off`: the stack runs without the inspector. */
const HEAP_EVERY = args.heap === 'off' ? 0 : Number(args.heap ?? 10);
/** `capture` (answers to fresh invitations), or `noop` (a bare Hono route: what the runtime holds with no work of ours, the baseline). */
const ROUTE = args.route === 'noop' ? 'noop' : 'capture';
const MINUTES = Number(args.minutes ?? 10);
/**
 * Concurrent clients. Two post about 310 answers a second here, which the follow-up queue's consumer
 * keeps up with; eight post about 370, and its backlog then grows by about 1,300 messages a minute
 * in Miniflare's queue broker, which lives in the same workerd (Cloudflare's Queues hold it outside
 * the Worker): the peak would measure the backlog as well as the Worker (bench/README.md, "Memory").
 */
const CLIENTS = Number(args.clients ?? 2);
/** Growth of the Worker's resident memory once warm above which it is not flat. */
const TARGET_MIB_PER_MINUTE = 1;
/** The verdict reads the second half of the run: the minute it starts at (5 of a 10-minute run). */
const SETTLED_FROM = Math.floor(MINUTES / 2);
/** Invitations signed beforehand: more than the run can answer at the capture rates measured by `npm run bench`. */
const INVITATIONS = Math.ceil(MINUTES * 60 * 600);
const SCORE_MIX = [10, 9, 8, 10, 6, 9, 7, 10, 3, 8];
const WORKER = 'workerd (runs the Worker)';

const t00 = Date.now();
const log = (line: string) => console.log(`[bench:memory ${((Date.now() - t00) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const mib = (kib: number) => kib / 1024;

/** KiB on disk under each folder of the runtime's local storage, wrangler's or Miniflare's (queues, Durable Objects, the local observability's traces…). */
function persistedKiB(root: string): Record<string, number> {
  const size = (p: string): number => {
    const st = statSync(p);
    return st.isDirectory() ? readdirSync(p).reduce((a, e) => a + size(join(p, e)), 0) : st.size;
  };
  const out: Record<string, number> = {};
  try {
    for (const e of readdirSync(root)) {
      const p = join(root, e);
      if (statSync(p).isDirectory()) for (const sub of readdirSync(p)) out[`${e}/${sub}`] = size(join(p, sub)) / 1024;
      else out[e] = size(p) / 1024;
    }
  } catch {
    /* nothing persisted */
  }
  return out;
}

type Rollup = Record<string, number>;
/** The resident memory of a process split by kind (KiB): anonymous, file-backed, shared (/proc/<pid>/smaps_rollup). */
function smapsRollup(pid: number): Rollup | undefined {
  try {
    const out: Rollup = {};
    for (const m of readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').matchAll(/^(Rss|Anonymous|Pss_Anon|Pss_File|Pss_Shmem|Private_Dirty|Shared_Clean):\s+(\d+) kB/gm)) out[m[1]!] = Number(m[2]);
    return out;
  } catch {
    return undefined;
  }
}

/**
 * The least-squares slope of y over x with its two-sided 95 % interval (Student's t with n − 2
 * degrees of freedom; its quantile found from the t distribution's CDF by bisection). For points
 * that are means over blocks of samples (a minute each), whose noise is close to independent, unlike
 * the per-second samples themselves.
 */
function slopeInterval(points: { x: number; y: number }[]): { slope: number; low: number; high: number } {
  const n = points.length;
  const b = slope(points);
  if (n < 3) return { slope: b, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY };
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const residual = points.reduce((a, p) => a + (p.y - my - b * (p.x - mx)) ** 2, 0);
  const se = Math.sqrt(residual / (n - 2) / sxx);
  let lo = 0;
  let hi = 1000;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, n - 2) < 0.975) lo = mid;
    else hi = mid;
  }
  return { slope: b, low: b - lo * se, high: b + lo * se };
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : 0;
}

/**
 * The Worker's JS heap, read through the runtime's inspector (Runtime.getHeapUsage): the memory
 * Cloudflare limits per isolate (128 MB), apart from what the local runtime itself holds.
 */
async function heapReader(port: number) {
  const inspector = await inspectorSession(port);
  const read = async () => (await inspector.call('Runtime.getHeapUsage', {}, 5000)) as { usedSize: number; totalSize: number } | null;
  /** A heap snapshot (the runtime collects garbage first, so it holds the live objects) written to `file`. */
  const snapshot = async (file: string) => {
    const out = createWriteStream(file);
    inspector.on('HeapProfiler.addHeapSnapshotChunk', (p) => out.write((p as { chunk: string }).chunk));
    await inspector.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    await new Promise((r) => out.end(r));
  };
  return { read, snapshot, close: inspector.close };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'nps-bench-memory-'));
  const loadAtStart = loadAverage();
  const inspectorPort = HEAP_EVERY ? await freePort() : undefined;
  const stack = await startStack(dir, log, inspectorPort, {}, undefined, { localObservability: OBSERVABILITY, runtime: RUNTIME });
  const watch = new ProcessWatch(
    [
      { pid: stack.libsqlPid, role: 'libSQL server (Node)' },
      { pid: stack.runtimePid, role: RUNTIME },
    ],
    stack.workerPort,
  );
  const http = httpClient(stack.workerUrl, CLIENTS);
  try {
    const rng = new Rng(1919);
    const org = await setupOrg(stack.libsqlUrl, stack.dbFile, { sites: 500, contacts: 50_000 }, rng);
    await enterOrg(stack, org, 'Bench Memory');
    if (ROUTE === 'capture') log(`${fmt(INVITATIONS)} sent invitations and their signed links`);
    const config = loadConfig({ ENVIRONMENT: 'development', LIBSQL_URL: stack.libsqlUrl } as Env);
    const invitations = ROUTE === 'noop' ? [] : insertSentInvitations(stack.dbFile, org, INVITATIONS, rng);
    const tokens = await Promise.all(
      invitations.map((i) => signSurveyLink(config, { tenantId: org.tenantId, invitationId: i.id, surveyId: org.surveyId, surveyVersion: 1, databaseId: stack.databaseId }, i.expiresAt)),
    );
    let used = 0;
    const answer = () => {
      if (ROUTE === 'noop') {
        used++;
        return { method: 'GET' as const, path: '/__bench/noop' };
      }
      if (used >= tokens.length) return null;
      const i = used++;
      const score = SCORE_MIX[i % SCORE_MIX.length]!;
      return {
        method: 'POST' as const,
        path: `/s/${tokens[i]}`,
        headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': `bench-respondent/${i}` },
        body: JSON.stringify(i % 3 === 0 ? { score, comment: 'Quick and friendly service.' } : { score }),
      };
    };

    // Samples each second (the JS heap every 10 s); a tick of the every-minute jobs each minute; the load meanwhile.
    const heap = inspectorPort ? await heapReader(inspectorPort) : undefined;
    // Every other isolate of the Worker's workerd (wrangler's or Miniflare's own workers beside ours), read through the runtime's
    // inspector. The Worker's own isolate is read above (under wrangler, a second session on it would take the one its inspector proxy holds).
    const isolates = inspectorPort ? (await runtimeIsolates(watch.pidsOf(WORKER)[0]!)).filter((t) => !t.title.startsWith('core:user:nps-platform')) : [];
    const allHeaps: { s: number; usedMiB: number; totalMiB: number; each: Record<string, number> }[] = [];
    const samples: { s: number; rss: Record<string, number>; hwm: Record<string, number>; answered: number; worker?: Rollup }[] = [];
    const heaps: { s: number; usedMiB: number; totalMiB: number }[] = [];
    const start = performance.now();
    const sampler = setInterval(() => {
      const pid = watch.pidsOf(WORKER)[0];
      samples.push({ s: (performance.now() - start) / 1000, rss: watch.rss(), hwm: watch.hwm(), answered: used, worker: pid ? smapsRollup(pid) : undefined });
    }, 1000);
    // The workflow queue's backlog (answers' follow-up messages not yet consumed), as /healthz reads it from the queue's metrics.
    const backlogs: { s: number; backlog: number; oldestAgeSeconds: number | null }[] = [];
    const backlogSampler = setInterval(async () => {
      const s = (performance.now() - start) / 1000;
      try {
        const q = (JSON.parse((await getOnce(`${stack.workerUrl}/healthz`)).body) as { buffer?: { queue?: { backlog: number; oldestAgeSeconds: number | null } | null } }).buffer?.queue;
        if (q) backlogs.push({ s, backlog: q.backlog, oldestAgeSeconds: q.oldestAgeSeconds });
      } catch {
        /* a missed read */
      }
    }, 10_000);
    const heapSampler = setInterval(
      async () => {
        const s = (performance.now() - start) / 1000;
        const u = await heap?.read();
        if (u) heaps.push({ s, usedMiB: mib(u.usedSize / 1024), totalMiB: mib(u.totalSize / 1024) });
        if (isolates.length) {
          const all = await isolateHeaps(isolates);
          allHeaps.push({ s, usedMiB: mib(all.usedSize / 1024), totalMiB: mib(all.totalSize / 1024), each: Object.fromEntries(all.each.map((x) => [x.title, mib(x.totalSize / 1024)])) });
        }
      },
      (HEAP_EVERY || 10) * 1000,
    );
    let ticking = true;
    const ticks = (async () => {
      while (ticking) {
        await new Promise((r) => setTimeout(r, 60_000));
        if (ticking) await stack.tick();
      }
    })();
    const snapshotsTaken: Promise<void>[] = [];
    const snapshotTimers =
      SNAPSHOTS && heap
        ? [SETTLED_FROM * 60, MINUTES * 60 - 20].map((at) =>
            setTimeout(() => {
              const file = join(SNAPSHOTS, `worker-${at}s.heapsnapshot`);
              const t0 = performance.now();
              mkdirSync(SNAPSHOTS, { recursive: true });
              snapshotsTaken.push(heap.snapshot(file).then(() => log(`heap snapshot of the Worker's isolate at ${at} s: ${file} (${fmt((performance.now() - t0) / 1000, 1)} s)`)));
            }, at * 1000),
          )
        : [];
    log(`${ROUTE}: ${CLIENTS} clients for ${MINUTES} min; ${isolates.length} other isolates in the Worker's workerd: ${isolates.map((t) => t.title).join(', ')}`);
    const latency = await http.run(CLIENTS, MINUTES * 60_000, answer);
    const loadStopped = performance.now();
    ticking = false;
    for (const t of snapshotTimers) clearTimeout(t);
    clearInterval(sampler);
    clearInterval(heapSampler);
    clearInterval(backlogSampler);
    await Promise.all(snapshotsTaken);
    heap?.close();
    if (args.samples) writeFileSync(args.samples, JSON.stringify({ args, samples, heaps, allHeaps, backlogs }));
    await ticks.catch(() => undefined);
    // The follow-up queue's backlog: how long the database takes to go quiet once the load stops (counted from the
    // load's end, not from here: waiting for the ticks' loop above can take up to a minute).
    await stack.quiesce(3000, 600_000);
    const drainS = Math.max(0, (performance.now() - loadStopped - 3000) / 1000);
    const persisted = persistedKiB(join(dir, 'wrangler'));
    log(
      `follow-up backlog drained ${fmt(drainS, 1)} s after the load stopped; ${OWNER} local storage: ${Object.entries(persisted)
        .map(([k, v]) => `${k} ${fmt(v / 1024, 1)} MiB`)
        .join(', ')}`,
    );
    log(`${fmt(latency.count)} answers, ${fmt(latency.rps, 0)} requests/s, p50 ${fmt(latency.p50, 1)} ms, ${latency.errors} errors ${JSON.stringify(latency.statuses)}`);
    log(`the stack's log (the runtime's and workerd's output): ${fmt(statSync(join(dir, 'stack.log')).size / 1024, 0)} KiB`);
    if (args.samples) copyFileSync(join(dir, 'stack.log'), `${args.samples}.stack.log`);
    log(`workflow queue backlog every 10 s: ${backlogs.map((b) => b.backlog).join(' ')}`);
    if (ROUTE === 'capture' && used >= tokens.length) throw new Error(`ran out of fresh invitations after ${used}: raise INVITATIONS`);

    // Per minute: the Worker's and the database server's resident memory, the JS heap, the queue's backlog.
    const roles = [WORKER, 'libSQL server (Node)'];
    const rows: string[] = [];
    for (let m = 0; m < MINUTES; m++) {
      const inMinute = samples.filter((x) => x.s >= m * 60 && x.s < (m + 1) * 60);
      if (!inMinute.length) continue;
      const cells = roles.map((role) => {
        const v = inMinute.map((x) => mib(x.rss[role] ?? 0));
        return `${fmt(v.reduce((a, b) => a + b, 0) / v.length, 1)} / ${fmt(Math.max(...v), 1)}`;
      });
      const js = heaps.filter((x) => x.s >= m * 60 && x.s < (m + 1) * 60);
      const jsCell = js.length ? `${fmt(js.reduce((a, x) => a + x.usedMiB, 0) / js.length, 1)} / ${fmt(Math.max(...js.map((x) => x.usedMiB)), 1)}` : '–';
      const backlog = backlogs.filter((x) => x.s < (m + 1) * 60).at(-1);
      const all = allHeaps.filter((x) => x.s < (m + 1) * 60).at(-1);
      rows.push(
        `| ${m + 1} | ${fmt(inMinute.at(-1)!.answered - (samples.filter((x) => x.s < m * 60).at(-1)?.answered ?? 0))} | ${cells.join(' | ')} | ${fmt(mib(inMinute.at(-1)!.hwm[WORKER] ?? 0), 1)} | ${jsCell} | ${all ? `${fmt(all.usedMiB, 0)} / ${fmt(all.totalMiB, 0)}` : '–'} | ${backlog ? fmt(backlog.backlog) : '–'} |`,
      );
    }
    // Growth: the least-squares slope of the per-second samples from a given minute on. The verdict reads the
    // second half of the run (SETTLED_FROM, fixed before any run): the first minutes are the runtime's warm-up
    // (bench/README.md), and what matters is whether the memory keeps growing once warm.
    const slopeFrom = (fromMinute: number, role: string) => slope(samples.filter((x) => x.s >= fromMinute * 60).map((x) => ({ x: x.s / 60, y: mib(x.rss[role] ?? 0) })));
    const heapSlopeFrom = (fromMinute: number) => slope(heaps.filter((x) => x.s >= fromMinute * 60).map((x) => ({ x: x.s / 60, y: x.usedMiB })));
    const settled = slopeFrom(SETTLED_FROM, WORKER);
    const afterFirst = slopeFrom(1, WORKER);
    // The verdict: the peak resident memory (VmHWM, what the issue names) at the end of minute
    // SETTLED_FROM and at the end of the run. A peak only rises, so its growth has no GC noise to
    // average out; the resident memory's own trend comes with its interval below.
    const peakAt = (second: number) => mib(samples.filter((x) => x.s < second).at(-1)?.hwm[WORKER] ?? 0);
    const peakFrom = peakAt(SETTLED_FROM * 60);
    const peakEnd = peakAt(Number.POSITIVE_INFINITY);
    const peakGrowth = (peakEnd - peakFrom) / (MINUTES - SETTLED_FROM);
    const pass = peakGrowth <= TARGET_MIB_PER_MINUTE;
    // The resident memory's trend over the same minutes: the slope of the minute means, with its 95 % interval.
    const minuteMeans = Array.from({ length: MINUTES - SETTLED_FROM }, (_, i) => SETTLED_FROM + i).flatMap((minute) => {
      const v = samples.filter((x) => x.s >= minute * 60 && x.s < (minute + 1) * 60).map((x) => mib(x.rss[WORKER] ?? 0));
      return v.length ? [{ x: minute + 0.5, y: v.reduce((a, b) => a + b, 0) / v.length }] : [];
    });
    const trend = slopeInterval(minuteMeans);
    const trendReading =
      trend.high <= TARGET_MIB_PER_MINUTE
        ? 'flat: the whole interval is at most the target'
        : trend.low > TARGET_MIB_PER_MINUTE
          ? 'growing: the whole interval is above the target'
          : 'not resolved by this run: the interval holds values on both sides of the target';
    const heapSettled = heapSlopeFrom(SETTLED_FROM);
    const heapPeak = Math.max(0, ...heaps.map((x) => x.usedMiB));
    const meanOf = (from: number, to: number) => {
      const v = samples.filter((x) => x.s >= from * 60 && x.s < to * 60).map((x) => mib(x.rss[WORKER] ?? 0));
      return v.reduce((a, b) => a + b, 0) / (v.length || 1);
    };
    const last = samples.at(-1)?.worker;
    const lastBacklog = backlogs.at(-1);
    // A steady state: the follow-up queue kept up over the second half (its backlog sits in this workerd).
    const settledBacklogs = backlogs.filter((b) => b.s >= SETTLED_FROM * 60).map((b) => b.backlog);
    const backlogRise = settledBacklogs.length > 1 ? settledBacklogs.at(-1)! - settledBacklogs[0]! : 0;
    const keptUp = backlogRise <= used / MINUTES / 10;
    const m = machine();
    const commit = (await import('node:child_process')).execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const lines = [
      `# Memory over a long ${ROUTE === 'noop' ? 'run of the bare route (baseline)' : 'capture run'}: benchmark`,
      '',
      `\`npm run bench:memory${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (scripts/bench-memory.ts) on ${new Date().toISOString().slice(0, 10)}, commit \`${commit}\`; ${m.cpuModel}, ${fmt(m.memTotalGiB, 1)} GiB; Node ${process.version}. Load average ${loadAtStart} at the start, ${loadAverage()} at the end (other work on the machine slows every figure).`,
      '',
      `One tenant on the local stack (libSQL server + ${RUNTIME === 'wrangler' ? '`wrangler dev` (`--runtime wrangler`)' : "the Worker in workerd through Miniflare's API alone, no wrangler (the bundle `wrangler deploy` uploads, the bindings of wrangler.toml but the static assets; scripts/worker-miniflare.ts)"}; 500 sites, 50,000 contacts). ${CLIENTS} keep-alive clients ${ROUTE === 'noop' ? 'call `GET /__bench/noop` (a bare Hono route: the baseline, what the runtime holds with no work of ours)' : 'post answers to fresh invitations (signed links naming the survey version and the database, a third with a comment)'} for ${MINUTES} minutes without pause; the follow-up queue runs in the same workerd meanwhile, and the every-minute jobs (fold, deliveries, scans) run once a minute as the Cron Trigger would. The resident memory (VmRSS) of each process is sampled each second; ${HEAP_EVERY ? `the Worker's JS heap every ${HEAP_EVERY} s through the runtime's inspector (the stack runs with it for this bench)` : 'the stack runs without the inspector, so the JS heap is not read'}; the workflow queue's backlog every 10 s (\`/healthz\`). ${RUNTIME === 'miniflare' ? "No local observability or local explorer (Miniflare's, off)." : `wrangler's local observability ${OBSERVABILITY ? 'on (`--observability on`: every invocation traced into a SQLite Durable Object in the same workerd, as `wrangler dev` does by default)' : 'off, as production has none (bench/README.md)'}.`}`,
      '',
      `Answers: ${fmt(latency.count)} (${fmt(latency.rps, 0)} a second, p50 ${fmt(latency.p50, 1)} ms, p99 ${fmt(latency.p99, 1)} ms, ${latency.errors} errors).`,
      '',
      `| minute | answers | ${roles.map((r) => `${r} resident: mean / peak MiB`).join(' | ')} | the Worker's workerd, peak resident so far (VmHWM) MiB | the Worker's JS heap in use: mean / peak MiB | JS heaps of ${OWNER} ${isolates.length} other isolates in that workerd at the minute's end: in use / allocated MiB | workflow queue backlog at the minute's end |`,
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      `- **Verdict**: growth of the Worker's peak resident memory (VmHWM of its workerd, sampled each second) over the second half of the run: ${fmt(peakFrom, 1)} MiB at the end of minute ${SETTLED_FROM}, ${fmt(peakEnd, 1)} MiB at the end of minute ${MINUTES}: **${fmt(peakGrowth, 2)} MiB per minute**, target ≤ ${TARGET_MIB_PER_MINUTE} (flat): **${pass ? 'PASS' : 'FAIL'}**. ${
        keptUp
          ? `A steady state: the follow-up queue kept up (its backlog at most ${fmt(Math.max(0, ...settledBacklogs))} messages over the second half).`
          : `Not a steady state: the follow-up queue's backlog rose by ${fmt(backlogRise)} messages over the second half, held in ${OWNER} queue broker in this same workerd, so the peak measures it as well as the Worker: run with fewer \`--clients\`.`
      }`,
      `- Its resident memory (VmRSS) over the same minutes: the least-squares slope of the ${minuteMeans.length} minute means is ${fmt(trend.slope, 2)} MiB per minute, 95 % interval ${fmt(trend.low, 2)} to ${fmt(trend.high, 2)} (Student's t, ${minuteMeans.length - 2} degrees of freedom): ${trendReading}. (The slope of the per-second samples themselves: ${fmt(settled, 2)} MiB per minute; those samples follow each other too closely to give an interval.)`,
      `- The warm-up before it, not part of the verdict: the resident memory's mean was ${fmt(meanOf(0, 1), 0)} MiB in minute 1, ${fmt(meanOf(SETTLED_FROM, MINUTES), 0)} MiB over the second half; the slope from the end of minute 1 (the reading of earlier runs) is ${fmt(afterFirst, 2)} MiB per minute${afterFirst <= TARGET_MIB_PER_MINUTE ? '' : ', so read strictly from minute 1 the memory is not flat'}.`,
      `- The libSQL server's, for comparison, over the second half: ${fmt(slopeFrom(SETTLED_FROM, 'libSQL server (Node)'), 2)} MiB per minute (its page cache and statement cache fill as the tables grow).`,
      HEAP_EVERY
        ? `- The Worker's JS heap in use (what Cloudflare limits to 128 MB per isolate): peak ${fmt(heapPeak, 1)} MiB, growth over the second half ${fmt(heapSettled, 2)} MiB per minute, target ≤ ${TARGET_MIB_PER_MINUTE}: **${heapSettled <= TARGET_MIB_PER_MINUTE ? 'PASS' : 'FAIL'}** (from the end of minute 1: ${fmt(heapSlopeFrom(1), 2)} MiB per minute).`
        : `- The Worker's JS heap: not read (\`--heap off\`).`,
      allHeaps.length
        ? `- ${OWNER} ${isolates.length} other isolates in that workerd (${RUNTIME === 'wrangler' ? 'its entry worker, static assets router and service, queue brokers…' : 'its entry worker, queue brokers, cache, outbound and email workers'}), their JS heaps added up: ${fmt(allHeaps[0]!.totalMiB, 0)} MiB allocated at the first read, ${fmt(allHeaps.at(-1)!.totalMiB, 0)} MiB at the last; growth of the allocated heaps over the second half ${fmt(slope(allHeaps.filter((x) => x.s >= SETTLED_FROM * 60).map((x) => ({ x: x.s / 60, y: x.totalMiB }))), 2)} MiB per minute. The largest at the last read: ${Object.entries(
            allHeaps.at(-1)!.each,
          )
            .sort((a, b) => b[1] - a[1])
            .slice(0, 5)
            .map(([k, v]) => `${k} ${fmt(v, 0)}`)
            .join(', ')} MiB.`
        : `- ${OWNER} other isolates: not read (no inspector).`,
      `- What the Worker's workerd holds at the end (/proc/<pid>/smaps_rollup): ${last ? `${fmt(mib(last.Anonymous ?? 0), 0)} MiB anonymous, ${fmt(mib(last.Pss_File ?? 0), 0)} MiB file-backed (its own share), ${fmt(mib(last.Pss_Shmem ?? 0), 0)} MiB shared memory` : 'not read'}.`,
      `- The workflow queue: ${lastBacklog ? `${fmt(lastBacklog.backlog)} messages waiting at the last read` : 'backlog not read'}; the database went quiet ${fmt(drainS, 1)} s after the load stopped (the consumer's remaining backlog). ${OWNER} local storage at the end: ${
        Object.entries(persisted)
          .map(([k, v]) => `${k} ${fmt(v / 1024, 1)} MiB`)
          .join(', ') || 'none'
      }.`,
      '',
    ];
    const out = join(ROOT, 'bench', ROUTE === 'noop' ? 'MEMORY-NOOP.md' : 'MEMORY.md');
    writeFileSync(out, lines.join('\n'));
    log(`wrote ${out}`);
    console.log(lines.join('\n'));
  } finally {
    http.close();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
