import { and, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { caseEvents, cases, commentAnalyses, jobSteps } from '../db/schema';
import { ensureLibrary } from '../comments/library';
import { noteAnalysis } from '../comments/tags';
import type { Deps } from '../lib/deps';
import { ApiError, conflict, forbidden } from '../lib/errors';
import { newId } from '../lib/ids';
import { getSettings } from '../settings/settings';
import { TouchpointRulesSchema } from '../touchpoints/rules';
import { webhookEvent } from '../webhooks/emit';
import { isOwner, ownersOf, visibleCase, type CaseStatus } from './case-reads';
import { loadChain } from './routing';
import { caseTargets, dueTimes } from './targets';

/** Allowed status changes: open → contacted → resolved, or closed without action; reopen. */
export const TRANSITIONS: Record<CaseStatus, CaseStatus[]> = {
  open: ['contacted', 'closed'],
  contacted: ['resolved', 'closed'],
  resolved: ['open'],
  closed: ['open'],
};

export interface CaseChange {
  status?: CaseStatus;
  note?: string;
  rootCause?: string | null;
  tags?: string[];
  reason?: string;
  /** Reassign: one of the people who can own the case (`caseOwners`). */
  ownerUserId?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Changes a case: its status along TRANSITIONS (resolved and closed need a reason; a reopened
 * case gets new due times), a note, its root cause and tags; with its event, audit row and, on
 * resolution, `case.resolved`, in one batch. Owner, or admin/manager/vendor over the unit.
 * Returns the case as read and as changed.
 */
export async function changeCase(d: Deps, id: string, body: CaseChange) {
  const { t, actor } = d;
  const row = await visibleCase(d, id);
  const k = row.c;
  if (!(can(actor, 'case.write', row.unitPath) || isOwner(actor, k.ownerUserId))) throw forbidden('only the owner, or an admin, manager or vendor over this unit, may change the case');
  const to = body.status !== undefined && body.status !== k.status ? body.status : null;
  const newOwner = body.ownerUserId !== undefined && body.ownerUserId !== k.ownerUserId ? body.ownerUserId : null;
  const nothingElse = body.note === undefined && body.rootCause === undefined && body.tags === undefined;
  if (body.status !== undefined && to === null && newOwner === null && nothingElse) throw conflict(`the case is already ${k.status}`);
  if (body.ownerUserId !== undefined && newOwner === null && to === null && nothingElse) throw conflict('the case already has this owner');
  let ownerRow: { name: string; email: string } | undefined;
  if (newOwner !== null) {
    // Handing a case on is for those over the unit, not for an owner alone (an agent cannot pass it along).
    if (!can(actor, 'case.write', row.unitPath)) throw forbidden('only an admin, manager or vendor over this unit may reassign the case');
    ownerRow = (await ownersOf(t, row.unitPath)).find((o) => o.id === newOwner);
    if (!ownerRow)
      throw new ApiError('UNPROCESSABLE', 'the new owner cannot own this case', [
        { path: 'body.ownerUserId', message: 'not an active admin, manager, vendor or agent with a grant on the unit or above it' },
      ]);
  }
  if (to && !TRANSITIONS[k.status].includes(to)) throw conflict(`a case that is ${k.status} cannot become ${to} (allowed: ${TRANSITIONS[k.status].join(', ')})`);
  if ((to === 'resolved' || to === 'closed') && !body.reason) throw new ApiError('UNPROCESSABLE', `marking a case ${to} needs a reason`, [{ path: 'body.reason', message: 'required' }]);
  const now = Date.now();
  const set: Partial<typeof cases.$inferInsert> = { updatedAt: now };
  if (to) set.status = to;
  if (to === 'contacted') set.firstContactAt = k.firstContactAt ?? now;
  if (to === 'resolved') set.resolvedAt = now;
  if (to === 'closed') set.closedAt = now;
  if (to === 'open') {
    // Reopened: the resolution clock starts again, and a new breach may escalate again.
    const settings = await getSettings(t);
    const rules = TouchpointRulesSchema.safeParse(row.touchpointRules ?? {});
    const chain = await loadChain(t, row.unitPath);
    const due = dueTimes(now, caseTargets(chain, rules.success ? rules.data : {}, settings), settings);
    Object.assign(set, { resolvedAt: null, closedAt: null, resolutionDueAt: due.resolutionDueAt, escalated: k.escalated.filter((b) => b !== 'resolution') });
    if (k.firstContactAt === null) Object.assign(set, { firstContactDueAt: due.firstContactDueAt, escalated: [] });
  }
  if (body.rootCause !== undefined) set.rootCause = body.rootCause;
  if (body.tags !== undefined) set.tags = [...new Set(body.tags)];
  if (newOwner !== null) set.ownerUserId = newOwner;
  const after = { ...k, ...set } as typeof k;
  const eventType = to === null ? (newOwner !== null ? 'reassigned' : 'note') : to === 'open' ? 'reopened' : to;
  const eventId = newId('cev');
  // A note is analysed as comments are (docs/themes.md), in the language of the case's answer when its own is unsure.
  // An at-risk case has no answer for its notes' analyses to hang on: they are kept, not analysed.
  const note =
    body.note?.trim() && k.responseId
      ? noteAnalysis(await ensureLibrary(t, actor.tenantId), {
          id: eventId,
          caseId: k.id,
          responseId: k.responseId,
          unitId: k.unitId,
          note: body.note,
          locale: row.responseLocale ?? 'en',
          createdAt: now,
        })
      : null;
  try {
    await commit(t, [
      // An optimistic lock: two changes made from the same read collide on this key, the second answers 409.
      t.insert(jobSteps).values({ key: `case:${k.id}:change:${k.updatedAt}`, result: { by: actor.id }, createdAt: now }),
      t
        .update(cases)
        .set(set)
        .where(and(eq(cases.id, k.id), eq(cases.updatedAt, k.updatedAt))),
      t.insert(caseEvents).values({
        id: eventId,
        caseId: k.id,
        type: eventType,
        actorType: actor.type,
        actorId: actor.id,
        fromStatus: k.status,
        toStatus: after.status,
        note: body.note ?? null,
        reason: body.reason ?? null,
        details: {
          ...(body.rootCause !== undefined ? { rootCause: body.rootCause } : {}),
          ...(body.tags !== undefined ? { tags: set.tags } : {}),
          ...(newOwner !== null ? { fromOwnerUserId: k.ownerUserId, toOwnerUserId: newOwner } : {}),
        },
        createdAt: now,
      }),
      ...(note ? [t.insert(commentAnalyses).values(note)] : []),
      ...(await audit(d, {
        action: 'case.update',
        targetType: 'case',
        targetId: k.id,
        before: k,
        after,
        details: { changed: Object.keys(body), fromStatus: k.status, toStatus: after.status, ...(body.reason ? { reason: body.reason } : {}) },
      })),
      ...(to === 'resolved'
        ? [
            webhookEvent(
              t,
              'case.resolved',
              { id: k.id, responseId: k.responseId, unitId: k.unitId, ownerUserId: k.ownerUserId, resolvedAt: iso(now), rootCause: after.rootCause, tags: after.tags, reason: body.reason },
              now,
            ),
          ]
        : []),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('the case changed meanwhile; read it again');
    throw err;
  }
  return { row: ownerRow ? { ...row, ownerName: ownerRow.name, ownerEmail: ownerRow.email } : row, after };
}
