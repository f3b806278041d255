// Table scans by query plan. Turso bills the rows a statement scans, and the `libsql` package
// exposes no per-statement scan counter (no sqlite3_stmt_status), so the local server cannot
// count them. What it can see is the plan: EXPLAIN QUERY PLAN says `SCAN <table>` (with or
// without `USING [COVERING] INDEX`) when a statement reads a whole table or index, and
// `SEARCH` when it seeks through an index. A scan's cost grows with the table, so on a request
// or cron path it is the bug this watch reports; plans come from SQLite's heuristics (the
// server runs no ANALYZE), so they do not depend on how many rows a test wrote.
import Database from 'libsql';
import type { SqlValue } from './protocol';
import type { StatementInfo } from './sql-text';

/** A statement whose plan scans a whole table, with the plan lines that say so. */
export interface TableScan {
  sql: string;
  tables: string[];
  plan: string[];
}

/**
 * Tables small by nature, whose scans the watch does not report: one row per tenant. The
 * cron jobs walk them on purpose, then probe each tenant's rows through an index.
 */
export const SMALL_TABLES: readonly string[] = ['tenants', 'rollup_watermarks'];

const QUERY = /^\s*(?:select|insert|update|delete|replace|with)\b/i;
const SCAN = /^SCAN (\S+)(.*)$/;
const QUOTE = '["`\\[]?';
const UNQUOTE = '["`\\]]?';
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class ScanWatch {
  private readonly checked = new Set<string>();
  readonly found: TableScan[] = [];
  private planner?: { version: bigint; db: Database.Database; tables: Set<string> };

  /** `allow`: tables small by nature (one row per tenant, say) whose scans are not reported. */
  constructor(
    private readonly db: Database.Database,
    private readonly allow: ReadonlySet<string>,
    private readonly log: (line: string) => void,
  ) {}

  /** Forgets what was found and checked: every statement is explained again when next run. */
  reset(): void {
    this.found.length = 0;
    this.checked.clear();
  }

  /** Explains each distinct read or write statement once, with the values it runs with. */
  check(info: StatementInfo, values: SqlValue[]): void {
    if (!QUERY.test(info.text) || this.checked.has(info.text)) return;
    this.checked.add(info.text);
    const { db, tables } = this.plannerDb();
    let plan: string[];
    try {
      plan = (db.prepare(`EXPLAIN QUERY PLAN ${info.text}`).raw(true).all(values) as unknown[][]).map((row) => String(row[3]));
    } catch {
      return; // the statement itself reports its error
    }
    const scanned = new Set<string>();
    const lines: string[] = [];
    for (const line of plan) {
      const m = SCAN.exec(line);
      if (!m || m[1] === 'CONSTANT' || m[2]!.includes('VIRTUAL TABLE')) continue;
      const table = this.tableOf(m[1]!, info.text, tables);
      if (table === null || this.allow.has(table)) continue;
      scanned.add(table);
      lines.push(line);
    }
    if (scanned.size === 0) return;
    this.found.push({ sql: info.text, tables: [...scanned], plan: lines });
    this.log(`table scan of ${[...scanned].join(', ')}: ${info.text}`);
  }

  /**
   * An empty database with the served one's schema, where statements are explained: `libsql`
   * leaves an explained write statement in progress, which would block the served connection's
   * COMMIT. Without ANALYZE the planner goes by the schema alone, so the plans are the same.
   */
  private plannerDb() {
    const version = (this.db.prepare('PRAGMA schema_version').raw(true).get([]) as [bigint])[0];
    if (this.planner?.version !== version) {
      const schema = this.db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type <> 'table', rowid").raw(true).all([]) as [
        string,
        string,
        string,
      ][];
      const db = new Database(':memory:');
      for (const [, , sql] of schema) {
        try {
          db.exec(sql);
        } catch {
          // a virtual table's own shadow tables exist already
        }
      }
      this.planner = { version, db, tables: new Set(schema.filter(([type]) => type === 'table').map(([, name]) => name)) };
    }
    return this.planner;
  }

  /**
   * The table a plan's name stands for: the table itself, or the table an alias names
   * (`responses r`). null for a CTE or a subquery in FROM: their own tables have plan lines of
   * their own. A name we cannot place is reported as is rather than passed over.
   */
  private tableOf(name: string, sql: string, tables: Set<string>): string | null {
    if (tables.has(name)) return name;
    const isCte = (cte: string) =>
      new RegExp(`(?:with|,)\\s*(?:recursive\\s+)?${QUOTE}${escapeRegExp(cte)}${UNQUOTE}\\s*(?:\\([^)]*\\))?\\s*as\\s*(?:not\\s+)?(?:materialized\\s*)?\\(`, 'i').test(sql);
    const n = escapeRegExp(name);
    for (const m of sql.matchAll(new RegExp(`${QUOTE}(\\w+)${UNQUOTE}\\s+(?:as\\s+)?${QUOTE}${n}${UNQUOTE}(?![\\w"\`\\]])`, 'gi'))) {
      if (tables.has(m[1]!)) return m[1]!;
      if (isCte(m[1]!)) return null;
    }
    const subquery = new RegExp(`\\)\\s*(?:as\\s+)?${QUOTE}${n}${UNQUOTE}(?![\\w"\`\\]])`, 'i');
    if (isCte(name) || subquery.test(sql) || name.startsWith('(')) return null;
    return name;
  }
}
