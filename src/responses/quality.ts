import { and, count, eq, gt, isNull, sql } from 'drizzle-orm';
import { responses } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Config } from '../env';
import { hex } from '../lib/ids';
import { purposeKey } from '../auth/purpose-key';

/**
 * Quality flags kept on a response (docs/capture.md). A flagged answer is stored but not
 * counted in scores (`counted = false`) until an admin includes it.
 */
export const QUALITY_FLAGS = ['honeypot', 'too_fast', 'duplicate', 'bulk', 'test_contact', 'employee_contact'] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

export const QUALITY = {
  /** Anonymous links: a submit sooner than this after the server rendered the page is `too_fast`. */
  minMs: 3000,
  /** Anonymous links: more than `bulkMax` answers from one client address in `bulkWindowMs`: the rest are `bulk`. */
  bulkWindowMs: 10 * 60 * 1000,
  bulkMax: 10,
  /** Anonymous links: a second answer from one client address to one touchpoint within this is a `duplicate`. */
  duplicateWindowMs: 24 * 60 * 60 * 1000,
  /** Anonymous links: submits per client address per window before 429. */
  anonymousPerAddress: 20,
  anonymousWindowMs: 10 * 60 * 1000,
} as const;

const encoder = new TextEncoder();

/** Keyed hash of a client address (HMAC, src/responses/keys.ts): no raw address is stored, and none can be recovered by hashing every address. */
async function addressHash(config: Config, text: string) {
  return hex(await crypto.subtle.sign('HMAC', await purposeKey(config.jwtKeys[0]!.secret, 'client-address'), encoder.encode(text)));
}

/**
 * The client of an anonymous answer, as the duplicate and bulk rules see it: the keyed hash of
 * tenant and client address (`cf-connecting-ip`, set by Cloudflare). Never the user agent or
 * anything else the client chooses. The tenant in it keeps hashes from linking across tenants.
 */
export const clientHash = (config: Config, tenantId: string, ip: string) => addressHash(config, `client\n${tenantId}\n${ip}`);

/** The rate-limit key of a client address (hashed: rate_limits never holds a raw address). */
export const addressKey = async (config: Config, ip: string) => `capture:ip:${await addressHash(config, `capture\n${ip}`)}`;

/** What decides an anonymous answer's own flags: its page's age and the client address's earlier answers. */
export interface AnonymousSignals {
  /** Milliseconds between render and submit; null when there is no trustworthy render time (no page seen). */
  elapsedMs: number | null;
  /** This address's earlier anonymous answers to this touchpoint in the duplicate window. */
  sameTouchpoint: number;
  /** This address's earlier anonymous answers in the bulk window. */
  recentFromClient: number;
}

export interface QualityInput {
  honeypot: boolean;
  /**
   * Anonymous links only. A personal invitation's answer is never dropped for its timing or
   * its network: a customer may tap 0 at once, and colleagues answer from one office address.
   */
  anonymous: AnonymousSignals | null;
  contact: { isTest: boolean; isEmployee: boolean } | null;
}

/** The flags of a first answer, in a fixed order. */
export function qualityFlags(q: QualityInput): QualityFlag[] {
  const flags: QualityFlag[] = [];
  if (q.honeypot) flags.push('honeypot');
  const a = q.anonymous;
  if (a && (a.elapsedMs === null || a.elapsedMs < QUALITY.minMs)) flags.push('too_fast');
  if (a && a.sameTouchpoint > 0) flags.push('duplicate');
  if (a && a.recentFromClient >= QUALITY.bulkMax) flags.push('bulk');
  if (q.contact?.isTest) flags.push('test_contact');
  if (q.contact?.isEmployee) flags.push('employee_contact');
  return flags;
}

/** What an anonymous capture reads with its target to flag a first answer: the client's earlier answers (scalar subqueries). */
export interface ClientWindow {
  hash: string;
  now: number;
}

/** This client's answers in the bulk window (index responses_tenant_client_created; only anonymous answers carry a client hash): a scalar subquery. */
export const answersFromClient = (t: TenantDb, client: ClientWindow) =>
  sql<number>`(${t
    .select({ n: count() })
    .from(responses)
    .where(and(eq(responses.clientHash, client.hash), gt(responses.createdAt, sql`${client.now} - ${QUALITY.bulkWindowMs}`)))})`.mapWith(Number);

/** This client's anonymous answers to this touchpoint in the duplicate window: a scalar subquery. */
export const anonymousAnswersToTouchpoint = (t: TenantDb, touchpointId: string, client: ClientWindow) =>
  sql<number>`(${t
    .select({ n: count() })
    .from(responses)
    .where(
      and(eq(responses.clientHash, client.hash), gt(responses.createdAt, sql`${client.now} - ${QUALITY.duplicateWindowMs}`), eq(responses.touchpointId, touchpointId), isNull(responses.invitationId)),
    )})`.mapWith(Number);
