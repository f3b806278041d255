import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { openDb } from '../src/db/client';
import { listDatabases, openDirectory, recordSchemaVersion, type DataDatabase } from '../src/db/directory';
import { DATA_SCHEMA_VERSION } from '../src/db/schema-version';
import { parseKeys } from '../src/env';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));
export const DIRECTORY_MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations/directory', import.meta.url));

/**
 * Applies the committed data migrations (the same files production runs) to one data database.
 * drizzle applies the pending ones in one batch, so an interrupted run leaves the database at a
 * version it had before or after, never between.
 */
export async function applyMigrations(url: string, authToken?: string): Promise<void> {
  await migrate(openDb(url, authToken), { migrationsFolder: MIGRATIONS_FOLDER });
}

/** Applies the directory's own migrations. */
export async function applyDirectoryMigrations(url: string, authToken?: string): Promise<void> {
  await migrate(openDirectory(url, authToken), { migrationsFolder: DIRECTORY_MIGRATIONS_FOLDER });
}

export interface MigrateAllOptions {
  directoryUrl: string;
  directoryToken?: string;
  /** The token of a data database (in production, its region's group token). */
  tokenFor?: (db: DataDatabase) => string | undefined;
  /** Called after each data database is migrated and recorded (progress output, tests). */
  onDatabase?: (db: DataDatabase) => void | Promise<void>;
}

/**
 * The one migration runner: the directory first, then every data database of its catalog, each
 * recording its version in the catalog once its migrations are in. Safe to re-run (applied
 * migrations are skipped) and to interrupt (each database moves in one batch; the catalog is
 * written after the database, so it never claims a version the database lacks).
 */
export async function migrateAll(opts: MigrateAllOptions): Promise<DataDatabase[]> {
  await applyDirectoryMigrations(opts.directoryUrl, opts.directoryToken);
  const directory = openDirectory(opts.directoryUrl, opts.directoryToken);
  const databases = await listDatabases(directory);
  for (const db of databases) {
    await applyMigrations(db.url, opts.tokenFor?.(db));
    await recordSchemaVersion(directory, db.id, DATA_SCHEMA_VERSION);
    await opts.onDatabase?.(db);
  }
  return listDatabases(directory);
}

/** Production tokens per region: `LIBSQL_TOKENS=eu:TOKEN,us:TOKEN` (Turso group tokens). */
export function regionTokens(raw: string | undefined): (db: Pick<DataDatabase, 'region'>) => string | undefined {
  const tokens = new Map(parseKeys(raw ?? '').map((k) => [k.kid, k.secret]));
  return (db) => tokens.get(db.region);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const directoryUrl = process.env.DIRECTORY_URL;
  const url = process.env.LIBSQL_URL;
  if (directoryUrl) {
    await migrateAll({
      directoryUrl,
      directoryToken: process.env.DIRECTORY_AUTH_TOKEN,
      tokenFor: regionTokens(process.env.LIBSQL_TOKENS),
      onDatabase: (db) => console.log(`${db.id} (${db.region}, ${db.placement}): schema version ${DATA_SCHEMA_VERSION}`),
    });
    console.log(`directory and every data database migrated`);
  } else if (url) {
    await applyMigrations(url, process.env.LIBSQL_AUTH_TOKEN);
    console.log(`migrations applied to ${url}`);
  } else {
    console.error('set DIRECTORY_URL (with DIRECTORY_AUTH_TOKEN and LIBSQL_TOKENS) for the directory and every data database, or LIBSQL_URL for one database');
    process.exit(2);
  }
}
