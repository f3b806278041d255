// `npm run bench:churn [-- --accounts N]`: the churn model's training cost of issue 15
// (docs/accounts.md "Churn model"): the pure training (features at every month end, the time-split
// validation fit, the final fit and its intervals) on synthetic accounts with the planted mechanism
// of the tests, 24 months each, timed in CPU milliseconds of this process. Loading the histories
// from the database is not in the figure (it is reads, not CPU). Writes bench/CHURN.md.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type AccountHistory, trainChurn } from '../src/accounts/churn';
import { ACCOUNT_DEFAULTS } from '../src/settings/settings';
import { ROOT } from './local-stack';

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '50000' } } });
const ACCOUNTS = Number(values.accounts);
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

/** The tests' planted mechanism: health h drifts, scores and logins follow it, churn hazard sigmoid(−4.2 − 1.6·h). */
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
        for (const [k, role] of roles.entries())
          history.answers.push({
            contactId: `c-${a}-${k}`,
            role,
            score: Math.max(0, Math.min(10, Math.round(7.5 + 1.8 * h + 1.5 * normal()))),
            at: monthStart(m) + (5 + k) * DAY,
            caseOpenedAt: null,
            caseDoneAt: null,
            caseDueAt: null,
          });
      for (let w = 0; w < 4; w++) history.signals.get('logins')!.push({ at: monthStart(m) + w * 7 * DAY, value: Math.max(0, 50 + 15 * h + 5 * normal()) });
      if (rand() < 1 / (1 + Math.exp(4.2 + 1.6 * h))) {
        history.outcomes.push({ type: 'churned', at: monthStart(m) + 20 * DAY });
        break;
      }
    }
    out.push(history);
  }
  return out;
}

const histories = simulate(ACCOUNTS, 1);
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const { card } = trainChurn(histories, ['logins'], ACCOUNT_DEFAULTS, NOW);
const wall = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
if (card.kind !== 'logistic') throw new Error('expected a logistic model');
const lines = [
  '# Churn model training (issue 15)',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:churn -- --accounts ${ACCOUNTS}\` on this project's machine (Node ${process.version}).`,
  '',
  '| what | figure |',
  '| --- | --- |',
  `| accounts × months | ${ACCOUNTS.toLocaleString('en-US')} × ${MONTHS} |`,
  `| labelled account-months (rows) | ${card.rows.toLocaleString('en-US')} |`,
  `| churns | ${histories.filter((h) => h.outcomes.length).length.toLocaleString('en-US')} |`,
  `| intervals | ${card.intervals.method}${card.intervals.resamples ? ` (${card.intervals.resamples} resamples)` : ''} |`,
  `| held-out AUC / Brier | ${card.validation?.auc?.toFixed(3)} / ${card.validation?.brier?.toFixed(4)} |`,
  `| CPU time of the training | ${Math.round(cpuMs).toLocaleString('en-US')} ms |`,
  `| wall time | ${Math.round(wall).toLocaleString('en-US')} ms |`,
  '',
  "The budget: a queue consumer's CPU limit on Cloudflare Workers is 30 s by default and can be raised to",
  '5 minutes (`limits.cpu_ms`); the figure above is the training alone, on a Node process of the',
  'same V8 engine. Loading the histories from the database is reads, waited for, not CPU.',
  '',
];
writeFileSync(join(ROOT, 'bench', 'CHURN.md'), lines.join('\n'));
console.log(lines.join('\n'));
