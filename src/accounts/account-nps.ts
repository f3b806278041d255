import { and, asc, eq, gte, inArray, isNotNull, lt } from 'drizzle-orm';
import { contacts, responses, STAKEHOLDER_ROLES, type StakeholderRole } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { addAnswer, emptyTally, score, type Tally } from '../scoring/nps';
import type { Settings } from '../settings/settings';

/*
 * Account NPS (docs/accounts.md "Account NPS"): one voice per stakeholder, the latest counted
 * answer of each of the account's contacts in the window, weighted by the stakeholder role's
 * weight (tenant settings `accounts.roleWeights`; a contact without a role counts as `user`).
 * The value and its adjusted-Wald interval come from the scoring module (weighted: Kish
 * effective n); the score is suppressed below the tenant's anonymity threshold counted in
 * answers (stakeholders), and marked lowSample below the reliability threshold in effective n.
 */

export interface RoleScore {
  nps: number | null;
  n: number;
  ci: { low: number; high: number; level: number } | null;
  suppressed: boolean;
}

export interface AccountNps {
  nps: number | null;
  n: number;
  effectiveN: number;
  ci: { low: number; high: number; level: number } | null;
  suppressed: boolean;
  suppressedReason?: 'no_answers' | 'below_min_n';
  lowSample?: true;
  weights: Record<StakeholderRole, number>;
  byRole: Record<StakeholderRole, RoleScore>;
}

export interface StakeholderAnswer {
  contactId: string;
  role: StakeholderRole;
  score: number;
  at: number;
}

/** Every counted answer of the account's stakeholders in [from, to), oldest first. */
export async function stakeholderAnswers(t: TenantDb, accountExternalId: string, range: { from: number; to: number }): Promise<StakeholderAnswer[]> {
  const people = await t.select({ id: contacts.id, role: contacts.stakeholderRole }).from(contacts).where(eq(contacts.accountId, accountExternalId));
  if (people.length === 0) return [];
  const roles = new Map(people.map((p) => [p.id, p.role ?? 'user']));
  const out: StakeholderAnswer[] = [];
  const ids = [...roles.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await t
      .select({ contactId: responses.contactId, score: responses.score, at: responses.createdAt })
      .from(responses)
      .where(and(inArray(responses.contactId, ids.slice(i, i + 500)), gte(responses.createdAt, range.from), lt(responses.createdAt, range.to), eq(responses.counted, true), isNotNull(responses.score)))
      .orderBy(asc(responses.createdAt));
    for (const r of rows) out.push({ contactId: r.contactId!, role: roles.get(r.contactId!) as StakeholderRole, score: r.score!, at: r.at });
  }
  return out.sort((a, b) => a.at - b.at);
}

/** The latest answer of each stakeholder (answers oldest first). */
export function latestPerStakeholder(answers: readonly StakeholderAnswer[]): StakeholderAnswer[] {
  const last = new Map<string, StakeholderAnswer>();
  for (const a of answers) last.set(a.contactId, a);
  return [...last.values()];
}

/** Account NPS of the latest answer per stakeholder, weighted by role. Pure: the route and the churn features share it. */
export function scoreAccount(latest: readonly StakeholderAnswer[], settings: Pick<Settings, 'accounts' | 'minResponses' | 'reliabilityThreshold'>): AccountNps {
  const weights = settings.accounts.roleWeights;
  let weighted: Tally = emptyTally();
  const perRole = Object.fromEntries(STAKEHOLDER_ROLES.map((r) => [r, emptyTally()])) as Record<StakeholderRole, Tally>;
  for (const a of latest) {
    weighted = addAnswer(weighted, a.score, weights[a.role]);
    perRole[a.role] = addAnswer(perRole[a.role], a.score);
  }
  const n = latest.length;
  // The value with its interval from the weighted tally; suppression on the count of stakeholders.
  const s = score(weighted, { weighted: true, minN: 0, reliableN: settings.reliabilityThreshold });
  const below = n > 0 && n < settings.minResponses;
  const hidden = s.suppressed || below;
  const byRole = Object.fromEntries(
    STAKEHOLDER_ROLES.map((role) => {
      const r = score(perRole[role], { minN: settings.minResponses });
      return [role, { nps: r.nps, n: r.n, ci: r.ci, suppressed: r.suppressed }];
    }),
  ) as Record<StakeholderRole, RoleScore>;
  return {
    nps: hidden ? null : s.nps,
    n,
    effectiveN: s.effectiveN ?? 0,
    ci: hidden ? null : s.ci,
    suppressed: hidden,
    ...(hidden ? { suppressedReason: n === 0 || s.suppressedReason === 'no_answers' ? ('no_answers' as const) : ('below_min_n' as const) } : {}),
    ...(!hidden && s.lowSample ? { lowSample: true as const } : {}),
    weights,
    byRole,
  };
}

/** The account's NPS over [from, to). */
export async function accountNps(t: TenantDb, accountExternalId: string, settings: Settings, range: { from: number; to: number }): Promise<AccountNps> {
  return scoreAccount(latestPerStakeholder(await stakeholderAnswers(t, accountExternalId, range)), settings);
}
