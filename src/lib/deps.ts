import type { Actor } from '../auth/policy';
import type { TenantDb } from '../db/tenant-db';
import type { Config, Env } from '../env';
import type { AppContext } from './create-app';

/**
 * What a domain function needs of the request that calls it: the tenant-scoped data handle, the
 * caller, and the configuration. Routes build it with `deps(c)`; jobs and tests build their own,
 * so a rule never needs a fake request to run.
 */
export interface Deps {
  t: TenantDb;
  actor: Actor;
  env: Env;
  config: Config;
  requestId: string | null;
}

/** The domain dependencies of an authenticated request. */
export const deps = (c: AppContext): Deps => ({ t: c.get('tdb'), actor: c.get('actor'), env: c.env, config: c.get('config'), requestId: c.get('requestId') });
