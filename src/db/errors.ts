/** The SQLite error message of a failed statement, looking through drizzle's wrapping (it keeps the driver error in `cause`). */
function sqliteMessage(err: unknown): string {
  let e: unknown = err;
  const parts: string[] = [];
  for (let depth = 0; e instanceof Error && depth < 4; depth++, e = e.cause) parts.push(e.message);
  return parts.join(' | ');
}

/** True when the statement broke a UNIQUE or PRIMARY KEY constraint. */
export const isUniqueViolation = (err: unknown) => /UNIQUE constraint failed|PRIMARY KEY constraint failed/.test(sqliteMessage(err));

/** True when the statement broke a FOREIGN KEY constraint (a row still refers to the one changed). */
export const isForeignKeyViolation = (err: unknown) => /FOREIGN KEY constraint failed/.test(sqliteMessage(err));
