import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Unit kinds of an organisation hierarchy (BRIEF.md "Reporting"). */
export const UNIT_KINDS = ['enterprise', 'division', 'region', 'site', 'team', 'vendor'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

/** Roles as in ARCHITECTURE.md "Roles"; a grant reaches the unit's whole subtree. */
export const ROLES = ['admin', 'analyst', 'manager', 'agent', 'vendor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

// Epoch milliseconds; integers compare and index cheaply and cross the Hrana wire exactly.
const createdAt = () =>
  integer('created_at', { mode: 'number' })
    .notNull()
    .default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);
const updatedAt = () =>
  integer('updated_at', { mode: 'number' })
    .notNull()
    .default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);

export const tenants = sqliteTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** The owning tenant: on every tenant table, leading every index. */
const tenantId = () =>
  text('tenant_id')
    .notNull()
    .references(() => tenants.id);

export const units = sqliteTable(
  'units',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    parentId: text('parent_id'),
    name: text('name').notNull(),
    kind: text('kind', { enum: UNIT_KINDS }).notNull(),
    /** Materialised path of unit ids, `/root/child/.../self/`: a subtree is a prefix. */
    path: text('path').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('units_tenant_path').on(t.tenantId, t.path),
    // Sibling names are unique; the index also serves child lookups by parent.
    uniqueIndex('units_tenant_parent_name').on(t.tenantId, t.parentId, t.name),
  ],
);

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    status: text('status', { enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_tenant_email').on(t.tenantId, t.email)],
);

/**
 * The sign-in directory: an email names exactly one account platform-wide, so login can
 * find the tenant from the email alone. Its key is the email, not a tenant-owned index.
 */
export const loginEmails = sqliteTable('login_emails', {
  email: text('email').primaryKey(),
  tenantId: tenantId(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id),
});

export const roleGrants = sqliteTable(
  'role_grants',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    role: text('role', { enum: ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('role_grants_tenant_user_unit').on(t.tenantId, t.userId, t.unitId),
    index('role_grants_tenant_unit').on(t.tenantId, t.unitId),
  ],
);

/** Server-side record of a session JWT (`sid`), so logout and disabling a user take effect at once. */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    expiresAt: integer('expires_at', { mode: 'number' }).notNull(),
    revokedAt: integer('revoked_at', { mode: 'number' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('sessions_tenant_user').on(t.tenantId, t.userId),
    index('sessions_tenant_expires').on(t.tenantId, t.expiresAt),
  ],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    /** Also the visible part of the key: `nps_<id>_<secret>`; lookup is by primary key. */
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key, hex. The secret itself is never stored. */
    hash: text('hash').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
    createdBy: text('created_by'),
    expiresAt: integer('expires_at', { mode: 'number' }),
    lastUsedAt: integer('last_used_at', { mode: 'number' }),
    revokedAt: integer('revoked_at', { mode: 'number' }),
    createdAt: createdAt(),
  },
  (t) => [index('api_keys_tenant_created').on(t.tenantId, t.createdAt)],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    actorType: text('actor_type', { enum: ['user', 'api_key', 'system'] }).notNull(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    /** SHA-256 of the canonical JSON of the record before and after; null when absent. */
    beforeDigest: text('before_digest'),
    afterDigest: text('after_digest'),
    /** What changed, without secrets (field names and new values). */
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
    requestId: text('request_id'),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_log_tenant_created').on(t.tenantId, t.createdAt),
    index('audit_log_tenant_target').on(t.tenantId, t.targetType, t.targetId),
  ],
);

/** Fixed-window counters for login throttling, keyed by account or client address. */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start', { mode: 'number' }).notNull(),
  count: integer('count', { mode: 'number' }).notNull(),
});
