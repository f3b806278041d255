// `npm run bench:memory [-- --minutes 10 --clients 8]`: issue 19 item 5. The Worker's memory over a
// long capture run: answers to fresh invitations posted without pause for the given minutes (the
// follow-up queue runs meanwhile in the same workerd, the every-minute jobs once a minute as the
// Cron Trigger would), the resident memory of every process of the stack sampled each second.
// Flat means no growth beyond noise once warm: the least-squares slope of the Worker's resident
// memory after the first minute, in MiB per minute. A script, not a test; writes bench/MEMORY.md.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Env } from '../src/env';
import { signSurveyLink } from '../src/surveys/token';
import { insertSentInvitations, Rng, setupOrg } from './bench-data';
import { httpClient } from './bench-http';
import { enterOrg, freePort, inspectorSession, loadAverage, machine, ProcessWatch, startStack } from './bench-stack';
import { ROOT } from './local-stack';

const { values: args } = parseArgs({ options: { minutes: { type: 'string' }, clients: { type: 'string' }, route: { type: 'string' } } });
/** `capture` (answers to fresh invitations), or `noop` (a bare Hono route: what the runtime holds with no work of ours, the baseline). */
const ROUTE = args.route === 'noop' ? 'noop' : 'capture';
const MINUTES = Number(args.minutes ?? 10);
const CLIENTS = Number(args.clients ?? 8);
/** Growth of the Worker's resident memory after the first minute above which it is not flat. */
const TARGET_MIB_PER_MINUTE = 1;
/** Invitations signed beforehand: more than the run can answer at the capture rates measured by `npm run bench`. */
const INVITATIONS = Math.ceil(MINUTES * 60 * 600);
const SCORE_MIX = [10, 9, 8, 10, 6, 9, 7, 10, 3, 8];
const WORKER = 'workerd (runs the Worker)';

const t00 = Date.now();
const log = (line: string) => console.log(`[bench:memory ${((Date.now() - t00) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const mib = (kib: number) => kib / 1024;

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
  return { read, close: inspector.close };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'nps-bench-memory-'));
  const loadAtStart = loadAverage();
  const inspectorPort = await freePort();
  const stack = await startStack(dir, log, inspectorPort);
  const watch = new ProcessWatch(
    [
      { pid: stack.libsqlPid, role: 'libSQL server (Node)' },
      { pid: stack.wranglerPid, role: 'wrangler' },
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
    const heap = await heapReader(inspectorPort);
    const samples: { s: number; rss: Record<string, number>; answered: number }[] = [];
    const heaps: { s: number; usedMiB: number; totalMiB: number }[] = [];
    const start = performance.now();
    const sampler = setInterval(() => samples.push({ s: (performance.now() - start) / 1000, rss: watch.rss(), answered: used }), 1000);
    const heapSampler = setInterval(async () => {
      const s = (performance.now() - start) / 1000;
      const u = await heap.read();
      if (u) heaps.push({ s, usedMiB: mib(u.usedSize / 1024), totalMiB: mib(u.totalSize / 1024) });
    }, 10_000);
    let ticking = true;
    const ticks = (async () => {
      while (ticking) {
        await new Promise((r) => setTimeout(r, 60_000));
        if (ticking) await stack.tick();
      }
    })();
    log(`${ROUTE}: ${CLIENTS} clients for ${MINUTES} min`);
    const latency = await http.run(CLIENTS, MINUTES * 60_000, answer);
    ticking = false;
    clearInterval(sampler);
    clearInterval(heapSampler);
    heap.close();
    await ticks.catch(() => undefined);
    log(`${fmt(latency.count)} answers, ${fmt(latency.rps, 0)} requests/s, p50 ${fmt(latency.p50, 1)} ms, ${latency.errors} errors ${JSON.stringify(latency.statuses)}`);
    if (ROUTE === 'capture' && used >= tokens.length) throw new Error(`ran out of fresh invitations after ${used}: raise INVITATIONS`);

    // Per minute: the Worker's and the database server's resident memory; the growth after the first minute.
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
      rows.push(`| ${m + 1} | ${fmt(inMinute.at(-1)!.answered - (samples.filter((x) => x.s < m * 60).at(-1)?.answered ?? 0))} | ${cells.join(' | ')} | ${jsCell} |`);
    }
    const warm = samples.filter((x) => x.s >= 60);
    const growth = (role: string) => slope(warm.map((x) => ({ x: x.s / 60, y: mib(x.rss[role] ?? 0) })));
    const workerGrowth = growth(WORKER);
    const pass = workerGrowth <= TARGET_MIB_PER_MINUTE;
    const heapGrowth = slope(heaps.filter((x) => x.s >= 60).map((x) => ({ x: x.s / 60, y: x.usedMiB })));
    const heapPeak = Math.max(0, ...heaps.map((x) => x.usedMiB));
    const m = machine();
    const commit = (await import('node:child_process')).execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const lines = [
      `# Memory over a long ${ROUTE === 'noop' ? 'run of the bare route (baseline)' : 'capture run'}: benchmark`,
      '',
      `\`npm run bench:memory${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (scripts/bench-memory.ts) on ${new Date().toISOString().slice(0, 10)}, commit \`${commit}\`; ${m.cpuModel}, ${fmt(m.memTotalGiB, 1)} GiB; Node ${process.version}. Load average ${loadAtStart} at the start, ${loadAverage()} at the end (other work on the machine slows every figure).`,
      '',
      `One tenant on the local stack (libSQL server + wrangler dev; 500 sites, 50,000 contacts). ${CLIENTS} keep-alive clients ${ROUTE === 'noop' ? 'call `GET /__bench/noop` (a bare Hono route: the baseline, what the runtime holds with no work of ours)' : 'post answers to fresh invitations (signed links naming the survey version and the database, a third with a comment)'} for ${MINUTES} minutes without pause; the follow-up queue runs in the same workerd meanwhile, and the every-minute jobs (fold, deliveries, scans) run once a minute as the Cron Trigger would. The resident memory (VmRSS) of each process is sampled each second, and the Worker's JS heap every 10 s through the runtime's inspector (the stack runs with it for this bench).`,
      '',
      `Answers: ${fmt(latency.count)} (${fmt(latency.rps, 0)} a second, p50 ${fmt(latency.p50, 1)} ms, p99 ${fmt(latency.p99, 1)} ms, ${latency.errors} errors).`,
      '',
      `| minute | answers | ${roles.map((r) => `${r} resident: mean / peak MiB`).join(' | ')} | the Worker's JS heap in use: mean / peak MiB |`,
      '| ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      `- Growth of the Worker's resident memory after the first minute (least-squares slope of the per-second samples): **${fmt(workerGrowth, 2)} MiB per minute**, target ≤ ${TARGET_MIB_PER_MINUTE} (flat): **${pass ? 'PASS' : 'FAIL'}**.`,
      `- The libSQL server's, for comparison: ${fmt(growth('libSQL server (Node)'), 2)} MiB per minute (its page cache and statement cache fill as the tables grow).`,
      `- The Worker's JS heap in use (read through the runtime's inspector every 10 s: what Cloudflare limits to 128 MB per isolate): peak ${fmt(heapPeak, 1)} MiB, growth after the first minute ${fmt(heapGrowth, 2)} MiB per minute, target ≤ ${TARGET_MIB_PER_MINUTE}: **${heapGrowth <= TARGET_MIB_PER_MINUTE ? 'PASS' : 'FAIL'}**. Memory the resident figure holds beyond the heap belongs to the local runtime (workerd's own allocations: the local queue broker, sockets, the allocator's retained pages), not to the Worker's code.`,
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
