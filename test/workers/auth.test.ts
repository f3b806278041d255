import { env } from 'cloudflare:workers';
import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, makeTenant, PASSWORD, uniq, type Fixture } from './support';

let t: Fixture;
beforeAll(async () => {
  t = await makeTenant('Auth');
});

const [currentKey, previousKey] = env.JWT_KEYS!.split(',').map((pair) => {
  const at = pair.indexOf(':');
  return { kid: pair.slice(0, at), secret: new TextEncoder().encode(pair.slice(at + 1)) };
});

/** A token with the claims of a real session, signed as the caller chooses. */
function forge(claims: Record<string, unknown>, key: { kid: string; secret: Uint8Array }, exp: number) {
  return new SignJWT({ tid: claims.tid, sid: claims.sid })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .setSubject(String(claims.sub))
    .setIssuer('nps-platform')
    .setAudience('session')
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key.secret);
}

function expectUnauthorized(res: { status: number; body: any }) {
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('UNAUTHORIZED');
  expect(typeof res.body.error.message).toBe('string');
  expect(typeof res.body.error.requestId).toBe('string');
}

describe('sign-in', () => {
  it('returns a token, the user and the tenant, and sets an HttpOnly SameSite=Lax cookie that works', async () => {
    const res = await call('POST', '/api/v1/auth/login', { body: { email: t.email('admin'), password: PASSWORD }, headers: { 'cf-connecting-ip': t.ip } });
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ id: t.userIds.admin, email: t.email('admin') });
    expect(res.body.tenant).toEqual({ id: t.tenantId, name: t.name });
    const claims = decodeJwt(res.body.token);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(12 * 3600);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^nps_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const me = await call('GET', '/api/v1/me', { headers: { cookie: cookie.split(';')[0]! } });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(t.userIds.admin);
  });

  it('accepts the email in any case and with surrounding spaces', async () => {
    const res = await call('POST', '/api/v1/auth/login', { body: { email: `  ${t.email('viewer').toUpperCase()} `, password: PASSWORD }, headers: { 'cf-connecting-ip': t.ip } });
    expect(res.status).toBe(200);
  });

  it('answers a wrong password and an unknown user alike, with 401', async () => {
    const ip = `192.0.2.${Math.floor(Math.random() * 250)}`;
    const wrong = await call('POST', '/api/v1/auth/login', { body: { email: t.email('viewer'), password: 'not-the-password' }, headers: { 'cf-connecting-ip': ip } });
    const unknown = await call('POST', '/api/v1/auth/login', { body: { email: `nobody.${uniq()}@nowhere.test`, password: PASSWORD }, headers: { 'cf-connecting-ip': ip } });
    expectUnauthorized(wrong);
    expectUnauthorized(unknown);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
  });

  it('/me names the user, the tenant and the grants', async () => {
    const res = await call('GET', '/api/v1/me', { token: t.tokens.manager });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: { id: t.userIds.manager, email: t.email('manager'), name: 'manager' },
      tenant: { id: t.tenantId, name: t.name, region: 'eu' },
      grants: [{ unitId: t.units.emea, role: 'manager' }],
    });
  });
});

describe('rejected credentials answer 401 with the envelope', () => {
  it('no credential, and a malformed Authorization header', async () => {
    expectUnauthorized(await call('GET', '/api/v1/me'));
    expectUnauthorized(await call('GET', '/api/v1/me', { headers: { authorization: 'Basic abc' } }));
    expectUnauthorized(await call('GET', '/api/v1/me', { headers: { authorization: 'Bearer' } }));
  });

  it('an expired JWT', async () => {
    const claims = decodeJwt(t.tokens.viewer);
    const token = await forge(claims, currentKey!, Math.floor(Date.now() / 1000) - 10);
    expectUnauthorized(await call('GET', '/api/v1/me', { token }));
  });

  it('a JWT signed with another key, under a known and an unknown kid', async () => {
    const claims = decodeJwt(t.tokens.viewer);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const other = new TextEncoder().encode('an-attacker-chosen-key-0000000000000000');
    expectUnauthorized(await call('GET', '/api/v1/me', { token: await forge(claims, { kid: currentKey!.kid, secret: other }, exp) }));
    expectUnauthorized(await call('GET', '/api/v1/me', { token: await forge(claims, { kid: 'nope', secret: other }, exp) }));
  });

  it('alg: none', async () => {
    const claims = decodeJwt(t.tokens.viewer);
    const token = new UnsecuredJWT({ tid: claims.tid, sid: claims.sid }).setSubject(String(claims.sub)).setIssuer('nps-platform').setAudience('session').setExpirationTime('10m').encode();
    expectUnauthorized(await call('GET', '/api/v1/me', { token }));
  });

  it('a tampered payload (another user id) under the original signature', async () => {
    const [header, payload, signature] = t.tokens.viewer.split('.');
    const claims = JSON.parse(atob(payload!.replace(/-/g, '+').replace(/_/g, '/')));
    claims.sub = t.userIds.admin;
    const forged = btoa(JSON.stringify(claims)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expectUnauthorized(await call('GET', '/api/v1/me', { token: `${header}.${forged}.${signature}` }));
  });

  it('a token signed with the previous key still works after rotation', async () => {
    const claims = decodeJwt(t.tokens.agent);
    const token = await forge(claims, previousKey!, Math.floor(Date.now() / 1000) + 600);
    const res = await call('GET', '/api/v1/me', { token });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(t.userIds.agent);
  });

  it('a session after logout', async () => {
    const login = await call('POST', '/api/v1/auth/login', { body: { email: t.email('analyst'), password: PASSWORD }, headers: { 'cf-connecting-ip': t.ip } });
    const token = login.body.token;
    expect((await call('GET', '/api/v1/me', { token })).status).toBe(200);
    const out = await call('POST', '/api/v1/auth/logout', { token });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/nps_session=;/);
    expectUnauthorized(await call('GET', '/api/v1/me', { token }));
  });

  it('a revoked API key, while a live one works', async () => {
    const created = await call('POST', '/api/v1/api-keys', { token: t.tokens.admin, body: { name: 'crm' } });
    expect(created.status).toBe(201);
    const { id, secret, prefix } = created.body;
    expect(secret.startsWith(prefix)).toBe(true);
    const me = await call('GET', '/api/v1/me', { token: secret });
    expect(me.status).toBe(200);
    expect(me.body.apiKey).toEqual({ id });
    expect(me.body.tenant.id).toBe(t.tenantId);
    expect((await call('DELETE', `/api/v1/api-keys/${id}`, { token: t.tokens.admin })).status).toBe(204);
    expectUnauthorized(await call('GET', '/api/v1/me', { token: secret }));
  });

  it('an API key with a guessed secret', async () => {
    const created = await call('POST', '/api/v1/api-keys', { token: t.tokens.admin, body: { name: 'guess' } });
    const forged = `${created.body.prefix}_${'A'.repeat(43)}`;
    expectUnauthorized(await call('GET', '/api/v1/me', { token: forged }));
  });

  it('a disabled user', async () => {
    const login = await call('POST', '/api/v1/auth/login', { body: { email: t.email('siteManager'), password: PASSWORD }, headers: { 'cf-connecting-ip': t.ip } });
    const token = login.body.token;
    const off = await call('PATCH', `/api/v1/users/${t.userIds.siteManager}`, { token: t.tokens.admin, body: { status: 'disabled' } });
    expect(off.status).toBe(200);
    expectUnauthorized(await call('GET', '/api/v1/me', { token }));
    expectUnauthorized(await call('POST', '/api/v1/auth/login', { body: { email: t.email('siteManager'), password: PASSWORD }, headers: { 'cf-connecting-ip': t.ip } }));
    expect((await call('PATCH', `/api/v1/users/${t.userIds.siteManager}`, { token: t.tokens.admin, body: { status: 'active' } })).status).toBe(200);
  });
});

describe('API key scopes', () => {
  it('a read-only key reads but may not write', async () => {
    const created = await call('POST', '/api/v1/api-keys', { token: t.tokens.admin, body: { name: 'bi', scopes: ['read'] } });
    const secret = created.body.secret;
    expect((await call('GET', '/api/v1/units', { token: secret })).status).toBe(200);
    const write = await call('POST', '/api/v1/units', { token: secret, body: { name: `x${uniq()}`, kind: 'site', parentId: t.units.emea } });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('FORBIDDEN');
  });

  it('the secret is shown once: the listing has only prefixes', async () => {
    const created = await call('POST', '/api/v1/api-keys', { token: t.tokens.admin, body: { name: 'once' } });
    const list = await call('GET', '/api/v1/api-keys', { token: t.tokens.admin });
    const listed = list.body.items.find((k: any) => k.id === created.body.id);
    expect(listed.prefix).toBe(created.body.prefix);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
  });
});

describe('sign-in throttling', () => {
  /** A user of its own, so no other test's attempts count against it. */
  async function freshUser() {
    const email = `throttle.${uniq()}@auth.test`;
    const res = await call('POST', '/api/v1/users', { token: t.tokens.admin, body: { email, password: PASSWORD } });
    expect(res.status).toBe(201);
    return { email, id: res.body.id as string };
  }
  const address = () => `198.51.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  const signIn = (email: string, password: string, ip: string) => call('POST', '/api/v1/auth/login', { body: { email, password }, headers: { 'cf-connecting-ip': ip } });

  it('counts before it checks: of 20 parallel sign-ins (19 wrong, the right one last) at most 5 reach the password', async () => {
    const user = await freshUser();
    const ip = address();
    const attempts = Array.from({ length: 20 }, (_, i) => (i === 19 ? PASSWORD : `wrong-${i}`));
    const results = await Promise.all(attempts.map((password) => signIn(user.email, password, ip)));
    const statuses = results.map((r) => r.status);
    // 401 and 200 are the answers of a password check; every other attempt was refused before it.
    const checked = statuses.filter((s) => s === 401 || s === 200);
    expect(checked.length, statuses.join(',')).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBe(20 - checked.length);
    for (const r of results.filter((r) => r.status === 429)) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    const failed = (await call('GET', `/api/v1/audit-log?targetType=user&targetId=${user.id}`, { token: t.tokens.admin })).body.items.filter((e: any) => e.action === 'auth.login_failed');
    expect(failed.length).toBe(statuses.filter((s) => s === 401).length);
  });

  it('5 failures lock the account at that address only: the right password still works from another one', async () => {
    const user = await freshUser();
    const [here, elsewhere] = [address(), address()];
    for (let i = 0; i < 5; i++) expect((await signIn(user.email, `wrong-${i}`, here)).status).toBe(401);
    const locked = await signIn(user.email, PASSWORD, here);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('RATE_LIMITED');
    const retry = Number(locked.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(15 * 60);
    const other = await signIn(user.email, PASSWORD, elsewhere);
    expect(other.status).toBe(200);
    expect(other.body.user.id).toBe(user.id);
  });

  it('50 failures from many addresses lock the account everywhere, for at most an hour', async () => {
    const user = await freshUser();
    for (let i = 0; i < 50; i++) expect((await signIn(user.email, `wrong-${i}`, `192.0.2.${i}`)).status).toBe(401);
    const locked = await signIn(user.email, PASSWORD, address());
    expect(locked.status).toBe(429);
    const retry = Number(locked.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(15 * 60);
    expect(retry).toBeLessThanOrEqual(60 * 60);
  });

  it('limits one client address after 30 failures across accounts', async () => {
    // An address of its own, not drawn from a range other files sign in from: it stays locked for the window.
    const ip = `2001:db8:429:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}::`;
    for (let i = 0; i < 30; i++) {
      const res = await call('POST', '/api/v1/auth/login', { body: { email: `probe${i}.${uniq()}@nowhere.test`, password: 'guess' }, headers: { 'cf-connecting-ip': ip } });
      expect(res.status).toBe(401);
    }
    const limited = await call('POST', '/api/v1/auth/login', { body: { email: t.email('analyst'), password: PASSWORD }, headers: { 'cf-connecting-ip': ip } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not affected.
    const elsewhere = await call('POST', '/api/v1/auth/login', { body: { email: t.email('analyst'), password: PASSWORD }, headers: { 'cf-connecting-ip': `${ip}1` } });
    expect(elsewhere.status).toBe(200);
  });
});

describe('cross-site requests with the session cookie', () => {
  /** A fresh session of the analyst as the portal holds it: the cookie, no Authorization header. */
  async function cookieSession() {
    const login = await call('POST', '/api/v1/auth/login', { body: { email: t.email('analyst'), password: PASSWORD }, headers: { 'cf-connecting-ip': t.ip } });
    expect(login.status).toBe(200);
    return { cookie: login.headers.get('set-cookie')!.split(';')[0]!, token: login.body.token as string };
  }
  const stillSignedIn = async (cookie: string) => expect((await call('GET', '/api/v1/me', { headers: { cookie } })).status).toBe(200);

  it('a body-less POST from another site (Fetch metadata), or with a form content type, is refused with 403 and changes nothing', async () => {
    const { cookie } = await cookieSession();
    const forms: Record<string, string>[] = [
      // A cross-site form: the browser says so, whatever the type.
      { 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
      { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      // Another origin of the same site (another port or subdomain): SameSite=Lax sends the cookie.
      { 'sec-fetch-site': 'same-site', 'content-type': 'text/plain' },
      // A browser without Fetch metadata: only a type a form or a no-cors fetch can send.
      { 'content-type': 'text/plain' },
      { 'content-type': 'multipart/form-data; boundary=x' },
      {},
    ];
    for (const headers of forms) {
      const res = await call('POST', '/api/v1/auth/logout', { headers: { ...headers, cookie } });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      expect(typeof res.body.error.requestId).toBe('string');
      await stillSignedIn(cookie);
    }
    // Another body-less state change: the widget key stays as it was.
    const before = (await call('GET', '/api/v1/settings', { token: t.tokens.admin })).body;
    const admin = (await call('POST', '/api/v1/auth/login', { body: { email: t.email('admin'), password: PASSWORD }, headers: { 'cf-connecting-ip': t.ip } })).headers
      .get('set-cookie')!
      .split(';')[0]!;
    const rotate = await call('POST', '/api/v1/settings/widget-key', { headers: { cookie: admin, 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' } });
    expect(rotate.status).toBe(403);
    expect((await call('GET', '/api/v1/settings', { token: t.tokens.admin })).body).toEqual(before);
  });

  it("the portal's way (same origin, JSON type, no body) works, and Bearer credentials are not ambient", async () => {
    const { cookie } = await cookieSession();
    const out = await call('POST', '/api/v1/auth/logout', { headers: { cookie, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' } });
    expect(out.status).toBe(204);
    expectUnauthorized(await call('GET', '/api/v1/me', { headers: { cookie } }));
    // A browser without Fetch metadata, JSON type: works too.
    const second = await cookieSession();
    expect((await call('POST', '/api/v1/auth/logout', { headers: { cookie: second.cookie, 'content-type': 'application/json' } })).status).toBe(204);
    // A Bearer token is sent only by code that holds it: no rule on type or site.
    const third = await cookieSession();
    expect((await call('POST', '/api/v1/auth/logout', { token: third.token, headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(204);
  });
});
