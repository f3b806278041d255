import { eq, inArray } from 'drizzle-orm';
import { agentMappings, roleGrants, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Settings } from '../settings/settings';

/*
 * Who is an agent, and whose agent-level scores are not for individual evaluation
 * (docs/dimensions.md "Agent views"). Reads users, grants and the agent id mapping; no scores.
 */

export type Marking = Settings['notForIndividualEvaluation'];

/** A user's grants with their units' paths. */
export async function grantsOf(t: TenantDb, userIds: string[]) {
  if (userIds.length === 0) return [];
  return t
    .select({ userId: roleGrants.userId, role: roleGrants.role, unitId: roleGrants.unitId, unitPath: units.path })
    .from(roleGrants)
    .innerJoin(units, eq(units.id, roleGrants.unitId))
    .where(inArray(roleGrants.userId, userIds));
}

/** Paths of the units marked not for individual evaluation. */
export async function markedPaths(t: TenantDb, marking: Marking): Promise<string[]> {
  if (marking.unitIds.length === 0) return [];
  return (await t.select({ path: units.path }).from(units).where(inArray(units.id, marking.unitIds))).map((u) => u.path);
}

/** Whether a user with these grants is not for individual evaluation: a marked role, or a grant on or below a marked unit. */
export function isMarked(grants: { role: string; unitPath: string }[], marking: Marking, paths: string[]): boolean {
  return grants.some((g) => (marking.roles as string[]).includes(g.role) || paths.some((p) => g.unitPath.startsWith(p)));
}

/** The agent ids of users: each user's own id and the external ids mapped to it. */
export async function agentIdsOf(t: TenantDb, userIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map(userIds.map((id) => [id, [id]]));
  if (userIds.length === 0) return out;
  const rows = await t.select({ agentId: agentMappings.agentId, userId: agentMappings.userId }).from(agentMappings).where(inArray(agentMappings.userId, userIds));
  for (const r of rows.sort((a, b) => a.agentId.localeCompare(b.agentId))) out.get(r.userId)?.push(r.agentId);
  return out;
}

/**
 * Every agent id whose score is not for individual evaluation: the users holding a marked role
 * or granted on or below a marked unit, with the external ids mapped to them. Empty (and read
 * nothing) when nothing is marked.
 */
export async function hiddenAgentIds(t: TenantDb, marking: Marking): Promise<Set<string>> {
  if (marking.roles.length === 0 && marking.unitIds.length === 0) return new Set();
  const paths = await markedPaths(t, marking);
  const grants = await t.select({ userId: roleGrants.userId, role: roleGrants.role, unitPath: units.path }).from(roleGrants).innerJoin(units, eq(units.id, roleGrants.unitId));
  const byUser = new Map<string, { role: string; unitPath: string }[]>();
  for (const g of grants) byUser.set(g.userId, [...(byUser.get(g.userId) ?? []), g]);
  const users = [...byUser.entries()].filter(([, gs]) => isMarked(gs, marking, paths)).map(([id]) => id);
  const ids = await agentIdsOf(t, users);
  return new Set([...ids.values()].flat());
}
