// Executes Hrana statements, batches and sequences on the one `libsql` connection, reproducing
// what sqld does. Sources in tursodatabase/libsql:
// - libsql-server/src/hrana/stmt.rs: statement → query conversion order, error codes and
//   messages (StmtError), sqlite_error_code() which maps the *primary* SQLite result code
//   (a UNIQUE violation is "SQLITE_CONSTRAINT", plain SQLITE_ERROR is "SQLITE_UNKNOWN").
// - libsql-server/src/hrana/batch.rs: all steps are converted before any runs; sequences.
// - libsql-server/src/connection/program.rs: step conditions, affected_row_count only for
//   INSERT/UPDATE/DELETE (sqlite3_changes() is stale otherwise), last_insert_rowid only for
//   INSERT, a failed step counts as "not ok".
// - libsql-server/src/query.rs: Params::bind (argument matching and its error messages).
// - libsql-server/src/hrana/result_builder.rs and libsql-hrana/src/proto.rs: result shapes.
import Database from 'libsql';
import { encodeValue, ProtocolError, type BatchCond, type BatchStep, type ProtoValue, type SqlValue, type Stmt } from './protocol';
import type { ScanWatch } from './scans';
import { parseSql, tokenIndex, type StatementInfo } from './sql-text';

/** An error returned inside a Hrana result, `{message, code}`. */
export class StmtError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }

  toProto() {
    return { message: this.message, code: this.code };
  }
}

export interface Col {
  name: string;
  decltype: string | null;
}

export interface StmtResult {
  cols: Col[];
  rows: ProtoValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
  replication_index: null;
  rows_read: number;
  rows_written: number;
  query_duration_ms: number;
}

export interface BatchResult {
  step_results: (StmtResult | null)[];
  step_errors: ({ message: string; code: string } | null)[];
  replication_index: null;
}

export interface DescribeResult {
  params: { name: string | null }[];
  cols: Col[];
  is_explain: boolean;
  is_readonly: boolean;
}

export interface Stats {
  /** Rows returned, plus the rows an UPDATE or DELETE (or a trigger) changed. */
  rowsRead: number;
  /** Rows scanned, as libSQL counts them for billing (./rows-scanned.ts); 0 when not counted. */
  rowsScanned: number;
  rowsWritten: number;
  statements: number;
  requests: number;
}

export const NO_STATS: Readonly<Stats> = { rowsRead: 0, rowsScanned: 0, rowsWritten: 0, statements: 0, requests: 0 };

/** Runs and rows scanned by SQL text: which statements the scans come from. */
export type ScannedBy = Map<string, { runs: number; scanned: number }>;
/** Distinct SQL texts kept in ScannedBy; texts beyond it are not itemized (the totals still count them). */
const SCANNED_BY_TEXTS = 5000;

interface Query {
  info: StatementInfo;
  args: SqlValue[] | Map<string, SqlValue>;
  wantRows: boolean;
}

interface Prepared {
  stmt: Database.Statement;
  reader: boolean;
}

// Names of primary result codes as rusqlite's ErrorCode and sqld's sqlite_error_code() give them;
// any other code (SQLITE_ERROR included) is "SQLITE_UNKNOWN".
const PRIMARY_CODES: Record<number, string> = {
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS',
  23: 'SQLITE_AUTH',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
};

// Prepare errors that SQLite ties to a token (sqlite3_error_offset() >= 0, via %T or
// sqlite3RecordErrorOffsetOfExpr); rusqlite turns those into SqlInputError, which sqld reports
// as SQL_INPUT_ERROR "... (at offset N)". We look the token up in the SQL text.
const NEAR = /^near "([\s\S]*)": syntax error$/;
const UNRECOGNIZED = /^unrecognized token: "([\s\S]*)"$/;
const NAME_AT_ERROR = [
  /^(?:no such column|ambiguous column name): (.+)$/,
  /^no such function: (.+)$/,
  /^wrong number of arguments to function (.+)\(\)$/,
  /^misuse of (?:aggregate|window) function (.+)\(\)$/,
  /^(?:table|view) (.+) already exists$/,
];

const TIMEOUT = () => new StmtError('Transaction timed out', 'TRANSACTION_TIMEOUT');
const NO_STATEMENT = () => new StmtError('SQL string does not contain any statement', 'SQL_NO_STATEMENT');
const MANY_STATEMENTS = () => new StmtError('SQL string contains more than one statement', 'SQL_MANY_STATEMENTS');
const STATEMENT_CACHE_SIZE = 500;

function isSqliteError(error: unknown): error is InstanceType<typeof Database.SqliteError> {
  return error instanceof Database.SqliteError;
}

function sqliteError(error: unknown): StmtError {
  if (!isSqliteError(error)) throw error;
  const code = typeof error.rawCode === 'number' ? PRIMARY_CODES[error.rawCode & 0xff] : undefined;
  return new StmtError(`SQLite error: ${error.message}`, code ?? 'SQLITE_UNKNOWN');
}

function errorIndex(message: string, sql: string): number {
  const text = (NEAR.exec(message) ?? UNRECOGNIZED.exec(message))?.[1];
  if (text !== undefined) return sql.indexOf(text);
  const name = NAME_AT_ERROR.map((re) => re.exec(message)?.[1]).find((n) => n !== undefined);
  return name === undefined ? -1 : tokenIndex(sql, name);
}

function prepareError(error: unknown, sql: string): StmtError {
  if (!isSqliteError(error)) throw error;
  const index = errorIndex(error.message, sql);
  if (index < 0) return sqliteError(error);
  const offset = Buffer.byteLength(sql.slice(0, index));
  return new StmtError(`SQL input error: ${error.message} (at offset ${offset})`, 'SQL_INPUT_ERROR');
}

// sqld parses SQL with its own parser (sqlite3-parser, see query_analysis.rs Statement::parse)
// before SQLite sees it; we let SQLite's prepare find syntax errors and word them as sqld does:
// "syntax error around L{line}:{col}: `{token}`", col being just past the token.
function syntaxError(error: unknown, sql: string): string | null {
  if (!isSqliteError(error)) return null;
  if (error.message === 'incomplete input') return 'unexpected end of input';
  const near = NEAR.exec(error.message)?.[1];
  const token = near ?? UNRECOGNIZED.exec(error.message)?.[1];
  if (token === undefined) return null;
  const index = Math.max(sql.indexOf(token), 0);
  const line = sql.slice(0, index).split('\n').length;
  const col = index + token.length - (sql.lastIndexOf('\n', index - 1) + 1) + 1;
  return near !== undefined ? `syntax error around L${line}:${col}: \`${token}\`` : `unrecognized token at (${line}, ${col})`;
}

function argsInvalid(detail: string): StmtError {
  return new StmtError(`Arguments do not match SQL parameters: ${detail}`, 'ARGS_INVALID');
}

// query.rs Params::bind: more arguments than parameters is an error, and so is a parameter
// without a value (SQLite alone would bind NULL). Names match with or without their prefix;
// the driver binds by position, so every value is placed at its parameter's index.
function bindValues(info: StatementInfo, args: SqlValue[] | Map<string, SqlValue>): SqlValue[] {
  const { count, names } = info.params;
  const provided = args instanceof Map ? args.size : args.length;
  if (count < provided) throw argsInvalid(`too many parameters, expected ${count} found ${provided}`);
  const values: SqlValue[] = new Array<SqlValue>(count).fill(null);
  for (let i = 0; i < count; i++) {
    const name = names[i] ?? null;
    let value: SqlValue | undefined;
    if (args instanceof Map) {
      if (name !== null && name[0] !== '?') {
        value = args.has(name) ? args.get(name) : args.get(name.slice(1));
      }
    } else {
      value = args[name === null ? i : Number(name.slice(1)) - 1];
    }
    if (value === undefined) {
      if (info.isExplain) break; // sqld leaves the rest unbound for EXPLAIN
      throw argsInvalid(`value for parameter ${name ?? i + 1} not found`);
    }
    values[i] = value;
  }
  return values;
}

export function resolveSql(sql: string | null, sqlId: number | null, sqls: Map<number, string>): string {
  if (sql !== null && sqlId !== null) throw new ProtocolError('Either `sql` or `sql_id` are required, but not both');
  if (sql !== null) return sql;
  if (sqlId === null) throw new ProtocolError('Either `sql` or `sql_id` are required');
  const stored = sqls.get(sqlId);
  if (stored === undefined) throw new ProtocolError(`SQL text ${sqlId} not found`);
  return stored;
}

// Batch conditions may only refer to earlier steps; `is_autocommit` needs Hrana 3.
function checkCond(cond: BatchCond, stepIndex: number, version: number): BatchCond {
  switch (cond.type) {
    case 'ok':
    case 'error':
      if (cond.step >= stepIndex) throw new ProtocolError('Invalid reference to step in a batch condition');
      break;
    case 'not':
      checkCond(cond.cond, stepIndex, version);
      break;
    case 'and':
    case 'or':
      for (const c of cond.conds) checkCond(c, stepIndex, version);
      break;
    case 'is_autocommit':
      if (version < 3) {
        throw new ProtocolError('BatchCond of type `is_autocommit` is only supported in protocol version hrana3 and higher');
      }
  }
  return cond;
}

function evalCond(cond: BatchCond, ok: boolean[], isAutocommit: boolean): boolean {
  switch (cond.type) {
    case 'ok':
      return ok[cond.step]!;
    case 'error':
      return !ok[cond.step]!;
    case 'not':
      return !evalCond(cond.cond, ok, isAutocommit);
    case 'and':
      return cond.conds.every((c) => evalCond(c, ok, isAutocommit));
    case 'or':
      return cond.conds.some((c) => evalCond(c, ok, isAutocommit));
    case 'is_autocommit':
      return isAutocommit;
  }
}

export class Connection {
  // Both caches are LRU maps keyed by SQL text (a Map iterates in insertion order).
  private readonly statements = new Map<string, Prepared>();
  private readonly analyses = new Map<string, StatementInfo[]>();
  private readonly changes: Database.Statement;
  private readonly totalChanges: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly stats: Stats,
    private readonly scans?: ScanWatch,
    private readonly scanned?: () => number,
    private readonly scannedBy?: ScannedBy,
  ) {
    db.defaultSafeIntegers(true); // integers as bigint: INTEGER stays apart from REAL, beyond 2^53 too
    this.changes = db.prepare('SELECT changes(), last_insert_rowid()').raw(true);
    this.totalChanges = db.prepare('SELECT total_changes()').raw(true);
  }

  private total(): number {
    return Number((this.totalChanges.get([]) as [bigint])[0]);
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  execute(stmt: Stmt, sqls: Map<number, string>, timedOut: boolean): StmtResult {
    const query = this.toQuery(stmt, sqls);
    if (timedOut) throw TIMEOUT();
    return this.run(query);
  }

  batch(steps: BatchStep[], sqls: Map<number, string>, version: number, timedOut: boolean): BatchResult {
    const program = steps.map((step, i) => ({
      query: this.toQuery(step.stmt, sqls),
      cond: step.condition && checkCond(step.condition, i, version),
    }));
    const ok: boolean[] = [];
    const result: BatchResult = { step_results: [], step_errors: [], replication_index: null };
    for (const { query, cond } of program) {
      let enabled = !timedOut && (cond === null || evalCond(cond, ok, !this.db.inTransaction));
      let stepResult: StmtResult | null = null;
      let stepError: StmtError | null = timedOut ? TIMEOUT() : null;
      if (enabled) {
        try {
          stepResult = this.run(query);
        } catch (error) {
          if (!(error instanceof StmtError)) throw error;
          stepError = error;
          enabled = false;
        }
      }
      ok.push(enabled);
      result.step_results.push(stepResult);
      result.step_errors.push(stepError?.toProto() ?? null);
    }
    return result;
  }

  /** Runs every statement of `sql` (no arguments, no rows), stopping at the first error. */
  sequence(sql: string, timedOut: boolean): void {
    const statements = this.analyze(sql);
    for (const info of statements) this.checkParses(info, sql);
    if (timedOut && statements.length > 0) throw TIMEOUT();
    for (const info of statements) this.run({ info, args: [], wantRows: false });
  }

  // sqld prepares the text directly here, without its parser's checks.
  describe(sql: string): DescribeResult {
    const [info, second] = this.analyze(sql);
    if (info === undefined) throw NO_STATEMENT();
    if (second !== undefined) throw MANY_STATEMENTS();
    let stmt: Database.Statement;
    try {
      stmt = this.db.prepare(info.text); // uncached: column lists of cached statements may be stale
    } catch (error) {
      throw prepareError(error, sql);
    }
    return {
      params: info.params.names.map((name) => ({ name })),
      cols: stmt.reader ? stmt.columns().map((c) => ({ name: c.name, decltype: c.type })) : [],
      is_explain: info.isExplain,
      is_readonly: info.readonly,
    };
  }

  private analyze(sql: string): StatementInfo[] {
    let statements = this.analyses.get(sql);
    if (statements === undefined) {
      statements = parseSql(sql);
      this.remember(this.analyses, sql, statements);
    }
    return statements;
  }

  // What sqld's parser rejects before anything runs: syntax errors and unsupported statements.
  private checkParses(info: StatementInfo, sql: string): void {
    try {
      this.prepare(info.text);
    } catch (error) {
      const message = syntaxError(error, sql);
      if (message !== null) throw new StmtError(`SQL string could not be parsed: ${message}`, 'SQL_PARSE_ERROR');
    }
    if (info.kind === null) {
      throw new StmtError(`SQL string could not be parsed: unsupported statement: ${sql}`, 'SQL_PARSE_ERROR');
    }
  }

  // stmt.rs proto_stmt_to_query, in its order of checks.
  private toQuery(stmt: Stmt, sqls: Map<number, string>): Query {
    const sql = resolveSql(stmt.sql, stmt.sqlId, sqls);
    const [info, second] = this.analyze(sql);
    if (info === undefined) throw NO_STATEMENT();
    this.checkParses(info, sql);
    if (second !== undefined) throw MANY_STATEMENTS();
    if (stmt.args.length > 0 && stmt.namedArgs.size > 0) {
      throw new StmtError('Specifying both positional and named arguments is not supported', 'ARGS_BOTH_POSITIONAL_AND_NAMED');
    }
    return { info, args: stmt.namedArgs.size > 0 ? stmt.namedArgs : stmt.args, wantRows: stmt.wantRows };
  }

  private prepare(text: string): Prepared {
    let prepared = this.statements.get(text);
    if (prepared === undefined) {
      const stmt = this.db.prepare(text);
      prepared = { stmt, reader: stmt.reader };
      if (prepared.reader) stmt.raw(true);
    }
    this.remember(this.statements, text, prepared);
    return prepared;
  }

  private remember<V>(cache: Map<string, V>, key: string, value: V): void {
    cache.delete(key);
    cache.set(key, value);
    if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }

  // One step, as program.rs Vm::execute_query. rows_read is libSQL's own count of the rows the
  // statement scanned when the extension is loaded (./rows-scanned.ts), as sqld reports it;
  // stats also keep the rows returned plus the rows an UPDATE or DELETE changed. rows_written are
  // the changed rows (libSQL's own count adds each index entry). The optional ScanWatch
  // (./scans.ts) reports statements whose plan scans a whole table.
  private run(query: Query): StmtResult {
    const started = performance.now();
    this.stats.statements++;
    let prepared: Prepared;
    try {
      prepared = this.prepare(query.info.text);
    } catch (error) {
      throw prepareError(error, query.info.text);
    }
    const values = bindValues(query.info, query.args);
    this.scans?.check(query.info, values);
    let rows: unknown[][] = [];
    let returned = 0;
    // total_changes() also counts the rows a statement's triggers change; changes() does not.
    const totalBefore = query.info.isIud ? this.total() : 0;
    try {
      if (!prepared.reader) {
        prepared.stmt.run(values);
      } else if (query.wantRows) {
        rows = prepared.stmt.all(values) as unknown[][];
        returned = rows.length;
      } else {
        // Still run to completion: side effects and errors must not be missed.
        for (const _ of prepared.stmt.iterate(values)) returned++;
      }
    } catch (error) {
      this.scanned?.(); // a failed statement's scan is not the next one's
      throw sqliteError(error);
    }
    const scanned = this.scanned?.();

    let affected = 0;
    let triggered = 0;
    let lastInsertRowid: string | null = null;
    if (query.info.isIud) {
      const [changes, rowid] = this.changes.get([]) as [bigint, bigint];
      affected = Number(changes);
      triggered = this.total() - totalBefore - affected;
      if (query.info.isInsert) lastInsertRowid = rowid.toString();
    }
    // Rows a trigger changed count as written and as read (it found them), like an UPDATE's own.
    const rowsRead = returned + (query.info.isIud && !query.info.isInsert ? affected : 0) + triggered;
    this.stats.rowsRead += rowsRead;
    this.stats.rowsScanned += scanned ?? 0;
    if (this.scannedBy && scanned !== undefined) {
      const entry = this.scannedBy.get(query.info.text);
      if (entry) {
        entry.runs++;
        entry.scanned += scanned;
      } else if (this.scannedBy.size < SCANNED_BY_TEXTS) this.scannedBy.set(query.info.text, { runs: 1, scanned });
    }
    this.stats.rowsWritten += affected + triggered;

    return {
      cols: prepared.reader ? prepared.stmt.columns().map((c) => ({ name: c.name, decltype: c.type })) : [],
      rows: rows.map((row) => row.map(encodeValue)),
      affected_row_count: affected,
      last_insert_rowid: lastInsertRowid,
      replication_index: null,
      rows_read: scanned ?? rowsRead,
      rows_written: affected + triggered,
      query_duration_ms: performance.now() - started,
    };
  }
}
