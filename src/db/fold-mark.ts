import { sql } from 'drizzle-orm';
import { cronMarks, responses } from './schema';

/**
 * The fold's mark in cron_marks (written by src/jobs/due-work.ts `markFolded` after a fold):
 * every answer of the database up to rowid `seq` is folded. Rowids grow, so the answers still to
 * fold lie past it, and finding them reads those answers only, not every tenant's watermark
 * (Turso bills each row scanned).
 */
export const FOLD_MARK = 'fold';

/**
 * The mark's rowid while it holds, as a subquery of at most one row: none when there is no mark
 * yet (or it is 0), or when the answer it names is gone or another (a rowid reused after the
 * newest answers were deleted: what comes next may lie under the mark).
 */
export const heldFoldMark = sql`select c.seq from ${cronMarks} c where c.job = ${FOLD_MARK} and c.seq > 0
  and exists (select 1 from ${responses} m where m.rowid = c.seq and m.id = c.ref)`;
