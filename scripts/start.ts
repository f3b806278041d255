import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Cron } from 'croner';
import { DEMO_LOGINS, DEMO_PASSWORD, seedDemoPlane } from './demo-tenant';
import { startLibsqlCluster } from './libsql-cluster';
import { clearState, DATA_DIR, ROOT, scheduledUrl, wranglerCrons, writeState } from './local-stack';
import { bootLocalPlane } from './plane';

/**
 * `npm start`: the whole product on this machine. The local libSQL server on a file in
 * .data/, migrations, the demo tenant, `wrangler dev` (workerd with local Queues and static
 * assets) and a cron driver, since wrangler dev never fires Cron Triggers by itself.
 */
const port = Number(process.env.PORT ?? 8787);
const libsqlPort = Number(process.env.LIBSQL_PORT ?? 8790);
const host = '127.0.0.1';
const workerUrl = `http://${host}:${port}`;

// The directory and one shared data database per region (eu, us), each at its own URL. Development
// only, on loopback: any database can be made slow, paused, refusing or failing on command
// (`POST <admin>/v1/databases/<name>/fault`, docs/outage.md) to see what an outage does.
const cluster = await startLibsqlCluster({ dir: DATA_DIR, host, adminPort: libsqlPort, faults: true });
const plane = await bootLocalPlane(cluster);
console.log(
  `libSQL: directory ${plane.directoryUrl}; ${cluster
    .list()
    .filter((d) => d.name !== 'directory')
    .map((d) => `${d.name} ${d.url}`)
    .join('; ')} (data in ${DATA_DIR}; faults on command: POST ${cluster.adminUrl}/v1/databases/<name>/fault)`,
);
// The demo tenant with its twelve months of history (docs/demo.md); DEMO_HISTORY=0 seeds the bare
// tenant only (the portal suites seed their own few answers and check figures derived from them).
const seeded = await seedDemoPlane(plane, { history: process.env.DEMO_HISTORY !== '0', dataDir: DATA_DIR });
console.log(
  !seeded.created
    ? 'demo tenant already present'
    : seeded.history
      ? `demo tenant seeded (region eu): ${seeded.history.answers} answers over twelve months, ${seeded.history.invitations} invitations, ${seeded.history.cases} cases, in ${(seeded.history.ms / 1000).toFixed(1)} s`
      : 'demo tenant seeded (region eu), without history',
);

// Local receivers a test runs on 127.0.0.1 (a webhook endpoint, a provider stand-in) are allowed
// only when named (docs/delivery.md "Outbound requests"); nothing internal is reachable by default.
const outboundAllow = process.env.OUTBOUND_ALLOW ? ['--var', `OUTBOUND_ALLOW:${process.env.OUTBOUND_ALLOW}`] : [];
// A test that moves a tenant shortens how long the Worker keeps placements.
const placementCache = process.env.PLACEMENT_CACHE_SECONDS ? ['--var', `PLACEMENT_CACHE_SECONDS:${process.env.PLACEMENT_CACHE_SECONDS}`] : [];
const wrangler: ChildProcess = spawn(
  join(ROOT, 'node_modules/.bin/wrangler'),
  [
    'dev',
    '--ip',
    host,
    '--port',
    String(port),
    '--var',
    `DIRECTORY_URL:${plane.directoryUrl}`,
    '--var',
    'ENVIRONMENT:development',
    '--var',
    `PUBLIC_BASE_URL:${workerUrl}`,
    ...outboundAllow,
    ...placementCache,
    '--persist-to',
    join(DATA_DIR, 'wrangler'),
    '--show-interactive-dev-session=false',
    '--test-scheduled',
    ...(process.env.INSPECTOR_PORT ? ['--inspector-port', process.env.INSPECTOR_PORT] : []),
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
);
relay(wrangler.stdout!, process.stdout);
relay(wrangler.stderr!, process.stderr);

// Drive each cron expression of wrangler.toml through wrangler dev's test endpoint. With static
// assets configured, wrangler 4.86's /cdn-cgi/handler/scheduled reaches the assets router and
// answers "exception"; --test-scheduled's /__scheduled runs the Worker's own scheduled handler.
const crons = wranglerCrons().map(
  (expression) =>
    new Cron(expression, { timezone: 'UTC', protect: true }, async () => {
      const url = scheduledUrl(workerUrl, expression);
      try {
        const res = await fetch(url);
        if (!res.ok) console.log(`cron ${cronInWords(expression)} (${expression}): ${res.status}`);
      } catch (err) {
        console.error(`cron ${cronInWords(expression)} (${expression}) failed: ${String(err)}`);
      }
    }),
);

/**
 * wrangler's output, line by line, less what only alarms: offline, its lookup of Cloudflare's
 * `Request.cf` data fails with a stack trace (the warning before it says what happens, and stays);
 * survey links in request lines show their token's first characters only (a token is a credential).
 */
function relay(from: NodeJS.ReadableStream, to: NodeJS.WritableStream) {
  let inTrace = false;
  createInterface({ input: from }).on('line', (line) => {
    if (/^Error: getaddrinfo (ENOTFOUND|EAI_AGAIN)/.test(line)) return void (inTrace = true);
    if (inTrace && /^\s+at /.test(line)) return;
    inTrace = false;
    to.write(`${redactTokens(line)}\n`);
  });
}

/** `/s/<token>` with the token cut to its first 8 characters. */
const redactTokens = (line: string) => line.replace(/\/s\/([A-Za-z0-9_-]{8})[A-Za-z0-9._~%-]+/g, '/s/$1…');

/** A cron expression of wrangler.toml in words (the forms it uses; anything else as written). */
function cronInWords(expression: string): string {
  const [minute, hour, day, month, weekday] = expression.split(/\s+/);
  if (day !== '*' || month !== '*' || weekday !== '*') return expression;
  if (minute === '*' && hour === '*') return 'every minute';
  const every = /^\*\/(\d+)$/.exec(minute ?? '');
  if (every && hour === '*') return `every ${every[1]} minutes`;
  if (/^\d+$/.test(minute ?? '') && hour === '*') return minute === '0' ? 'every hour' : `every hour at :${minute!.padStart(2, '0')}`;
  if (/^\d+$/.test(minute ?? '') && /^\d+$/.test(hour ?? '')) return `daily at ${hour!.padStart(2, '0')}:${minute!.padStart(2, '0')} UTC`;
  return expression;
}

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  for (const cron of crons) cron.stop();
  if (wrangler.pid && wrangler.exitCode === null) {
    try {
      process.kill(-wrangler.pid, 'SIGTERM'); // the whole group: wrangler and its workerd
    } catch {
      /* already gone */
    }
  }
  await cluster.close();
  clearState();
  console.log(`stopped: the Worker, the cron driver and the databases (data kept in ${DATA_DIR})`);
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
wrangler.on('exit', (code) => {
  if (!stopping) {
    console.error(`wrangler dev exited (${code}); stopping`);
    void stop(code ?? 1);
  }
});

// Ready when the Worker answers its health check (which includes a database round trip).
for (let i = 0; ; i++) {
  try {
    const res = await fetch(`${workerUrl}/healthz`);
    if (res.ok) break;
  } catch {
    /* not up yet */
  }
  if (i > 600 || stopping) {
    console.error('the Worker did not become healthy in time');
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}
writeState({ libsqlUrl: seeded.databaseUrl, directoryUrl: plane.directoryUrl, adminUrl: cluster.adminUrl, workerUrl, pid: process.pid });

console.log(`
  NPS Program Platform is running at ${workerUrl}
  API reference: ${workerUrl}/api/docs
  Demo logins (password ${DEMO_PASSWORD}):
${DEMO_LOGINS.map((l) => `    ${l.email.padEnd(26)} ${l.role} of ${l.unit}`).join('\n')}
    and more people of the demo history (docs/demo.md)
  Jobs (driven by this process): ${crons.length ? wranglerCrons().map(cronInWords).join(', ') : 'none'}
  Ctrl-C stops everything.
`);
