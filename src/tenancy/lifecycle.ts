import type { Db } from '../db/client';
import type { Directory } from '../db/directory';
import { carryFoldWatermark, deleteTenantRows, pauseTenantWrites, importArchive, tenantArchive, tenantDigest, type Manifest } from './archive';
import { completeMove, removeTenant, setTenantStatus } from './directory-entry';

/*
 * Moving and deleting a whole tenant (docs/architecture.md, "Tenant lifecycle"). Both work on the
 * directory and the data databases directly: they are the named cross-tenant operations of the
 * platform, run by an operator (scripts/tenant-move.ts, scripts/tenant-delete.ts).
 */

export interface MoveOptions {
  actor: string;
  /**
   * How long to wait after pausing writes before copying, and after the switch before deleting
   * the old rows: every isolate must have seen each change (placements are kept
   * PLACEMENT_CACHE_SECONDS). Tests that clear the cache themselves pass 0.
   */
  settleMs: number;
}

const sameTables = (a: Manifest['tables'], b: Manifest['tables']) => Object.keys(a).every((t) => a[t]!.rows === b[t]?.rows && a[t]!.sha256 === b[t]?.sha256);

/**
 * Moves a tenant from one data database to another: writes are paused (503 with Retry-After),
 * every row is copied, the copy's counts and checksums are verified against the source's
 * manifest, the directory points at the new database (writes resume there), and the old rows
 * are deleted. A failure before the switch removes the partial copy and resumes writes at the
 * source; nothing is lost either way.
 */
export async function moveTenant(directory: Directory, tenantId: string, from: { id: string; db: Db }, to: { id: string; db: Db }, opts: MoveOptions): Promise<Manifest> {
  if (from.id === to.id) throw new Error(`tenant ${tenantId} is already in ${to.id}`);
  const before = await tenantDigest(to.db, tenantId);
  if (Object.values(before).some((d) => d.rows > 0)) throw new Error(`${to.id} already holds rows of tenant ${tenantId}`);
  await setTenantStatus(directory, tenantId, 'moving', opts.actor, { from: from.id, to: to.id });
  let manifest: Manifest;
  try {
    // Requests that found the tenant through the directory see `moving`; respondents whose link names the database see this.
    await pauseTenantWrites(from.db, tenantId, true);
    if (opts.settleMs > 0) await new Promise((r) => setTimeout(r, opts.settleMs));
    manifest = await importArchive(to.db, tenantArchive(from.db, tenantId));
    const copied = await tenantDigest(to.db, tenantId);
    if (!sameTables(manifest.tables, copied)) throw new Error('the copy differs from the source: counts or checksums do not match');
    await carryFoldWatermark(from.db, to.db, tenantId);
  } catch (err) {
    await deleteTenantRows(to.db, tenantId);
    await pauseTenantWrites(from.db, tenantId, false);
    await setTenantStatus(directory, tenantId, 'active', opts.actor, { moveFailed: String(err) });
    throw err;
  }
  const rows = Object.values(manifest.tables).reduce((n, t) => n + t.rows, 0);
  // The copy came paused with its source; it takes writes from the switch on.
  await pauseTenantWrites(to.db, tenantId, false);
  await completeMove(directory, tenantId, to.id, opts.actor, { from: from.id, rows, tables: manifest.tables });
  // Isolates that still hold the old placement read the old copy (identical: writes were paused)
  // until it expires; only then do the old rows go.
  if (opts.settleMs > 0) await new Promise((r) => setTimeout(r, opts.settleMs));
  await deleteTenantRows(from.db, tenantId);
  return manifest;
}

/** Deletes a tenant everywhere: hidden first (its credentials stop working), then its rows, then its directory entry. */
export async function deleteTenant(directory: Directory, tenantId: string, data: Db, actor: string): Promise<Manifest['tables']> {
  const held = await tenantDigest(data, tenantId);
  await setTenantStatus(directory, tenantId, 'deleting', actor);
  await pauseTenantWrites(data, tenantId, true);
  await deleteTenantRows(data, tenantId);
  await removeTenant(directory, tenantId, actor, { rows: Object.fromEntries(Object.entries(held).map(([t, d]) => [t, d.rows])) });
  return held;
}
