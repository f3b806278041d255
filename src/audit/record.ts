import type { BatchItem } from 'drizzle-orm/batch';
import type { TenantDb } from '../db/tenant-db';
import { auditLog } from '../db/schema';
import type { Deps } from '../lib/deps';
import { newId, sha256Hex } from '../lib/ids';

export interface AuditActor {
  type: 'user' | 'api_key' | 'system';
  id: string | null;
}

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
  details?: Record<string, unknown>;
  requestId?: string | null;
}

/** JSON with object keys sorted at every depth, so equal records digest equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export const digest = (record: unknown) => (record == null ? Promise.resolve(null) : sha256Hex(canonical(record)));

/**
 * The audit row for a change, as a statement to run in the same batch as the change itself:
 * the change and its record commit together or not at all. Wrapped in an array because a
 * drizzle query is thenable: returned bare from an async function it would run at once.
 */
export async function auditStatement(t: TenantDb, entry: AuditEntry): Promise<[BatchItem<'sqlite'>]> {
  const [beforeDigest, afterDigest] = await Promise.all([digest(entry.before), digest(entry.after)]);
  const insert = t.insert(auditLog).values({
    id: newId('aud'),
    actorType: entry.actor.type,
    actorId: entry.actor.id,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    beforeDigest,
    afterDigest,
    details: entry.details ?? null,
    requestId: entry.requestId ?? null,
    createdAt: Date.now(),
  });
  return [insert];
}

/** The audit row for a change made by the request's actor. */
export function audit({ t, actor, requestId }: Deps, entry: Omit<AuditEntry, 'tenantId' | 'actor' | 'requestId'>) {
  return auditStatement(t, { ...entry, actor: { type: actor.type, id: actor.id }, requestId });
}
