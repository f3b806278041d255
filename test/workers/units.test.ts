import { beforeAll, describe, expect, it } from 'vitest';
import { savedReports } from '../../src/db/schema';
import { call, db, makeTenant, uniq, type Fixture } from './support';

let t: Fixture;
beforeAll(async () => {
  t = await makeTenant('Units');
});

const admin = () => t.tokens.admin;
const create = (body: Record<string, unknown>) => call('POST', '/api/v1/units', { token: admin(), body });
const auditOf = async (id: string) => (await call('GET', `/api/v1/audit-log?targetType=unit&targetId=${id}`, { token: admin() })).body.items;

describe('units', () => {
  it("creates a child whose path extends its parent's and whose time zone it inherits", async () => {
    const res = await create({ name: `Lyon ${uniq()}`, kind: 'site', parentId: t.units.emea });
    expect(res.status).toBe(201);
    expect(res.body.parentId).toBe(t.units.emea);
    expect(res.body.path).toBe(`${t.paths.emea!.path}${res.body.id}/`);
    expect(res.body.depth).toBe(2);
    expect(res.body.timezone).toBe('UTC');
    const got = await call('GET', `/api/v1/units/${res.body.id}`, { token: admin() });
    expect(got.body).toEqual(res.body);
    const [entry] = await auditOf(res.body.id);
    expect(entry).toMatchObject({ action: 'unit.create', actorType: 'user', actorId: t.userIds.admin, beforeDigest: null, requestId: res.headers.get('x-request-id') });
    expect(entry.afterDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a second sibling of the same name with 409, and the enterprise kind below the root with 400', async () => {
    const name = `Madrid ${uniq()}`;
    expect((await create({ name, kind: 'site', parentId: t.units.emea })).status).toBe(201);
    const again = await create({ name, kind: 'site', parentId: t.units.emea });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    // The same name under another parent is fine.
    expect((await create({ name, kind: 'site', parentId: t.units.americas })).status).toBe(201);
    expect((await create({ name: `Corp ${uniq()}`, kind: 'enterprise', parentId: t.units.root })).status).toBe(400);
  });

  it('lists the tree in path order, each parent before its children, and a subtree by rootId', async () => {
    const all = (await call('GET', '/api/v1/units', { token: admin() })).body.items as any[];
    const seen = new Set<string>();
    for (const u of all) {
      if (u.parentId !== null) expect(seen.has(u.parentId)).toBe(true);
      seen.add(u.id);
    }
    expect(all[0].id).toBe(t.units.root);
    const emea = (await call('GET', `/api/v1/units?rootId=${t.units.emea}`, { token: admin() })).body.items as any[];
    expect(emea.length).toBeGreaterThanOrEqual(3);
    for (const u of emea) expect(u.path.startsWith(t.paths.emea!.path)).toBe(true);
    expect(emea.map((u) => u.id)).toEqual(expect.arrayContaining([t.units.emea, t.units.berlin, t.units.paris]));
  });

  it('moves a subtree: every descendant path is rewritten and the move is audited', async () => {
    const site = (await create({ name: `Munich ${uniq()}`, kind: 'site', parentId: t.units.emea })).body;
    const team = (await create({ name: 'Night shift', kind: 'team', parentId: site.id })).body;
    const moved = await call('PATCH', `/api/v1/units/${site.id}`, { token: admin(), body: { parentId: t.units.americas } });
    expect(moved.status).toBe(200);
    expect(moved.body.path).toBe(`${t.paths.americas!.path}${site.id}/`);
    const child = (await call('GET', `/api/v1/units/${team.id}`, { token: admin() })).body;
    expect(child.path).toBe(`${t.paths.americas!.path}${site.id}/${team.id}/`);
    expect(child.depth).toBe(3);
    const [entry] = await auditOf(site.id);
    expect(entry.action).toBe('unit.move');
    expect(entry.details).toMatchObject({ fromParentId: t.units.emea, toParentId: t.units.americas });
    expect(entry.beforeDigest).not.toBe(entry.afterDigest);
  });

  it('refuses to move a unit under itself or its descendants', async () => {
    const site = (await create({ name: `Hamburg ${uniq()}`, kind: 'site', parentId: t.units.emea })).body;
    const team = (await create({ name: 'Day shift', kind: 'team', parentId: site.id })).body;
    for (const parentId of [site.id, team.id]) {
      const res = await call('PATCH', `/api/v1/units/${site.id}`, { token: admin(), body: { parentId } });
      expect(res.status).toBe(409);
    }
    expect((await call('GET', `/api/v1/units/${site.id}`, { token: admin() })).body.parentId).toBe(t.units.emea);
  });

  it('renames and sets a time zone', async () => {
    const site = (await create({ name: `Rome ${uniq()}`, kind: 'site', parentId: t.units.emea })).body;
    const res = await call('PATCH', `/api/v1/units/${site.id}`, { token: admin(), body: { name: 'Roma', timezone: 'Europe/Rome' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Roma', timezone: 'Europe/Rome', path: site.path });
    const child = (await create({ name: 'Trastevere', kind: 'team', parentId: site.id })).body;
    expect(child.timezone).toBe('Europe/Rome');
  });

  it('keeps the root in place: no move, retype or delete (422)', async () => {
    expect((await call('PATCH', `/api/v1/units/${t.units.root}`, { token: admin(), body: { kind: 'region' } })).status).toBe(422);
    expect((await call('PATCH', `/api/v1/units/${t.units.root}`, { token: admin(), body: { parentId: t.units.emea } })).status).toBe(422);
    expect((await call('DELETE', `/api/v1/units/${t.units.root}`, { token: admin() })).status).toBe(422);
    const rename = await call('PATCH', `/api/v1/units/${t.units.root}`, { token: admin(), body: { name: `${t.name} Group` } });
    expect(rename.status).toBe(200);
  });

  it('deletes a leaf; refuses a unit with children or grants (409 with what blocks it)', async () => {
    const withChild = await call('DELETE', `/api/v1/units/${t.units.emea}`, { token: admin() });
    expect(withChild.status).toBe(409);
    expect(withChild.body.error.details.children).toBeGreaterThanOrEqual(2);
    const withGrant = await call('DELETE', `/api/v1/units/${t.units.berlin}`, { token: admin() });
    expect(withGrant.status).toBe(409);
    expect(withGrant.body.error.details).toMatchObject({ children: 0, grants: 1 });
    const leaf = (await create({ name: `Temp ${uniq()}`, kind: 'team', parentId: t.units.paris })).body;
    expect((await call('DELETE', `/api/v1/units/${leaf.id}`, { token: admin() })).status).toBe(204);
    expect((await call('GET', `/api/v1/units/${leaf.id}`, { token: admin() })).status).toBe(404);
    const [entry] = await auditOf(leaf.id);
    expect(entry).toMatchObject({ action: 'unit.delete', afterDigest: null });
  });

  it('refuses to delete a unit that data still names (409, nothing changed), never a 500', async () => {
    const leaf = (await create({ name: `Reported ${uniq()}`, kind: 'site', parentId: t.units.paris })).body;
    const now = Date.now();
    await db()
      .insert(savedReports)
      .values({ id: `rep_${uniq()}`, tenantId: t.tenantId, ownerType: 'user', ownerId: t.userIds.admin!, unitId: leaf.id, name: 'Weekly', filters: { rangeDays: 28 }, createdAt: now, updatedAt: now });
    const res = await call('DELETE', `/api/v1/units/${leaf.id}`, { token: admin() });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    expect((await call('GET', `/api/v1/units/${leaf.id}`, { token: admin() })).status).toBe(200);
    expect((await auditOf(leaf.id)).map((e: { action: string }) => e.action)).not.toContain('unit.delete');
  });

  it('answers an empty PATCH with 400', async () => {
    const res = await call('PATCH', `/api/v1/units/${t.units.paris}`, { token: admin(), body: {} });
    expect(res.status).toBe(400);
  });
});
