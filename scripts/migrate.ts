import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { openDb } from '../src/db/client';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));

/** Applies the committed drizzle-kit migrations (the same files production runs). */
export async function applyMigrations(url: string, authToken?: string): Promise<void> {
  await migrate(openDb(url, authToken), { migrationsFolder: MIGRATIONS_FOLDER });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.LIBSQL_URL;
  if (!url) {
    console.error('set LIBSQL_URL (and LIBSQL_AUTH_TOKEN for Turso)');
    process.exit(2);
  }
  await applyMigrations(url, process.env.LIBSQL_AUTH_TOKEN);
  console.log(`migrations applied to ${url}`);
}
