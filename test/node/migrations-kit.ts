import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'libsql';

/** Helpers of the migration tests: a database as it stood before one migration, and that migration applied. */
const MIGRATIONS = join(import.meta.dirname, '..', '..', 'migrations');

/** Runs one migration file statement by statement, as drizzle's migrator splits it. */
export function applyMigration(db: Database.Database, file: string): void {
  for (const statement of readFileSync(join(MIGRATIONS, file), 'utf8').split('--> statement-breakpoint')) if (statement.trim()) db.exec(statement);
}

/** Applies every migration that comes before `file`, in order. */
export function migrateUpTo(db: Database.Database, file: string): void {
  for (const f of readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith('.sql') && f < file)
    .sort())
    applyMigration(db, f);
}
