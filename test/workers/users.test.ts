import { beforeAll, describe, expect, it } from 'vitest';
import { call, makeTenant, PASSWORD, uniq, type Fixture } from './support';

let t: Fixture;
beforeAll(async () => {
  t = await makeTenant('Users');
});

const admin = () => t.tokens.admin;
const login = (email: string, password: string) => call('POST', '/api/v1/auth/login', { body: { email, password }, headers: { 'cf-connecting-ip': t.ip } });

describe('users and grants', () => {
  it('creates a user with grants who can then sign in and sees them in /me', async () => {
    const email = `site.lead.${uniq()}@users.test`;
    const res = await call('POST', '/api/v1/users', { token: admin(), body: { email: email.toUpperCase(), name: 'Site Lead', password: 'a-long-password-1', grants: [{ unitId: t.units.paris, role: 'manager' }] } });
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

  it('refuses an email that any tenant already uses (409), and short passwords (400)', async () => {
    const other = await makeTenant('Elsewhere');
    const taken = await call('POST', '/api/v1/users', { token: admin(), body: { email: other.email('viewer') } });
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

  it('a new password ends the user\'s sessions', async () => {
    const email = `pw.${uniq()}@users.test`;
    const user = (await call('POST', '/api/v1/users', { token: admin(), body: { email, password: PASSWORD } })).body;
    const token = (await login(email, PASSWORD)).body.token;
    expect((await call('PATCH', `/api/v1/users/${user.id}`, { token: admin(), body: { password: 'an-entirely-new-one' } })).status).toBe(200);
    expect((await call('GET', '/api/v1/me', { token })).status).toBe(401);
    expect((await login(email, PASSWORD)).status).toBe(401);
    expect((await login(email, 'an-entirely-new-one')).status).toBe(200);
  });
});
