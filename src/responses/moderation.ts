import { and, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can, seesRespondent, type Action } from '../auth/policy';
import { opensCase } from '../cases/follow-up';
import { commit } from '../db/client';
import { commentAnalyses, responses, surveyVersions, touchpoints, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { forbidden, notFound } from '../lib/errors';
import { categorize } from '../scoring/nps';
import { cellOf, recomputeCells } from '../scores/fold';
import type { Definition } from '../surveys/definition';
import { TouchpointRulesSchema } from '../touchpoints/rules';
import { capturedMessage, enqueueCaptured } from './capture';
import type { QUALITY_FLAGS } from './quality';

/** One response with what reading and moderating it need: its unit, touchpoint rules and survey version. */
const responseRow = (t: TenantDb, id: string) =>
  t
    .select({ r: responses, unitPath: units.path, timezone: units.timezone, definition: surveyVersions.definition, rules: touchpoints.rules })
    .from(responses)
    .innerJoin(units, eq(units.id, responses.unitId))
    .leftJoin(touchpoints, eq(touchpoints.id, responses.touchpointId))
    .leftJoin(surveyVersions, and(eq(surveyVersions.surveyId, responses.surveyId), eq(surveyVersions.version, responses.surveyVersion)))
    .where(eq(responses.id, id));

type Row = Awaited<ReturnType<typeof responseRow>>[number];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The answers a caller may see: free-text ones (the survey's comment questions) only with verbatims. */
export function visibleAnswers(definition: unknown, answers: Record<string, unknown>, verbatims: boolean) {
  if (verbatims) return answers;
  const textIds = new Set(((definition as Definition | null)?.questions ?? []).filter((q) => q.type === 'comment').map((q) => q.id));
  return Object.fromEntries(Object.entries(answers).filter(([id]) => !textIds.has(id)));
}

/**
 * The response as the caller may see it: verbatims (the comment, and the answers to the
 * survey's other comment questions) and the contact only for those who see the respondent
 * (policy `seesRespondent`).
 */
function present(found: Row, verbatims = true) {
  const r = found.r;
  const answers = visibleAnswers(found.definition, r.answers, verbatims);
  return {
    id: r.id,
    invitationId: r.invitationId,
    touchpointId: r.touchpointId,
    unitId: r.unitId,
    contactId: verbatims ? r.contactId : null,
    surveyId: r.surveyId,
    surveyVersion: r.surveyVersion,
    channel: r.channel,
    locale: r.locale,
    score: r.score,
    category: r.score === null ? null : categorize(r.score),
    comment: verbatims ? r.comment : null,
    answers,
    qualityFlags: r.qualityFlags as (typeof QUALITY_FLAGS)[number][],
    counted: r.counted,
    answeredAt: iso(r.answeredAt),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
  };
}

/** The response if the caller may `action` on its unit: 404 outside the caller's reach (not disclosed), 403 within it. */
async function permitted({ t, actor }: Deps, id: string, action: Action): Promise<Row> {
  const [found] = await responseRow(t, id);
  if (!found || !can(actor, 'unit.read', found.unitPath)) throw notFound('response');
  if (!can(actor, action, found.unitPath)) throw forbidden(action === 'response.read' ? 'your role does not read individual responses' : 'only an admin may include or exclude responses');
  return found;
}

/** One response as the caller may read it. */
export async function readResponse(d: Deps, id: string) {
  const found = await permitted(d, id, 'response.read');
  return present(found, seesRespondent(d.actor, found.unitPath));
}

/**
 * Includes (`counted`) or excludes a response, audited with the admin's reason; its rollup
 * cell, if already folded, is recomputed, and an answer that now counts gets the follow-up
 * capture gave it none of.
 */
export async function moderate(d: Deps, id: string, reason: string, counted: boolean) {
  const { t } = d;
  const found = await permitted(d, id, 'response.moderate');
  const before = present(found);
  const now = Date.now();
  const after = { ...before, counted, updatedAt: new Date(now).toISOString() };
  await commit(t, [
    t.update(responses).set({ counted, updatedAt: now }).where(eq(responses.id, id)),
    // The stored analysis of its comment follows, so themes count what scores count.
    t.update(commentAnalyses).set({ counted }).where(eq(commentAnalyses.id, id)),
    ...(await audit(d, {
      action: counted ? 'response.include' : 'response.exclude',
      targetType: 'response',
      targetId: id,
      before,
      after,
      details: { reason, counted, wasCounted: before.counted, qualityFlags: before.qualityFlags },
    })),
  ]);
  // The answer's rollup cell, if already folded, is rebuilt from the raw answers.
  if (found.r.score !== null) {
    await recomputeCells(t, [cellOf({ ...found.r, segment: found.r.segment ?? '', timezone: found.timezone })]);
  }
  // Counted now, it gets the follow-up capture gave it none of: its case, through the normal
  // message (the follow-up opens one case per answer, however often this runs).
  const includePassives = TouchpointRulesSchema.safeParse(found.rules ?? {}).data?.includePassives ?? false;
  if (counted && !found.r.counted && opensCase({ score: found.r.score, counted }, includePassives)) {
    await enqueueCaptured(d.env, capturedMessage(found.r.tenantId, id, found.unitPath));
  }
  return after;
}
