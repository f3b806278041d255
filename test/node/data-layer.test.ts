import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as directorySchema from '../../src/db/directory-schema';
import * as dataSchema from '../../src/db/schema';

/*
 * The one tenant-scoped data layer (issue 11, docs/architecture.md "One tenant-scoped data
 * layer"): handlers and domain code reach tenant data only through TenantDb, which adds the
 * tenant to every statement. This check reads the source and fails when code outside the
 * data layer and the named sweeps reaches the unscoped handle or writes a tenant condition by
 * hand, and when a route file builds a query itself (routes validate, call a domain
 * function, answer).
 */

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

/** The data layer itself: the directory, the plane that opens databases, the handle. */
const DATA_LAYER = new Set(['src/db/client.ts', 'src/db/directory.ts', 'src/db/plane.ts', 'src/db/prepared.ts', 'src/db/tenant-db.ts', 'src/lib/bind-tenant.ts', 'src/lib/create-app.ts']);

/**
 * Named cross-tenant sweeps and before-the-tenant-is-known lookups: the only code besides the
 * data layer that holds the unscoped handle, each for the reason given. Per-tenant work inside
 * a sweep still goes through a TenantDb it builds for the tenant.
 */
const NAMED_SWEEPS: Record<string, string> = {
  'src/accounts/due-models.ts': 'the daily churn retraining: finds the churn models due across the tenants of a data database (each is leased and sent through its TenantDb)',
  'src/alerts/due-rules.ts': 'the hourly alert evaluation: finds the active rules of every tenant of a data database',
  'src/auth/sign-in.ts': "before the tenant is known: accounts by email (login_emails, the directory's identities), sign-in counters (rate_limits), an API key by id (single database)",
  'src/cases/due-cases.ts': 'the case sweeps find late cases and due owner notifications across the tenants of a data database',
  'src/comments/due-backfill.ts': 'the comment backfill: finds the tenants of a data database with answers left to analyse (each is worked through its TenantDb)',
  'src/delivery/scan.ts': 'the delivery scan: flips and enqueues the due invitations and reminders of every tenant of a data database in one batch',
  'src/digests/due-managers.ts': 'the weekly digests: finds the managers of every tenant of a data database and the digests they already have',
  'src/jobs/cron.ts': 'fans one message out per data database',
  'src/jobs/due-work.ts': "the due-work probes: one statement over every tenant of a data database, and the fold's mark (checks every tenant's watermark)",
  'src/jobs/queue.ts': 'the queue consumer opens the database a message names',
  'src/org/tenants.ts': 'provisioning: creates a tenant, before any handle of it can exist; its rows go through a TenantDb of the new tenant',
  'src/reports/due-reports.ts': 'the hourly report mailer: finds the saved reports due across the tenants of a data database',
  'src/scores/fold.ts': 'the rollup fold: finds tenants with new answers in a data database, and its tuned SQL keys every rollup by tenant_id',
  'src/settings/retention-sweep.ts': 'the daily retention purge: finds the tenants with a retention set in a data database; each is purged through its own TenantDb',
  'src/targets/due-targets.ts': 'the daily close of target periods: finds the targets due to close across the tenants of a data database (each is frozen through its TenantDb)',
  'src/tenancy/archive.ts': 'exports, copies and deletes a whole tenant table by table, generic over every table, rows as stored',
  'src/tenancy/lifecycle.ts': 'moves and deletes a whole tenant between data databases (operator scripts), handing each database to archive.ts',
  'src/waves/due.ts': 'finds the due waves of every tenant of a data database (each is run through its tenant handle)',
  'src/webhooks/due-deliveries.ts': 'the webhook dispatcher: leases the due deliveries of every tenant of a data database in one statement',
};

/** Where code reaches the unscoped handle. */
const UNSCOPED = [
  { what: "the request's unscoped database (c.get('db'))", re: /\.get\(\s*['"]db['"]\s*\)|\.var\.db\b/ },
  { what: 'a Db-typed handle', re: /:\s*Db\b(?!\w)|<Db>|\bDb\[/ },
  { what: 'a database opened by hand', re: /\bopenDb\(/ },
];

/** Where code writes a tenant condition by hand instead of letting the handle add it. */
const HAND_WRITTEN = [
  { what: 'eq(<table>.tenantId, …)', re: /\beq\(\s*[\w.]+\.tenantId\s*,/ },
  { what: 'eq(…, <table>.tenantId)', re: /\beq\([^()]*,\s*[\w.]+\.tenantId\s*\)/ },
  { what: 'tenant_id = … in SQL', re: /tenant_id\s*(=|in\b|is\b)/i },
  { what: 'an interpolated <table>.tenantId = … in SQL', re: /\$\{[\w.]+\.tenantId\}\s*(=|in\b)/ },
];

/**
 * The directory's own tables (src/db/directory-schema.ts, those the data schema lacks): which
 * tenant an identity, API key id, widget key or directory audit row belongs to is the
 * directory's key, not tenant data, so a tenant condition on a line that works on one of them
 * is not written by hand in place of the handle (the directory has no TenantDb).
 */
const tableNames = (schema: Record<string, unknown>) =>
  new Map(
    Object.entries(schema)
      .filter((e): e is [string, SQLiteTable] => is(e[1], SQLiteTable))
      .map(([name, table]) => [getTableName(table), name]),
  );
const dataTables = tableNames(dataSchema);
const DIRECTORY_ONLY = [...tableNames(directorySchema)].filter(([sqlName]) => !dataTables.has(sqlName)).flat();
const DIRECTORY_TABLE = new RegExp(`\\b(${DIRECTORY_ONLY.join('|')})\\b`);

/** Query building a route file leaves to its feature's domain module. */
const QUERY_IN_ROUTE = [
  { what: 'a query built in a route file', re: /\.\s*(select|selectDistinct|insert|update|delete)\s*\(/ },
  { what: 'a batch run in a route file', re: /\bcommit\(|\.batch\(/ },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

const isRouteFile = (file: string) => /(^|\/|-)routes\.ts$/.test(file);

/** Lines with their numbers, comments dropped (a comment may name what code may not do). */
function codeLines(text: string): { n: number; line: string }[] {
  const out: { n: number; line: string }[] = [];
  let inBlock = false;
  text.split('\n').forEach((raw, i) => {
    let line = raw;
    if (inBlock) {
      const end = line.indexOf('*/');
      if (end < 0) return;
      line = line.slice(end + 2);
      inBlock = false;
    }
    line = line.replace(/\/\*.*?\*\//g, '');
    const open = line.indexOf('/*');
    if (open >= 0) {
      inBlock = true;
      line = line.slice(0, open);
    }
    line = line.replace(/(^|[^:'"`])\/\/.*$/, '$1');
    if (line.trim()) out.push({ n: i + 1, line });
  });
  return out;
}

/** What a file does that the data layer rule forbids it, as `file:line: what`. */
function violations(file: string, text: string): string[] {
  if (DATA_LAYER.has(file)) return [];
  const rules = [...(file in NAMED_SWEEPS ? [] : [...UNSCOPED, ...HAND_WRITTEN]), ...(isRouteFile(file) ? QUERY_IN_ROUTE : [])];
  const found: string[] = [];
  for (const { n, line } of codeLines(text)) {
    // `import type { Db }` names the type without reaching a handle.
    if (/^\s*import\b/.test(line)) continue;
    const onDirectory = DIRECTORY_TABLE.test(line);
    for (const rule of rules) if (!(onDirectory && HAND_WRITTEN.includes(rule)) && rule.re.test(line)) found.push(`${file}:${n}: ${rule.what}`);
  }
  return found;
}

describe('the tenant-scoped data layer', () => {
  it('no code outside the data layer and the named sweeps reaches the unscoped handle, writes a tenant condition, or queries from a route file', () => {
    const found = sourceFiles(SRC).flatMap((path) => violations(relative(ROOT, path), readFileSync(path, 'utf8')));
    expect(found).toEqual([]);
  });

  it('the named sweeps exist (a renamed file must leave the list, not keep a stale exemption)', () => {
    const files = new Set(sourceFiles(SRC).map((p) => relative(ROOT, p)));
    for (const file of [...Object.keys(NAMED_SWEEPS), ...DATA_LAYER]) expect(files.has(file), file).toBe(true);
  });

  // The check must be able to fail: each kind of breach, planted, is found.
  it.each([
    ['src/cases/triage.ts', "const db = c.get('db');", "the request's unscoped database"],
    ['src/cases/triage.ts', 'export function f(db: Db, id: string) {', 'a Db-typed handle'],
    ['src/cases/triage.ts', 'const db = openDb(url);', 'a database opened by hand'],
    ['src/cases/triage.ts', '.where(and(eq(cases.tenantId, actor.tenantId), eq(cases.id, id)))', 'eq(<table>.tenantId, …)'],
    ['src/cases/triage.ts', '.innerJoin(units, and(eq(units.id, cases.unitId), eq(units.tenantId, cases.tenantId)))', 'eq(<table>.tenantId, …)'],
    ['src/cases/triage.ts', `sql\`select 1 from cases where tenant_id = \${id}\``, 'tenant_id = … in SQL'],
    ['src/cases/triage.ts', `sql\`\${cases.tenantId} = \${id}\``, 'an interpolated <table>.tenantId = … in SQL'],
    ['src/cases/routes.ts', 'const rows = await t.select().from(cases);', 'a query built in a route file'],
    ['src/cases/settings-routes.ts', 'await commit(t, statements);', 'a batch run in a route file'],
  ])('finds a planted breach in %s: %s', (file, line, what) => {
    expect(violations(file, `import { x } from 'y';\n${line}\n`).join('\n')).toContain(what);
  });

  it('leaves comments, type imports and the handle itself alone', () => {
    const text = "import type { Db } from '../db/client';\n// never eq(cases.tenantId, x) by hand\n/* c.get('db') */\nconst rows = await t.select().from(cases).where(eq(cases.id, id));\n";
    expect(violations('src/cases/triage.ts', text)).toEqual([]);
    expect(violations('src/db/tenant-db.ts', 'return eq(table.tenantId, this.tenantId);')).toEqual([]);
  });

  it("leaves a tenant condition on the directory's own tables alone, not on a data table", () => {
    expect(DIRECTORY_ONLY).toEqual(expect.arrayContaining(['identities', 'api_key_ids', 'widget_keys', 'directory_audit', 'apiKeyIds']));
    expect(DIRECTORY_ONLY).not.toContain('tenants');
    expect(violations('src/tenancy/directory-entry.ts', "{ sql: 'delete from identities where tenant_id = ?', args: [tenantId] },\n")).toEqual([]);
    expect(violations('src/tenancy/directory-entry.ts', "{ sql: 'delete from invitations where tenant_id = ?', args: [tenantId] },\n").join('\n')).toContain('tenant_id = … in SQL');
    expect(violations('src/tenancy/directory-entry.ts', "const d: Db = open('identities');\n").join('\n')).toContain('a Db-typed handle');
  });
});
