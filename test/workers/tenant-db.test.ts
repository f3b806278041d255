import { and, eq, inArray, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { placeholders, runBatch, tenantBatchStatement, tenantStatement } from '../../src/db/prepared';
import { replyTemplates, tenants, units } from '../../src/db/schema';
import { TenantDb, type TenantInsert } from '../../src/db/tenant-db';
import { newId } from '../../src/lib/ids';
import { db, makeTenant, type Fixture } from './support';

/*
 * The tenant-scoped handle itself (src/db/tenant-db.ts), on the real database with two tenants
 * in it: whatever a caller builds through A's handle sees and changes A's rows only, even when
 * the caller names B's ids, joins B's rows or hands B's tenant id to an insert.
 */
let A: Fixture;
let B: Fixture;
let a: TenantDb;
const theme = `scoped-${Math.random().toString(36).slice(2, 8)}`;
const ids = { a: newId('rtpl'), b: newId('rtpl') };

beforeAll(async () => {
  [A, B] = await Promise.all([makeTenant('Handle A'), makeTenant('Handle B')]);
  a = new TenantDb(db(A.tenantId), A.tenantId);
  // One template in each tenant, same theme and locale, written straight (not through a handle).
  await db(A.tenantId).insert(replyTemplates).values({ id: ids.a, tenantId: A.tenantId, theme, locale: 'en', subject: 'A', body: 'A' });
  await db(B.tenantId).insert(replyTemplates).values({ id: ids.b, tenantId: B.tenantId, theme, locale: 'en', subject: 'B', body: 'B' });
});

const rowOf = async (id: string, tenantId: string) => (await db(tenantId).select().from(replyTemplates).where(eq(replyTemplates.id, id)))[0];

describe('the tenant-scoped handle', () => {
  it('a select sees its tenant only, with or without a where of the caller', async () => {
    const all = await a.select({ id: replyTemplates.id }).from(replyTemplates).where(eq(replyTemplates.theme, theme));
    expect(all).toEqual([{ id: ids.a }]);
    expect(await a.select().from(replyTemplates).where(eq(replyTemplates.id, ids.b))).toEqual([]);
    const everything = await a.select({ tenantId: replyTemplates.tenantId }).from(replyTemplates);
    expect(new Set(everything.map((r) => r.tenantId))).toEqual(new Set([A.tenantId]));
  });

  it("a join brings in none of another tenant's rows, whatever the join condition says", async () => {
    // Joined on the theme alone, B's unit rows would match if the handle did not scope the join.
    const rows = await a.select({ unitTenant: units.tenantId }).from(replyTemplates).leftJoin(units, sql`1 = 1`).where(eq(replyTemplates.id, ids.a));
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.unitTenant))).toEqual(new Set([A.tenantId]));
    expect(() => a.select().from(replyTemplates).rightJoin(units, sql`1 = 1`)).toThrow(/not scoped/);
    // A cross join (no ON): both tables' tenant conditions go to the where, with or without one of the caller's.
    for (const where of [undefined, eq(replyTemplates.id, ids.a)]) {
      const crossed = await a.select({ own: replyTemplates.tenantId, unitTenant: units.tenantId }).from(replyTemplates).crossJoin(units).where(where);
      expect(crossed.length).toBeGreaterThan(0);
      expect(new Set(crossed.flatMap((r) => [r.own, r.unitTenant]))).toEqual(new Set([A.tenantId]));
    }
    const unwhered = await a.select({ own: replyTemplates.tenantId, unitTenant: units.tenantId }).from(replyTemplates).crossJoin(units);
    expect(new Set(unwhered.flatMap((r) => [r.own, r.unitTenant]))).toEqual(new Set([A.tenantId]));
  });

  it("an update or delete aimed at another tenant's row changes nothing", async () => {
    const updated = await a.update(replyTemplates).set({ subject: 'changed by A' }).where(eq(replyTemplates.id, ids.b));
    expect(updated.rowsAffected).toBe(0);
    const deleted = await a.delete(replyTemplates).where(eq(replyTemplates.id, ids.b));
    expect(deleted.rowsAffected).toBe(0);
    expect(await rowOf(ids.b, B.tenantId)).toMatchObject({ subject: 'B', tenantId: B.tenantId });
  });

  it('an update never moves a row to another tenant, and one without a where stays in its tenant', async () => {
    await a
      .update(replyTemplates)
      .set({ body: 'A2', tenantId: B.tenantId } as { body: string })
      .where(eq(replyTemplates.id, ids.a));
    expect(await rowOf(ids.a, A.tenantId)).toMatchObject({ body: 'A2', tenantId: A.tenantId });
    // No where of the caller: every row of A with the theme… and none of B.
    await a.update(replyTemplates).set({ subject: sql`${replyTemplates.subject} || '!'` });
    expect((await rowOf(ids.a, A.tenantId))!.subject).toBe('A!');
    expect((await rowOf(ids.b, B.tenantId))!.subject).toBe('B');
  });

  it("an insert carries the handle's tenant, even when the caller hands it another", async () => {
    const id = newId('rtpl');
    const row = { id, theme: `${theme}-2`, locale: 'en', subject: 's', body: 'b', tenantId: B.tenantId } as TenantInsert<typeof replyTemplates>;
    await a.insert(replyTemplates).values(row);
    expect((await rowOf(id, A.tenantId))!.tenantId).toBe(A.tenantId);
  });

  it("reads its own tenants row (the settings) and no other's", async () => {
    const rows = await a.select({ id: tenants.id }).from(tenants);
    expect(rows).toEqual([{ id: A.tenantId }]);
  });

  it('a statement prepared once binds the tenant of each calling handle', async () => {
    const byTheme = tenantStatement((t) =>
      t
        .select({ id: replyTemplates.id })
        .from(replyTemplates)
        .where(and(eq(replyTemplates.theme, sql.placeholder('theme')), eq(replyTemplates.locale, 'en')))
        .prepare(),
    );
    const b = new TenantDb(db(B.tenantId), B.tenantId);
    expect(await byTheme(a, { theme })).toEqual([{ id: ids.a }]);
    expect(await byTheme(b, { theme })).toEqual([{ id: ids.b }]);
  });

  it("a batch of statements prepared once binds each handle's tenant, builds each shape once, and writes all or nothing", async () => {
    // The same ids asked by both tenants: each sees its own template only; a list of one and of two ids are two shapes.
    const byIds = tenantBatchStatement(
      (t, n: number) =>
        t
          .select({ id: replyTemplates.id, tenantId: replyTemplates.tenantId })
          .from(replyTemplates)
          .where(
            inArray(
              replyTemplates.id,
              Array.from({ length: n }, (_, i) => sql.placeholder(`id${i}`)),
            ),
          )
          .prepare(),
      (n) => n,
    );
    const both = { id0: ids.a, id1: ids.b };
    const b = new TenantDb(db(B.tenantId), B.tenantId);
    const [mineA, oneA] = await runBatch(a, [byIds(a, both, 2), byIds(a, { id0: ids.b }, 1)]);
    expect(mineA).toEqual([{ id: ids.a, tenantId: A.tenantId }]);
    expect(oneA).toEqual([]); // B's id, asked by A
    const [[mineB]] = await runBatch(b, [byIds(b, both, 2)]);
    expect(mineB).toEqual({ id: ids.b, tenantId: B.tenantId });
    // An insert prepared once carries the calling handle's tenant; the batch fails whole on a duplicate id.
    const insert = tenantBatchStatement((t) =>
      t
        .insert(replyTemplates)
        .values(placeholders(['id', 'theme', 'locale', 'subject', 'body'] as const) as unknown as TenantInsert<typeof replyTemplates>)
        .prepare(),
    );
    const fresh = newId('rtpl');
    const row = { theme, locale: 'fr', subject: 'A2', body: 'A2' };
    await expect(runBatch(a, [insert(a, { ...row, id: fresh }), insert(a, { ...row, id: ids.a })])).rejects.toThrow();
    expect(await rowOf(fresh, A.tenantId)).toBeUndefined();
    await runBatch(a, [insert(a, { ...row, id: fresh }), a.update(replyTemplates).set({ subject: 'A3' }).where(eq(replyTemplates.id, fresh))]);
    expect(await rowOf(fresh, A.tenantId)).toMatchObject({ tenantId: A.tenantId, subject: 'A3' });
  });
});
