import { beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../src/org/tenants';
import { call, db, makeTenant, PASSWORD, uniq, type Fixture } from './support';

let t: Fixture;
beforeAll(async () => {
  t = await makeTenant('Users');
});

const admin = () => t.tokens.admin;
const login = (email: string, password: string) => call('POST', '/api/v1/auth/login', { body: { email, password }, headers: { 'cf-connecting-ip': t.ip } });

describe('users and grants', () => {
  it('creates a user with grants who can then sign in and sees them in /me', async () => {
    const email = `site.lead.${uniq()}@users.test`;
    const res = await call('POST', '/api/v1/users', {
      token: admin(),
      body: { email: email.toUpperCase(), name: 'Site Lead', password: 'a-long-password-1', grants: [{ unitId: t.units.paris, role: 'manager' }] },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ email, name: 'Site Lead', status: 'active', grants: [{ unitId: t.units.paris, role: 'manager' }] });
    expect(res.body.password).toBeUndefined();
    const signedIn = await login(email, 'a-long-password-1');
    expect(signedIn.status).toBe(200);
    const me = await call('GET', '/api/v1/me', { token: signedIn.body.token });
    expect(me.body.grants).toEqual([{ unitId: t.units.paris, role: 'manager' }]);
    const units = (await call('GET', '/api/v1/units', { token: signedIn.body.token })).body.items.map((u: any) => u.id);
    expect(units).toEqual([t.units.paris]);
  });

  it('generates a one-time password when none is given, shown once', async () => {
    const email = `ops.${uniq()}@users.test`;
    const res = await call('POST', '/api/v1/users', { token: admin(), body: { email } });
    expect(res.status).toBe(201);
    expect(res.body.password.length).toBeGreaterThanOrEqual(12);
    expect((await login(email, res.body.password)).status).toBe(200);
    const listed = (await call('GET', '/api/v1/users', { token: admin() })).body.items.find((u: any) => u.email === email);
    expect(listed.password).toBeUndefined();
    expect(JSON.stringify(listed)).not.toContain('pbkdf2');
  });

  it('refuses an email the same tenant already uses (409), and short passwords (400)', async () => {
    const taken = await call('POST', '/api/v1/users', { token: admin(), body: { email: t.email('viewer') } });
    expect(taken.status).toBe(409);
    const short = await call('POST', '/api/v1/users', { token: admin(), body: { email: `s.${uniq()}@users.test`, password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.error.details[0].path).toBe('body.password');
  });

  it('sets, replaces and revokes a grant, each audited', async () => {
    const user = (await call('POST', '/api/v1/users', { token: admin(), body: { email: `g.${uniq()}@users.test` } })).body;
    const set = await call('PUT', `/api/v1/users/${user.id}/grants/${t.units.berlin}`, { token: admin(), body: { role: 'agent' } });
    expect(set.status).toBe(200);
    expect(set.body.grants).toEqual([{ unitId: t.units.berlin, role: 'agent' }]);
    const replaced = await call('PUT', `/api/v1/users/${user.id}/grants/${t.units.berlin}`, { token: admin(), body: { role: 'manager' } });
    expect(replaced.body.grants).toEqual([{ unitId: t.units.berlin, role: 'manager' }]);
    expect((await call('GET', `/api/v1/users/${user.id}`, { token: admin() })).body.grants).toEqual([{ unitId: t.units.berlin, role: 'manager' }]);
    expect((await call('DELETE', `/api/v1/users/${user.id}/grants/${t.units.berlin}`, { token: admin() })).status).toBe(204);
    expect((await call('DELETE', `/api/v1/users/${user.id}/grants/${t.units.berlin}`, { token: admin() })).status).toBe(404);
    const actions = (await call('GET', `/api/v1/audit-log?targetType=user&targetId=${user.id}`, { token: admin() })).body.items.map((e: any) => e.action);
    expect(actions).toEqual(['grant.revoke', 'grant.set', 'grant.set', 'user.create']);
  });

  it('never leaves the tenant without an active root admin', async () => {
    const self = t.userIds.admin;
    const revoke = await call('DELETE', `/api/v1/users/${self}/grants/${t.units.root}`, { token: admin() });
    expect(revoke.status).toBe(409);
    const demote = await call('PUT', `/api/v1/users/${self}/grants/${t.units.root}`, { token: admin(), body: { role: 'viewer' } });
    expect(demote.status).toBe(409);
    const disable = await call('PATCH', `/api/v1/users/${self}`, { token: admin(), body: { status: 'disabled' } });
    expect(disable.status).toBe(409);
    expect((await call('GET', '/api/v1/me', { token: admin() })).body.grants).toEqual([{ unitId: t.units.root, role: 'admin' }]);
  });

  it("a new password ends the user's sessions", async () => {
    const email = `pw.${uniq()}@users.test`;
    const user = (await call('POST', '/api/v1/users', { token: admin(), body: { email, password: PASSWORD } })).body;
    const token = (await login(email, PASSWORD)).body.token;
    expect((await call('PATCH', `/api/v1/users/${user.id}`, { token: admin(), body: { password: 'an-entirely-new-one' } })).status).toBe(200);
    expect((await call('GET', '/api/v1/me', { token })).status).toBe(401);
    expect((await login(email, PASSWORD)).status).toBe(401);
    expect((await login(email, 'an-entirely-new-one')).status).toBe(200);
  });
});

describe('one person in several tenants', () => {
  let other: Fixture;
  beforeAll(async () => {
    other = await makeTenant('Elsewhere');
  });
  const signIn = (body: Record<string, string>) => call('POST', '/api/v1/auth/login', { body, headers: { 'cf-connecting-ip': t.ip } });

  it('each tenant adds the address on its own: the second learns nothing of the first, and neither blocks the other', async () => {
    const email = `shared.${uniq()}@partner.test`;
    const first = await call('POST', '/api/v1/users', { token: admin(), body: { email, name: 'Pat', password: 'first-tenant-pass' } });
    expect(first.status).toBe(201);
    const second = await call('POST', '/api/v1/users', { token: other.tokens.admin, body: { email, name: 'Pat', password: 'second-tenant-pass' } });
    expect(second.status).toBe(201);
    // The same answer as for an address nobody uses.
    const fresh = await call('POST', '/api/v1/users', { token: other.tokens.admin, body: { email: `fresh.${uniq()}@partner.test`, name: 'Pat', password: 'second-tenant-pass' } });
    expect(Object.keys(second.body).sort()).toEqual(Object.keys(fresh.body).sort());
    expect(second.body).toMatchObject({ email, name: 'Pat', status: 'active', grants: [] });
    expect(JSON.stringify(second.body)).not.toContain(t.tenantId);
    expect(JSON.stringify((await call('GET', `/api/v1/audit-log?targetType=user&targetId=${second.body.id}`, { token: other.tokens.admin })).body)).not.toContain(t.tenantId);
    // Each tenant lists its own account only; a duplicate within one tenant is still refused.
    expect((await call('GET', '/api/v1/users', { token: other.tokens.admin })).body.items.filter((u: any) => u.email === email).map((u: any) => u.id)).toEqual([second.body.id]);
    expect((await call('POST', '/api/v1/users', { token: other.tokens.admin, body: { email } })).status).toBe(409);
    // Each password signs in to its own tenant, without a choice and without naming the other.
    const a = await signIn({ email, password: 'first-tenant-pass' });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ token: expect.any(String), expiresAt: expect.any(String), user: { id: first.body.id, email }, tenant: { id: t.tenantId, name: t.name } });
    const b = await signIn({ email, password: 'second-tenant-pass' });
    expect(b.status).toBe(200);
    expect(b.body.tenant).toEqual({ id: other.tenantId, name: other.name });
    expect(JSON.stringify(b.body)).not.toContain(t.tenantId);
    // A new tenant's first admin may be such a person too.
    const third = await createTenant(db(), { name: `Third ${uniq()}`, adminEmail: email, adminPassword: 'third-tenant-pass' });
    expect((await signIn({ email, password: 'third-tenant-pass' })).body.tenant.id).toBe(third.tenantId);
  });

  it('one password for several tenants: the answer lists only those, and the sign-in repeated with tenantId picks each', async () => {
    const email = `both.${uniq()}@partner.test`;
    const password = 'same-pass-in-both';
    const ids: Record<string, string> = {};
    for (const f of [t, other]) {
      const res = await call('POST', '/api/v1/users', { token: f.tokens.admin, body: { email, password } });
      expect(res.status).toBe(201);
      ids[f.tenantId] = res.body.id;
    }
    // A third tenant where the person has another password is not listed.
    const third = await createTenant(db(), { name: `Third ${uniq()}`, adminEmail: email, adminPassword: 'another-password' });
    const choice = await signIn({ email, password });
    expect(choice.status).toBe(409);
    expect(choice.body.error.code).toBe('TENANT_CHOICE_REQUIRED');
    expect(choice.headers.get('set-cookie')).toBeNull();
    const listed = [
      { id: t.tenantId, name: t.name },
      { id: other.tenantId, name: other.name },
    ].sort((x, y) => x.name.localeCompare(y.name));
    expect(choice.body.error.details).toEqual({ tenants: listed });
    expect(JSON.stringify(choice.body)).not.toContain(third.tenantId);
    for (const f of [t, other]) {
      const res = await signIn({ email, password, tenantId: f.tenantId });
      expect(res.status).toBe(200);
      expect(res.body.tenant).toEqual({ id: f.tenantId, name: f.name });
      expect(res.body.user).toEqual({ id: ids[f.tenantId], email });
      expect((await call('GET', '/api/v1/me', { token: res.body.token })).body.tenant.id).toBe(f.tenantId);
    }
    // The right password with a tenant it is not the password of, or a tenant without this person: 401.
    expect((await signIn({ email, password, tenantId: third.tenantId })).status).toBe(401);
    const stranger = await makeTenant('Stranger');
    expect((await signIn({ email, password, tenantId: stranger.tenantId })).status).toBe(401);
    // A wrong password lists nothing.
    const wrong = await signIn({ email, password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHORIZED');
    expect(wrong.body.error.details).toBeUndefined();
    for (const id of [t.tenantId, other.tenantId, third.tenantId]) expect(JSON.stringify(wrong.body)).not.toContain(id);
  });
});
