import { createHash } from 'node:crypto';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Client, InStatement } from '@libsql/client/web';
import type { Db } from '../db/client';
import * as schema from '../db/schema';
import { DATA_SCHEMA_VERSION } from '../db/schema-version';
import type { TenantDb } from '../db/tenant-db';

/*
 * A whole tenant as data: every row of every tenant table, as JSON lines, in an order that
 * satisfies the foreign keys (parents first). The same walk exports a tenant, copies it to
 * another database (a move) and deletes it (children first), so no table can be forgotten by
 * one of the three: a new table in src/db/schema.ts with a tenant_id column is part of all of them.
 * Generic over every table, it reads and writes rows as stored, through the database's own
 * client: a named exemption of the tenant-scoped data layer (test/node/data-layer.test.ts).
 */

interface TenantTable {
  name: string;
  /** The column naming the owning tenant: `id` for the tenants table itself. */
  tenantColumn: string;
  /** The columns of its composite primary key, if it has one: a table stored without rowid is paged by them. */
  key: string[];
}

/** Tables that carry tenant rows, parents before children (by their declared foreign keys). */
export const TENANT_TABLES: readonly TenantTable[] = (() => {
  const tables = (Object.values(schema) as unknown[]).filter((v): v is SQLiteTable => v instanceof SQLiteTable);
  const configs = new Map(tables.map((t) => [getTableConfig(t).name, getTableConfig(t)]));
  const owned = [...configs.values()].filter((c) => c.name === 'tenants' || c.columns.some((col) => col.name === 'tenant_id'));
  const ordered: TenantTable[] = [];
  const placed = new Set<string>();
  const visit = (name: string, path: Set<string>) => {
    if (placed.has(name) || path.has(name)) return; // a cycle is broken by deferring foreign keys
    const config = configs.get(name)!;
    path.add(name);
    for (const fk of config.foreignKeys) {
      const parent = getTableConfig(fk.reference().foreignTable).name;
      if (parent !== name && owned.some((o) => o.name === parent)) visit(parent, path);
    }
    placed.add(name);
    ordered.push({ name, tenantColumn: name === 'tenants' ? 'id' : 'tenant_id', key: config.primaryKeys[0]?.columns.map((c) => c.name) ?? [] });
  };
  for (const c of owned) visit(c.name, new Set());
  return ordered;
})();

export interface TableDigest {
  rows: number;
  /** Sum of the SHA-256 of each row's JSON, mod 2^256, in hex: the same whatever the row order. */
  sha256: string;
}

export interface Manifest {
  tenantId: string;
  schemaVersion: number;
  exportedAt: string;
  tables: Record<string, TableDigest>;
}

export type ArchiveLine = { archive: 'nps-tenant'; version: 1; tenantId: string; schemaVersion: number } | { table: string; row: Record<string, unknown> } | { manifest: Manifest };

const PAGE = 1000;
const MOD = 1n << 256n;

/** One row as archived: columns in the database's order, values as stored. */
const rowJson = (row: Record<string, unknown>) => JSON.stringify(row);

/** The tables a database stores without rowid (the rollups' day cells: src/db/schema.ts), paged by their key. */
async function withoutRowid(client: Client): Promise<Set<string>> {
  const rs = await client.execute("select name from pragma_table_list where type = 'table' and wr = 1");
  return new Set(rs.rows.map((r) => String(r.name)));
}

/**
 * Every row of the tenant in one table, page by page, by keyset (no OFFSET rescans): on rowid, or
 * on the primary key for a table stored without one.
 */
async function* tableRows(client: Client, table: TenantTable, tenantId: string, clustered: Set<string>): AsyncGenerator<Record<string, unknown>> {
  const byKey = clustered.has(table.name);
  if (byKey && table.key.length === 0) throw new Error(`${table.name} is stored without rowid but its schema names no primary key`);
  const order = byKey ? table.key.map((c) => `"${c}"`).join(', ') : 'rowid';
  const past = byKey ? `(${order}) > (${table.key.map(() => '?').join(', ')})` : 'rowid > ?';
  let after: unknown[] | undefined;
  for (;;) {
    const rs = await client.execute({
      sql: `select ${byKey ? '' : 'rowid as __rowid, '}* from "${table.name}" where "${table.tenantColumn}" = ?${after ? ` and ${past}` : ''} order by ${order} limit ${PAGE}`,
      args: [tenantId, ...((after ?? []) as never[])],
    });
    let last: Record<string, unknown> | undefined;
    for (const r of rs.rows) {
      const row: Record<string, unknown> = {};
      rs.columns.forEach((col, i) => {
        if (col !== '__rowid') row[col] = r[i] ?? null;
      });
      last = byKey ? row : { __rowid: r[0] };
      yield row;
    }
    if (rs.rows.length < PAGE || !last) return;
    after = byKey ? table.key.map((c) => last[c]) : [Number(last.__rowid)];
  }
}

class Digest {
  rows = 0;
  private sum = 0n;
  add(json: string) {
    this.rows++;
    this.sum = (this.sum + BigInt(`0x${createHash('sha256').update(json).digest('hex')}`)) % MOD;
  }
  value(): TableDigest {
    return { rows: this.rows, sha256: this.sum.toString(16).padStart(64, '0') };
  }
}

/** The archive of a tenant: a header line, one line per row, and the manifest last. */
export function tenantArchive(db: Db, tenantId: string): AsyncGenerator<ArchiveLine> {
  return archiveLines(db.$client, tenantId);
}

async function* archiveLines(client: Client, tenantId: string): AsyncGenerator<ArchiveLine> {
  yield { archive: 'nps-tenant', version: 1, tenantId, schemaVersion: DATA_SCHEMA_VERSION };
  const tables: Record<string, TableDigest> = {};
  const clustered = await withoutRowid(client);
  for (const table of TENANT_TABLES) {
    const digest = new Digest();
    for await (const row of tableRows(client, table, tenantId, clustered)) {
      digest.add(rowJson(row));
      yield { table: table.name, row };
    }
    tables[table.name] = digest.value();
  }
  yield { manifest: { tenantId, schemaVersion: DATA_SCHEMA_VERSION, exportedAt: new Date().toISOString(), tables } };
}

/** The archive as JSON lines, for a file. */
export function archiveStream(db: Db, tenantId: string): ReadableStream<Uint8Array> {
  return linesStream(tenantArchive(db, tenantId));
}

/** The archive of the handle's own tenant as JSON lines, for an HTTP response, read on the handle's database. */
export function ownArchiveStream(t: TenantDb): ReadableStream<Uint8Array> {
  if (typeof t.tenantId !== 'string') throw new Error('the archive needs a handle bound to a tenant');
  return linesStream(archiveLines(t.client, t.tenantId));
}

function linesStream(lines: AsyncGenerator<ArchiveLine>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    async pull(controller) {
      const next = await lines.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
}

/** Counts and checksums of what a database holds of a tenant, computed as the export computes them. */
export async function tenantDigest(db: Db, tenantId: string): Promise<Record<string, TableDigest>> {
  const tables: Record<string, TableDigest> = {};
  const clustered = await withoutRowid(db.$client);
  for (const table of TENANT_TABLES) {
    const digest = new Digest();
    for await (const row of tableRows(db.$client, table, tenantId, clustered)) digest.add(rowJson(row));
    tables[table.name] = digest.value();
  }
  return tables;
}

const ROWS_PER_INSERT = 100;

/**
 * Writes an archive's rows into a database that holds nothing of the tenant, in one atomic batch
 * per table. Foreign keys are checked at each commit. Returns the manifest the archive carried.
 */
export async function importArchive(db: Db, lines: AsyncIterable<ArchiveLine>): Promise<Manifest> {
  let pending: { table: string; rows: Record<string, unknown>[] } | undefined;
  let manifest: Manifest | undefined;
  const flush = async () => {
    if (!pending || pending.rows.length === 0) return;
    const statements: InStatement[] = [];
    for (let i = 0; i < pending.rows.length; i += ROWS_PER_INSERT) {
      const chunk = pending.rows.slice(i, i + ROWS_PER_INSERT);
      const columns = Object.keys(chunk[0]!);
      const placeholders = `(${columns.map(() => '?').join(', ')})`;
      statements.push({
        sql: `insert into "${pending.table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${chunk.map(() => placeholders).join(', ')}`,
        args: chunk.flatMap((row) => columns.map((c) => row[c] as never)),
      });
    }
    await db.$client.batch(statements, 'write');
    pending.rows = [];
  };
  for await (const line of lines) {
    if ('manifest' in line) manifest = line.manifest;
    if (!('table' in line)) continue;
    if (!TENANT_TABLES.some((t) => t.name === line.table)) throw new Error(`the archive names an unknown table ${line.table}`);
    if (pending?.table !== line.table) {
      await flush();
      pending = { table: line.table, rows: [] };
    }
    pending.rows.push(line.row);
    if (pending.rows.length >= 20 * ROWS_PER_INSERT) await flush();
  }
  await flush();
  if (!manifest) throw new Error('the archive has no manifest: it was cut short');
  return manifest;
}

/**
 * The fold's watermark (rollup_watermarks.response_seq) is a rowid of the database it was written
 * in; a copy gives the same answers other rowids, in the same order (exported and inserted by
 * rowid). Rewritten in the copy to the rowid of the last answer the source had folded: otherwise
 * a copy into a database with fewer rows would hide every new answer under the old watermark.
 */
export async function carryFoldWatermark(from: Db, to: Db, tenantId: string): Promise<void> {
  // The watermark as copied (the source's at export time: a fold since then is not in the copy's rollups).
  const copied = await to.$client.execute({ sql: 'select response_seq from rollup_watermarks where tenant_id = ?', args: [tenantId] });
  if (copied.rows.length === 0) return;
  const rs = await from.$client.execute({ sql: 'select count(*) as n from responses where tenant_id = ? and rowid <= ?', args: [tenantId, Number(copied.rows[0]!.response_seq)] });
  const folded = Number(rs.rows[0]!.n);
  await to.$client.execute({
    sql: 'update rollup_watermarks set response_seq = coalesce((select rowid from responses where tenant_id = ? order by rowid limit 1 offset ?), 0) where tenant_id = ?',
    args: [tenantId, Math.max(folded - 1, 0), tenantId],
  });
  if (folded === 0) await to.$client.execute({ sql: 'update rollup_watermarks set response_seq = 0 where tenant_id = ?', args: [tenantId] });
}

/** Deletes every row of the tenant from every table, children first, in one atomic batch. */
export async function deleteTenantRows(db: Db, tenantId: string): Promise<void> {
  const statements: InStatement[] = [...TENANT_TABLES].reverse().map((t) => ({ sql: `delete from "${t.name}" where "${t.tenantColumn}" = ?`, args: [tenantId] }));
  await db.$client.batch(statements, 'write');
}

/**
 * Pauses (or resumes) a tenant's writes in one data database: respondents bound by the database
 * id their link or widget key carries read it there, not the directory (src/lib/bind-tenant.ts),
 * and their answers wait in the buffer meanwhile.
 */
export async function pauseTenantWrites(db: Db, tenantId: string, paused: boolean): Promise<void> {
  await db.$client.execute({ sql: 'update tenants set writes_paused_at = ? where id = ?', args: [paused ? Date.now() : null, tenantId] });
}
