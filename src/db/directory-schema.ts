import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/*
 * The directory (control plane): which tenants exist, which data database holds each one, and
 * what must be found before a tenant is known (sign-in identities, API key ids, widget public
 * keys). It holds no answers, contacts or comments: those stay in the tenant's own region.
 * Its migrations live in migrations/directory/ (drizzle.directory.config.ts).
 */

/** Regions a data database can be placed in. */
export const REGIONS = ['eu', 'us'] as const;
export type Region = (typeof REGIONS)[number];

const createdAt = () => integer('created_at', { mode: 'number' }).notNull().default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);

/** The catalog of data databases. `schemaVersion` is the number of data migrations applied. */
export const dataDatabases = sqliteTable('data_databases', {
  id: text('id').primaryKey(),
  region: text('region', { enum: REGIONS }).notNull(),
  url: text('url').notNull(),
  /** A dedicated database holds one tenant; a shared one holds many small tenants. */
  placement: text('placement', { enum: ['dedicated', 'shared'] }).notNull(),
  schemaVersion: integer('schema_version').notNull().default(0),
  createdAt: createdAt(),
});

export const TENANT_STATUSES = ['active', 'moving', 'deleting'] as const;

export const directoryTenants = sqliteTable(
  'tenants',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    region: text('region', { enum: REGIONS }).notNull(),
    /** While `moving`, writes are answered 503 with Retry-After. */
    status: text('status', { enum: TENANT_STATUSES }).notNull().default('active'),
    databaseId: text('database_id')
      .notNull()
      .references(() => dataDatabases.id),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('tenants_database').on(t.databaseId)],
);

/** Sign-in identities: which tenants have an account for an email (one email may have several; the person chooses). */
export const identities = sqliteTable(
  'identities',
  {
    email: text('email').notNull(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => directoryTenants.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.email, t.tenantId] }), index('identities_tenant').on(t.tenantId)],
);

/** API keys by their public id (the prefix before the secret). */
export const apiKeyIds = sqliteTable(
  'api_key_ids',
  {
    keyId: text('key_id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => directoryTenants.id, { onDelete: 'cascade' }),
    revokedAt: integer('revoked_at', { mode: 'number' }),
  },
  (t) => [index('api_key_ids_tenant').on(t.tenantId)],
);

/** Widget public keys: the widget session finds its tenant here, never by scanning settings. */
export const widgetKeys = sqliteTable(
  'widget_keys',
  {
    publicKey: text('public_key').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => directoryTenants.id, { onDelete: 'cascade' }),
  },
  (t) => [index('widget_keys_tenant').on(t.tenantId)],
);

/** Lifecycle operations on tenants and databases (create, export, move, delete, migrate). */
export const directoryAudit = sqliteTable(
  'directory_audit',
  {
    id: text('id').primaryKey(),
    at: createdAt(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    tenantId: text('tenant_id'),
    databaseId: text('database_id'),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('directory_audit_tenant').on(t.tenantId, t.at)],
);

/** Sign-in counters (src/auth/rate-limit.ts): counted before the tenant is known, so here. Same shape as the data databases' table. */
export const directoryRateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start', { mode: 'number' }).notNull(),
  count: integer('count').notNull(),
});
