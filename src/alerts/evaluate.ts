import { TenantDb } from '../db/tenant-db';
import type { DatabaseRun } from '../db/plane';
import { and, eq, sql } from 'drizzle-orm';
import { auditStatement } from '../audit/record';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { type alertRules, alerts, roleGrants, units, users } from '../db/schema';
import { loadConfig, type Config } from '../env';
import { newId } from '../lib/ids';
import { gather, weighTally } from '../scores/query';
import { localDay } from '../scores/local-day';
import { difference, emptyTally, score, type Tally } from '../scoring/nps';
import { getSettings } from '../settings/settings';
import { webhookEvent } from '../webhooks/emit';
import { activeRules } from './due-rules';
import { sendStaffEmail } from './email';

const DAY_MS = 86_400_000;
/** Rules evaluated per run (each costs two score queries); documented in docs/alerts.md. */
const MAX_RULES = 1000;
/** Rules evaluated at once. */
const CONCURRENCY = 8;

export const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

type Rule = typeof alertRules.$inferSelect;

/** The window (the last windowDays local days, today included) and the baseline of a rule at `now`. */
export function periodsOf(rule: Pick<Rule, 'windowDays' | 'baselineDays' | 'baselineFrom' | 'baselineTo'>, timezone: string, now: number) {
  const to = localDay(now, timezone);
  const from = addDays(to, -(rule.windowDays - 1));
  const baseline = rule.baselineFrom && rule.baselineTo ? { from: rule.baselineFrom, to: rule.baselineTo } : { from: addDays(from, -(rule.baselineDays ?? 28)), to: addDays(from, -1) };
  return { window: { from, to }, baseline };
}

export interface Verdict {
  /** Raise: the drop is large, significant, and both sides have enough answers. */
  breach: boolean;
  /** Recover an open alert: both sides have enough answers and the drop is below the minimum. */
  recovered: boolean;
  evidence: Record<string, unknown>;
}

/** Scores the window against the baseline (the scoring module's `difference`, two-sided). */
export async function checkRule(t: TenantDb, rule: Rule, unit: { id: string; path: string; timezone: string }, now: number): Promise<Verdict> {
  const { window, baseline } = periodsOf(rule, unit.timezone, now);
  const groupBy = rule.touchpointId ? ('touchpoint' as const) : undefined;
  const scope = { root: { id: unit.id, path: unit.path }, groupBy, weight: 'none' as const };
  const [w, b] = await Promise.all([gather(t, { ...scope, ...window }), gather(t, { ...scope, ...baseline })]);
  const tally = (g: typeof w): Tally => {
    const cells = g.get(rule.touchpointId ?? '')?.get('');
    return cells ? weighTally(cells, 'none') : emptyTally();
  };
  const [tw, tb] = [tally(w), tally(b)];
  const sw = score(tw, { minN: 1 });
  const sb = score(tb, { minN: 1 });
  const d = difference(tw, tb);
  const enough = sw.n >= rule.minN && sb.n >= rule.minN;
  const drop = d ? -d.points : null;
  return {
    breach: enough && d !== null && drop! >= rule.minDropPoints && d.p < rule.alpha,
    recovered: enough && d !== null && drop! < rule.minDropPoints,
    evidence: {
      window: { ...window, nps: sw.nps, n: sw.n, ci: sw.ci },
      baseline: { ...baseline, nps: sb.nps, n: sb.n, ci: sb.ci },
      dropPoints: drop,
      p: d?.p ?? null,
      minDropPoints: rule.minDropPoints,
      alpha: rule.alpha,
      minN: rule.minN,
    },
  };
}

const fmt = (x: unknown) => (typeof x === 'number' ? x.toFixed(1) : 'n/a');

/** The managers accountable for a unit: active users with a manager grant on it or an ancestor. */
function managersOf(t: TenantDb, unitPath: string) {
  return t
    .selectDistinct({ id: users.id, email: users.email })
    .from(roleGrants)
    .innerJoin(units, eq(units.id, roleGrants.unitId))
    .innerJoin(users, eq(users.id, roleGrants.userId))
    .where(and(eq(roleGrants.role, 'manager'), eq(users.status, 'active'), sql`substr(${unitPath}, 1, length(${units.path})) = ${units.path}`));
}

async function notify(t: TenantDb, config: Config, alert: { id: string; unitName: string; touchpointId: string | null; evidence: Verdict['evidence'] }, unitPath: string, now: number) {
  const [recipients, settings] = await Promise.all([managersOf(t, unitPath), getSettings(t)]);
  const e = alert.evidence as Record<string, unknown> & { window: Record<string, unknown>; baseline: Record<string, unknown> };
  const subject = `NPS alert: ${alert.unitName} dropped ${fmt(e.dropPoints)} points`;
  const text = [
    `NPS of ${alert.unitName}${alert.touchpointId ? ` (touchpoint ${alert.touchpointId})` : ''} dropped significantly.`,
    '',
    `Last days ${e.window.from} to ${e.window.to}: NPS ${fmt(e.window.nps)} (n = ${e.window.n})`,
    `Baseline ${e.baseline.from} to ${e.baseline.to}: NPS ${fmt(e.baseline.nps)} (n = ${e.baseline.n})`,
    `Drop: ${fmt(e.dropPoints)} points, p = ${typeof e.p === 'number' ? e.p.toPrecision(2) : 'n/a'} (rule: at least ${e.minDropPoints} points, p < ${e.alpha}).`,
    '',
    `Record the root cause and the corrective action: PATCH ${config.publicBaseUrl}/api/v1/alerts/${alert.id}`,
  ].join('\n');
  for (const r of recipients) {
    const out = await sendStaffEmail(t, config, settings, { to: r.email, subject, text, key: `alert:${alert.id}:${r.id}`, now });
    if (!out.sent) console.error(JSON.stringify({ level: 'error', job: 'alerts', alertId: alert.id, to: r.id, message: out.error }));
  }
}

/**
 * Hourly: every active rule's window against its baseline. A breach without an open alert
 * raises one (the partial unique index keeps it to one open alert per rule, also when two runs
 * race), with its `alert.raised` webhook event and audit row in the same batch, then emails
 * the unit's managers. An open alert whose drop fell below the minimum is marked recovered;
 * the next breach raises a new one.
 */
export async function evaluateAlerts(run: DatabaseRun, now: number): Promise<void> {
  const config = loadConfig(run.env);
  const rows = await activeRules(run, MAX_RULES);

  const failures: unknown[] = [];
  const one = async ({ rule, unit, openId }: (typeof rows)[number]) => {
    const t = new TenantDb(run.db, rule.tenantId);
    const verdict = await checkRule(t, rule, unit, now);
    const system = { type: 'system' as const, id: null };
    if (!openId && verdict.breach) {
      const id = newId('alr');
      const alert = { id, ruleId: rule.id, unitId: rule.unitId, status: 'open' as const, evidence: verdict.evidence, createdAt: now, updatedAt: now };
      try {
        await commit(t, [
          t.insert(alerts).values(alert),
          webhookEvent(
            t,
            'alert.raised',
            { alert: { id, ruleId: rule.id, unitId: rule.unitId, touchpointId: rule.touchpointId, evidence: verdict.evidence, createdAt: new Date(now).toISOString() } },
            now,
          ),
          // The audit record is the row as stored, its tenant included.
          ...(await auditStatement(t, { actor: system, action: 'alert.raise', targetType: 'alert', targetId: id, after: { ...alert, tenantId: rule.tenantId } })),
        ]);
      } catch (err) {
        if (isUniqueViolation(err)) return; // another run raised it first
        throw err;
      }
      await notify(t, config, { id, unitName: unit.name, touchpointId: rule.touchpointId, evidence: verdict.evidence }, unit.path, now);
    } else if (openId && verdict.recovered) {
      await commit(t, [
        t
          .update(alerts)
          .set({ status: 'recovered', recoveredAt: now, updatedAt: now })
          .where(and(eq(alerts.id, openId), eq(alerts.status, 'open'))),
        ...(await auditStatement(t, { actor: system, action: 'alert.recover', targetType: 'alert', targetId: openId, details: { evidence: verdict.evidence } })),
      ]);
    }
  };
  for (let i = 0; i < rows.length; i += CONCURRENCY) {
    const results = await Promise.allSettled(rows.slice(i, i + CONCURRENCY).map(one));
    for (const r of results) if (r.status === 'rejected') failures.push(r.reason);
  }
  // One rule failing does not stop the others; the run fails so monitoring sees it.
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} alert rules failed to evaluate`);
}
