// `npx tsx scripts/bench-isolates.ts [--route /__bench/noop] [--seconds 60] [--idle 0] [--clients 8]`: what the
// workerd that runs the Worker holds under load, isolate by isolate (bench/README.md, "Reading the results").
// `wrangler dev` runs its own workers beside ours in that workerd (entry worker, static assets router and
// service, queue brokers, the local observability collector…). Every 10 s this prints the process's
// resident memory, the JS heaps of all its isolates added up (used / allocated), and each isolate whose heap
// passed 8 MB, read through the runtime's own inspector (not wrangler's proxy, which shows the Worker alone).
// A diagnostic, not a benchmark: one data database, no tenant, so use a route that needs none.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { httpClient } from './bench-http';
import { freePort, isolateHeaps, ProcessWatch, runtimeIsolates, startStack } from './bench-stack';

const { values: args } = parseArgs({ options: { route: { type: 'string' }, seconds: { type: 'string' }, idle: { type: 'string' }, clients: { type: 'string' }, observability: { type: 'string' } } });
const ROUTE = args.route ?? '/__bench/noop';
const SECONDS = Number(args.seconds ?? 60);
const IDLE = Number(args.idle ?? 0);
const CLIENTS = Number(args.clients ?? 8);
const MiB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'nps-bench-isolates-'));
// With an inspector port, wrangler starts the runtime with its own inspector too, on a port of its choosing.
const stack = await startStack(dir, console.log, await freePort(), {}, [{ id: 'eu-shared-1', region: 'eu' }], { localObservability: args.observability === 'on' });
try {
  const watch = new ProcessWatch([{ pid: stack.runtimePid, role: 'wrangler' }], stack.workerPort);
  const pid = watch.pidsOf('workerd (runs the Worker)')[0]!;
  const targets = await runtimeIsolates(pid);
  console.log(`${targets.length} isolates in workerd ${pid}: ${targets.map((t) => t.title).join(', ')}`);
  const http = httpClient(stack.workerUrl, CLIENTS);
  const t0 = Date.now();
  const run = http.run(CLIENTS, SECONDS * 1000, () => ({ method: 'GET', path: ROUTE }));
  const timer = setInterval(async () => {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
    const h = await isolateHeaps(targets);
    const big = h.each.filter((x) => x.totalSize > 8 * MiB).map((x) => `${x.title} ${(x.usedSize / MiB).toFixed(1)}/${(x.totalSize / MiB).toFixed(1)}`);
    console.log(
      `${((Date.now() - t0) / 1000).toFixed(0)} s: resident ${rss.toFixed(0)} MiB; JS heaps of all isolates ${(h.usedSize / MiB).toFixed(0)}/${(h.totalSize / MiB).toFixed(0)} MiB; ${big.join(' | ')}`,
    );
  }, 10_000);
  const result = await run;
  console.log(`${result.count} requests, ${result.rps.toFixed(0)}/s, ${result.errors} errors`);
  await new Promise((r) => setTimeout(r, IDLE * 1000));
  clearInterval(timer);
  http.close();
} finally {
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
