/**
 * A CPU profile of the Worker under the capture load of `npm run bench` (bench/README.md):
 * the same stack with the inspector kept, a small org, 16 clients answering fresh invitations
 * (the bench's score mix) while the runtime's sampling profiler runs. Prints the functions with
 * the most self time and writes the whole profile (open it in Chrome DevTools).
 *
 *   npx tsx scripts/bench-profile.ts [--seconds 10] [--route capture|insert] [--promoters] [--out /tmp/capture.cpuprofile]
 *
 * `--promoters`: every answer a 10 without a comment, so no follow-up runs (capture's own cost alone).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Env } from '../src/env';
import { signSurveyLink } from '../src/surveys/token';
import { insertSentInvitations, Rng, setupOrg } from './bench-data';
import { httpClient, type Call } from './bench-http';
import { freePort, inspectorSession, PLANE_DATABASES, startStack } from './bench-stack';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    route: { type: 'string', default: 'capture' },
    out: { type: 'string', default: join(tmpdir(), 'nps-capture.cpuprofile') },
    promoters: { type: 'boolean', default: false },
  },
});
const SCORE_MIX = args.promoters ? [10] : [10, 9, 8, 10, 6, 9, 7, 10, 3, 8];
const log = (line: string) => console.log(`[profile] ${line}`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

const dataDir = mkdtempSync(join(tmpdir(), 'nps-profile-'));
const inspectorPort = await freePort();
const stack = await startStack(dataDir, log, inspectorPort, {}, PLANE_DATABASES.slice(0, 1));
try {
  const org = await setupOrg(stack.libsqlUrl, stack.dbFile, { sites: 50, contacts: 2000 }, new Rng(7));
  await stack.register({ id: org.tenantId, name: 'Bench Field Services', emails: [org.adminEmail] });
  const invitations = insertSentInvitations(stack.dbFile, org, 8000, new Rng(8));
  const config = loadConfig({ ENVIRONMENT: 'development', LIBSQL_URL: stack.libsqlUrl } as Env);
  // Signed as the platform and `npm run bench` sign them: naming the survey version and the database (capture's one-trip path once the isolate holds the version).
  const tokens = await Promise.all(
    invitations.map((i) => signSurveyLink(config, { tenantId: org.tenantId, invitationId: i.id, surveyId: org.surveyId, surveyVersion: 1, databaseId: stack.databaseId }, i.expiresAt)),
  );
  let used = 0;
  const next = (): Call | null => {
    if (args.route === 'insert') return { method: 'POST', path: `/__bench/insert?tenant=${org.tenantId}` };
    if (used >= tokens.length) return null;
    const i = used++;
    return {
      method: 'POST',
      path: `/s/${tokens[i]}`,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': `bench-respondent/${i}` },
      body: JSON.stringify(i % 3 === 0 && !args.promoters ? { score: SCORE_MIX[i % SCORE_MIX.length], comment: 'Quick and friendly service.' } : { score: SCORE_MIX[i % SCORE_MIX.length] }),
    };
  };
  const http = httpClient(stack.workerUrl, 16);
  await http.run(16, 2000, next);
  await stack.quiesce();

  const inspector = await inspectorSession(inspectorPort);
  const { call } = inspector;
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 100 });
  await call('Profiler.start');
  const latency = await http.run(16, Number(args.seconds) * 1000, next);
  await stack.quiesce();
  const { profile } = (await call('Profiler.stop')) as { profile: { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] } };
  inspector.close();
  http.close();
  writeFileSync(args.out!, JSON.stringify(profile));
  log(`${args.route}: ${latency.rps.toFixed(0)} requests/s; profile in ${args.out}`);

  const total = profile.samples.length;
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-1)[0]}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (node.hitCount ?? 0));
  }
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  log(`${total} samples, ${idle} idle; busy by function (self):`);
  for (const [key, hits] of [...self]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 45))
    console.log(`${((100 * hits) / (total - idle)).toFixed(1).padStart(5)} %  ${key}`);
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
