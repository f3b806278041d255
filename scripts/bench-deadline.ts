// `npx tsx scripts/bench-deadline.ts [--seconds 10] [--rounds 2] [--clients 16]`: what the storage
// deadline and the capture buffer cost on a healthy database (issue 20, docs/outage.md "Cost").
// A/B on the bench's own stack (scripts/bench-stack.ts: the local libSQL server as its own
// process, wrangler dev without inspector): the same Worker with its default deadline
// (STORAGE_DEADLINE_MS unset: 3000 ms) and without one (STORAGE_DEADLINE_MS=0: no abort signal,
// the libSQL client's own fetch), in alternating rounds (A B A B …, a fresh wrangler each) so
// drift on the machine hits both alike. Each round: the storage floor (`POST /__bench/insert`)
// and capture (`POST /s/{token}`, a fresh invitation each), requests/s and the CPU per request
// of the workerd that runs the Worker. Prints a table; writes nothing into the repository.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Env } from '../src/env';
import { signSurveyLink } from '../src/surveys/token';
import { insertSentInvitations, Rng, setupOrg } from './bench-data';
import { httpClient } from './bench-http';
import { cpuByRole, ProcessWatch, startStack, type Stack } from './bench-stack';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string' }, rounds: { type: 'string' }, clients: { type: 'string' } },
  strict: true,
});
const SECONDS = Number(args.seconds ?? 10);
const ROUNDS = Number(args.rounds ?? 2);
const CLIENTS = Number(args.clients ?? 16);
const SCORE_MIX = [10, 9, 8, 10, 6, 9, 7, 10, 3, 8];
const WORKER = 'workerd (runs the Worker)';

const t00 = Date.now();
const log = (line: string) => console.log(`[deadline ${((Date.now() - t00) / 1000).toFixed(0).padStart(4)} s] ${line}`);

interface Sample {
  mode: 'deadline' | 'none';
  route: 'insert' | 'capture';
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  cpuPerRequestMs: number;
}

async function round(mode: Sample['mode'], rng: Rng): Promise<Sample[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nps-deadline-'));
  let stack: Stack | undefined;
  try {
    stack = await startStack(dataDir, () => {}, undefined, mode === 'none' ? { STORAGE_DEADLINE_MS: '0' } : {});
    const org = await setupOrg(stack.libsqlUrl, stack.dbFile, { sites: 20, contacts: 2000 }, rng);
    // The stack's Worker finds tenants through its directory; links name the database as the platform signs them.
    await stack.register({ id: org.tenantId, name: 'Bench Deadline', emails: [org.adminEmail] });
    const config = loadConfig({ ENVIRONMENT: 'development', LIBSQL_URL: stack.libsqlUrl } as Env);
    const invitations = insertSentInvitations(stack.dbFile, org, 12_000, rng);
    const tokens = await Promise.all(
      invitations.map((i) => signSurveyLink(config, { tenantId: org.tenantId, invitationId: i.id, surveyId: org.surveyId, surveyVersion: 1, databaseId: stack!.databaseId }, i.expiresAt)),
    );
    const watch = new ProcessWatch(
      [
        { pid: stack.libsqlPid, role: 'libsql' },
        { pid: stack.runtimePid, role: 'wrangler' },
      ],
      stack.workerPort,
    );
    const http = httpClient(stack.workerUrl, CLIENTS);
    let used = 0;
    const answer = () => {
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
    const out: Sample[] = [];
    for (const [route, next] of [
      ['insert', () => ({ method: 'POST' as const, path: '/__bench/insert' })],
      ['capture', answer],
    ] as const) {
      await stack.quiesce();
      await http.run(CLIENTS, 2000, next); // warm-up
      const c0 = watch.cpu();
      const latency = await http.run(CLIENTS, SECONDS * 1000, next);
      const cpu = cpuByRole(c0, watch.cpu())[WORKER] ?? Number.NaN;
      const done = latency.count;
      out.push({ mode, route, rps: latency.rps, p50: latency.p50, p99: latency.p99, errors: latency.errors, cpuPerRequestMs: cpu / done });
      log(
        `${mode.padEnd(8)} ${route.padEnd(7)} ${latency.rps.toFixed(0)} req/s, p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, ${(cpu / done).toFixed(2)} ms CPU/request in the Worker, ${latency.errors} errors`,
      );
    }
    http.close();
    return out;
  } finally {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rng = new Rng(20);
const samples: Sample[] = [];
for (let r = 0; r < ROUNDS; r++) for (const mode of ['deadline', 'none'] as const) samples.push(...(await round(mode, rng)));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\n${CLIENTS} clients, ${SECONDS} s a run, ${ROUNDS} round(s) of each mode, alternating`);
console.log('| mode | capture req/s | storage floor req/s | capture / floor | capture CPU ms/request (Worker) |');
console.log('| --- | --- | --- | --- | --- |');
for (const mode of ['deadline', 'none'] as const) {
  const of = (route: Sample['route']) => samples.filter((s) => s.mode === mode && s.route === route);
  const ratios = of('capture').map((c, i) => c.rps / of('insert')[i]!.rps);
  console.log(
    `| ${mode === 'deadline' ? 'deadline 3000 ms' : 'no deadline'} | ${of('capture')
      .map((s) => s.rps.toFixed(0))
      .join(', ')} | ${of('insert')
      .map((s) => s.rps.toFixed(0))
      .join(', ')} | ${ratios.map((x) => x.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)}) | ${of('capture')
      .map((s) => s.cpuPerRequestMs.toFixed(2))
      .join(', ')} |`,
  );
}
