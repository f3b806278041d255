import { eq, sql } from 'drizzle-orm';
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client';
import { statement } from '../../src/db/prepared';
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
});
