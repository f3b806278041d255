/*
 * rows_scanned(): the rows the connection's statements scanned since the last call, as libSQL
 * counts them for billing (LIBSQL_STMTSTATUS_ROWS_READ, 1024 + 1: one per row a cursor visits,
 * in a table or an index; the counter sqld reports as a statement's rows_read). The `libsql`
 * package runs libSQL but has no call that reads a statement's counters, so this loadable
 * extension reads them: it walks the connection's prepared statements, sums each counter and
 * resets it. The server calls it after each statement (./rows-scanned.ts).
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#define ROWS_READ (1024 + 1)

static void rows_scanned(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  sqlite3_int64 total = 0;
  for (sqlite3_stmt *stmt = sqlite3_next_stmt(db, 0); stmt; stmt = sqlite3_next_stmt(db, stmt)) {
    total += sqlite3_stmt_status(stmt, ROWS_READ, 1);
  }
  sqlite3_result_int64(ctx, total);
}

int sqlite3_rowsscanned_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)err;
  SQLITE_EXTENSION_INIT2(api);
  return sqlite3_create_function(db, "rows_scanned", 0, SQLITE_UTF8, 0, rows_scanned, 0, 0);
}
