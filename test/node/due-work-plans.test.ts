import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { SCHEDULED } from '../../src/jobs/cron';
import { dueWorkStatement } from '../../src/jobs/due-work';

/*
 * The due-work probes (src/jobs/due-work.ts) on the committed schema: every read of every
 * probe is an index seek (SEARCH), never a scan, whatever the tables hold (plans come from the
 * schema: no ANALYZE). test/workers/due-work.test.ts runs them through the scheduled handler.
 */

const MIGRATIONS = join(import.meta.dirname, '..', '..', 'migrations');

function migrated(): Database.Database {
  const db = new Database(':memory:');
  for (const file of readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    for (const statement of readFileSync(join(MIGRATIONS, file), 'utf8').split('--> statement-breakpoint')) if (statement.trim()) db.exec(statement);
  }
  return db;
}

describe('the due-work probes read through indexes only', () => {
  const db = migrated();
  const dialect = new SQLiteAsyncDialect();
  // A Monday morning (the digest probe asks its table), and a day in the mailing window of the
  // quarter before (the review pack's probe asks its table; outside the window it is a constant).
  const moments = { 'a Monday morning': Date.UTC(2026, 2, 23, 10), 'the review mailing window': Date.UTC(2026, 3, 10, 10) };
  for (const [cron, jobs] of Object.entries(SCHEDULED)) {
    for (const [moment, now] of Object.entries(moments)) {
      it(`${cron} on ${moment}: one statement, every read a SEARCH`, () => {
        const probes = Object.fromEntries(Object.entries(jobs).map(([name, job]) => [name, job.due(now)]));
        const q = dialect.sqlToQuery(dueWorkStatement(probes));
        const plan = (db.prepare(`explain query plan ${q.sql}`).all(q.params) as { detail: string }[]).map((r) => r.detail);
        const reads = plan.filter((line) => !/^(SCAN CONSTANT ROW|(CORRELATED )?SCALAR SUBQUERY \d+)$/.test(line));
        // A probe known idle without a read (a constant) reads nothing; every other one reads at least one index.
        const reading = Object.values(probes).filter((p) => dialect.sqlToQuery(p).sql.trim() !== '0').length;
        expect(reading).toBeGreaterThan(0);
        expect(reads.length).toBeGreaterThanOrEqual(reading);
        for (const line of reads) expect(line, plan.join('\n')).toMatch(/^SEARCH \S+ USING (COVERING )?(INDEX|INTEGER PRIMARY KEY)/);
      });
    }
  }
});
