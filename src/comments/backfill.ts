import { and, asc, eq, gt, lte, sql } from 'drizzle-orm';
import { runBatch } from '../db/prepared';
import type { DatabaseRun } from '../db/plane';
import { commentAnalyses, commentBackfill, responses } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import { tenantsToBackfill } from './due-backfill';
import { ensureLibrary } from './library';
import { insertAnalysis, responseAnalysis } from './tags';

/*
 * Backfill of comment analyses (docs/themes.md "Backfill"): answers with a comment and no
 * analysis — stored before comments were analysed, or imported — are
 * analysed by the every-minute job, a chunk at a time in rowid order, each chunk's analyses and
 * the tenant's cursor (`comment_backfill.seq`) in one batch. Resumable (the cursor is stored),
 * idempotent (an answer with an analysis is skipped, an analysis insert of an analysed comment
 * adds nothing, the cursor only moves up), bounded per run (the next tick goes on).
 */

/** Answers read per chunk (commented or not). */
export const CHUNK = 500;
/** Comments analysed per tenant and run (about 1 ms of CPU each, docs/themes.md "Cost"). */
export const PER_RUN = 5_000;
/** Tenants worked per run and database. */
const TENANTS_PER_RUN = 20;

/** Analyses up to `budget` unanalysed comments of the tenant's backfill range; answers how many and whether any range is left. */
export async function backfillTenant(t: TenantDb, tenantId: string, budget = PER_RUN): Promise<{ analysed: number; more: boolean }> {
  let analysed = 0;
  for (;;) {
    const [mark] = await t.select({ seq: commentBackfill.seq, through: commentBackfill.through, dueAt: commentBackfill.dueAt }).from(commentBackfill);
    if (!mark) return { analysed, more: false };
    if (mark.seq >= mark.through) {
      // At the end: no longer due (unless an import raised `through` meanwhile).
      if (mark.dueAt !== null)
        await t
          .update(commentBackfill)
          .set({ dueAt: null })
          .where(and(eq(commentBackfill.seq, mark.seq), sql`${commentBackfill.seq} >= ${commentBackfill.through}`));
      return { analysed, more: false };
    }
    if (analysed >= budget) return { analysed, more: true };
    // The next answers of the range by rowid (the (tenant, rowid) index), each with whether it has an analysis.
    const rows = await t
      .select({
        seq: sql<number>`${responses}.rowid`,
        id: responses.id,
        unitId: responses.unitId,
        score: responses.score,
        counted: responses.counted,
        comment: responses.comment,
        locale: responses.locale,
        createdAt: responses.createdAt,
        analysed: sql<string | null>`${commentAnalyses.id}`,
      })
      .from(responses)
      .leftJoin(commentAnalyses, eq(commentAnalyses.id, responses.id))
      .where(and(gt(sql`${responses}.rowid`, mark.seq), lte(sql`${responses}.rowid`, mark.through)))
      .orderBy(asc(sql`${responses}.rowid`))
      .limit(CHUNK);
    const last = rows.length ? Number(rows[rows.length - 1]!.seq) : mark.through;
    const todo = rows.filter((r) => r.comment?.trim() && r.analysed === null);
    const lib = todo.length ? await ensureLibrary(t, tenantId) : null;
    const now = Date.now();
    const inserts = lib ? todo.map((r) => insertAnalysis(t, responseAnalysis(lib, { ...r, comment: r.comment! }, now))) : [];
    // The cursor moves from where this chunk began only: a run that lost a race changes nothing twice.
    const move = t
      .update(commentBackfill)
      .set({ seq: rows.length < CHUNK ? mark.through : last, updatedAt: now })
      .where(eq(commentBackfill.seq, mark.seq));
    // The loop's next turn sees the end and clears due_at.
    await runBatch(t, [...inserts, move]);
    analysed += todo.length;
  }
}

/** The every-minute job (src/jobs/cron.ts): each tenant with a backfill range, up to its budget. */
export async function backfillComments(run: DatabaseRun, now: number): Promise<void> {
  const due = await tenantsToBackfill(run.db, now, TENANTS_PER_RUN);
  const failures: unknown[] = [];
  for (const { tenantId } of due) {
    try {
      await backfillTenant(new TenantDb(run.db, tenantId), tenantId);
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} tenants' comment backfill failed`);
}
