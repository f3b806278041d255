import { sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { isStorageUnavailable, openDb, StorageUnavailable, type Db } from './client';
import { openDirectory, type Directory } from './directory';
import { DATA_SCHEMA_VERSION } from './schema-version';
import { ApiError } from '../lib/errors';
import type { Config, Env } from '../env';

/*
 * How a request finds its tenant's data database (docs/architecture.md, "Data plane"). With a
 * directory (DIRECTORY_URL), the tenant's placement is read from it once and kept per isolate
 * for PLACEMENT_CACHE_MS; without one (the single-database mode of a small install), every
 * tenant lives in the one database LIBSQL_URL, called `default`.
 */

export interface Placement {
  tenantId: string;
  databaseId: string;
  url: string;
  region: string;
  /** `moving`: reads are served, writes answered 503 until the move ends. */
  status: 'active' | 'moving' | 'deleting';
  schemaVersion: number;
}

/** What a scheduled job works on: one data database (the cron fans out one message per database). */
export interface DatabaseRun {
  env: Env;
  db: Db;
  databaseId: string;
}

export interface DataDatabaseRef {
  id: string;
  url: string;
  region: string;
  schemaVersion: number;
}

export const DEFAULT_DATABASE = 'default';
/** How long an isolate trusts a placement it read, by default (PLACEMENT_CACHE_SECONDS): a move waits this long at each step. */
export const PLACEMENT_CACHE_MS = 30_000;
const RETRY_AFTER_SECONDS = 30;

/**
 * Placements and API keys as the isolate last read them, each for PLACEMENT_CACHE_SECONDS. Their
 * keys can come from what anyone sends (a widget key's tenant, an API key's id), so the caches are
 * bounded: the least recently used entry goes first (lru-cache).
 */
const CACHED_MAX = 10_000;
const placements = new LRUCache<string, { placement: Placement | null }>({ max: CACHED_MAX });
/**
 * Data databases by directory and id, as the links and widget keys name them: an id's URL and region never
 * change, so an entry is kept for the isolate's life and the catalog is read again only for an
 * id not seen yet, or while a database is behind this code's schema (to see its upgrade).
 */
const knownDatabases = new Map<string, { ref: DataDatabaseRef; readAt: number }>();
const apiKeyTenants = new LRUCache<string, { tenantId: string | null }>({ max: CACHED_MAX });
let catalogCache: { key: string; databases: DataDatabaseRef[]; until: number } | undefined;

const unavailable = (message: string) => new ApiError('UNAVAILABLE', message, undefined, { 'retry-after': String(RETRY_AFTER_SECONDS) });
const upgrading = () => unavailable('this organisation’s database is being upgraded; try again shortly');
/** A write while the tenant moves (or is being deleted): the directory, or the data database's own `tenants` row, says so. */
export const moving = () => unavailable('this organisation’s data is being moved; changes are paused for a few minutes');

export class DataPlane {
  readonly directory: Directory | null;

  constructor(private readonly config: Config) {
    this.directory = config.directoryUrl ? openDirectory(config.directoryUrl, config.directoryAuthToken, config.storageDeadlineMs) : null;
  }

  /** The token of a data database: its region's (Turso group tokens), else the single database's. */
  private tokenOf(region: string): string | undefined {
    return this.config.regionTokens[region] ?? this.config.libsqlAuthToken;
  }

  /**
   * A client of a data database. Each storage call through it fails past `deadlineMs`: the
   * request deadline by default (STORAGE_DEADLINE_MS), the job deadline for cron jobs and queue
   * consumers (docs/outage.md).
   */
  open(ref: { url: string; region: string }, deadlineMs = this.config.storageDeadlineMs): Db {
    return openDb(ref.url, this.tokenOf(ref.region), deadlineMs);
  }

  /** Where a tenant's data lives, or null for a tenant the directory does not know. */
  async placement(tenantId: string): Promise<Placement | null> {
    if (!this.directory) {
      return { tenantId, databaseId: DEFAULT_DATABASE, url: this.config.libsqlUrl!, region: this.config.defaultRegion, status: 'active', schemaVersion: DATA_SCHEMA_VERSION };
    }
    const hit = placements.get(tenantId);
    if (hit) return hit.placement;
    const rs = await this.directory.$client.execute({
      sql: 'select t.status, t.region, d.id as database_id, d.url, d.schema_version from tenants t join data_databases d on d.id = t.database_id where t.id = ?',
      args: [tenantId],
    });
    const row = rs.rows[0];
    const placement: Placement | null = row
      ? { tenantId, databaseId: String(row.database_id), url: String(row.url), region: String(row.region), status: row.status as Placement['status'], schemaVersion: Number(row.schema_version) }
      : null;
    this.remember(placements, tenantId, { placement });
    return placement;
  }

  /** Keeps an entry for PLACEMENT_CACHE_SECONDS; 0 keeps nothing (lru-cache reads a ttl of 0 as "forever"). */
  private remember<V extends {}>(cache: LRUCache<string, V>, key: string, value: V): void {
    if (this.config.placementCacheMs > 0) cache.set(key, value, { ttl: this.config.placementCacheMs });
  }

  /** Forgets what the isolate keeps of a tenant's placement (a move or a deletion run in this process, and tests). */
  forget(tenantId: string): void {
    placements.delete(tenantId);
  }

  /**
   * The tenant's database for a request, with its catalog id (links signed on it carry the id).
   * Answers 503 with Retry-After, for this tenant only, while
   * its database is behind this code's schema or, for a write, while the tenant is being moved.
   * Null for a tenant that is unknown or being deleted: its credentials are as good as none.
   */
  async bind(tenantId: string, opts: { write: boolean; job?: boolean }): Promise<{ db: Db; databaseId?: string } | null> {
    const p = await this.placement(tenantId);
    if (!p || p.status === 'deleting') return null;
    if (p.schemaVersion < DATA_SCHEMA_VERSION) throw upgrading();
    if (p.status === 'moving' && opts.write) throw moving();
    // The single-database mode names no database: its links carry none.
    return { db: this.open(p, opts.job ? this.config.jobStorageDeadlineMs : this.config.storageDeadlineMs), ...(this.directory ? { databaseId: p.databaseId } : {}) };
  }

  async forTenant(tenantId: string, opts: { write: boolean; job?: boolean }): Promise<Db | null> {
    return (await this.bind(tenantId, opts))?.db ?? null;
  }

  /**
   * The data database a survey link or widget key names, by catalog id, without reading the
   * tenant's placement: answering a survey does not wait on the directory (docs/architecture.md,
   * "Survey links and widget keys carry their database"). The catalog is read at most once per isolate for an
   * id (see `knownDatabases`); null for an id the catalog does not have. Whether the tenant is
   * still there, or its writes paused for a move, the data database itself says (`tenants`).
   */
  async forDatabase(databaseId: string): Promise<Db | null> {
    const ref = await this.catalogEntry(databaseId);
    if (!ref) return null;
    if (ref.schemaVersion < DATA_SCHEMA_VERSION) throw upgrading();
    return this.open(ref);
  }

  private async catalogEntry(databaseId: string): Promise<DataDatabaseRef | null> {
    const known = knownDatabases.get(`${this.config.directoryUrl}|${databaseId}`);
    if (known && (known.ref.schemaVersion >= DATA_SCHEMA_VERSION || known.readAt + this.config.placementCacheMs > Date.now())) return known.ref;
    const all = await this.databases(true);
    return all.find((d) => d.id === databaseId) ?? null;
  }

  /** The database of the single-database mode (no directory): every tenant's. */
  single(): Db | null {
    return this.directory ? null : openDb(this.config.libsqlUrl!, this.config.libsqlAuthToken, this.config.storageDeadlineMs);
  }

  /**
   * Where sign-in counters live: counted before the tenant is known, so in the directory (or the
   * single database). The table has the same shape in both.
   */
  counters(): Db {
    return (this.directory as Db | null) ?? this.single()!;
  }

  /** The tenants that have an account for this email (directory mode); null: look in the single database. */
  async tenantsOfEmail(email: string): Promise<string[] | null> {
    if (!this.directory) return null;
    const rs = await this.directory.$client.execute({ sql: 'select tenant_id from identities where email = ? order by tenant_id', args: [email] });
    return rs.rows.map((r) => String(r.tenant_id));
  }

  /** Records that a tenant has an account for an email (before the account is written: a stray row only costs a lookup). */
  async registerIdentity(email: string, tenantId: string): Promise<void> {
    await this.directory?.$client.execute({ sql: 'insert into identities (email, tenant_id) values (?, ?) on conflict do nothing', args: [email, tenantId] });
  }

  /** The tenant of an API key id (directory mode), kept per isolate; null: unknown; undefined: look in the single database. */
  async tenantOfApiKey(keyId: string): Promise<string | null | undefined> {
    if (!this.directory) return undefined;
    const hit = apiKeyTenants.get(keyId);
    if (hit) return hit.tenantId;
    const rs = await this.directory.$client.execute({ sql: 'select tenant_id from api_key_ids where key_id = ? and revoked_at is null', args: [keyId] });
    const tenantId = rs.rows[0] ? String(rs.rows[0].tenant_id) : null;
    this.remember(apiKeyTenants, keyId, { tenantId });
    return tenantId;
  }

  async registerApiKey(keyId: string, tenantId: string): Promise<void> {
    await this.directory?.$client.execute({ sql: 'insert into api_key_ids (key_id, tenant_id) values (?, ?)', args: [keyId, tenantId] });
  }

  /** A revoked key stops resolving here at once, and everywhere when the data database says so (checked on every call). */
  async revokeApiKey(keyId: string, now: number): Promise<void> {
    apiKeyTenants.delete(keyId);
    await this.directory?.$client.execute({ sql: 'update api_key_ids set revoked_at = ? where key_id = ? and revoked_at is null', args: [now, keyId] });
  }

  /** Every data database, for the cron fan-out and migrations. */
  async databases(fresh = false): Promise<DataDatabaseRef[]> {
    if (!this.directory) return [{ id: DEFAULT_DATABASE, url: this.config.libsqlUrl!, region: this.config.defaultRegion, schemaVersion: DATA_SCHEMA_VERSION }];
    const key = this.config.directoryUrl!;
    if (!fresh && catalogCache && catalogCache.key === key && catalogCache.until > Date.now()) return catalogCache.databases;
    const rs = await this.directory.$client.execute('select id, url, region, schema_version from data_databases order by id');
    const databases = rs.rows.map((r) => ({ id: String(r.id), url: String(r.url), region: String(r.region), schemaVersion: Number(r.schema_version) }));
    const now = Date.now();
    catalogCache = { key, databases, until: now + this.config.placementCacheMs };
    for (const ref of databases) knownDatabases.set(`${key}|${ref.id}`, { ref, readAt: now });
    return databases;
  }

  /** One data database by its catalog id (queue messages carry it), for a job: with the job deadline. */
  async byId(databaseId: string | undefined): Promise<Db> {
    const all = await this.databases();
    const ref = databaseId === undefined && all.length === 1 ? all[0] : all.find((d) => d.id === databaseId);
    if (!ref) throw new Error(`no data database ${String(databaseId)} in the catalog`);
    return this.open(ref, this.config.jobStorageDeadlineMs);
  }

  /**
   * Whether each database answers `select 1` within the request deadline, for monitoring
   * (GET /healthz): the directory and every data database of its catalog, or the one database.
   * A catalog the directory cannot give lists the directory alone.
   */
  async probe(): Promise<DatabaseProbe[]> {
    const ping = async (id: string, kind: DatabaseProbe['kind'], region: string | null, db: { run: Db['run'] }): Promise<DatabaseProbe> => {
      const started = Date.now();
      try {
        await db.run(sql`select 1`);
        return { id, kind, region, reachable: true, latencyMs: Date.now() - started };
      } catch (err) {
        return { id, kind, region, reachable: false, latencyMs: null, error: failureOf(err) };
      }
    };
    if (!this.directory) return [await ping(DEFAULT_DATABASE, 'data', this.config.defaultRegion, this.single()!)];
    const directory = await ping('directory', 'directory', null, this.directory);
    let catalog: DataDatabaseRef[];
    try {
      catalog = await this.databases();
    } catch {
      return [directory];
    }
    return [directory, ...(await Promise.all(catalog.map((d) => ping(d.id, 'data', d.region, this.open(d)))))];
  }
}

/** One database as GET /healthz reports it. */
export interface DatabaseProbe {
  id: string;
  kind: 'directory' | 'data';
  region: string | null;
  reachable: boolean;
  latencyMs: number | null;
  /** Why it is not reachable: past the deadline, refused or lost, a server error, or another failure. */
  error?: 'timeout' | 'unreachable' | 'server-error' | 'failed';
}

const failureOf = (err: unknown): NonNullable<DatabaseProbe['error']> => {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; depth++, e = (e as { cause?: unknown }).cause) {
    if (e instanceof StorageUnavailable) return e.reason;
  }
  return isStorageUnavailable(err) ? 'timeout' : 'failed';
};

const planes = new WeakMap<Config, DataPlane>();

/** The data plane of a configuration, one per isolate. */
export function dataPlane(config: Config): DataPlane {
  let plane = planes.get(config);
  if (!plane) planes.set(config, (plane = new DataPlane(config)));
  return plane;
}
