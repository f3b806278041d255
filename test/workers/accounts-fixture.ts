import { commit } from '../../src/db/client';
import { accountOutcomes, accounts, accountSignalValues, contacts, measures, responses } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import type { SurveySetup } from './capture-fixture';
import { db, uniq } from './support';

/**
 * Synthetic B2B accounts with a planted churn mechanism, written straight to the database. Each
 * account has a latent health h drifting month by month (a seeded stream); its three stakeholders
 * (a decision maker, an influencer, a user) answer every third month with scores around 7.5 + 1.8·h,
 * its weekly `logins` signal is 50 + 15·h plus noise, and its monthly churn hazard is
 * sigmoid(−4.2 − 1.6·h). The model never sees h.
 */
export interface PlantedAccount {
  externalId: string;
  unitId: string;
  revenue: number;
  /** Health at the end of the history. */
  health: number;
  churned: boolean;
}

function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

export async function plantAccounts(
  tenantId: string,
  s: SurveySetup,
  opts: { accounts: number; months: number; now: number; seed: number; units: string[]; owner: string; signal: string },
): Promise<PlantedAccount[]> {
  const d = db(tenantId);
  const rand = lcg(opts.seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  const start = new Date(opts.now);
  const monthStart = (m: number) => Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - opts.months + m, 1);
  const tag = uniq();
  const measureId = newId('msr');
  await commit(d, [
    d.insert(measures).values({ id: measureId, tenantId, key: opts.signal, name: 'Logins', unit: 'count', direction: 'higher_is_better', source: 'account', createdAt: opts.now, updatedAt: opts.now }),
  ]);
  const accountRows: (typeof accounts.$inferInsert)[] = [];
  const contactRows: (typeof contacts.$inferInsert)[] = [];
  const responseRows: (typeof responses.$inferInsert)[] = [];
  const signalRows: (typeof accountSignalValues.$inferInsert)[] = [];
  const outcomeRows: (typeof accountOutcomes.$inferInsert)[] = [];
  const planted: PlantedAccount[] = [];
  const roles = ['decision_maker', 'influencer', 'user'] as const;
  for (let a = 0; a < opts.accounts; a++) {
    let h = normal();
    const id = newId('acc');
    const externalId = `pl-${tag}-${a}`;
    const unitId = opts.units[a % opts.units.length]!;
    const revenue = 10_000 + Math.floor(rand() * 90_000);
    accountRows.push({ id, tenantId, externalId, name: `Planted ${a}`, ownerUserId: opts.owner, unitId, annualRevenue: revenue, createdAt: monthStart(0), updatedAt: monthStart(0) });
    const people = roles.map((role, k) => {
      const cid = newId('con');
      contactRows.push({ id: cid, tenantId, externalId: `${externalId}-${k}`, accountId: externalId, stakeholderRole: role, createdAt: monthStart(0), updatedAt: monthStart(0) });
      return cid;
    });
    let churned = false;
    for (let m = 0; m < opts.months; m++) {
      h += 0.3 * normal();
      if (m % 3 === a % 3) {
        people.forEach((cid, k) => {
          const at = monthStart(m) + (5 + k) * 86_400_000;
          const score = Math.max(0, Math.min(10, Math.round(7.5 + 1.8 * h + 1.5 * normal())));
          responseRows.push({
            id: newId('rsp'),
            tenantId,
            touchpointId: s.touchpointId,
            unitId,
            contactId: cid,
            surveyId: s.surveyId,
            surveyVersion: 1,
            channel: 'email',
            locale: 'en',
            score,
            answers: {},
            qualityFlags: [],
            counted: true,
            answeredAt: at,
            createdAt: at,
            updatedAt: at,
          });
        });
      }
      for (let w = 0; w < 4; w++) {
        const day = new Date(monthStart(m) + w * 7 * 86_400_000).toISOString().slice(0, 10);
        signalRows.push({ tenantId, accountId: id, measureId, day, value: Math.max(0, 50 + 15 * h + 5 * normal()), updatedAt: opts.now });
      }
      if (rand() < 1 / (1 + Math.exp(4.2 + 1.6 * h))) {
        outcomeRows.push({ id: newId('out'), tenantId, accountId: id, type: 'churned', occurredAt: monthStart(m) + 20 * 86_400_000, revenueDelta: -revenue, createdAt: opts.now });
        churned = true;
        break;
      }
    }
    planted.push({ externalId, unitId, revenue, health: h, churned });
  }
  const chunks = <T>(rows: T[], n: number) => Array.from({ length: Math.ceil(rows.length / n) }, (_, i) => rows.slice(i * n, (i + 1) * n));
  for (const c of chunks(accountRows, 200)) await commit(d, [d.insert(accounts).values(c)]);
  for (const c of chunks(contactRows, 300)) await commit(d, [d.insert(contacts).values(c)]);
  for (const c of chunks(responseRows, 150)) await commit(d, [d.insert(responses).values(c)]);
  for (const c of chunks(signalRows, 400)) await commit(d, [d.insert(accountSignalValues).values(c)]);
  for (const c of chunks(outcomeRows, 300)) await commit(d, [d.insert(accountOutcomes).values(c)]);
  return planted;
}
