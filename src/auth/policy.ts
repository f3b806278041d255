import type { Role } from '../db/schema';

/**
 * The one place that decides who may do what (docs/access.md, "Roles"). A grant of a role on
 * a unit reaches that unit's whole subtree; tenant-wide actions need the grant on the root.
 */
export type Action =
  | 'unit.read'
  | 'unit.write'
  | 'user.manage'
  | 'apikey.manage'
  | 'audit.read'
  /** Surveys and touchpoints: their design (write) and reading it (read). */
  | 'program.read'
  | 'program.write'
  /** Aggregated scores of units in reach (no verbatims). */
  | 'score.read'
  /** Individual responses (rows) of units in reach; comments need verbatim.read too. */
  | 'response.read'
  | 'verbatim.read'
  /** Contacts (tenant-wide): upsert, import, read. */
  | 'contact.manage'
  /** Operational events naming a unit within reach (integrations: API keys with the admin role). */
  | 'event.ingest'
  /** Recurring relationship waves (tenant-wide). */
  | 'wave.manage'
  /** Tenant settings: providers, widget keys, program defaults (tenant-wide). */
  | 'settings.manage'
  /** An invitation's delivery state, within reach of its unit. */
  | 'invitation.read'
  /** An invitation's survey link: whoever holds it can answer as the contact. */
  | 'invitation.link'
  /** An anonymous touchpoint link for a unit in reach: whoever holds it can answer for that unit. */
  | 'touchpoint.link'
  /** Include or exclude a response from scores (audited with a reason), within reach of its unit. */
  | 'response.moderate'
  /** Significant-drop alert rules on units within reach (create). */
  | 'alert.manage'
  /** Alerts and alert rules of units within reach. */
  | 'alert.read'
  /** Root cause and corrective action of an alert within reach (the exception log). */
  | 'alert.annotate'
  /** Outgoing webhooks: endpoints, secrets, the delivery log and replays (tenant-wide). */
  | 'webhook.manage'
  /** Recovery cases of units in reach: read them (and loop metrics), work them (status, notes), configure (templates, vendor contracts, case settings). */
  | 'case.read'
  | 'case.write'
  | 'case.configure'
  /** Reply templates: reading them (anyone who works cases). */
  | 'template.read'
  /** Action plans of units in reach: read them (with before/after NPS); create and update them. */
  | 'plan.read'
  | 'plan.write'
  /** Saved reports of other people on units in reach: read, change, delete (owners manage their own). */
  | 'report.oversee'
  /** Annotations (releases, outages, process changes) on units in reach; reading them needs score.read. */
  | 'annotation.write'
  /** Targets of units in reach: set bands, rebaseline (reading attainment needs score.read). */
  | 'target.write'
  /** Operational measures: define them (tenant-wide) and load the daily values of units in reach. */
  | 'measure.manage'
  | 'measure.write'
  /** Answers collected elsewhere (a previous vendor, IVR, paper) for units in reach. */
  | 'response.import'
  /** The integrity signals (gaming safeguards) of agents and units in reach: never the agents', managers' or vendors' (docs/integrity.md). */
  | 'integrity.read'
  /** Agent-level views (score, cases, comments) of the agents granted on units in reach: team leads (docs/dimensions.md "Agent views"). */
  | 'agent.read';

const ROLE_ACTIONS: Record<Role, ReadonlySet<Action>> = {
  admin: new Set<Action>([
    'unit.read',
    'score.read',
    'response.read',
    'verbatim.read',
    'unit.write',
    'user.manage',
    'apikey.manage',
    'audit.read',
    'program.read',
    'program.write',
    'contact.manage',
    'event.ingest',
    'wave.manage',
    'settings.manage',
    'invitation.read',
    'invitation.link',
    'touchpoint.link',
    'response.moderate',
    'alert.manage',
    'alert.read',
    'alert.annotate',
    'webhook.manage',
    'case.read',
    'case.write',
    'case.configure',
    'template.read',
    'plan.read',
    'plan.write',
    'report.oversee',
    'annotation.write',
    'target.write',
    'measure.manage',
    'measure.write',
    'response.import',
    'integrity.read',
    'agent.read',
  ]),
  analyst: new Set<Action>(['unit.read', 'score.read', 'response.read', 'verbatim.read', 'program.read', 'invitation.read', 'alert.read', 'case.read', 'template.read', 'plan.read', 'integrity.read']),
  manager: new Set<Action>([
    'unit.read',
    'score.read',
    'response.read',
    'verbatim.read',
    'program.read',
    'invitation.read',
    'alert.read',
    'alert.annotate',
    'case.read',
    'case.write',
    'template.read',
    'plan.read',
    'plan.write',
    'annotation.write',
    'agent.read',
  ]),
  agent: new Set<Action>(['unit.read', 'template.read']),
  vendor: new Set<Action>(['unit.read', 'score.read', 'response.read', 'case.read', 'case.write', 'template.read']),
  viewer: new Set<Action>(['unit.read', 'score.read']),
};

export interface Grant {
  unitId: string;
  /** Materialised path of the granted unit, e.g. `/unit_a/unit_b/`. */
  unitPath: string;
  role: Role;
}

export interface Actor {
  type: 'user' | 'api_key';
  /** The user id, or the API key id. */
  id: string;
  tenantId: string;
  grants: Grant[];
  /** An API key without the `write` scope may only read. */
  readOnly?: boolean;
  /** Session id when signed in with a session token. */
  sessionId?: string;
}

/** May the actor perform `action` on the unit at `path` (or, for tenant-wide actions, on the root's path)? */
export function can(actor: Actor, action: Action, path: string): boolean {
  return actor.grants.some((g) => ROLE_ACTIONS[g.role].has(action) && path.startsWith(g.unitPath));
}

/** The subtree roots (paths) where the actor may perform `action`; nested ones folded into their ancestor. */
export function reach(actor: Actor, action: Action): string[] {
  const paths = actor.grants
    .filter((g) => ROLE_ACTIONS[g.role].has(action))
    .map((g) => g.unitPath)
    .sort();
  return paths.filter((p, i) => !paths.slice(0, i).some((q) => p.startsWith(q)));
}

/**
 * Whether the actor sees the person behind an answer on the unit at `path`: the comment and
 * free-text answers, who the contact is (ids, email, phone, name) and their lifetime value.
 * Roles that read verbatims there do, and the owner of a case sees its own case's person.
 * The one gate for cases, case replies, the responses API and the responses CSV.
 */
export function seesRespondent(actor: Actor, path: string, ownerUserId: string | null = null): boolean {
  return can(actor, 'verbatim.read', path) || (actor.type === 'user' && ownerUserId !== null && ownerUserId === actor.id);
}
