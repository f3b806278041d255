// Creating a data database in production: the Turso Platform API
// (https://docs.turso.tech/api-reference/databases/create). One group per region, named after it
// (docs/architecture.md, "Production settings"), so a region's group token opens every database
// created in it. Only the operator's scripts call this; the Worker never creates databases.

export interface TursoApi {
  /** The organisation (or personal account) slug: TURSO_ORG. */
  org: string;
  /** A Platform API token (`turso auth api-tokens mint NAME`): TURSO_API_TOKEN. */
  token: string;
  /** https://api.turso.tech unless a test gives its own. */
  baseUrl?: string;
}

interface DatabaseBody {
  database?: { Name?: string; Hostname?: string };
}

async function call(api: TursoApi, method: string, path: string, body?: unknown): Promise<{ status: number; json: DatabaseBody & { error?: string } }> {
  const res = await fetch(`${api.baseUrl ?? 'https://api.turso.tech'}/v1/organizations/${encodeURIComponent(api.org)}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: DatabaseBody & { error?: string } = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { error: text.slice(0, 200) };
  }
  return { status: res.status, json };
}

/**
 * Creates the database `name` in the group `group` and returns its libsql:// URL. A database of
 * that name that already exists (409: an earlier run stopped after creating it) is looked up
 * instead, so a re-run of `tenant:create` completes.
 */
export async function createTursoDatabase(api: TursoApi, name: string, group: string): Promise<string> {
  const created = await call(api, 'POST', '/databases', { name, group });
  let hostname = created.json.database?.Hostname;
  if (created.status === 409) {
    const found = await call(api, 'GET', `/databases/${encodeURIComponent(name)}`);
    if (found.status !== 200) throw new Error(`Turso: database ${name} exists but cannot be read (${found.status} ${found.json.error ?? ''})`.trim());
    hostname = found.json.database?.Hostname;
  } else if (created.status < 200 || created.status > 299) {
    throw new Error(`Turso: creating database ${name} in group ${group} failed (${created.status} ${created.json.error ?? ''})`.trim());
  }
  if (!hostname) throw new Error(`Turso: no hostname for database ${name}`);
  return `libsql://${hostname}`;
}

/** The Turso Platform API of the environment (TURSO_ORG and TURSO_API_TOKEN), or none. */
export function tursoFromEnv(env: NodeJS.ProcessEnv = process.env): TursoApi | undefined {
  return env.TURSO_ORG && env.TURSO_API_TOKEN ? { org: env.TURSO_ORG, token: env.TURSO_API_TOKEN, baseUrl: env.TURSO_API_URL } : undefined;
}
