import { TenantDb } from '../db/tenant-db';
import type { DatabaseRun } from '../db/plane';
import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { sendStaffEmail } from '../alerts/email';
import { addDays } from '../alerts/evaluate';
import { cases, digests, units } from '../db/schema';
import { loadConfig } from '../env';
import { newId } from '../lib/ids';
import { gather, weighTally } from '../scores/query';
import { localDay } from '../scores/local-day';
import { difference, emptyTally, score } from '../scoring/nps';
import { getSettings, type Settings } from '../settings/settings';
import { managerGrants, writtenDigests } from './due-managers';
import { countQueries, countsFrom, periodScope } from '../comments/counts';
import { libraryFrom, libraryReads } from '../comments/library';
import { runBatch } from '../db/prepared';

/** Managers handled per run; any left over are picked up by the next hourly run the same Monday. */
const PER_RUN = 200;
/** Units one digest covers (a manager's topmost grants); more are named, not detailed. */
const MAX_UNITS = 4;
/** Themes named per unit and week. */
const TOP_THEMES = 5;

const clocks = new Map<string, Intl.DateTimeFormat>();
/** Weekday and hour of an instant in a time zone. */
function localClock(ms: number, timeZone: string): { weekday: string; hour: number } {
  let f = clocks.get(timeZone);
  if (!f) clocks.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', hourCycle: 'h23' })));
  const parts = f.formatToParts(ms);
  return { weekday: parts.find((p) => p.type === 'weekday')!.value, hour: Number(parts.find((p) => p.type === 'hour')!.value) };
}

/** Monday 08:00 or later in the zone: the digest is due (a missed 08:xx run is caught up later that day). */
export const isDigestTime = (ms: number, timeZone: string) => {
  const c = localClock(ms, timeZone);
  return c.weekday === 'Mon' && c.hour >= 8;
};

type Unit = { id: string; path: string; name: string; timezone: string };
const subtree = (path: string) => and(gte(units.path, path), lt(units.path, `${path.slice(0, -1)}0`))!;
const f1 = (x: number) => (Math.round(x * 10) / 10).toFixed(1);

/** The lines of one unit: NPS of last week with its interval and change, themes, cases, action plans. */
async function unitSection(t: TenantDb, unit: Unit, monday: string, settings: Settings, now: number): Promise<string[]> {
  const last = { from: addDays(monday, -7), to: addDays(monday, -1) };
  const before = { from: addDays(monday, -14), to: addDays(monday, -8) };
  const scope = { root: { id: unit.id, path: unit.path }, weight: 'none' as const };
  const library = libraryReads(t);
  const [cur, prev, comments, [state, themeRows], [caseCounts]] = await Promise.all([
    gather(t, { ...scope, ...last }),
    gather(t, { ...scope, ...before }),
    // The week's detractor themes from stored tags (docs/themes.md), with the library's names.
    periodScope(t, unit.path, last.from, last.to, 'detractor').then((scope) => t.batch([...countQueries(t, scope)])),
    runBatch(t, [library[0], library[1]]),
    t
      .select({
        open: sql<number>`count(*)`,
        overdue: sql<number>`coalesce(sum(case when (${cases.firstContactAt} is null and ${cases.firstContactDueAt} < ${now}) or ${cases.resolutionDueAt} < ${now} then 1 else 0 end), 0)`,
      })
      .from(cases)
      .innerJoin(units, eq(units.id, cases.unitId))
      .where(and(subtree(unit.path), inArray(cases.status, ['open', 'contacted']))),
  ]);
  const tally = (g: typeof cur) => {
    const cells = g.get('')?.get('');
    return cells ? weighTally(cells, 'none') : emptyTally();
  };
  const [tc, tp] = [tally(cur), tally(prev)];
  const opts = { minN: settings.minResponses, reliableN: settings.reliabilityThreshold };
  const s = score(tc, opts);
  const sp = score(tp, opts);
  const lines = [`${unit.name}`];
  if (s.suppressed) lines.push(`  NPS: not shown, ${s.n} answer${s.n === 1 ? '' : 's'} (fewer than ${settings.minResponses})`);
  else {
    lines.push(`  NPS ${f1(s.nps!)} (95% CI ${f1(s.ci!.low)} to ${f1(s.ci!.high)}), n = ${s.n}`);
    if (s.lowSample) lines.push(`  Low sample: fewer than ${settings.reliabilityThreshold} answers, read with care`);
    const d = sp.suppressed ? null : difference(tc, tp);
    lines.push(
      d
        ? `  Change vs the week before: ${d.points >= 0 ? '+' : ''}${f1(d.points)} points (p = ${d.p < 0.001 ? '< 0.001' : d.p.toFixed(3)})`
        : `  Change vs the week before: not enough answers that week (n = ${sp.n})`,
    );
  }
  const [rows, totalRows] = comments;
  const { themes, totals } = countsFrom(rows, totalRows);
  const names = new Map((libraryFrom(String(t.tenantId), state, themeRows, library.known)?.themes ?? []).map((th) => [th.id, th.name]));
  const top = themes
    .filter((th) => th.comments > 0 && names.has(th.theme))
    .sort((a, b) => b.comments - a.comments || names.get(a.theme)!.localeCompare(names.get(b.theme)!))
    .slice(0, TOP_THEMES);
  if (totals.comments === 0) lines.push('  Detractor themes: no detractor comments');
  else if (!top.length) lines.push(`  Detractor themes: none of the library's themes in ${totals.comments} detractor comments`);
  else lines.push(`  Detractor themes (of ${totals.comments} detractor comments): ${top.map((th) => `${names.get(th.theme)} (${th.comments})`).join(', ')}`);
  lines.push(`  Cases: ${caseCounts?.open ?? 0} open, ${caseCounts?.overdue ?? 0} overdue`);
  lines.push('  Action plans: no action plans yet');
  return lines;
}

/** The digest text of a manager for the week starting `monday` (local day). */
export async function composeDigest(t: TenantDb, name: string, managed: Unit[], monday: string, settings: Settings, now: number): Promise<string> {
  const shown = managed.slice(0, MAX_UNITS);
  const sections = await Promise.all(shown.map((u) => unitSection(t, u, monday, settings, now)));
  const lines = [`Good morning ${name}, your NPS week ${addDays(monday, -7)} to ${addDays(monday, -1)}:`, ''];
  for (const s of sections) lines.push(...s, '');
  if (managed.length > shown.length)
    lines.push(
      `Also yours: ${managed
        .slice(shown.length)
        .map((u) => u.name)
        .join(', ')} (see the scores page).`,
      '',
    );
  return lines.join('\n').trimEnd();
}

/**
 * Hourly: each manager whose unit's local time is Monday 08:00 or later and who has no digest
 * for that week gets one. The digests row (unique per user and week) is written before the
 * email goes out, so a second run — or two at once — sends nothing more.
 */
export async function sendDigests(run: DatabaseRun, now: number): Promise<void> {
  const config = loadConfig(run.env);
  const grants = await managerGrants(run);

  // One digest per manager: their topmost units (nested grants folded), in the first one's time zone.
  const managers = new Map<string, { tenantId: string; userId: string; email: string; name: string; units: Unit[] }>();
  for (const g of grants) {
    const key = `${g.tenantId}/${g.userId}`;
    let m = managers.get(key);
    if (!m) managers.set(key, (m = { tenantId: g.tenantId, userId: g.userId, email: g.email, name: g.name, units: [] }));
    if (!m.units.some((u) => g.unit.path.startsWith(u.path))) m.units.push(g.unit);
  }
  const due = [...managers.values()].filter((m) => isDigestTime(now, m.units[0]!.timezone)).map((m) => ({ ...m, week: localDay(now, m.units[0]!.timezone) }));
  if (due.length === 0) return;
  const sent = await writtenDigests(run, due);
  const done = new Set(sent.map((d) => `${d.tenantId}/${d.userId}/${d.week}`));
  const todo = due.filter((m) => !done.has(`${m.tenantId}/${m.userId}/${m.week}`)).slice(0, PER_RUN);

  const settingsOf = new Map<string, Promise<Settings>>();
  const failures: unknown[] = [];
  for (const m of todo) {
    try {
      const t = new TenantDb(run.db, m.tenantId);
      if (!settingsOf.has(m.tenantId)) settingsOf.set(m.tenantId, getSettings(t));
      const settings = await settingsOf.get(m.tenantId)!;
      const body = await composeDigest(t, m.name, m.units, m.week, settings, now);
      const [claimed] = await t
        .insert(digests)
        .values({ id: newId('dig'), userId: m.userId, week: m.week, body, createdAt: now })
        .onConflictDoNothing()
        .returning({ id: digests.id });
      if (!claimed) continue; // another run sent it
      const out = await sendStaffEmail(t, config, settings, { to: m.email, subject: `Your NPS week to ${addDays(m.week, -1)}`, text: body, key: `digest:${claimed.id}`, now });
      if (!out.sent) console.error(JSON.stringify({ level: 'error', job: 'digests', digestId: claimed.id, message: out.error }));
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} digests failed`);
}
