import { and, inArray } from 'drizzle-orm';
import { sendStaffEmail } from '../alerts/email';
import type { DatabaseRun } from '../db/plane';
import { reviewDeliveries } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import { managerGrants } from '../digests/due-managers';
import { loadConfig } from '../env';
import { newId } from '../lib/ids';
import { ownerActor } from '../reports/run';
import { localDay } from '../scores/local-day';
import { getSettings, type Settings } from '../settings/settings';
import { parsePeriod, periodKeyOf, shiftPeriod } from '../targets/periods';
import { closingTime } from '../targets/targets';
import { reviewPack } from './pack';

/*
 * The quarterly review by email (docs/governance.md "Scheduled delivery"): once a quarter has
 * closed for a unit (its last local day plus the targets' grace), each manager gets the review
 * pack of each topmost unit of their grants, their own domain, read as themselves (their reach
 * of now), at 08:00 local time or later, within 30 days of the close. The pack mailed is the saved
 * one (the first read after the close saves it). A delivery row, unique per quarter, manager and
 * unit, is written before the mail goes out, as the digests do: a second run sends nothing more.
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A quarter's pack is mailed from 08:00 local on its close day … */
const SEND_FROM_HOUR = 8;
/** … until this many days after the close (a stack down for longer does not mail an old quarter). */
export const MAIL_DAYS = 30;
/** Packs composed per run: each reads every section of the pack. The rest go with the next hourly run. */
const PER_RUN = 20;

/** The first UTC day of the quarter that holds `ms`. */
function quarterStartUtc(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1);
}

/**
 * Whether a quarter's mailing can be due anywhere at `now`: from 08:00 on the close day (7 days
 * after the quarter's end, at local midnight: UTC−14 h to UTC+12 h) to 30 days later. The hourly
 * probe runs the job only then (src/jobs/due-work.ts).
 */
export function reviewMailWindow(now: number): boolean {
  let start = quarterStartUtc(now);
  if (now < start + 7 * DAY - 14 * HOUR + SEND_FROM_HOUR * HOUR) start = quarterStartUtc(start - DAY);
  return now >= start + 7 * DAY - 14 * HOUR + SEND_FROM_HOUR * HOUR && now <= start + (7 + MAIL_DAYS) * DAY + 12 * HOUR;
}

/** The quarter whose pack is due for a unit's time zone at `now`, if any. */
export function dueQuarter(now: number, timezone: string): string | null {
  const current = parsePeriod(periodKeyOf(localDay(now, timezone), 'quarter'))!;
  const last = shiftPeriod(current, 1);
  const closes = closingTime(last.to, timezone);
  return now >= closes + SEND_FROM_HOUR * HOUR && now < closes + MAIL_DAYS * DAY ? last.key : null;
}

const f1 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : (Math.round(x * 10) / 10).toFixed(1));
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);

/** The mail's text: the pack's headline numbers in words, and where to read (and print) the whole of it. */
export function packText(r: Awaited<ReturnType<typeof reviewPack>>, name: string, baseUrl: string): string {
  const p = r.pack;
  const s = p.score;
  const lines = [`Good morning ${name}, the quarterly review of ${r.unitName}, ${r.period} (${r.from} to ${r.to}):`, ''];
  lines.push(
    s.suppressed
      ? `NPS: too few answers to show (${s.n}).`
      : `NPS ${f1(s.nps)} (95% interval ${f1(s.ci?.low)} to ${f1(s.ci?.high)}) from ${s.n} answers: ${s.promoters} promoters, ${s.passives} passives, ${s.detractors} detractors.`,
  );
  if (s.delta) lines.push(`Change against ${p.previous.period}: ${s.delta.points >= 0 ? '+' : ''}${f1(s.delta.points)} points (p = ${s.delta.p.toFixed(3)}).`);
  lines.push(
    `NPS by month: ${p.trend.items
      .filter((i) => i.period)
      .map((i) => `${i.period} ${i.suppressed ? '—' : f1(i.nps)}`)
      .join(', ')}.`,
  );
  const d = p.drivers as { suppressed: boolean; items: { driver: string; name?: string; weight: number; significant: boolean }[] };
  lines.push(
    d.suppressed || !d.items.length
      ? 'Key drivers: not shown for this quarter.'
      : `Key drivers: ${d.items
          .slice(0, 5)
          .map((i) => `${i.name ?? i.driver} ${i.weight.toFixed(3)}${i.significant ? '' : ' (not significant)'}`)
          .join(', ')}.`,
  );
  lines.push(
    p.themes.length
      ? `Themes by impact: ${p.themes
          .slice(0, 5)
          .map((t) => `${t.name} (${t.impact >= 0 ? '+' : ''}${t.impact.toFixed(1)} points)`)
          .join(', ')}.`
      : 'Themes: none in the comments.',
  );
  lines.push(
    p.targets.length
      ? `Targets: ${p.targets.map((t) => `${t.unitName} ${f1(t.nps)} against ${f1(t.target.target)}: ${t.band ?? 'not measured'}${t.reached ? ` (${t.reached.replace('_', ' ')})` : ''}`).join('; ')}.`
      : 'Targets: none set for the quarter.',
  );
  const rep = p.representativeness;
  lines.push(
    `Representativeness: ${rep.invited} invited, ${rep.responded} answered (${pct(rep.rate)}); under-represented: ${rep.underRepresented.length ? rep.underRepresented.map((u) => `${u.dimension} ${u.key}`).join(', ') : 'none'}.`,
  );
  const flagged = p.quality.metrics.filter((m) => (m.series.at(-1)?.count ?? 0) > 0);
  lines.push(
    flagged.length
      ? `Data quality in the quarter: ${flagged.map((m) => `${m.label.toLowerCase()} ${m.series.at(-1)!.count} (${pct(m.series.at(-1)!.rate)})`).join('; ')}.`
      : 'Data quality: nothing flagged, skipped or failed.',
  );
  lines.push(`Exceptions recorded in the quarter: ${p.exceptions.items.length}${p.exceptions.truncated ? '+' : ''}.`);
  if (r.corrections.length) lines.push(`Corrections since the quarter closed: ${r.corrections.length} (the pack is as saved; see the page).`);
  const q = new URLSearchParams({ unit: r.unitId, period: r.period });
  lines.push('', `The pack with its charts, to read, print or save as PDF: ${baseUrl}/#/review?${q}`, `As JSON: ${baseUrl}/api/v1/reviews/${r.period}?unitId=${r.unitId}`);
  return lines.join('\n');
}

/** Hourly, while a quarter's mailing window is open: each manager's packs of the quarter that closed, once. */
export async function sendReviewPacks(run: DatabaseRun, now: number): Promise<void> {
  const config = loadConfig(run.env);
  const grants = await managerGrants(run);
  // Each manager's topmost units (nested grants folded), each with the quarter due in its time zone.
  const due = new Map<string, { tenantId: string; userId: string; email: string; name: string; unitId: string; path: string; period: string }>();
  for (const g of grants) {
    const period = dueQuarter(now, g.unit.timezone);
    if (!period) continue;
    const nested = [...due.values()].some((m) => m.tenantId === g.tenantId && m.userId === g.userId && g.unit.path.startsWith(m.path));
    if (!nested) due.set(`${g.tenantId}/${g.userId}/${g.unit.id}`, { tenantId: g.tenantId, userId: g.userId, email: g.email, name: g.name, unitId: g.unit.id, path: g.unit.path, period });
  }
  if (due.size === 0) return;
  const byTenant = new Map<string, (typeof due extends Map<string, infer V> ? V : never)[]>();
  for (const m of due.values()) byTenant.set(m.tenantId, [...(byTenant.get(m.tenantId) ?? []), m]);

  const failures: unknown[] = [];
  let composed = 0;
  for (const [tenantId, managers] of byTenant) {
    if (composed >= PER_RUN) break;
    const t = new TenantDb(run.db, tenantId);
    const periods = [...new Set(managers.map((m) => m.period))];
    const sent = await t
      .select({ period: reviewDeliveries.period, userId: reviewDeliveries.userId, unitId: reviewDeliveries.unitId })
      .from(reviewDeliveries)
      .where(and(inArray(reviewDeliveries.period, periods)));
    const done = new Set(sent.map((s) => `${s.period}/${s.userId}/${s.unitId}`));
    let settings: Settings | undefined;
    for (const m of managers) {
      if (done.has(`${m.period}/${m.userId}/${m.unitId}`) || composed >= PER_RUN) continue;
      composed++;
      try {
        const actor = await ownerActor(t, { tenantId, ownerType: 'user', ownerId: m.userId }, now);
        if (!actor) continue;
        // Read as the manager: their reach decides, and a closed quarter's first read saves its pack.
        const pack = await reviewPack({ t, actor, env: run.env, config, requestId: null }, { period: m.period, unitId: m.unitId }, now);
        const [claimed] = await t
          .insert(reviewDeliveries)
          .values({ id: newId('rvd'), period: m.period, userId: m.userId, unitId: m.unitId, createdAt: now })
          .onConflictDoNothing()
          .returning({ id: reviewDeliveries.id });
        if (!claimed) continue; // another run sent it
        settings ??= await getSettings(t);
        const out = await sendStaffEmail(t, config, settings, {
          to: m.email,
          subject: `Quarterly review: ${pack.unitName}, ${pack.period}`,
          text: packText(pack, m.name, config.publicBaseUrl),
          key: `review:${claimed.id}`,
          now,
        });
        if (!out.sent) console.error(JSON.stringify({ level: 'error', job: 'reviews', deliveryId: claimed.id, message: out.error }));
      } catch (err) {
        failures.push(err);
      }
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} review packs failed`);
}
