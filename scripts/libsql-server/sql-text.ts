// Lexical analysis of SQL text, standing in for sqld's own parser (sqlite3-parser) where the
// server needs it: splitting a string into statements, classifying each statement as sqld does
// (tursodatabase/libsql libsql-server/src/query_analysis.rs), and numbering its parameters as
// SQLite does (sqlite3ExprAssignVarNumber), because the `libsql` package exposes neither
// sqlite3_bind_parameter_count nor sqlite3_bind_parameter_name.

/** sqld's StmtKind; `null` stands for a statement sqld refuses ("unsupported statement"). */
export type StmtKind = 'read' | 'write' | 'ddl' | 'txn_begin' | 'txn_end' | 'savepoint' | 'release' | 'detach' | 'unknown'; // not a statement keyword: SQLite's prepare reports the syntax error

/** Parameters of a statement: names[i] is the name of parameter i + 1, null for a bare `?`. */
export interface ParamInfo {
  count: number;
  names: (string | null)[];
}

export interface StatementInfo {
  /** The statement without its terminating `;`. */
  text: string;
  kind: StmtKind | null;
  /** INSERT, REPLACE, UPDATE or DELETE: sqld reports affected_row_count only for these. */
  isIud: boolean;
  /** INSERT or REPLACE: sqld reports last_insert_rowid only for these. */
  isInsert: boolean;
  isExplain: boolean;
  /** Our estimate of sqlite3_stmt_readonly(), for `describe`. */
  readonly: boolean;
  params: ParamInfo;
}

enum Tok {
  Word,
  Quoted,
  String,
  Number,
  Var,
  Punct,
}

interface Token {
  type: Tok;
  text: string;
  start: number;
  end: number;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 0x80;
// SQLite's IdChar: letters, digits, '_', '$' and any non-ASCII byte.
const isIdChar = (c: number) => isIdStart(c) || isDigit(c) || c === 36;

function skipQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1;
  for (;;) {
    const k = sql.indexOf(quote, j);
    if (k < 0) return sql.length;
    if (sql[k + 1] !== quote) return k + 1;
    j = k + 2;
  }
}

// `:name`, `@name`, `$name`, `#name`, with SQLite's TCL extras (`$a::b`, `$a(x)`).
function scanVariable(sql: string, start: number): number {
  let i = start + 1;
  let n = 0;
  for (; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (isIdChar(c)) {
      n++;
    } else if (c === 40 /* ( */ && n > 0) {
      const close = sql.indexOf(')', i);
      return close < 0 ? sql.length : close + 1;
    } else if (c === 58 /* : */ && sql.charCodeAt(i + 1) === 58) {
      i++;
    } else {
      break;
    }
  }
  return n > 0 ? i : start + 1;
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) {
      i++;
      continue;
    }
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
      continue;
    }
    if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    const start = i;
    let type: Tok;
    if (c === 39) {
      i = skipQuoted(sql, i, "'");
      type = Tok.String;
    } else if (c === 34 || c === 96) {
      i = skipQuoted(sql, i, sql[i]!);
      type = Tok.Quoted;
    } else if (c === 91) {
      const close = sql.indexOf(']', i);
      i = close < 0 ? n : close + 1;
      type = Tok.Quoted;
    } else if (c === 63) {
      i++;
      while (isDigit(sql.charCodeAt(i))) i++;
      type = Tok.Var;
    } else if (c === 58 || c === 64 || c === 36 || c === 35) {
      i = scanVariable(sql, i);
      type = i > start + 1 ? Tok.Var : Tok.Punct;
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      i++;
      for (; i < n; i++) {
        const d = sql.charCodeAt(i);
        const prev = sql.charCodeAt(i - 1) | 0x20;
        if (isIdChar(d) || d === 46) continue;
        if ((d === 43 || d === 45) && prev === 101 /* e */) continue;
        break;
      }
      type = Tok.Number;
    } else if (isIdStart(c)) {
      i++;
      while (i < n && isIdChar(sql.charCodeAt(i))) i++;
      type = Tok.Word;
    } else {
      i++;
      type = Tok.Punct;
    }
    tokens.push({ type, text: sql.slice(start, i), start, end: i });
  }
  return tokens;
}

const word = (t: Token | undefined) => (t?.type === Tok.Word ? t.text.toUpperCase() : '');

// Inside CREATE TRIGGER ... BEGIN ... END, a `;` ends the statement only right after END
// (the rule of sqlite3_complete()).
function isTrigger(tokens: Token[]): boolean {
  let i = word(tokens[0]) === 'EXPLAIN' ? 1 : 0;
  if (word(tokens[i]) === 'QUERY') i += 2;
  if (word(tokens[i]) !== 'CREATE') return false;
  i++;
  if (word(tokens[i]) === 'TEMP' || word(tokens[i]) === 'TEMPORARY') i++;
  return word(tokens[i]) === 'TRIGGER';
}

/** Splits SQL text into statements (empty statements are skipped, as sqld's parser does). */
export function parseSql(sql: string): StatementInfo[] {
  const statements: StatementInfo[] = [];
  let current: Token[] = [];
  for (const token of tokenize(sql)) {
    const terminates = token.type === Tok.Punct && token.text === ';' && (!isTrigger(current) || word(current[current.length - 1]) === 'END');
    if (!terminates) {
      current.push(token);
    } else if (current.length > 0) {
      statements.push(analyze(sql, current));
      current = [];
    }
  }
  if (current.length > 0) statements.push(analyze(sql, current));
  return statements;
}

// Pragma classes from query_analysis.rs (StmtKind::pragma_kind).
const READ_PRAGMAS = new Set('table_list index_list table_info table_xinfo index_info index_xinfo pragma_list compile_options database_list function_list module_list encoding'.split(' '));
const WRITE_PRAGMAS = new Set(
  'defer_foreign_keys foreign_keys foreign_key_list foreign_key_check collation_list data_version freelist_count integrity_check legacy_file_format page_count quick_check stats user_version'.split(
    ' ',
  ),
);
const WRITE_PRAGMAS_WITHOUT_ARGS = new Set(
  'analysis_limit application_id auto_vacuum automatic_index busy_timeout cache_size cache_spill cell_size_check checkpoint_fullfsync fullfsync hard_heap_limit journal_mode journal_size_limit legacy_alter_table locking_mode max_page_count mmap_size page_size query_only read_uncommitted recursive_triggers reverse_unordered_selects secure_delete soft_heap_limit synchronous temp_store threads trusted_schema wal_autocheckpoint'.split(
    ' ',
  ),
);

function pragmaKind(tokens: Token[], i: number): StmtKind | null {
  if (tokens[i + 1]?.text === '.') i += 2; // schema-qualified: PRAGMA main.table_info(...)
  const name = tokens[i]?.text.toLowerCase() ?? '';
  const hasBody = i + 1 < tokens.length;
  if (READ_PRAGMAS.has(name) || (name === 'schema_version' && !hasBody)) return 'read';
  if (WRITE_PRAGMAS.has(name)) return 'write';
  if (WRITE_PRAGMAS_WITHOUT_ARGS.has(name) && !hasBody) return 'write';
  return null;
}

// WITH ... : the main statement is the first top-level keyword right after a CTE's `)`.
function withMainWord(tokens: Token[], from: number): string {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const text = tokens[i]!.text;
    if (text === '(') depth++;
    else if (text === ')') depth--;
    else if (depth === 0 && tokens[i - 1]?.text === ')') {
      const w = word(tokens[i]);
      if (['SELECT', 'VALUES', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE'].includes(w)) return w;
    }
  }
  return 'SELECT';
}

function analyze(sql: string, tokens: Token[]): StatementInfo {
  let i = 0;
  const isExplain = word(tokens[0]) === 'EXPLAIN';
  if (isExplain) i = word(tokens[1]) === 'QUERY' && word(tokens[2]) === 'PLAN' ? 3 : 1;
  let head = word(tokens[i]);
  if (head === 'WITH') head = withMainWord(tokens, i + 1);

  let kind: StmtKind | null;
  switch (head) {
    case 'SELECT':
    case 'VALUES':
      kind = 'read';
      break;
    case 'INSERT':
    case 'REPLACE':
    case 'UPDATE':
    case 'DELETE':
      kind = 'write';
      break;
    case 'BEGIN':
      kind = 'txn_begin';
      break;
    case 'COMMIT':
    case 'END':
      kind = 'txn_end';
      break;
    case 'ROLLBACK':
      kind = tokens.some((t) => word(t) === 'TO') ? 'release' : 'txn_end';
      break;
    case 'SAVEPOINT':
      kind = 'savepoint';
      break;
    case 'RELEASE':
      kind = 'release';
      break;
    case 'CREATE': {
      const temp = ['TEMP', 'TEMPORARY'].includes(word(tokens[i + 1]));
      kind = temp ? null : 'ddl'; // temporary objects are bound to a connection: sqld refuses them
      break;
    }
    case 'DROP':
    case 'ALTER':
      kind = 'ddl';
      break;
    case 'PRAGMA':
      kind = pragmaKind(tokens, i + 1);
      break;
    case 'DETACH':
      kind = 'detach';
      break;
    // ATTACH needs sqld's namespaces; VACUUM, ANALYZE and REINDEX are refused by sqld.
    case 'ATTACH':
    case 'VACUUM':
    case 'ANALYZE':
    case 'REINDEX':
      kind = null;
      break;
    default:
      kind = 'unknown';
  }
  if (isExplain && head !== 'PRAGMA') kind = 'read';

  const isIud = !isExplain && ['INSERT', 'REPLACE', 'UPDATE', 'DELETE'].includes(head);
  const beginWrites = head === 'BEGIN' && ['IMMEDIATE', 'EXCLUSIVE'].includes(word(tokens[i + 1]));
  const readonly = (kind === 'read' && head !== 'PRAGMA') || (kind === 'txn_begin' && !beginWrites) || kind === 'txn_end' || kind === 'savepoint' || kind === 'release';

  return {
    text: sql.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end),
    kind,
    isIud,
    isInsert: isIud && (head === 'INSERT' || head === 'REPLACE'),
    isExplain,
    readonly,
    params: numberParams(tokens),
  };
}

const MAX_VARIABLE_NUMBER = 32766; // SQLITE_MAX_VARIABLE_NUMBER

// SQLite's numbering: `?` takes the next index, `?NNN` index NNN, a name keeps the index of its
// first occurrence.
function numberParams(tokens: Token[]): ParamInfo {
  const names: (string | null)[] = [];
  const byName = new Map<string, number>();
  let count = 0;
  for (const t of tokens) {
    if (t.type !== Tok.Var) continue;
    if (t.text === '?') {
      names[count++] = null;
    } else if (t.text[0] === '?') {
      const index = Number(t.text.slice(1));
      if (!(index >= 1 && index <= MAX_VARIABLE_NUMBER)) continue; // prepare will reject it
      count = Math.max(count, index);
      names[index - 1] ??= t.text;
    } else if (!byName.has(t.text)) {
      byName.set(t.text, ++count);
      names[count - 1] = t.text;
    }
  }
  for (let i = 0; i < count; i++) names[i] ??= null;
  return { count, names };
}

/**
 * Where `name` (possibly dotted, `t.col`) first occurs in `sql` as a token, as a UTF-16 index;
 * -1 if absent. Used to rebuild the byte offsets SQLite attaches to some errors.
 */
export function tokenIndex(sql: string, name: string): number {
  const tokens = tokenize(sql);
  const unquote = (t: Token) => (t.type === Tok.Quoted ? t.text.slice(1, -1).toLowerCase() : t.text.toLowerCase());
  const parts = name.toLowerCase().split('.');
  const matchesAt = (i: number) =>
    parts.every((part, k) => {
      const t = tokens[i + 2 * k];
      const dot = k === 0 || tokens[i + 2 * k - 1]?.text === '.';
      return t !== undefined && dot && unquote(t) === part;
    });
  for (let i = 0; i < tokens.length; i++) if (matchesAt(i)) return tokens[i]!.start;
  const last = parts[parts.length - 1];
  return tokens.find((t) => unquote(t) === last)?.start ?? -1;
}
