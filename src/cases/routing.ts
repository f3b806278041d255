import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import { runBatch, tenantBatchStatement } from '../db/prepared';
import type { TenantDb } from '../db/tenant-db';
import { roleGrants, units, users, vendorContracts, type Role } from '../db/schema';
import type { RoutingRule } from './config';

/** Unit ids of a materialised path, root first: `/a/b/c/` → [a, b, c]. */
export const pathIds = (path: string) => path.split('/').filter(Boolean);

export interface ChainUnit {
  id: string;
  name: string;
  kind: string;
  path: string;
  timezone: string;
}

export interface Person {
  id: string;
  email: string;
  name: string;
}

/** A case's unit with its ancestors, the people granted on them and its vendor contract: everything routing and escalation need. */
export interface Chain {
  /** Root first, the case's unit last. */
  units: ChainUnit[];
  /** Active users by role on each unit of the chain, earliest grant first. */
  granted: { unitId: string; role: Role; user: Person }[];
  /** The contract of the nearest vendor unit of the chain, if any. */
  contract: { unitId: string; owner: Person | null; firstContactHours: number | null; resolutionHours: number | null } | null;
}

/** Placeholders for the ids of a chain `depth` units long: one statement per depth, built once. */
const idSlots = (depth: number) => Array.from({ length: depth }, (_, i) => sql.placeholder(`u${i}`));

const chainUnitsRead = tenantBatchStatement(
  (t, depth: number) =>
    t
      .select({ id: units.id, name: units.name, kind: units.kind, path: units.path, timezone: units.timezone })
      .from(units)
      .where(inArray(units.id, idSlots(depth)))
      .prepare(),
  (depth) => depth,
);
const chainGrantsRead = tenantBatchStatement(
  (t, depth: number) =>
    t
      .select({ unitId: roleGrants.unitId, role: roleGrants.role, id: users.id, email: users.email, name: users.name })
      .from(roleGrants)
      .innerJoin(users, eq(users.id, roleGrants.userId))
      .where(and(inArray(roleGrants.unitId, idSlots(depth)), inArray(roleGrants.role, ['admin', 'manager', 'vendor']), eq(users.status, 'active')))
      .orderBy(asc(roleGrants.createdAt), asc(roleGrants.id))
      .prepare(),
  (depth) => depth,
);
const chainContractsRead = tenantBatchStatement(
  (t, depth: number) =>
    t
      .select({
        unitId: vendorContracts.unitId,
        firstContactHours: vendorContracts.firstContactHours,
        resolutionHours: vendorContracts.resolutionHours,
        ownerId: users.id,
        ownerEmail: users.email,
        ownerName: users.name,
      })
      .from(vendorContracts)
      .leftJoin(users, and(eq(users.id, vendorContracts.ownerUserId), eq(users.status, 'active')))
      .where(inArray(vendorContracts.unitId, idSlots(depth)))
      .prepare(),
  (depth) => depth,
);

/** The three reads of the chain of a unit, for a batch (runBatch): its units, their grants, the vendor contracts on it. */
export function chainReads(t: TenantDb, unitPath: string) {
  const ids = pathIds(unitPath);
  const values = Object.fromEntries(ids.map((id, i) => [`u${i}`, id]));
  return [chainUnitsRead(t, values, ids.length), chainGrantsRead(t, values, ids.length), chainContractsRead(t, values, ids.length)] as const;
}

type ChainReads = ReturnType<typeof chainReads>;
type ChainRows = readonly [ReturnType<ChainReads[0]['read']>, ReturnType<ChainReads[1]['read']>, ReturnType<ChainReads[2]['read']>];

/** The chain from the rows of `chainReads`. */
export function chainOf([unitRows, grantRows, contractRows]: ChainRows): Chain {
  const chainUnits = [...unitRows].sort((a, b) => a.path.length - b.path.length);
  const vendor = [...chainUnits].reverse().find((u) => u.kind === 'vendor');
  const c = vendor ? contractRows.find((r) => r.unitId === vendor.id) : undefined;
  return {
    units: chainUnits,
    granted: grantRows.map((g) => ({ unitId: g.unitId, role: g.role, user: { id: g.id, email: g.email, name: g.name } })),
    contract: c
      ? { unitId: c.unitId, owner: c.ownerId ? { id: c.ownerId, email: c.ownerEmail!, name: c.ownerName! } : null, firstContactHours: c.firstContactHours, resolutionHours: c.resolutionHours }
      : null,
  };
}

/** The chain of a unit, in one round trip (three statements in one batch). */
export async function loadChain(t: TenantDb, unitPath: string): Promise<Chain> {
  return chainOf(await runBatch(t, chainReads(t, unitPath)));
}

const first = (chain: Chain, unitId: string, role: Role) => chain.granted.find((g) => g.unitId === unitId && g.role === role)?.user;

/**
 * Who is accountable for a unit by the hierarchy: a vendor unit's lead (its user with the
 * vendor role), else the unit's manager; else the nearest ancestor with a manager; the root's
 * admin last. Returns the person and why.
 */
export function hierarchyOwner(chain: Chain): { owner: Person | null; reason: string } {
  const self = chain.units[chain.units.length - 1];
  if (self?.kind === 'vendor') {
    const lead = first(chain, self.id, 'vendor');
    if (lead) return { owner: lead, reason: 'vendor_lead' };
  }
  for (let i = chain.units.length - 1; i >= 0; i--) {
    const manager = first(chain, chain.units[i]!.id, 'manager');
    if (manager) return { owner: manager, reason: i === chain.units.length - 1 ? 'unit_manager' : 'ancestor_manager' };
  }
  const root = chain.units[0];
  const admin = root ? first(chain, root.id, 'admin') : undefined;
  return admin ? { owner: admin, reason: 'root_admin' } : { owner: null, reason: 'nobody' };
}

/** A contact's attribute by name: the stored columns first, then the free-form attributes. */
export function contactAttribute(contact: ContactForRouting | null, name: string): unknown {
  if (!contact) return undefined;
  const columns: Record<string, unknown> = { supportTier: contact.supportTier, segment: contact.segment, accountId: contact.accountId, contractSize: contact.contractSize, locale: contact.locale };
  return columns[name] ?? contact.attributes?.[name];
}

export interface ContactForRouting {
  supportTier: string | null;
  segment: string | null;
  accountId: string | null;
  contractSize: string | null;
  locale: string | null;
  attributes: Record<string, unknown> | null;
}

/**
 * The owner of a new case: the tenant's routing rules on contact attributes and on the themes of
 * the answer's comment first (in order;
 * a rule naming a user who is gone or disabled is skipped), then the contact's `accountOwner`
 * attribute (a user's email), then the hierarchy (`hierarchyOwner`).
 */
export async function routeOwner(
  t: TenantDb,
  chain: Chain,
  contact: ContactForRouting | null,
  rules: RoutingRule[],
  themes: readonly string[] = [],
): Promise<{ owner: Person | null; reason: string }> {
  const matching = rules.filter((r) => {
    if ('theme' in r) return themes.includes(r.theme);
    const v = contactAttribute(contact, r.attribute);
    return v !== undefined && v !== null && (v === r.equals || String(v) === String(r.equals));
  });
  const accountOwner = contactAttribute(contact, 'accountOwner');
  const email = typeof accountOwner === 'string' && accountOwner.includes('@') ? accountOwner.trim().toLowerCase() : null;
  if (matching.length > 0 || email) {
    const ids = matching.map((r) => r.ownerUserId);
    const found = await t
      .select({ id: users.id, email: users.email, name: users.name })
      .from(users)
      .where(and(eq(users.status, 'active'), or(...(ids.length ? [inArray(users.id, ids)] : []), ...(email ? [eq(users.email, email)] : []))));
    for (const r of matching) {
      const u = found.find((f) => f.id === r.ownerUserId);
      if (u) return { owner: u, reason: 'theme' in r ? `rule:theme:${r.theme}` : `rule:${r.attribute}` };
    }
    const u = email ? found.find((f) => f.email.toLowerCase() === email) : undefined;
    if (u) return { owner: u, reason: 'account_owner' };
  }
  return hierarchyOwner(chain);
}

/**
 * Whom a late case goes to next, in order: for a vendor unit the vendor contract's owner, then
 * the managers of the ancestors (nearest first), then the root's admins. The case moves one
 * step past its current owner (to the first step when the owner is not on it, e.g. the unit's
 * own manager or a rule's owner); at the top it stays with the last person.
 */
export function nextEscalation(chain: Chain, currentOwnerId: string | null): Person | null {
  const steps: Person[] = [];
  const push = (p: Person | null | undefined) => {
    if (p && !steps.some((s) => s.id === p.id)) steps.push(p);
  };
  if (chain.units[chain.units.length - 1]?.kind === 'vendor' || chain.contract) push(chain.contract?.owner);
  for (let i = chain.units.length - 2; i >= 0; i--) for (const g of chain.granted) if (g.unitId === chain.units[i]!.id && g.role === 'manager') push(g.user);
  const root = chain.units[0];
  if (root) for (const g of chain.granted) if (g.unitId === root.id && g.role === 'admin') push(g.user);
  const at = currentOwnerId ? steps.findIndex((s) => s.id === currentOwnerId) : -1;
  if (at === -1) return steps.find((s) => s.id !== currentOwnerId) ?? null;
  return steps[at + 1] ?? steps[at] ?? null;
}
