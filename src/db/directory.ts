import { asc, eq, sql } from 'drizzle-orm';
import { createClient } from '@libsql/client/web';
import type { Client } from '@libsql/client/web';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import { drizzle } from 'drizzle-orm/libsql/web';
import { dataDatabases, directoryTenants, type Region } from './directory-schema';
import { newId } from '../lib/ids';
import { openDb } from './client';

/** The directory database: the control plane (src/db/directory-schema.ts). */
export type Directory = LibSQLDatabase & { $client: Client };

export function openDirectory(url: string, authToken?: string, deadlineMs?: number): Directory {
  // The Worker's directory has the request deadline (src/db/client.ts); scripts wait as long as a call takes.
  if (deadlineMs) return openDb(url, authToken, deadlineMs);
  return drizzle(createClient({ url, authToken, intMode: 'number' }));
}

export type DataDatabase = typeof dataDatabases.$inferSelect;

/** Adds a data database to the catalog (or updates its URL, e.g. a local server's new port). */
export async function registerDatabase(directory: Directory, db: { id: string; region: Region; url: string; placement: 'dedicated' | 'shared' }) {
  await directory
    .insert(dataDatabases)
    .values(db)
    .onConflictDoUpdate({ target: dataDatabases.id, set: { url: db.url } });
}

export function listDatabases(directory: Directory): Promise<DataDatabase[]> {
  return directory.select().from(dataDatabases).orderBy(asc(dataDatabases.id));
}

/** Records that a database has the given schema version; a version never goes back. */
export async function recordSchemaVersion(directory: Directory, databaseId: string, version: number) {
  await directory
    .update(dataDatabases)
    .set({ schemaVersion: sql`max(${dataDatabases.schemaVersion}, ${version})` })
    .where(eq(dataDatabases.id, databaseId));
}

/**
 * The shared database of a region that holds the fewest tenants: where a small tenant is placed.
 * Undefined when the region has no shared database.
 */
export async function leastLoadedShared(directory: Directory, region: Region): Promise<DataDatabase | undefined> {
  const rows = await directory
    .select({ db: dataDatabases, tenants: sql<number>`(select count(*) from ${directoryTenants} where ${directoryTenants.databaseId} = ${dataDatabases.id})` })
    .from(dataDatabases)
    .where(sql`${dataDatabases.region} = ${region} and ${dataDatabases.placement} = 'shared'`)
    .orderBy(sql`2`, asc(dataDatabases.id));
  return rows[0]?.db;
}

/** One row of the directory's own audit trail: who did what to which tenant or database. */
export function directoryAuditRow(entry: { actor: string; action: string; tenantId?: string; databaseId?: string; details?: Record<string, unknown> }) {
  return { id: newId('daud'), actor: entry.actor, action: entry.action, tenantId: entry.tenantId ?? null, databaseId: entry.databaseId ?? null, details: entry.details ?? {} };
}
