import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Unit kinds of an organisation hierarchy (docs/access.md, "Hierarchy"). */
export const UNIT_KINDS = ['enterprise', 'division', 'region', 'site', 'team', 'vendor'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

/** Roles as in docs/access.md, "Roles"; a grant reaches the unit's whole subtree. */
export const ROLES = ['admin', 'analyst', 'manager', 'agent', 'vendor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** A tenant's settings name a retention period (src/settings/retention.ts): the expression of the index tenants_retention. */
export const RETENTION_SET = "((settings ->> '$.retention.commentDays') is not null or (settings ->> '$.retention.contactDays') is not null)";

// Epoch milliseconds; integers compare and index cheaply and cross the Hrana wire exactly.
const createdAt = () => integer('created_at', { mode: 'number' }).notNull().default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);
const updatedAt = () => integer('updated_at', { mode: 'number' }).notNull().default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);

export const tenants = sqliteTable(
  'tenants',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** Program settings (fatigue window, providers, widget keys...), validated by the settings feature. */
    settings: text('settings', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
    /**
     * Set while the tenant is moved to another database or deleted (src/tenancy/lifecycle.ts):
     * respondents' writes bound by a link's database id, not the directory, are buffered meanwhile.
     */
    writesPausedAt: integer('writes_paused_at', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // The daily due-work probe (src/jobs/due-work.ts): is there a tenant with a retention period?
  () => [index('tenants_retention').on(sql.raw(RETENTION_SET))],
);

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
 * The sign-in directory: the accounts an email has, at most one per tenant, so login finds
 * them from the email alone. One person may belong to several tenants (docs/access.md); its
 * key starts with the email, not with a tenant.
 */
export const loginEmails = sqliteTable(
  'login_emails',
  {
    email: text('email').notNull(),
    tenantId: tenantId(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
  },
  (t) => [primaryKey({ columns: [t.email, t.tenantId] })],
);

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
    // The hourly due-work probe: managers (digests) in any tenant.
    index('role_grants_role').on(t.role),
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
    /** Keyed fingerprint of the network signed in from (src/auth/network.ts; docs/integrity.md); null without a usable address. Never the address. */
    networkHash: text('network_hash'),
    createdAt: createdAt(),
  },
  (t) => [
    index('sessions_tenant_user').on(t.tenantId, t.userId),
    index('sessions_tenant_expires').on(t.tenantId, t.expiresAt),
    // The daily purge finds expired and long-revoked sessions of every tenant through these.
    index('sessions_expires').on(t.expiresAt),
    index('sessions_revoked').on(t.revokedAt).where(sql`${t.revokedAt} is not null`),
  ],
);

/**
 * The networks a user signed in from (keyed fingerprints, src/auth/network.ts), one row per user
 * and network with the first and last sign-in from it: the integrity signal "answers sent from the
 * agent's own network" (docs/integrity.md) compares answers of the last 90 days with these, which
 * outlive the sessions (purged a day after they end). Written in the batch of the sign-in; rows
 * not seen for 180 days are deleted by the daily credentials purge.
 */
export const signInNetworks = sqliteTable(
  'sign_in_networks',
  {
    tenantId: tenantId(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    networkHash: text('network_hash').notNull(),
    firstAt: integer('first_at', { mode: 'number' }).notNull(),
    lastAt: integer('last_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.userId, t.networkHash] }),
    // The daily purge of networks not seen for the retention period, across tenants.
    index('sign_in_networks_last').on(t.lastAt),
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
    // The corrections listed beside a closed target period: exclusions and inclusions since it closed.
    index('audit_log_tenant_action_created').on(t.tenantId, t.action, t.createdAt),
  ],
);

/** Fixed-window counters for login throttling, keyed by account or client address. */
export const rateLimits = sqliteTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    windowStart: integer('window_start', { mode: 'number' }).notNull(),
    count: integer('count', { mode: 'number' }).notNull(),
  },
  // The daily purge of stale counters.
  (t) => [index('rate_limits_window').on(t.windowStart)],
);

// ---------------------------------------------------------------------------------------------
// The respondent side: surveys and their immutable versions, touchpoints, contacts, operational
// events with their eligibility decisions, invitations and their delivery, responses.

export const CHANNELS = ['email', 'sms', 'webhook', 'link', 'in_app'] as const;
export type Channel = (typeof CHANNELS)[number];
/**
 * Where an answer came in: a delivery channel, or a channel of answers collected elsewhere and
 * imported (POST /api/v1/responses/import): an IVR system, paper, a phone interview, in person.
 */
export const RESPONSE_CHANNELS = [...CHANNELS, 'ivr', 'paper', 'phone', 'in_person'] as const;
export type ResponseChannel = (typeof RESPONSE_CHANNELS)[number];

export const surveys = sqliteTable(
  'surveys',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    defaultLocale: text('default_locale').notNull(),
    /** The editable draft (questions and translations); publishing copies it into a version. */
    draft: text('draft', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** The newest published version number; null until the first publish. */
    publishedVersion: integer('published_version', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('surveys_tenant_created').on(t.tenantId, t.createdAt)],
);

/** A published survey: immutable; every answer names the version it answered. */
export const surveyVersions = sqliteTable(
  'survey_versions',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    surveyId: text('survey_id')
      .notNull()
      .references(() => surveys.id),
    version: integer('version', { mode: 'number' }).notNull(),
    definition: text('definition', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    publishedBy: text('published_by'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('survey_versions_tenant_survey_version').on(t.tenantId, t.surveyId, t.version)],
);

export const touchpoints = sqliteTable(
  'touchpoints',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    /** Stable slug used by integrations, e.g. `support-resolution`. */
    key: text('key').notNull(),
    name: text('name').notNull(),
    kind: text('kind').notNull(),
    surveyId: text('survey_id')
      .notNull()
      .references(() => surveys.id),
    channels: text('channels', { mode: 'json' }).$type<Channel[]>().notNull(),
    delayMinutes: integer('delay_minutes', { mode: 'number' }).notNull().default(0),
    reminderAfterDays: integer('reminder_after_days', { mode: 'number' }),
    /** Eligibility rules: suppression after negative interactions, fatigue, sampling, daily cap. */
    rules: text('rules', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('touchpoints_tenant_key').on(t.tenantId, t.key)],
);

/** Stakeholder roles of a B2B account's contacts (docs/accounts.md). */
export const STAKEHOLDER_ROLES = ['decision_maker', 'influencer', 'user'] as const;
export type StakeholderRole = (typeof STAKEHOLDER_ROLES)[number];

export const contacts = sqliteTable(
  'contacts',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    externalId: text('external_id').notNull(),
    email: text('email'),
    phone: text('phone'),
    locale: text('locale'),
    segment: text('segment'),
    lifetimeValue: real('lifetime_value'),
    tenureMonths: integer('tenure_months', { mode: 'number' }),
    contractSize: text('contract_size'),
    supportTier: text('support_tier'),
    /** The external id of the B2B account (accounts.external_id) the contact is a stakeholder of. */
    accountId: text('account_id'),
    /** The contact's stakeholder role in its account: it weighs the contact's answer in account NPS. */
    stakeholderRole: text('stakeholder_role', { enum: STAKEHOLDER_ROLES }),
    isEmployee: integer('is_employee', { mode: 'boolean' }).notNull().default(false),
    isTest: integer('is_test', { mode: 'boolean' }).notNull().default(false),
    optedOutAt: integer('opted_out_at', { mode: 'number' }),
    attributes: text('attributes', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('contacts_tenant_external').on(t.tenantId, t.externalId), index('contacts_tenant_account').on(t.tenantId, t.accountId)],
);

/** An operational event as received, with the eligibility decision and the rule that made it. */
export const events = sqliteTable(
  'events',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    /** The integration's own id: a replay with the same id changes nothing. */
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    occurredAt: integer('occurred_at', { mode: 'number' }).notNull(),
    contactId: text('contact_id').references(() => contacts.id),
    unitId: text('unit_id').references(() => units.id),
    touchpointId: text('touchpoint_id').references(() => touchpoints.id),
    /** The vendor unit that performed the work, independently of the site (`unitId`): docs/dimensions.md. */
    vendorId: text('vendor_id').references(() => units.id),
    /** Who handled it: a user id, or the integration's own agent id (mapped to a user later): docs/dimensions.md. */
    agentId: text('agent_id'),
    attributes: text('attributes', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
    decision: text('decision', { enum: ['invite', 'skip'] }).notNull(),
    reason: text('reason').notNull(),
    invitationId: text('invitation_id'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('events_tenant_event').on(t.tenantId, t.eventId),
    index('events_tenant_contact_occurred').on(t.tenantId, t.contactId, t.occurredAt),
    // The governance review's decisions of a subtree in a period (src/governance/quality.ts).
    index('events_tenant_unit_created').on(t.tenantId, t.unitId, t.createdAt),
  ],
);

export const INVITATION_STATUSES = ['scheduled', 'sending', 'sent', 'answered', 'failed', 'dead', 'expired', 'cancelled'] as const;

export const invitations = sqliteTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    contactId: text('contact_id').references(() => contacts.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    touchpointId: text('touchpoint_id')
      .notNull()
      .references(() => touchpoints.id),
    surveyId: text('survey_id')
      .notNull()
      .references(() => surveys.id),
    surveyVersion: integer('survey_version', { mode: 'number' }).notNull(),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    locale: text('locale'),
    /** The event's vendor and agent (docs/dimensions.md): the answer copies them. */
    vendorId: text('vendor_id'),
    agentId: text('agent_id'),
    status: text('status', { enum: INVITATION_STATUSES }).notNull(),
    /** Where it came from: `event:<eventId>`, `wave:<waveId>:<run>`, `widget:<userId>`. */
    source: text('source').notNull(),
    dueAt: integer('due_at', { mode: 'number' }).notNull(),
    sentAt: integer('sent_at', { mode: 'number' }),
    attempts: integer('attempts', { mode: 'number' }).notNull().default(0),
    lastError: text('last_error'),
    reminderDueAt: integer('reminder_due_at', { mode: 'number' }),
    remindedAt: integer('reminded_at', { mode: 'number' }),
    expiresAt: integer('expires_at', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // The program funnel's invitations due in a period (src/program/funnel.ts), which reads each row's status
    // anyway. Not keyed by status: answering an invitation (capture's hot path) changes its status, not its place here.
    index('invitations_tenant_due').on(t.tenantId, t.dueAt),
    index('invitations_tenant_contact_created').on(t.tenantId, t.contactId, t.createdAt),
    index('invitations_tenant_touchpoint_created').on(t.tenantId, t.touchpointId, t.createdAt),
    // The governance review's invitations of a subtree in a period (src/governance/): each unit's by creation time.
    index('invitations_tenant_unit_created').on(t.tenantId, t.unitId, t.createdAt),
    // The every-minute due-work probe (src/jobs/due-work.ts) and the delivery scan's picks (src/delivery/scan.ts),
    // across tenants: the due rows only. An answer leaves the open ones; no index keyed by status moves.
    index('invitations_open_expires').on(t.expiresAt).where(sql`${t.status} in ('scheduled', 'sending', 'sent')`),
    index('invitations_scheduled_due').on(t.dueAt).where(sql`${t.status} = 'scheduled'`),
    index('invitations_sending_updated').on(t.updatedAt).where(sql`${t.status} = 'sending'`),
    index('invitations_reminder_due').on(t.reminderDueAt).where(sql`${t.status} = 'sent' and ${t.remindedAt} is null`),
  ],
);

/** Every try to deliver an invitation or a reminder, failed or not. */
export const deliveryAttempts = sqliteTable(
  'delivery_attempts',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    invitationId: text('invitation_id')
      .notNull()
      .references(() => invitations.id),
    kind: text('kind', { enum: ['invitation', 'reminder'] }).notNull(),
    attempt: integer('attempt', { mode: 'number' }).notNull(),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    outcome: text('outcome', { enum: ['sent', 'failed'] }).notNull(),
    statusCode: integer('status_code', { mode: 'number' }),
    error: text('error'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('delivery_attempts_tenant_invitation_attempt').on(t.tenantId, t.invitationId, t.kind, t.attempt)],
);

export const responses = sqliteTable(
  'responses',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    /** One response per invitation; null for anonymous touchpoint links. */
    invitationId: text('invitation_id').references(() => invitations.id),
    touchpointId: text('touchpoint_id')
      .notNull()
      .references(() => touchpoints.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    contactId: text('contact_id').references(() => contacts.id),
    surveyId: text('survey_id')
      .notNull()
      .references(() => surveys.id),
    surveyVersion: integer('survey_version', { mode: 'number' }).notNull(),
    channel: text('channel', { enum: RESPONSE_CHANNELS }).notNull(),
    locale: text('locale').notNull(),
    /** 0-10, null while only other questions were answered (then not in any denominator). */
    score: integer('score', { mode: 'number' }),
    comment: text('comment'),
    answers: text('answers', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
    /** honeypot, too_fast, duplicate, bulk, test_contact, employee_contact. */
    qualityFlags: text('quality_flags', { mode: 'json' }).$type<string[]>().notNull().default([]),
    /** Whether the answer counts in scores: false when flagged, until an admin includes it. */
    counted: integer('counted', { mode: 'boolean' }).notNull(),
    /** Anonymous answers: keyed hash of tenant and client address for the duplicate and bulk rules (src/responses/quality.ts); null on invitations. */
    clientHash: text('client_hash'),
    /** Anonymous answers: the nonce of the page's form state that created it, so one page's state makes one answer. */
    formNonce: text('form_nonce'),
    /** The contact's segment and lifetime value when the answer came, so rollups and the live tail agree. */
    segment: text('segment'),
    lifetimeValue: real('lifetime_value'),
    /**
     * The contact's tenure, contract size and support tier when the answer came: the contact cuts
     * of the scores count them as they stood then, like the segment (docs/dimensions.md).
     */
    tenureMonths: integer('tenure_months', { mode: 'number' }),
    contractSize: text('contract_size'),
    supportTier: text('support_tier'),
    answeredAt: integer('answered_at', { mode: 'number' }),
    /** Answers collected elsewhere and imported: the other system's id (a replay of it changes nothing). Null for captured answers. */
    externalId: text('external_id'),
    /** An imported answer's own event (its operational facts); captured answers reach theirs through the invitation. */
    eventId: text('event_id'),
    /** The vendor unit and the agent that served the answer's job, copied from its invitation (docs/dimensions.md); null when none was named. */
    vendorId: text('vendor_id'),
    agentId: text('agent_id'),
    /** Invitation answers: keyed fingerprint of the respondent's network (src/auth/network.ts), for the integrity signals (docs/integrity.md); null for anonymous answers (they keep `client_hash`) and without a usable address. */
    networkHash: text('network_hash'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('responses_tenant_invitation').on(t.tenantId, t.invitationId),
    // Partial: captured answers (no external id) add no entry.
    uniqueIndex('responses_tenant_external').on(t.tenantId, t.externalId).where(sql`external_id is not null`),
    // Covering for the cuts counted from the answers (src/scores/query.ts, gatherFromResponses): the
    // columns after created_at are what a count by agent, vendor, contact or segment reads, so a
    // subtree's answers are counted from the index alone, without a lookup into the table per answer.
    index('responses_tenant_unit_created').on(t.tenantId, t.unitId, t.createdAt, t.counted, t.score, t.lifetimeValue, t.segment, t.agentId, t.vendorId, t.contactId),
    index('responses_tenant_created').on(t.tenantId, t.createdAt),
    // Partial: only anonymous answers carry a client hash (src/responses/quality.ts); invitation answers add no entry.
    index('responses_tenant_client_created').on(t.tenantId, t.clientHash, t.createdAt).where(sql`client_hash is not null`),
    // Partial: invitation answers (no nonce) add no entry on capture's hot path.
    uniqueIndex('responses_tenant_form_nonce').on(t.tenantId, t.formNonce).where(sql`form_nonce is not null`),
    // (tenant_id, rowid): every index ends in the rowid, so this one serves the fold's range
    // `tenant_id = ? and rowid > watermark` without scanning the tenant's history.
    index('responses_tenant_seq').on(t.tenantId),
    // Partial: an account's history reads its contacts' answers; anonymous answers add no entry.
    index('responses_tenant_contact_created').on(t.tenantId, t.contactId, t.createdAt).where(sql`contact_id is not null`),
    // Partial: a vendor's answers at every site, newest first (docs/dimensions.md); answers without a vendor add no entry.
    // Covering, like the unit index, for a vendor's answers counted by site or agent.
    index('responses_tenant_vendor_created').on(t.tenantId, t.vendorId, t.createdAt, t.unitId, t.counted, t.score, t.lifetimeValue, t.segment, t.agentId).where(sql`vendor_id is not null`),
    // Partial: an agent's answers (agent scores read them, not the rollups: docs/dimensions.md); covering, like the unit index.
    index('responses_tenant_agent_created').on(t.tenantId, t.agentId, t.createdAt, t.unitId, t.counted, t.score, t.lifetimeValue, t.segment).where(sql`agent_id is not null`),
    // Partial and covering: the answers without an agent, and those without a contact, by time: the
    // last page of the agent and account cuts counts them (docs/measurement.md, paging) without
    // reading every answer of the range. An answer enters at most one of each pair with the two above.
    // (The null column closes each: SQLite reads a column its WHERE names, the partial index's own condition included.)
    index('responses_tenant_no_agent').on(t.tenantId, t.createdAt, t.unitId, t.counted, t.score, t.lifetimeValue, t.segment, t.agentId).where(sql`agent_id is null`),
    index('responses_tenant_no_contact').on(t.tenantId, t.createdAt, t.unitId, t.counted, t.score, t.lifetimeValue, t.segment, t.contactId).where(sql`contact_id is null`),
  ],
);

/**
 * Anonymous touchpoint links revoked one by one (docs/capture.md). The links themselves are not
 * stored; a revoked one is known by the hash of its token, read with the link's target.
 */
export const revokedLinks = sqliteTable(
  'revoked_links',
  {
    /** base64url SHA-256 of the link's token. */
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    touchpointId: text('touchpoint_id')
      .notNull()
      .references(() => touchpoints.id),
    /** The link's unit (no foreign key: a revoked link does not keep its unit from being deleted). */
    unitId: text('unit_id').notNull(),
    /** When the link would have expired. */
    expiresAt: integer('expires_at', { mode: 'number' }).notNull(),
    revokedAt: integer('revoked_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('revoked_links_tenant_touchpoint').on(t.tenantId, t.touchpointId)],
);

/** Recurring relationship waves: a touchpoint sent to an audience on a schedule, started by cron. */
export const waves = sqliteTable(
  'waves',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    touchpointId: text('touchpoint_id')
      .notNull()
      .references(() => touchpoints.id),
    name: text('name').notNull(),
    /** A cron expression in the tenant root's time zone, e.g. `0 9 1 1,4,7,10 *` (quarterly). */
    schedule: text('schedule').notNull(),
    /** Who receives it: all contacts with an account id (every B2B stakeholder), or a segment. */
    audience: text('audience', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    nextRunAt: integer('next_run_at', { mode: 'number' }).notNull(),
    lastRunAt: integer('last_run_at', { mode: 'number' }),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // waves_active_next: the minute's cron finds due waves of every tenant.
  (t) => [index('waves_tenant_next').on(t.tenantId, t.nextRunAt), index('waves_active_next').on(t.active, t.nextRunAt)],
);

/** Development only: email and SMS that a dev provider "sent", read at GET /dev/outbox. */
export const devOutbox = sqliteTable(
  'dev_outbox',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject'),
    body: text('body').notNull(),
    invitationId: text('invitation_id'),
    createdAt: createdAt(),
  },
  (t) => [index('dev_outbox_tenant_created').on(t.tenantId, t.createdAt)],
);

// ---------------------------------------------------------------------------------------------
// Measurement: additive sufficient statistics per cell, folded from responses by cron.

/** One count column per score 0..10 (`score_0` … `score_10`). */
export const SCORE_COLUMNS = ['score_0', 'score_1', 'score_2', 'score_3', 'score_4', 'score_5', 'score_6', 'score_7', 'score_8', 'score_9', 'score_10'] as const;
type ScoreColumn = (typeof SCORE_COLUMNS)[number];
const scoreColumn = (c: ScoreColumn) => integer(c, { mode: 'number' }).notNull().default(0);

/** The sufficient statistics of a rollup row: a scoring tally (counts, lifetime-value sums) and the 0–10 distribution. */
const tallyColumns = () => ({
  promoters: integer('promoters', { mode: 'number' }).notNull(),
  passives: integer('passives', { mode: 'number' }).notNull(),
  detractors: integer('detractors', { mode: 'number' }).notNull(),
  w: real('w').notNull(),
  w2: real('w2').notNull(),
  wPromoters: real('w_promoters').notNull(),
  wDetractors: real('w_detractors').notNull(),
  /** The 0–10 distribution: how many answers gave each score (they sum to the three counts). */
  ...(Object.fromEntries(SCORE_COLUMNS.map((c) => [c, scoreColumn(c)])) as Record<ScoreColumn, ReturnType<typeof scoreColumn>>),
});

/**
 * One cell of answers: a unit's local day for one touchpoint, channel, segment, locale and
 * survey version. Counts and weighted sums add up, so any range, subtree or cut is a sum.
 * `w*` are lifetime-value weights (answers without a value weigh 0 there).
 */
export const rollups = sqliteTable(
  'rollups',
  {
    tenantId: tenantId(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    /** YYYY-MM-DD in the unit's time zone. */
    day: text('day').notNull(),
    touchpointId: text('touchpoint_id').notNull(),
    channel: text('channel').notNull(),
    /** '' when the contact had no segment (or there was no contact). */
    segment: text('segment').notNull(),
    locale: text('locale').notNull(),
    surveyId: text('survey_id').notNull(),
    surveyVersion: integer('survey_version', { mode: 'number' }).notNull(),
    /**
     * The vendor unit of the answers ('' when none was named): docs/dimensions.md. The agent is
     * not a cell dimension: with it a cell would hold about one answer (agent reads use the answers).
     */
    vendorId: text('vendor_id').notNull().default(''),
    ...tallyColumns(),
  },
  // Keyed by the cell, and stored in the key's order (WITHOUT ROWID, written in the migration: drizzle
  // has no option for it): a unit's cells of a range of days are neighbours on a few pages, not one
  // row per page found through an index (a busy site's edge days at 10M answers: 3.4 → 0.6 ms of CPU in sqlite3).
  (t) => [
    primaryKey({ name: 'rollups_cell', columns: [t.tenantId, t.unitId, t.day, t.touchpointId, t.channel, t.segment, t.locale, t.surveyId, t.surveyVersion, t.vendorId] }),
    index('rollups_tenant_day').on(t.tenantId, t.day),
  ],
);

/** How far each tenant's responses are folded into rollups: by insertion order (rowid), which a late row cannot slip under. */
export const rollupWatermarks = sqliteTable(
  'rollup_watermarks',
  {
    tenantId: text('tenant_id')
      .primaryKey()
      .references(() => tenants.id),
    /** The highest responses.rowid folded. */
    responseSeq: integer('response_seq', { mode: 'number' }).notNull(),
    foldedAt: integer('folded_at', { mode: 'number' }).notNull(),
    /** Bumped by every unit move: branch totals written against an older hierarchy are refused. */
    treeVersion: integer('tree_version', { mode: 'number' }).notNull().default(0),
    /**
     * The last month (YYYY-MM) whose month totals and branch months are built; '' for none. The
     * fold writes month rows only for months up to it (late answers); later months are read from
     * the day rows until they close (`closeMonths`), which keeps the fold to about one row per answer.
     */
    monthsClosedThrough: text('months_closed_through').notNull().default(''),
    /**
     * The highest responses.rowid in the contact dimension totals (tenure, contract size, support
     * tier in rollup_dim_days and _months). Equal to response_seq once caught up; behind it after
     * the migration that added them and after a unit move, while the fold rebuilds them batch by
     * batch (src/scores/fold.ts); the contact cuts read the answers until then.
     */
    contactDimsSeq: integer('contact_dims_seq', { mode: 'number' }).notNull().default(0),
  },
  // The every-minute due-work probe (src/jobs/due-work.ts): a tenant with months to close; a
  // tenant whose contact totals are being rebuilt (on the comparison, so the probe is one seek).
  (t) => [index('rollup_watermarks_months_closed').on(t.monthsClosedThrough), index('rollup_watermarks_contact_dims_behind').on(sql`(contact_dims_seq < response_seq)`)],
);

/**
 * Per data database, not per tenant: how far a cron job's work is known to be done, so that the
 * due-work probe (src/jobs/due-work.ts) decides "nothing to do" with one seek. `fold`: every
 * answer up to responses.rowid `seq` is folded, and `ref` is the id of the answer at that rowid
 * then (a rowid reused after a delete no longer matches it, and the probe says due).
 */
export const cronMarks = sqliteTable('cron_marks', {
  job: text('job').primaryKey(),
  seq: integer('seq', { mode: 'number' }).notNull(),
  ref: text('ref').notNull(),
  at: integer('at', { mode: 'number' }).notNull(),
});

// ---------------------------------------------------------------------------------------------
// Closing the loop: recovery cases, alerts on significant drops, outgoing webhooks, digests.

export const CASE_STATUSES = ['open', 'contacted', 'resolved', 'closed'] as const;
export const CASE_KINDS = ['detractor', 'at_risk'] as const;

/** A recovery case opened by a detractor's answer, owned by the manager or vendor who can act. */
export const cases = sqliteTable(
  'cases',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    /** What opened it: a detractor's answer (`detractor`, the answer named) or an account's churn probability crossing the tenant's threshold (`at_risk`, the account named; docs/accounts.md "Predictive alerts"). */
    kind: text('kind', { enum: CASE_KINDS }).notNull().default('detractor'),
    /** The answer of a `detractor` case; null for an `at_risk` case. */
    responseId: text('response_id').references(() => responses.id),
    /** The account of an `at_risk` case; null for a `detractor` case. */
    accountId: text('account_id').references(() => accounts.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    /** The answer's touchpoint; null for an `at_risk` case. */
    touchpointId: text('touchpoint_id'),
    contactId: text('contact_id'),
    /** The user accountable now (changes on escalation); null when nobody could be found. */
    ownerUserId: text('owner_user_id').references(() => users.id),
    status: text('status', { enum: CASE_STATUSES }).notNull(),
    /** The detractor's score; null for an `at_risk` case. */
    score: integer('score', { mode: 'number' }),
    firstContactDueAt: integer('first_contact_due_at', { mode: 'number' }),
    resolutionDueAt: integer('resolution_due_at', { mode: 'number' }),
    firstContactAt: integer('first_contact_at', { mode: 'number' }),
    resolvedAt: integer('resolved_at', { mode: 'number' }),
    closedAt: integer('closed_at', { mode: 'number' }),
    /** How many levels up the hierarchy the case has been escalated. */
    escalationLevel: integer('escalation_level', { mode: 'number' }).notNull().default(0),
    /** Which target breaches were escalated already (`first_contact`, `resolution`): once per breach. */
    escalated: text('escalated', { mode: 'json' }).$type<string[]>().notNull().default([]),
    rootCause: text('root_cause'),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull().default([]),
    /**
     * When the owner is told about the new case, while that is still to come: opened without a
     * comment, the case waits for it (the grace); the comment's arrival makes it due at once
     * (trigger responses_comment_case_due). Null once notified, or when notified at opening.
     */
    notifyDueAt: integer('notify_due_at', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('cases_tenant_response').on(t.tenantId, t.responseId),
    index('cases_tenant_notify_due').on(t.tenantId, t.notifyDueAt),
    index('cases_tenant_status_due').on(t.tenantId, t.status, t.resolutionDueAt),
    index('cases_tenant_owner_status').on(t.tenantId, t.ownerUserId, t.status),
    index('cases_tenant_unit_created').on(t.tenantId, t.unitId, t.createdAt),
    // The escalation cron (src/cases/escalation.ts) across tenants: late first contacts, late
    // resolutions, escalated cases whose mail is still owed; and the foreign key from responses.
    index('cases_status_first_contact_due').on(t.status, t.firstContactDueAt),
    index('cases_status_resolution_due').on(t.status, t.resolutionDueAt),
    index('cases_escalated_status_updated').on(t.status, t.updatedAt).where(sql`${t.escalationLevel} > 0`),
    index('cases_response').on(t.responseId),
    // The account's at-risk cases (predictive alerts: one open case per account gets each new crossing).
    index('cases_tenant_account').on(t.tenantId, t.accountId, t.status),
    // The due-work probes (src/jobs/due-work.ts): notifications due, and cases late for a breach not yet escalated.
    index('cases_notify_due').on(t.notifyDueAt).where(sql`${t.notifyDueAt} is not null`),
    index('cases_first_contact_late').on(t.firstContactDueAt).where(sql`${t.status} = 'open' and ${t.firstContactAt} is null and instr(${t.escalated}, '"first_contact"') = 0`),
    index('cases_resolution_late').on(t.resolutionDueAt).where(sql`${t.status} in ('open', 'contacted') and instr(${t.escalated}, '"resolution"') = 0`),
  ],
);

/** The timeline of a case: every status change, note, notification, escalation, reassignment. */
export const caseEvents = sqliteTable(
  'case_events',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
    type: text('type').notNull(),
    actorType: text('actor_type', { enum: ['user', 'api_key', 'system'] }).notNull(),
    actorId: text('actor_id'),
    fromStatus: text('from_status'),
    toStatus: text('to_status'),
    note: text('note'),
    reason: text('reason'),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [index('case_events_tenant_case_created').on(t.tenantId, t.caseId, t.createdAt)],
);

/** Reply templates per theme and locale, with placeholders such as {contactName} or {score}. */
export const replyTemplates = sqliteTable(
  'reply_templates',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    theme: text('theme').notNull(),
    locale: text('locale').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('reply_templates_tenant_theme_locale').on(t.tenantId, t.theme, t.locale)],
);

/** A vendor's contract: who owns it on the tenant's side and its case targets. */
export const vendorContracts = sqliteTable(
  'vendor_contracts',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    ownerUserId: text('owner_user_id').references(() => users.id),
    firstContactHours: integer('first_contact_hours', { mode: 'number' }),
    resolutionHours: integer('resolution_hours', { mode: 'number' }),
    /** Weights of the vendor scorecard's composite index, set by the admin. */
    compositeWeights: text('composite_weights', { mode: 'json' }).$type<Record<string, number>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('vendor_contracts_tenant_unit').on(t.tenantId, t.unitId)],
);

/** Idempotency of multi-step consumers: a step done for a key is never done again. */
export const jobSteps = sqliteTable(
  'job_steps',
  {
    tenantId: tenantId(),
    /** e.g. `response.captured:<responseId>:open-case`. */
    key: text('key').notNull(),
    result: text('result', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('job_steps_tenant_key').on(t.tenantId, t.key)],
);

/** Significant-drop alert rules per unit subtree and touchpoint. */
export const alertRules = sqliteTable(
  'alert_rules',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    touchpointId: text('touchpoint_id'),
    windowDays: integer('window_days', { mode: 'number' }).notNull(),
    /** The baseline: the days just before the window, or a fixed range. */
    baselineDays: integer('baseline_days', { mode: 'number' }),
    baselineFrom: text('baseline_from'),
    baselineTo: text('baseline_to'),
    minDropPoints: real('min_drop_points').notNull(),
    alpha: real('alpha').notNull(),
    minN: integer('min_n', { mode: 'number' }).notNull(),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // alert_rules_active: the hourly due-work probe (src/jobs/due-work.ts).
  (t) => [index('alert_rules_tenant_unit').on(t.tenantId, t.unitId), index('alert_rules_active').on(t.active)],
);

/** A raised alert: one per breach until the score recovers; the exception log of root causes. */
export const alerts = sqliteTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    ruleId: text('rule_id')
      .notNull()
      .references(() => alertRules.id),
    unitId: text('unit_id').notNull(),
    status: text('status', { enum: ['open', 'recovered'] }).notNull(),
    /** The window and baseline scores, the drop and its p value when raised. */
    evidence: text('evidence', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    rootCause: text('root_cause'),
    correctiveAction: text('corrective_action'),
    recoveredAt: integer('recovered_at', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // At most one open alert per rule: the breach is raised once until it recovers.
    uniqueIndex('alerts_tenant_rule_open').on(t.tenantId, t.ruleId).where(sql`status = 'open'`),
    index('alerts_tenant_created').on(t.tenantId, t.createdAt),
  ],
);

/** Outgoing webhook subscriptions, signed per the Standard Webhooks specification. */
export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    url: text('url').notNull(),
    events: text('events', { mode: 'json' }).$type<string[]>().notNull(),
    /** `whsec_<base64>`; the previous one still signs (beside the new) until it expires. */
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: integer('previous_secret_expires_at', { mode: 'number' }),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('webhooks_tenant_created').on(t.tenantId, t.createdAt)],
);

/** Each message to each endpoint, its tries and outcome: the delivery log, replayable. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    /** The `webhook-id` header: `msg_...`, the same on every retry and replay. */
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id),
    eventType: text('event_type').notNull(),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    attempts: integer('attempts', { mode: 'number' }).notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'number' }),
    lastStatusCode: integer('last_status_code', { mode: 'number' }),
    lastError: text('last_error'),
    deliveredAt: integer('delivered_at', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('webhook_deliveries_tenant_webhook_created').on(t.tenantId, t.webhookId, t.createdAt),
    index('webhook_deliveries_tenant_status_next').on(t.tenantId, t.status, t.nextAttemptAt),
    // The every-minute due-work probe (src/jobs/due-work.ts): pending deliveries of any tenant.
    index('webhook_deliveries_pending_next').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
  ],
);

/** Weekly digests sent: one per manager and week, so a rerun sends nothing twice. */
export const digests = sqliteTable(
  'digests',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    /** The Monday the digest is for, YYYY-MM-DD in the manager's unit time zone. */
    week: text('week').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('digests_tenant_user_week').on(t.tenantId, t.userId, t.week)],
);

// ---------------------------------------------------------------------------------------------
// Portals: local action plans of regional and site managers.

export const ACTION_PLAN_STATUSES = ['planned', 'in_progress', 'done', 'cancelled'] as const;

/** A local action plan: from a theme or an alert, with an owner, a due date and before/after windows. */
export const actionPlans = sqliteTable(
  'action_plans',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    title: text('title').notNull(),
    description: text('description'),
    /** What it answers: a detractor theme (term) or an alert. */
    theme: text('theme'),
    alertId: text('alert_id'),
    ownerUserId: text('owner_user_id').references(() => users.id),
    status: text('status', { enum: ACTION_PLAN_STATUSES }).notNull(),
    dueOn: text('due_on'),
    /** Local-day ranges whose NPS is compared: before the plan and after it. */
    beforeFrom: text('before_from'),
    beforeTo: text('before_to'),
    afterFrom: text('after_from'),
    afterTo: text('after_to'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('action_plans_tenant_unit').on(t.tenantId, t.unitId), index('action_plans_tenant_owner_status').on(t.tenantId, t.ownerUserId, t.status)],
);

/**
 * Month totals of the day cells per unit and segment: long ranges grouped by unit or segment
 * (the dashboard's common query) sum these instead of every day cell. Kept by the fold and
 * recomputed from the day cells on corrections, so the two always agree.
 */
export const rollupMonths = sqliteTable(
  'rollup_months',
  {
    tenantId: tenantId(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    /** YYYY-MM of the unit's local days. */
    month: text('month').notNull(),
    segment: text('segment').notNull(),
    ...tallyColumns(),
  },
  (t) => [uniqueIndex('rollup_months_cell').on(t.tenantId, t.unitId, t.month, t.segment), index('rollup_months_tenant_month').on(t.tenantId, t.month)],
);

/**
 * Branch totals: the answers under each child of an ancestor, per local day and per month, for
 * answers whose unit lies strictly below that child (answers of the child itself are its own
 * day cells and month totals). A subtree's score grouped by child then sums a few rows per child
 * instead of every site's cells. Kept by the fold, rebuilt on corrections, shifted on unit moves.
 */
export const rollupBranchDays = sqliteTable(
  'rollup_branch_days',
  {
    tenantId: tenantId(),
    ancestorId: text('ancestor_id').notNull(),
    childId: text('child_id').notNull(),
    /** YYYY-MM-DD in the answer's unit's time zone (as its day cell). */
    day: text('day').notNull(),
    segment: text('segment').notNull(),
    ...tallyColumns(),
  },
  (t) => [uniqueIndex('rollup_branch_days_cell').on(t.tenantId, t.ancestorId, t.day, t.childId, t.segment)],
);

export const rollupBranchMonths = sqliteTable(
  'rollup_branch_months',
  {
    tenantId: tenantId(),
    ancestorId: text('ancestor_id').notNull(),
    childId: text('child_id').notNull(),
    month: text('month').notNull(),
    segment: text('segment').notNull(),
    ...tallyColumns(),
  },
  (t) => [uniqueIndex('rollup_branch_months_cell').on(t.tenantId, t.ancestorId, t.month, t.childId, t.segment)],
);

/** The dimensions of the day cells that subtree totals are kept by (rollup_dim_days, rollup_dim_months). */
export const ROLLUP_DIMS = ['touchpoint', 'channel', 'locale', 'vendor'] as const;
/**
 * The contact's attributes that subtree totals are kept by too, from the answers themselves (the
 * day cells do not carry them), without segments: `contact_dims_seq` says how far they are built.
 */
export const CONTACT_DIMS = ['tenure', 'contractSize', 'supportTier'] as const;

/**
 * Subtree totals by dimension, per local day: the answers of the units strictly below
 * `ancestor_id`, by touchpoint, channel, locale or vendor (`dim`, `value`; '' for answers without
 * a vendor) and segment. Written by the fold beside the branch days, so a cut by one of these
 * dimensions by day or week, and the days at either end of a range, read a few rows per value
 * and day instead of every day cell of the subtree (docs/measurement.md).
 */
export const rollupDimDays = sqliteTable(
  'rollup_dim_days',
  {
    tenantId: tenantId(),
    ancestorId: text('ancestor_id').notNull(),
    day: text('day').notNull(),
    dim: text('dim', { enum: [...ROLLUP_DIMS, ...CONTACT_DIMS] }).notNull(),
    value: text('value').notNull(),
    segment: text('segment').notNull(),
    ...tallyColumns(),
  },
  (t) => [uniqueIndex('rollup_dim_days_cell').on(t.tenantId, t.ancestorId, t.dim, t.day, t.value, t.segment)],
);

/**
 * The same totals per closed month, built from the dim days when a month closes; a late answer,
 * a correction or a unit move adjusts them. Long ranges read them.
 */
export const rollupDimMonths = sqliteTable(
  'rollup_dim_months',
  {
    tenantId: tenantId(),
    ancestorId: text('ancestor_id').notNull(),
    month: text('month').notNull(),
    dim: text('dim', { enum: [...ROLLUP_DIMS, ...CONTACT_DIMS] }).notNull(),
    value: text('value').notNull(),
    segment: text('segment').notNull(),
    ...tallyColumns(),
  },
  (t) => [
    uniqueIndex('rollup_dim_months_cell').on(t.tenantId, t.ancestorId, t.month, t.dim, t.value, t.segment),
    // One dimension's months of an ancestor: a cut by vendor reads only its own rows, not every dimension's (docs/dimensions.md).
    index('rollup_dim_months_dim').on(t.tenantId, t.ancestorId, t.dim, t.month),
  ],
);

// ---------------------------------------------------------------------------------------------
// Reporting: saved reports, each runnable now (CSV) and optionally mailed on a schedule.

/** A saved scores report over a unit's subtree: filters, a relative range and an optional schedule. */
export const savedReports = sqliteTable(
  'saved_reports',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    /** Who owns it: a user, or the API key that created it (its id); no FK so both fit. */
    ownerType: text('owner_type', { enum: ['user', 'api_key'] }).notNull(),
    ownerId: text('owner_id').notNull(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    name: text('name').notNull(),
    /** The scores filters and the relative range (`rangeDays`), validated by src/reports. */
    filters: text('filters', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** `{ weekday | 'daily', hour, timezone, recipients }`; null when only run by hand. */
    schedule: text('schedule', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** The next local occurrence (epoch ms); the cron claims it with a guarded update. */
    nextRunAt: integer('next_run_at', { mode: 'number' }),
    lastSentAt: integer('last_sent_at', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('saved_reports_tenant_owner').on(t.tenantId, t.ownerType, t.ownerId),
    index('saved_reports_tenant_unit').on(t.tenantId, t.unitId),
    index('saved_reports_tenant_next_run').on(t.tenantId, t.nextRunAt),
    // The hourly due-work probe (src/jobs/due-work.ts): scheduled reports of any tenant.
    index('saved_reports_next_run').on(t.nextRunAt).where(sql`${t.nextRunAt} is not null`),
  ],
);

// Comment analysis and themes (docs/themes.md).

/**
 * The analysis of one comment or case note, written at follow-up time (never at query time):
 * its language, content stems in runs, key phrases, sentiment, and the library themes it
 * mentions as of `library_version`. A response's row copies what the themes query filters on
 * (unit, score, counted, created_at) so the query reads this table alone; moderation keeps
 * `counted` in step. Erasure and retention delete it with the comment.
 */
export const commentAnalyses = sqliteTable(
  'comment_analyses',
  {
    /** The response's id, or the case note's (its case event's) id. */
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    kind: text('kind', { enum: ['response', 'note'] }).notNull(),
    /** The response commented on (for a note: its case's response). */
    responseId: text('response_id').notNull(),
    caseId: text('case_id'),
    unitId: text('unit_id').notNull(),
    score: integer('score', { mode: 'number' }),
    counted: integer('counted', { mode: 'boolean' }).notNull(),
    language: text('language').notNull(),
    sentiment: real('sentiment'),
    stems: text('stems').notNull(),
    /** The content words as written, in the places of `stems` (names for discovered themes); '' for analyses stored before it (names fall back to stems). */
    words: text('words').notNull().default(''),
    phrases: text('phrases', { mode: 'json' }).$type<[string, string][]>().notNull(),
    /** Ids of the library themes mentioned, as of library_version. */
    themes: text('themes', { mode: 'json' }).$type<string[]>().notNull(),
    libraryVersion: integer('library_version', { mode: 'number' }).notNull(),
    /** The response's created_at (a note's own time): what date ranges select on. */
    createdAt: integer('created_at', { mode: 'number' }).notNull(),
    analysedAt: integer('analysed_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    // Covers the themes query (src/comments/counts.ts): its scan never reads the rows' stems and phrases.
    index('comment_analyses_tenant_kind_created').on(t.tenantId, t.kind, t.createdAt, t.counted, t.score, t.unitId, t.sentiment, t.themes),
    index('comment_analyses_tenant_version').on(t.tenantId, t.libraryVersion),
    index('comment_analyses_tenant_response').on(t.tenantId, t.responseId),
    // The newest analysis of a tenant in one seek (max(rowid)): part of the key drivers' result stamp.
    index('comment_analyses_tenant').on(t.tenantId),
  ],
);

/**
 * The backfill of comment analyses (docs/themes.md "Backfill"): the answers of the tenant with
 * rowid in (seq, through] may hold a comment without an analysis (stored before the analysis
 * existed, or imported); the every-minute job analyses them in chunks, moving `seq` up to
 * `through`, and clears `due_at` when it gets there.
 */
export const commentBackfill = sqliteTable(
  'comment_backfill',
  {
    tenantId: tenantId().primaryKey(),
    /** Every answer up to this rowid has been considered. */
    seq: integer('seq', { mode: 'number' }).notNull(),
    /** Answers up to this rowid are to be considered. */
    through: integer('through', { mode: 'number' }).notNull(),
    /** Since when answers wait in the range; null when seq has reached through. */
    dueAt: integer('due_at', { mode: 'number' }),
    updatedAt: updatedAt(),
  },
  // The due probe's seek (src/jobs/due-work.ts): empty while nothing is to do.
  (t) => [index('comment_backfill_due').on(t.dueAt).where(sql`${t.dueAt} is not null`)],
);

/** A named theme of the tenant's library with its terms per language (ISO 639-1), matched by stem. */
export const themeLibrary = sqliteTable(
  'theme_library',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    terms: text('terms', { mode: 'json' }).$type<Record<string, string[]>>().notNull(),
    /** `starter` for the starter library's themes, `admin` for those an admin made, `discovered` when named from a discovered theme. */
    origin: text('origin', { enum: ['starter', 'admin', 'discovered'] }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('theme_library_tenant_name').on(t.tenantId, t.name)],
);

/** The version of a tenant's theme library: every edit bumps it; analyses older than it are re-tagged. */
export const themeLibraryState = sqliteTable('theme_library_state', {
  tenantId: tenantId().primaryKey(),
  version: integer('version', { mode: 'number' }).notNull(),
  /** The languages the starter library was made in. */
  languages: text('languages', { mode: 'json' }).$type<string[]>().notNull(),
  updatedAt: updatedAt(),
});

// ---------------------------------------------------------------------------------------------
// Targets, peers and change (issue 17): annotations of what happened to a unit on a day.

export const ANNOTATION_KINDS = ['process_change', 'release', 'outage', 'merger', 'other'] as const;

/**
 * What happened to a unit on a local day (a process change, a release, an outage, a merger),
 * drawn on its trends and compared before and after (`GET /api/v1/scores?around=`). With
 * `appliesToSubtree` it also belongs to every unit below.
 */
export const annotations = sqliteTable(
  'annotations',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    /** A local day of the unit, YYYY-MM-DD. */
    day: text('day').notNull(),
    kind: text('kind', { enum: ANNOTATION_KINDS }).notNull(),
    title: text('title').notNull(),
    appliesToSubtree: integer('applies_to_subtree', { mode: 'boolean' }).notNull().default(false),
    /** The user or API key that wrote it (no FK: either fits). */
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [index('annotations_tenant_unit_day').on(t.tenantId, t.unitId, t.day)],
);

export const TARGET_BASES = ['nps', 'composite'] as const;

/**
 * A unit's target for a period (a year `2027`, a quarter `2027-Q1` or a month `2027-03`) with its
 * performance bands: threshold ≤ target ≤ stretch, on the NPS scale or, for a vendor, on the
 * composite index's 0–100. `closesAt` is when the period closes (its last local day plus a grace
 * for late answers); the daily sweep then freezes its attainment and clears it.
 */
export const targets = sqliteTable(
  'targets',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    period: text('period').notNull(),
    basis: text('basis', { enum: TARGET_BASES }).notNull(),
    threshold: real('threshold').notNull(),
    target: real('target').notNull(),
    stretch: real('stretch').notNull(),
    /** The NPS the bands stand against after a rebaseline; null until one. */
    baseline: real('baseline'),
    /** The process-change annotation of the last rebaseline, and the admin's reason. */
    rebaselinedFrom: text('rebaselined_from'),
    rebaselineReason: text('rebaseline_reason'),
    /** Epoch ms when the period closes; null once its attainment is frozen. */
    closesAt: integer('closes_at', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('targets_tenant_unit_period').on(t.tenantId, t.unitId, t.period),
    index('targets_tenant_closes').on(t.tenantId, t.closesAt),
    // The daily cron's probe across tenants (src/jobs/due-work.ts): only periods still open.
    index('targets_closing').on(t.closesAt).where(sql`closes_at is not null`),
  ],
);

/** The attainment of a closed target period as recorded when it closed: never changed afterwards. */
export const targetAttainments = sqliteTable(
  'target_attainments',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    targetId: text('target_id')
      .notNull()
      .references(() => targets.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    period: text('period').notNull(),
    closedAt: integer('closed_at', { mode: 'number' }).notNull(),
    /** The attainment as it was shown at closing (score, interval, n, band, confidence, bands). */
    record: text('record', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('target_attainments_tenant_target').on(t.tenantId, t.targetId), index('target_attainments_tenant_unit_period').on(t.tenantId, t.unitId, t.period)],
);

// ---------------------------------------------------------------------------------------------
// Operational measures beside NPS (docs/drivers.md): measures, their daily values per unit, and
// the key-driver results kept until new answers arrive.

export const MEASURE_DIRECTIONS = ['higher_is_better', 'lower_is_better'] as const;
export const MEASURE_SOURCES = ['event', 'unit', 'account'] as const;

/**
 * An operational measure: an event attribute (`source = event`: the numeric attribute of that key
 * on the event that invited an answer) or a daily series per unit (`source = unit`).
 */
export const measures = sqliteTable(
  'measures',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    /** The event attribute's name for event measures; the series' name in the API otherwise. */
    key: text('key').notNull(),
    name: text('name').notNull(),
    /** What the numbers are in: `hours`, `minutes`, `%`, `0/1`... */
    unit: text('unit').notNull(),
    direction: text('direction', { enum: MEASURE_DIRECTIONS }).notNull(),
    source: text('source', { enum: MEASURE_SOURCES }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('measures_tenant_key').on(t.tenantId, t.key)],
);

/** One day's value of a unit measure for one unit: idempotent per (measure, unit, day). */
export const measureValues = sqliteTable(
  'measure_values',
  {
    tenantId: tenantId(),
    measureId: text('measure_id')
      .notNull()
      .references(() => measures.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    /** YYYY-MM-DD, the unit's local day the value is for. */
    day: text('day').notNull(),
    value: real('value').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('measure_values_cell').on(t.tenantId, t.measureId, t.unitId, t.day)],
);

/**
 * Key-driver results per query (unit, range, touchpoint), kept until new answers arrive in its
 * scope (`stamp`). `pending` while a queue job computes a large range.
 */
export const driverResults = sqliteTable(
  'driver_results',
  {
    tenantId: tenantId(),
    /** The query, as `unitId|from|to|touchpointId`. */
    key: text('key').notNull(),
    status: text('status', { enum: ['pending', 'ready'] }).notNull(),
    /** `<answers>:<highest rowid>` of the query's answers when computed: new or imported answers change it. */
    stamp: text('stamp').notNull(),
    result: text('result', { mode: 'json' }).$type<Record<string, unknown>>(),
    computedAt: integer('computed_at', { mode: 'number' }),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('driver_results_tenant_key').on(t.tenantId, t.key)],
);

/**
 * The weights of a unit's composite index (docs/drivers.md "Composite index"): NPS and measures,
 * each measure with the values that score 0 and 100. They apply to the unit and its subtree
 * until a unit below sets its own.
 */
export const compositeIndices = sqliteTable(
  'composite_indices',
  {
    tenantId: tenantId(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    /** `{ nps, measures: [{ key, weight, worst, target }] }`, validated by src/composites. */
    weights: text('weights', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('composite_indices_tenant_unit').on(t.tenantId, t.unitId)],
);

/**
 * A B2B customer account (docs/accounts.md): its contacts name it by `external_id`
 * (contacts.account_id); its unit decides who reads it.
 */
export const accounts = sqliteTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    externalId: text('external_id').notNull(),
    name: text('name').notNull(),
    ownerUserId: text('owner_user_id').references(() => users.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    annualRevenue: real('annual_revenue'),
    /** YYYY-MM-DD. */
    renewalDate: text('renewal_date'),
    segment: text('segment'),
    attributes: text('attributes', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('accounts_tenant_external').on(t.tenantId, t.externalId), index('accounts_tenant_unit').on(t.tenantId, t.unitId)],
);

export const ACCOUNT_OUTCOMES = ['renewed', 'churned', 'expanded', 'contracted'] as const;
export type AccountOutcomeType = (typeof ACCOUNT_OUTCOMES)[number];

/** What happened to an account: renewed, churned, expanded or contracted, when, and the revenue it moved. */
export const accountOutcomes = sqliteTable(
  'account_outcomes',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    type: text('type', { enum: ACCOUNT_OUTCOMES }).notNull(),
    occurredAt: integer('occurred_at', { mode: 'number' }).notNull(),
    revenueDelta: real('revenue_delta'),
    createdAt: createdAt(),
  },
  (t) => [index('account_outcomes_tenant_account').on(t.tenantId, t.accountId, t.occurredAt), index('account_outcomes_tenant_type').on(t.tenantId, t.type, t.occurredAt)],
);

/** One day's value of an account signal (a measure with source `account`): idempotent per (account, signal, day). */
export const accountSignalValues = sqliteTable(
  'account_signal_values',
  {
    tenantId: tenantId(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    measureId: text('measure_id')
      .notNull()
      .references(() => measures.id),
    /** YYYY-MM-DD. */
    day: text('day').notNull(),
    value: real('value').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('account_signal_values_cell').on(t.tenantId, t.accountId, t.measureId, t.day)],
);

/**
 * The tenant's churn model (docs/accounts.md "Churn model"): one row per tenant, replaced by each
 * training; `card` is the model card (features, coefficients with intervals, validation, drift).
 */
export const churnModels = sqliteTable(
  'churn_models',
  {
    tenantId: tenantId(),
    kind: text('kind', { enum: ['logistic', 'rules'] }).notNull(),
    status: text('status', { enum: ['pending', 'ready'] }).notNull(),
    card: text('card', { mode: 'json' }).$type<Record<string, unknown>>(),
    trainedAt: integer('trained_at', { mode: 'number' }),
    /** When the daily cron next sends its training (the first of the next month after each training; the first account sets it). */
    dueAt: integer('due_at', { mode: 'number' }),
    /** When the daily cron next re-scores the accounts with the kept card (a day after each scoring; predictive alerts). */
    scoreDueAt: integer('score_due_at', { mode: 'number' }),
    updatedAt: updatedAt(),
  },
  // The daily due-work probe and sweep (src/jobs/due-work.ts, src/accounts/due-models.ts): models due for training, across tenants.
  (t) => [
    uniqueIndex('churn_models_tenant').on(t.tenantId),
    index('churn_models_due').on(t.dueAt).where(sql`due_at is not null`),
    index('churn_models_score_due').on(t.scoreDueAt).where(sql`score_due_at is not null`),
  ],
);

/** Each account's latest churn probability, its reasons, and whether it is over the tenant's threshold (predictive alerts). */
export const accountRisks = sqliteTable(
  'account_risks',
  {
    tenantId: tenantId(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    probability: real('probability').notNull(),
    revenueAtRisk: real('revenue_at_risk').notNull(),
    reasons: text('reasons', { mode: 'json' }).$type<{ feature: string; contribution: number }[]>().notNull(),
    /** Over the threshold now; `crossedAt` is when it last went over (one alert per crossing). */
    atRisk: integer('at_risk', { mode: 'boolean' }).notNull(),
    crossedAt: integer('crossed_at', { mode: 'number' }),
    computedAt: integer('computed_at', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('account_risks_tenant_account').on(t.tenantId, t.accountId), index('account_risks_tenant_revenue').on(t.tenantId, t.revenueAtRisk)],
);

// ---------------------------------------------------------------------------------------------
// The quarterly review pack (docs/governance.md "The quarterly review pack"): saved once per
// unit and quarter when the quarter has closed, never changed afterwards; later corrections are
// listed beside it.
export const reviewPacks = sqliteTable(
  'review_packs',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    /** The quarter, `YYYY-Qn`. */
    period: text('period').notNull(),
    /** When the quarter closed for the unit (its last local day plus the grace for late answers). */
    closedAt: integer('closed_at', { mode: 'number' }).notNull(),
    /** The pack as it was saved: the content of `GET /api/v1/reviews/{period}` at that moment. */
    pack: text('pack', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('review_packs_tenant_unit_period').on(t.tenantId, t.unitId, t.period)],
);

/** The review packs mailed to managers (src/reviews/deliver.ts): one per manager, unit and quarter, written before the mail goes out. */
export const reviewDeliveries = sqliteTable(
  'review_deliveries',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    period: text('period').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('review_deliveries_tenant_period_user_unit').on(t.tenantId, t.period, t.userId, t.unitId)],
);

/**
 * An integration's own agent id (a ticket system's agent number) mapped to a user of the tenant
 * (docs/dimensions.md "Agent views"). A user id is its own agent id and needs no row. A mapping
 * changes no stored answer: the agent views read the answers of every id mapped to the user.
 */
export const agentMappings = sqliteTable(
  'agent_mappings',
  {
    tenantId: tenantId(),
    agentId: text('agent_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.agentId] }), index('agent_mappings_tenant_user').on(t.tenantId, t.userId)],
);
