// `npm run bench:churn [-- --accounts N]`: the churn model's costs of issue 15 (docs/accounts.md
// "Churn model"). (1) The pure training (features at every month end, the time-split validation
// fit, the final fit and its intervals) on synthetic accounts with the planted mechanism of the
// tests, 24 months each, timed in CPU milliseconds of this process. Loading the histories from the
// database is not in the figure (it is reads, not CPU). (2) GET /api/v1/accounts/at-risk through
// wrangler dev on a local stack, on a tenant holding those accounts and the risks the trained
// model gives them (written straight into the database file, as the churn job keeps them).
// Writes bench/CHURN.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type AccountHistory, type ChurnCard, riskNow, trainChurn } from '../src/accounts/churn';
import { ACCOUNT_DEFAULTS } from '../src/settings/settings';
import { idAt, insertRows, Rng, setupOrg, withWriter } from './bench-data';
import { enterOrg, loadAverage, machine, startStack } from './bench-stack';
import { ROOT } from './local-stack';

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '50000' }, requests: { type: 'string', default: '50' } } });
const ACCOUNTS = Number(values.accounts);
const REQUESTS = Number(values.requests);
const SITES = 500;
const t00 = Date.now();
const log = (line: string) => console.log(`[bench:churn ${((Date.now() - t00) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const loadAtStart = loadAverage();
const MONTHS = 24;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);
const monthStart = (m: number) => Date.UTC(2026, m - MONTHS, 1);

function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

/**
 * The tests' planted mechanism: health h drifts, scores and logins follow it, churn hazard
 * sigmoid(−4.2 − 1.6·h + 0.3·m), where m counts the library themes the account's detractors'
 * comments mentioned in the last six months (each detractor answer: none half the time, else 1 to
 * 3, independently of h; the feature detractorThemeMentions).
 */
function simulate(accounts: number, seed: number): AccountHistory[] {
  const rand = lcg(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  const roles = ['decision_maker', 'influencer', 'user'] as const;
  const out: AccountHistory[] = [];
  for (let a = 0; a < accounts; a++) {
    let h = normal();
    const history: AccountHistory = {
      id: `acc_${a}`,
      externalId: `a-${a}`,
      name: `Account ${a}`,
      ownerUserId: null,
      annualRevenue: 10_000 + Math.floor(rand() * 90_000),
      segment: null,
      createdAt: monthStart(0),
      answers: [],
      signals: new Map([['logins', []]]),
      outcomes: [],
    };
    for (let m = 0; m < MONTHS; m++) {
      h += 0.3 * normal();
      if (m % 3 === a % 3)
        for (const [k, role] of roles.entries()) {
          const score = Math.max(0, Math.min(10, Math.round(7.5 + 1.8 * h + 1.5 * normal())));
          const themes = score <= 6 && rand() < 0.5 ? 1 + Math.floor(rand() * 3) : 0;
          history.answers.push({ contactId: `c-${a}-${k}`, role, score, at: monthStart(m) + (5 + k) * DAY, caseOpenedAt: null, caseDoneAt: null, caseDueAt: null, themes });
        }
      for (let w = 0; w < 4; w++) history.signals.get('logins')!.push({ at: monthStart(m) + w * 7 * DAY, value: Math.max(0, 50 + 15 * h + 5 * normal()) });
      const mentions = history.answers.filter((x) => x.at >= monthStart(m - 5)).reduce((sum, x) => sum + (x.themes ?? 0), 0);
      if (rand() < 1 / (1 + Math.exp(4.2 + 1.6 * h - 0.3 * mentions))) {
        history.outcomes.push({ type: 'churned', at: monthStart(m) + 20 * DAY });
        break;
      }
    }
    out.push(history);
  }
  return out;
}

const histories = simulate(ACCOUNTS, 1);
log(`training on ${ACCOUNTS.toLocaleString('en-US')} accounts × ${MONTHS} months`);
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const { card } = trainChurn(histories, ['logins'], ACCOUNT_DEFAULTS, NOW);
const wall = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
const loadAfterTraining = loadAverage();
if (card.kind !== 'logistic') throw new Error('expected a logistic model');
const themeCoef = card.coefficients.find((c) => c.feature === 'detractorThemeMentions');

/** (2) The at-risk list through wrangler dev: p50 and p90 of sequential requests per scope, after 5 warm-ups each. */
async function atRiskList(card: ChurnCard) {
  const dir = mkdtempSync(join(tmpdir(), 'nps-bench-churn-'));
  const stack = await startStack(dir, log);
  try {
    const rng = new Rng(1515);
    const org = await setupOrg(stack.libsqlUrl, stack.dbFile, { sites: SITES, contacts: 1000 }, rng);
    const token = await enterOrg(stack, org, 'Bench Churn');
    const now = Date.now();
    // Each account at a site (10 regions × 50 sites, 100 accounts a site), its risk as the churn job keeps it: riskNow under the trained card.
    const accountRows: unknown[][] = [];
    const riskRows: unknown[][] = [];
    for (const [i, h] of histories.entries()) {
      const id = idAt('acc', now, rng);
      accountRows.push([id, org.tenantId, h.externalId, h.name, null, org.sites[i % SITES]!.id, h.annualRevenue, null, ['smb', 'mid', 'enterprise'][i % 3], '{}', now, now]);
      if (h.outcomes.some((o) => o.type === 'churned')) continue;
      const r = riskNow(card, h, NOW, ['logins'], ACCOUNT_DEFAULTS.roleWeights);
      const atRisk = r.probability >= ACCOUNT_DEFAULTS.riskThreshold;
      riskRows.push([org.tenantId, id, r.probability, r.probability * (h.annualRevenue ?? 0), JSON.stringify(r.reasons), atRisk ? 1 : 0, atRisk ? NOW : null, NOW]);
    }
    log(`writing ${accountRows.length.toLocaleString('en-US')} accounts and ${riskRows.length.toLocaleString('en-US')} kept risks into the database file`);
    insertRows(
      stack.dbFile,
      'accounts',
      ['id', 'tenant_id', 'external_id', 'name', 'owner_user_id', 'unit_id', 'annual_revenue', 'renewal_date', 'segment', 'attributes', 'created_at', 'updated_at'],
      accountRows,
    );
    insertRows(stack.dbFile, 'account_risks', ['tenant_id', 'account_id', 'probability', 'revenue_at_risk', 'reasons', 'at_risk', 'crossed_at', 'computed_at'], riskRows);
    withWriter(stack.dbFile, (db) => {
      db.prepare('insert into churn_models (tenant_id, kind, status, card, trained_at, due_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)').run(
        org.tenantId,
        card.kind,
        'ready',
        JSON.stringify(card),
        NOW,
        null,
        now,
      );
      db.exec('analyze');
    });
    const region = org.regions[0]!;
    const site = org.sites[0]!;
    const scopes = [
      ['the root (every account)', `/api/v1/accounts/at-risk?limit=50`, ACCOUNTS],
      [`a region (${(ACCOUNTS / org.regions.length).toLocaleString('en-US')} accounts)`, `/api/v1/accounts/at-risk?unitId=${region.id}&limit=50`, ACCOUNTS / org.regions.length],
      [`a site (${ACCOUNTS / SITES} accounts)`, `/api/v1/accounts/at-risk?unitId=${site.id}&limit=50`, ACCOUNTS / SITES],
    ] as const;
    const out: { scope: string; path: string; p50: number; p90: number; items: number; failed: string; load: string }[] = [];
    for (const [scope, path] of scopes) {
      const ms: number[] = [];
      const failures = new Map<number, number>();
      let items = 0;
      for (let i = 0; i < 5 + REQUESTS; i++) {
        const t0 = performance.now();
        const res = await fetch(`${stack.workerUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
        const body = await res.text();
        const took = performance.now() - t0;
        // A failure (e.g. 503: the database did not answer within the request's storage deadline) is counted and timed as any answer.
        if (res.status !== 200) failures.set(res.status, (failures.get(res.status) ?? 0) + (i >= 5 ? 1 : 0));
        else items = (JSON.parse(body) as { items: unknown[] }).items.length;
        if (i >= 5) ms.push(took);
      }
      ms.sort((a, b) => a - b);
      const p = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!;
      const failed = [...failures].map(([status, n]) => `${n} × ${status}`).join(', ');
      out.push({ scope, path: path.replace(region.id, '<region>').replace(site.id, '<site>'), p50: p(0.5), p90: p(0.9), items, failed, load: loadAverage() });
      log(`  ${scope}: p50 ${fmt(p(0.5))} ms, p90 ${fmt(p(0.9))} ms (${items} items${failed ? `; failed: ${failed}` : ''})`);
    }
    return { out, risks: riskRows.length };
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The commit measured, and whether the working tree differed from it. */
function commit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

log('the at-risk list through wrangler dev');
const list = await atRiskList(card);
const m = machine();
const lines = [
  '# Churn model: training and the at-risk list (issue 15)',
  '',
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:churn -- --accounts ${ACCOUNTS}\` at commit \`${commit()}\` on this project's machine (${m.cpuModel}, Node ${process.version}). Load average (1, 5, 15 min): ${loadAtStart} at start, ${loadAfterTraining} after the training, ${loadAverage()} at the end (the 2 cores are shared with other work).`,
  '',
  '## Training',
  '',
  '| what | figure |',
  '| --- | --- |',
  `| accounts × months | ${ACCOUNTS.toLocaleString('en-US')} × ${MONTHS} |`,
  `| labelled account-months (rows) | ${card.rows.toLocaleString('en-US')} |`,
  `| churns | ${histories.filter((h) => h.outcomes.length).length.toLocaleString('en-US')} |`,
  `| features | ${card.features.length}: ${card.features.map((f) => `\`${f}\``).join(', ')} |`,
  `| detractorThemeMentions (planted: +0.3 log-odds per mention of the last six months) | coefficient ${themeCoef ? `${themeCoef.beta.toFixed(3)} per standard deviation (95% interval ${themeCoef.ci.low.toFixed(3)} to ${themeCoef.ci.high.toFixed(3)})` : 'not in the card'} |`,
  `| intervals | ${card.intervals.method}${card.intervals.resamples ? ` (${card.intervals.resamples} resamples)` : ''} |`,
  `| held-out AUC / Brier | ${card.validation?.auc?.toFixed(3)} / ${card.validation?.brier?.toFixed(4)} |`,
  `| CPU time of the training | ${Math.round(cpuMs).toLocaleString('en-US')} ms |`,
  `| wall time | ${Math.round(wall).toLocaleString('en-US')} ms |`,
  '',
  "The budget: a queue consumer's CPU limit on Cloudflare Workers is 30 s by default and can be raised to",
  '5 minutes (`limits.cpu_ms`); the figure above is the training alone, on a Node process of the',
  'same V8 engine. Loading the histories from the database is reads, waited for, not CPU.',
  '',
  '## The at-risk list: `GET /api/v1/accounts/at-risk` (target: p50 under 200 ms)',
  '',
  `Through wrangler dev on a local stack (scripts/bench-stack.ts), as the tenant admin with a Bearer token, ${REQUESTS} sequential requests per scope after 5 warm-ups. The tenant: ${SITES} sites in 10 regions, the ${ACCOUNTS.toLocaleString('en-US')} accounts above spread evenly over the sites (revenue 10,000 to 100,000), and the risks the model just trained keeps for the ${list.risks.toLocaleString('en-US')} accounts that have not churned (written straight into the database file as the churn job writes them: \`riskNow\` under the card). The list reads the kept risks, the accounts and the units; the answers and signals behind the risks are not read by it and are not loaded.`,
  '',
  '| scope | request | p50 | p90 | items | failed | load average after |',
  '| --- | --- | ---: | ---: | ---: | --- | --- |',
  ...list.out.map((r) => `| ${r.scope} | \`${r.path}\` | ${fmt(r.p50)} ms | ${fmt(r.p90)} ms | ${r.items} | ${r.failed || 'none'} | ${r.load} |`),
  '',
  `- at-risk list p50 under 200 ms on every scope, no request failed: ${list.out.every((r) => r.p50 < 200 && !r.failed) ? '**PASS**' : '**FAIL**'}`,
  '',
];
writeFileSync(join(ROOT, 'bench', 'CHURN.md'), lines.join('\n'));
console.log(lines.join('\n'));
process.exit(0);
