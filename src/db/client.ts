import { createClient, type Client } from '@libsql/client/web';
import type { BatchItem } from 'drizzle-orm/batch';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import { drizzle } from 'drizzle-orm/libsql/web';

export type Db = LibSQLDatabase & { $client: Client };

/**
 * One client per request: Workers forbid sharing I/O objects across requests, and an HTTP
 * libSQL client holds no connection worth reusing. Scripts in Node use the same function.
 */
export function openDb(url: string, authToken?: string): Db {
  const client = createClient({ url, authToken, intMode: 'number' });
  // No schema: drizzle's relational queries would rebuild their config of every table per client.
  return drizzle(client);
}

/** Runs the statements as one atomic batch in one round trip (a Turso request crosses the network). */
export function commit(db: Pick<Db, 'batch'>, statements: BatchItem<'sqlite'>[]) {
  return db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
}
