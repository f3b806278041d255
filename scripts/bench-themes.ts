// `npm run bench:themes`: the figures of issue 14 (docs/themes.md): the CPU of analysing one
// comment (in process), and `GET /api/v1/themes` over 100,000 analysed comments in range (and
// 50,000 in the period before, for `emerging`) on the local stack. A script, not a test: speed is
// measured here, never asserted in a test. Analyses are written straight into the database file
// (their making is tested in test/workers/themes.test.ts); writes bench/THEMES.md.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyse, MAX_ANALYSED } from '../src/comments/analyse';
import { DAY_MS, idAt, insertRows, Rng, setupOrg } from './bench-data';
import { enterOrg, loadAverage, machine, startStack, type Stack } from './bench-stack';
import { ROOT } from './local-stack';

const t00 = Date.now();
const log = (line: string) => console.log(`[bench:themes ${((Date.now() - t00) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const OUT = join(ROOT, 'bench', 'THEMES.md');
const IN_RANGE = 100_000;
const BEFORE = 50_000;
const RUNS = 5;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** Comments of the kind detractors and promoters write, in the four languages of the demo. */
const COMMENTS: [string, string][] = [
  ['en', 'We waited three hours for the technician and nobody called back.'],
  ['en', 'The invoice was wrong again and the hotline never answered.'],
  ['de', 'Die Wartezeit war viel zu lang, der Techniker war nicht freundlich.'],
  ['de', 'Die Rechnung stimmte nicht, niemand hat zurückgerufen.'],
  ['fr', "L'attente était interminable et la facture était fausse."],
  ['es', 'El técnico no fue amable y la espera fue muy larga.'],
  ['en', 'Friendly and quick, the repair works perfectly.'],
];

/** CPU per comment: mixed comments, one in ten at the longest length analysed. */
function analysisCpu() {
  const long = 'We waited three hours for the technician, who then was not friendly at all and the invoice was wrong again. '.repeat(40).slice(0, MAX_ANALYSED);
  for (let i = 0; i < 200; i++) analyse(COMMENTS[i % COMMENTS.length]![1], COMMENTS[i % COMMENTS.length]![0]); // warm: JIT, lazily built tables
  const n = 5000;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const [lang, text] = COMMENTS[i % COMMENTS.length]!;
    analyse(i % 10 === 0 ? long : text, lang);
  }
  const mixed = process.cpuUsage(c0);
  const c1 = process.cpuUsage();
  for (let i = 0; i < 500; i++) analyse(long, 'en');
  const longest = process.cpuUsage(c1);
  return { perComment: (mixed.user + mixed.system) / 1000 / n, longest: (longest.user + longest.system) / 1000 / 500, longLength: long.length };
}

async function json(stack: Stack, token: string, path: string) {
  const t0 = performance.now();
  const res = await fetch(`${stack.workerUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { ms, body: JSON.parse(text) };
}

async function main() {
  log('analysis CPU per comment (in process)');
  const cpu = analysisCpu();
  log(`  ${cpu.perComment.toFixed(3)} ms per comment; ${cpu.longest.toFixed(3)} ms at ${cpu.longLength} characters`);

  const dir = mkdtempSync(join(tmpdir(), 'nps-bench-themes-'));
  const stack = await startStack(dir, log);
  try {
    const rng = new Rng(1414);
    const org = await setupOrg(stack.libsqlUrl, stack.dbFile, { sites: 50, contacts: 200 }, rng);
    const token = await enterOrg(stack, org, 'Bench Themes');
    // The starter library, made on first read: its ids tag the planted analyses.
    const lib = (await json(stack, token, '/api/v1/theme-library')).body as { version: number; items: { id: string; name: string }[] };
    const id = (name: string) => lib.items.find((x) => x.name === name)!.id;
    const [billing, waiting] = [id('Billing'), id('Waiting time')];

    const now = Date.now();
    const to = now - DAY_MS;
    const from = to - 30 * DAY_MS;
    log(`writing ${fmt(IN_RANGE)} analysed comments in range and ${fmt(BEFORE)} in the 31 days before`);
    const rows: unknown[][] = [];
    const plant = (count: number, start: number, prefix: string) => {
      const spacing = Math.floor((31 * DAY_MS) / count);
      for (let i = 0; i < count; i++) {
        const at = start + i * spacing;
        const site = org.sites[i % org.sites.length]!;
        // Every fifth mentions Billing, every third Waiting time.
        const themes = [...(i % 5 === 0 ? [billing] : []), ...(i % 3 === 0 ? [waiting] : [])];
        const rid = idAt(prefix, at, rng);
        rows.push([
          rid,
          org.tenantId,
          'response',
          rid,
          site.id,
          i % 11,
          1,
          'en',
          i % 2 ? 0.5 : -0.5,
          'wait three hour|technician',
          'waited three hours|technician',
          '[]',
          JSON.stringify(themes),
          lib.version,
          at,
          at,
        ]);
      }
    };
    plant(IN_RANGE, from, 'rsp');
    plant(BEFORE, from - 31 * DAY_MS, 'rsp');
    insertRows(
      stack.dbFile,
      'comment_analyses',
      ['id', 'tenant_id', 'kind', 'response_id', 'unit_id', 'score', 'counted', 'language', 'sentiment', 'stems', 'words', 'phrases', 'themes', 'library_version', 'created_at', 'analysed_at'],
      rows,
    );

    const path = `/api/v1/themes?unitId=${org.rootId}&from=${day(from)}&to=${day(to + DAY_MS)}`;
    await json(stack, token, path); // the isolate's first call (library, prepared statements) is not counted
    const times: number[] = [];
    let billingCount = 0;
    for (let i = 0; i < RUNS; i++) {
      const res = await json(stack, token, path);
      times.push(res.ms);
      billingCount = res.body.items.find((x: { name: string }) => x.name === 'Billing')?.comments ?? 0;
      log(`themes: ${res.ms.toFixed(0)} ms (Billing ${billingCount} comments)`);
    }

    const m = machine();
    const lines = [
      '# Comment themes: benchmark',
      '',
      `\`npm run bench:themes\` on ${new Date().toISOString().slice(0, 10)}; ${m.cpuModel}, ${fmt(m.memTotalGiB, 1)} GiB; Node ${process.version}. Load average at the end: ${loadAverage()} (other work on the machine slows every figure).`,
      '',
      '| figure | measured | target |',
      '| --- | --- | --- |',
      `| analysis CPU per comment (mixed en/de/fr/es, one in ten of ${cpu.longLength} characters; process CPU over 5,000) | ${cpu.perComment.toFixed(3)} ms | under 5 ms |`,
      `| analysis CPU of a comment of ${cpu.longLength} characters (the most analysed) | ${cpu.longest.toFixed(3)} ms | under 5 ms |`,
      `| \`GET /api/v1/themes\` over ${fmt(IN_RANGE)} analysed comments in range (${fmt(BEFORE)} before it), p50 of ${RUNS} | ${fmt(p50(times))} ms | under 1,000 ms |`,
      '',
      `Billing, on every fifth comment, was counted in ${fmt(billingCount)} (the sites' local days decide which comments at the range's edges are in it; exactness is tested in test/workers/themes-scale.test.ts). The themes are counted from the stored tags (\`comment_analyses\`, index \`(tenant, unit, created_at)\`), never by reading comments again. Rows written per answer with its analysis are in bench/RESULTS.md (the main bench).`,
      '',
    ];
    writeFileSync(OUT, lines.join('\n'));
    log(`wrote ${OUT}`);
    console.log(lines.join('\n'));
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
