import { and, count, eq, gt, isNull, sql, type Placeholder } from 'drizzle-orm';
import type { Db } from '../db/client';
import { responses } from '../db/schema';
import { sha256Hex } from '../lib/ids';

/**
 * Quality flags kept on a response (docs/capture.md). A flagged answer is stored but not
 * counted in scores (`counted = false`) until an admin includes it.
 */
export const QUALITY_FLAGS = ['honeypot', 'too_fast', 'duplicate', 'bulk', 'test_contact', 'employee_contact'] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

export const QUALITY = {
  /** A submit sooner than this after the server rendered the page is `too_fast`. */
  minMs: 3000,
  /** More than `bulkMax` answers from one client in `bulkWindowMs`: the rest are `bulk`. */
  bulkWindowMs: 10 * 60 * 1000,
  bulkMax: 10,
  /** Anonymous links: a second answer of one client to one touchpoint within this is a `duplicate`. */
  duplicateWindowMs: 24 * 60 * 60 * 1000,
  /** Anonymous links: submits per client address per window before 429. */
  anonymousPerAddress: 20,
  anonymousWindowMs: 10 * 60 * 1000,
} as const;

/**
 * The client's fingerprint: SHA-256 of tenant, address and user agent. The raw address is
 * never stored; the tenant in the hash keeps fingerprints from linking across tenants.
 */
export const clientHash = (tenantId: string, ip: string, userAgent: string) => sha256Hex(`${tenantId}\n${ip}\n${userAgent}`);

/** The rate-limit key of a client address (hashed: rate_limits never holds a raw address). */
export const addressKey = async (ip: string) => `capture:ip:${await sha256Hex(`capture\n${ip}`)}`;

export interface QualityInput {
  honeypot: boolean;
  /** Milliseconds between render and submit; null when there is no trustworthy render time. */
  elapsedMs: number | null;
  /** Whether a missing render time counts as too fast (anonymous links: the page must be rendered). */
  renderRequired: boolean;
  anonymous: boolean;
  /** This client's earlier answers to this touchpoint in the duplicate window (anonymous links). */
  sameTouchpoint: number;
  /** This client's earlier answers in the bulk window (any link). */
  recentFromClient: number;
  contact: { isTest: boolean; isEmployee: boolean } | null;
}

/** The flags of a first answer, in a fixed order. */
export function qualityFlags(q: QualityInput): QualityFlag[] {
  const flags: QualityFlag[] = [];
  if (q.honeypot) flags.push('honeypot');
  if (q.elapsedMs === null ? q.renderRequired : q.elapsedMs < QUALITY.minMs) flags.push('too_fast');
  if (q.anonymous && q.sameTouchpoint > 0) flags.push('duplicate');
  if (q.recentFromClient >= QUALITY.bulkMax) flags.push('bulk');
  if (q.contact?.isTest) flags.push('test_contact');
  if (q.contact?.isEmployee) flags.push('employee_contact');
  return flags;
}

/** What a capture reads with its target to flag a first answer: the client's earlier answers (scalar subqueries); values or placeholders. */
export interface ClientWindow {
  hash: string | Placeholder;
  now: number | Placeholder;
}

/** This client's answers in the bulk window (index responses_tenant_client_created): a scalar subquery. */
export const answersFromClient = (db: Db, tenantId: string | Placeholder, client: ClientWindow) =>
  sql<number>`(${db
    .select({ n: count() })
    .from(responses)
    .where(and(eq(responses.tenantId, tenantId), eq(responses.clientHash, client.hash), gt(responses.createdAt, sql`${client.now} - ${QUALITY.bulkWindowMs}`)))})`.mapWith(Number);

/** This client's anonymous answers to this touchpoint in the duplicate window: a scalar subquery. */
export const anonymousAnswersToTouchpoint = (db: Db, tenantId: string, touchpointId: string, client: ClientWindow) =>
  sql<number>`(${db
    .select({ n: count() })
    .from(responses)
    .where(and(eq(responses.tenantId, tenantId), eq(responses.clientHash, client.hash), gt(responses.createdAt, sql`${client.now} - ${QUALITY.duplicateWindowMs}`), eq(responses.touchpointId, touchpointId), isNull(responses.invitationId)))})`.mapWith(Number);
