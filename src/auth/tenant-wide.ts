import { forbidden } from '../lib/errors';
import type { Deps } from '../lib/deps';
import { getRoot } from '../org/units';
import { can, reach, type Action } from './policy';

/** Tenant-wide actions (users, API keys, audit) need the role on the root unit; returns the root. */
export async function requireTenantWide({ t, actor }: Pick<Deps, 't' | 'actor'>, action: Action, what: string) {
  const root = await getRoot(t);
  if (!root || !can(actor, action, root.path)) throw forbidden(`${what} needs the admin role on the root unit`);
  return root;
}

/** Tenant-wide reads that any grant with the action allows, wherever it sits (e.g. reading survey designs). */
export function requireAnywhere({ actor }: Pick<Deps, 'actor'>, action: Action, what: string) {
  if (reach(actor, action).length === 0) throw forbidden(`your role does not allow ${what}`);
}
