import { beforeAll, describe, expect, it } from 'vitest';
import { call, db, makeTenant, uniq, type Fixture } from './support';
import { auditLog, units } from '../../src/db/schema';
import { eq, sql } from 'drizzle-orm';

let t: Fixture;
beforeAll(async () => {
  t = await makeTenant('Input');
});

/** Units and audit rows of the tenant: bad input must change neither. */
async function footprint() {
  const d = db();
  const [[u], [a]] = await d.batch([
    d.select({ n: sql<number>`count(*)` }).from(units).where(eq(units.tenantId, t.tenantId)),
    d.select({ n: sql<number>`count(*)` }).from(auditLog).where(eq(auditLog.tenantId, t.tenantId)),
  ]);
  return { units: u!.n, audit: a!.n };
}

function expectEnvelope(res: { status: number; body: any; headers: Headers }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.message.length).toBeGreaterThan(0);
  expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
}

describe('bad input gets a clear 4xx and changes nothing', () => {
  it('malformed JSON → 400', async () => {
    const before = await footprint();
    const res = await call('POST', '/api/v1/units', { token: t.tokens.admin, rawBody: '{"name": "x", ', headers: { 'content-type': 'application/json' } });
    expectEnvelope(res, 400, 'BAD_REQUEST');
    expect(await footprint()).toEqual(before);
  });

  it('a body that is not JSON → 415', async () => {
    const before = await footprint();
    const res = await call('POST', '/api/v1/units', { token: t.tokens.admin, rawBody: 'name=x&kind=site', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectEnvelope(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const login = await call('POST', '/api/v1/auth/login', { rawBody: 'email=a@b.c&password=x', headers: { 'content-type': 'text/plain' } });
    expectEnvelope(login, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await footprint()).toEqual(before);
  });

  it('a body over 64 KiB → 413', async () => {
    const before = await footprint();
    const res = await call('POST', '/api/v1/units', { token: t.tokens.admin, body: { name: 'x'.repeat(70 * 1024), kind: 'site', parentId: t.units.emea } });
    expectEnvelope(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(await footprint()).toEqual(before);
  });

  it('unknown fields of a strict schema → 400 naming the field', async () => {
    const before = await footprint();
    const res = await call('POST', '/api/v1/units', { token: t.tokens.admin, body: { name: 'Lyon', kind: 'site', parentId: t.units.emea, tenantId: 'ten_other' } });
    expectEnvelope(res, 400, 'VALIDATION_FAILED');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body' })]);
    expect(JSON.stringify(res.body.error.details)).toContain('tenantId');
    expect(await footprint()).toEqual(before);
  });

  it('missing and mistyped fields → 400 with each field path', async () => {
    const res = await call('POST', '/api/v1/units', { token: t.tokens.admin, body: { name: 42, kind: 'galaxy' } });
    expectEnvelope(res, 400, 'VALIDATION_FAILED');
    const paths = res.body.error.details.map((d: any) => d.path).sort();
    expect(paths).toEqual(['body.kind', 'body.name', 'body.parentId']);
  });

  it('an empty body where one is required → 400', async () => {
    const res = await call('POST', '/api/v1/units', { token: t.tokens.admin, rawBody: '', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.requestId).toBeTruthy();
  });

  it('a JSON array or scalar where an object is expected → 400', async () => {
    for (const body of [[], 'text', 7, null]) {
      const res = await call('POST', '/api/v1/users', { token: t.tokens.admin, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('bad query parameters → 400', async () => {
    const res = await call('GET', '/api/v1/audit-log?limit=abc', { token: t.tokens.admin });
    expectEnvelope(res, 400, 'VALIDATION_FAILED');
    expect(res.body.error.details[0].path).toBe('query.limit');
  });

  it('an unknown route → 404 with the envelope', async () => {
    const res = await call('GET', `/api/v1/nothing-${uniq()}`, { token: t.tokens.admin });
    expectEnvelope(res, 404, 'NOT_FOUND');
  });

  it('an unknown time zone → 400', async () => {
    const res = await call('POST', '/api/v1/units', { token: t.tokens.admin, body: { name: 'Atlantis', kind: 'site', parentId: t.units.emea, timezone: 'Mars/Olympus' } });
    expectEnvelope(res, 400, 'VALIDATION_FAILED');
    expect(res.body.error.details[0].path).toBe('body.timezone');
  });
});
