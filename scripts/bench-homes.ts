// `npm run bench:homes`: each role's home, first load after sign-in, over the demo history
// (issue 18, bench (f) for every role). `npm start`'s own stack (scripts/start.ts) on a
// temporary data folder seeds the demo tenant with its twelve months; then, for each role, 6
// fresh Chromium contexts sign in (the first warms wrangler's bundle and is not counted). Timed
// in the page's own clock from the sign-in form's submit: to the frame that paints the home's
// first content (the element the page marks `data-first-content`; the verdict), and to the end of
// the last API response the home asked for before the network went quiet. HOMES_TRACE=1 prints
// each role's requests (start → end) of its last load. Writes bench/HOMES.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, loadAverage } from './bench-stack';
import { DEMO_PASSWORD } from './demo-tenant';
import { ROOT } from './local-stack';

const ROLES: [string, string][] = [
  ['admin', 'admin@acme.test'],
  ['analyst', 'analyst@acme.test'],
  ['manager (EMEA)', 'manager.emea@acme.test'],
  ['manager (Berlin)', 'manager.berlin@acme.test'],
  ['vendor', 'vendor@fastfix.test'],
  ['agent', 'agent@acme.test'],
];
const RUNS = 6;
const TARGET_MS = 1000;
const CHROMIUM = '/usr/bin/chromium';

/** The median (the upper one of an even count) and the maximum; NaN (a missing mark) sorts last and fails the verdict. */
function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => (Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : a - b));
  return { p50: sorted[Math.floor(sorted.length / 2)]!, max: sorted.some(Number.isNaN) ? NaN : sorted[sorted.length - 1]! };
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing`);
  const loadAtStart = loadAverage();
  const data = mkdtempSync(join(tmpdir(), 'nps-homes-'));
  const port = await freePort();
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), LIBSQL_PORT: '0', NPS_DATA_DIR: data, INSPECTOR_PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  while (
    !(await fetch(`${base}/`)
      .then((r) => r.ok)
      .catch(() => false))
  ) {
    if (Date.now() - started > 240_000) throw new Error(`npm start did not get ready:\n${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  const rows: string[] = [];
  let failing = 0;
  try {
    for (const [role, email] of ROLES) {
      const firsts: number[] = [];
      const lasts: number[] = [];
      let landed = '';
      for (let i = 0; i < RUNS; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        await context.addInitScript(() => document.addEventListener('submit', () => performance.mark('submit'), true));
        await page.goto(`${base}/`);
        await page.getByLabel('Email').fill(email);
        await page.getByLabel('Password').fill(DEMO_PASSWORD);
        await page.getByLabel('Password').press('Enter');
        await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 60_000 });
        await page.locator('[data-first-content]').first().waitFor({ timeout: 60_000 });
        await page.waitForLoadState('networkidle');
        // A string, not a function: tsx would wrap named functions in a helper the page does not have.
        const took = (await page.evaluate(`new Promise((done) => requestAnimationFrame(() => setTimeout(() => {
          const submit = performance.getEntriesByName('submit')[0]?.startTime ?? NaN;
          const first = performance.getEntriesByName('first-content').find((m) => m.startTime >= submit)?.startTime ?? NaN;
          const api = performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/') && r.startTime >= submit);
          done({
            first: first - submit,
            last: Math.max(...api.map((r) => r.responseEnd)) - submit,
            requests: api.map((r) => ({ path: r.name.replace(/^https?:\\/\\/[^/]+/, ''), start: r.startTime - submit, end: r.responseEnd - submit })),
          });
        })))`)) as { first: number; last: number; requests: { path: string; start: number; end: number }[] };
        if (process.env.HOMES_TRACE && i === RUNS - 1) {
          console.log(`${role}: first content ${took.first.toFixed(0)} ms, last API response ${took.last.toFixed(0)} ms`);
          for (const r of took.requests.sort((a, b) => a.start - b.start)) console.log(`  ${r.start.toFixed(0).padStart(5)} → ${r.end.toFixed(0).padStart(5)}  ${r.path}`);
        }
        landed = new URL(page.url()).hash;
        if (i > 0) firsts.push(took.first), lasts.push(took.last);
        await context.close();
      }
      const first = stats(firsts);
      const last = stats(lasts);
      if (!(first.p50 < TARGET_MS)) failing++;
      rows.push(
        `| ${role} | \`${landed}\` | ${first.p50.toFixed(1)} ms | ${first.max.toFixed(1)} ms | ${last.p50.toFixed(1)} ms | ${last.max.toFixed(1)} ms | ${first.p50 < TARGET_MS ? '**PASS**' : '**FAIL**'} |`,
      );
      console.log(`${role}: first content p50 ${first.p50.toFixed(1)} ms, last API response p50 ${last.p50.toFixed(1)} ms`);
    }
  } finally {
    await browser.close();
    child.kill('SIGINT');
    await new Promise((r) => child.on('exit', r));
    rmSync(data, { recursive: true, force: true });
  }
  const commit = await new Promise<string>((resolve) => {
    const git = spawn('git', ['rev-parse', 'HEAD'], { cwd: ROOT });
    let out = '';
    git.stdout.on('data', (d) => (out += d));
    git.on('exit', () => resolve(out.trim()));
  });
  writeFileSync(
    join(ROOT, 'bench', 'HOMES.md'),
    [
      "# Each role's home: first load over the demo history",
      '',
      `Generated by \`npm run bench:homes\` (scripts/bench-homes.ts) at \`${commit}\`, ${new Date().toISOString()}; load average ${loadAtStart} at start, ${loadAverage()} at the end (2 cores).`,
      '',
      `\`npm start\`'s stack with the demo tenant's twelve months (docs/demo.md), Chromium at 1280 px, ${RUNS} fresh contexts per role (the first not counted). Both columns are timed in the page's own clock from the sign-in form's submit (its \`submit\` event), so they include the sign-in itself, reading the session (\`/me\`, \`/units\`) and loading the page's modules:`,
      '',
      "- **first content**: until the home's first meaningful content is painted: the first task after the frame that paints the element the page marks with `data-first-content` (web/lib.js `firstContent`): the dashboard's NPS, answers and change cards, the vendor's scorecard cards, the agent's cases table. The verdict is on its median.",
      "- **last API response**: until the end of the last API response the home asked for before the network went quiet (program health, sparklines, a manager's cases and plans included): an upper bound, the page being complete.",
      '',
      `Target: first content under ${TARGET_MS} ms (issue 18, bench (f)). p50 is the median of the ${RUNS - 1} counted loads, max the slowest of them.`,
      '',
      '| role | home | first content p50 | first content max | last API response p50 | last API response max | verdict |',
      '| --- | --- | ---: | ---: | ---: | ---: | --- |',
      ...rows,
      '',
      `- every role's home drawn under ${TARGET_MS} ms: ${failing === 0 ? '**PASS**' : `**FAIL** (${failing} of ${ROLES.length})`}`,
      '',
    ].join('\n'),
  );
}

await main();
