import { eq, sql } from 'drizzle-orm';
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client';
import { statement, tenantSqlStatement } from '../../src/db/prepared';
import { TenantDb } from '../../src/db/tenant-db';
import { tenants } from '../../src/db/schema';
import { db, makeTenant } from './support';

/**
 * Statements prepared once per isolate (src/db/prepared.ts) run on the client of the call that
 * runs them, never on another request's: here two clients at once, one of them on a path of
 * the server that is no database (it answers 404), so a statement that ran on the wrong client
 * would answer or fail wrongly.
 */
const tenantName = statement((d) =>
  d
    .select({ name: tenants.name })
    .from(tenants)
    .where(eq(tenants.id, sql.placeholder('id')))
    .prepare(),
);

describe('prepared statements', () => {
  it('run on the calling client, concurrently, with their own values', async () => {
    const [a, b] = await Promise.all([makeTenant('Prepared A'), makeTenant('Prepared B')]);
    const nowhere = openDb(new URL('/no-database/', env.LIBSQL_URL).href);
    const results = await Promise.allSettled([tenantName(db(), { id: a.tenantId }), tenantName(nowhere, { id: a.tenantId }), tenantName(db(), { id: b.tenantId })]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: [{ name: a.name }] });
    expect(results[1]!.status).toBe('rejected');
    expect(results[2]).toEqual({ status: 'fulfilled', value: [{ name: b.name }] });
    // Once prepared, the next call of the same statement still takes the caller's client.
    await expect(tenantName(nowhere, { id: b.tenantId })).rejects.toThrow();
    expect(await tenantName(db(), { id: 'ten_missing' })).toEqual([]);
  });

  it('a value not given is an error, not a null', async () => {
    await expect(tenantName(db(), {})).rejects.toThrow(/placeholder "id"/);
  });

  it('raw SQL binds each placeholder once, however often it appears, and leaves literals alone', async () => {
    const a = await makeTenant('Prepared raw');
    // The tenant twice (through the handle), `x` three times, a literal value and a question mark inside a string.
    const probe = tenantSqlStatement<{ name: string; xs: string; mark: string; kind: string }>(
      (t) =>
        sql`select (select ${tenants.name} from ${tenants} where ${tenants.id} = ${t.tenantId} and ${tenants.id} = ${t.tenantId}) as name,
          ${sql.placeholder('x')} || ${sql.placeholder('x')} || ${sql.placeholder('x')} as xs, 'why?' as mark, ${'literal'} as kind`,
    );
    const sent: { sql: string; args: unknown[] }[] = [];
    const watched = new Proxy(db().$client, {
      get: (target, key) => (key === 'execute' ? (s: { sql: string; args: unknown[] }) => (sent.push(s), target.execute(s as never)) : Reflect.get(target, key)),
    });
    const handle = new TenantDb({ $client: watched } as never, a.tenantId);
    expect(await probe(handle, { x: 'ab' })).toEqual([{ name: a.name, xs: 'ababab', mark: 'why?', kind: 'literal' }]);
    // Three distinct values: the tenant, x and the literal; each sent once and numbered in the text.
    expect(sent[0]!.args).toEqual([a.tenantId, 'ab', 'literal']);
    expect(sent[0]!.sql.match(/\?\d+/g)).toEqual(['?1', '?1', '?2', '?2', '?2', '?3']);
    // Another tenant's handle reads its own row through the statement built once.
    const b = await makeTenant('Prepared raw B');
    expect(await probe(new TenantDb(db(), b.tenantId), { x: 'c' })).toEqual([{ name: b.name, xs: 'ccc', mark: 'why?', kind: 'literal' }]);
  });
});
