import { openDb, type Db } from '../src/db/client';
import { startLibsqlServer } from './libsql-server';
import { DB_FILE, readState } from './local-stack';
import { applyMigrations } from './migrate';

/**
 * The configured database for a one-off script: LIBSQL_URL (+ LIBSQL_AUTH_TOKEN) when set,
 * else the server of a running `npm start`, else the local file through a server of our own
 * for the duration of the script. Migrations are applied first.
 */
export async function withDatabase<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const url = process.env.LIBSQL_URL ?? readState()?.libsqlUrl;
  if (url) {
    await applyMigrations(url, process.env.LIBSQL_AUTH_TOKEN);
    return work(openDb(url, process.env.LIBSQL_AUTH_TOKEN));
  }
  const server = await startLibsqlServer({ file: DB_FILE });
  try {
    await applyMigrations(server.url);
    return await work(openDb(server.url));
  } finally {
    await server.close();
  }
}
