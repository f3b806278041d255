import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, contacts } from '../../src/db/schema';
import { makeKey } from './program-fixture';
import { call, db, makeTenant, uniq, type Fixture, type Login } from './support';

let t: Fixture;
const admin = () => t.tokens.admin;
const ext = () => `crm_${uniq()}${uniq()}`;
const csv = (text: string) => ({ rawBody: text, headers: { 'content-type': 'text/csv' } });
const ndjson = (text: string) => ({ rawBody: text, headers: { 'content-type': 'application/x-ndjson' } });
const get = (externalId: string, token = admin()) => call('GET', `/api/v1/contacts/${externalId}`, { token });

beforeAll(async () => {
  t = await makeTenant('Contacts');
});

describe('PUT /api/v1/contacts/{externalId}', () => {
  it('creates (201), then updates (200) only the fields given; null clears one', async () => {
    const id = ext();
    const created = await call('PUT', `/api/v1/contacts/${id}`, {
      token: admin(),
      body: {
        email: 'ada@example.test',
        phone: '+4930123456',
        locale: 'de-de',
        segment: 'enterprise',
        lifetimeValue: 1200.5,
        attributes: { plan: 'gold' },
        tenureMonths: 26,
        contractSize: 'large',
        supportTier: 'premium',
        accountId: 'acct-1',
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      externalId: id,
      email: 'ada@example.test',
      phone: '+4930123456',
      locale: 'de-DE', // canonical BCP 47
      segment: 'enterprise',
      lifetimeValue: 1200.5,
      tenureMonths: 26,
      contractSize: 'large',
      supportTier: 'premium',
      accountId: 'acct-1',
      isEmployee: false,
      isTest: false,
      optedOut: false,
      optedOutAt: null,
      attributes: { plan: 'gold' },
    });
    expect(created.body.id).toMatch(/^con_/);

    const updated = await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body: { segment: 'smb', phone: null, isEmployee: true } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: created.body.id, email: 'ada@example.test', phone: null, segment: 'smb', isEmployee: true, locale: 'de-DE', attributes: { plan: 'gold' } });
    expect((await get(id)).body).toEqual(updated.body);

    const log = await call('GET', `/api/v1/audit-log?targetId=${created.body.id}`, { token: admin() });
    expect(log.body.items.map((r: any) => r.action)).toEqual(['contact.update', 'contact.create']);
  });

  it('optedOut: true records the time of the first opt-out, false clears it', async () => {
    const id = ext();
    const first = await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body: { optedOut: true } });
    expect(first.status).toBe(201);
    expect(first.body.optedOut).toBe(true);
    expect(Date.parse(first.body.optedOutAt)).toBeGreaterThan(Date.now() - 60_000);
    await new Promise((r) => setTimeout(r, 5));
    const again = await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body: { optedOut: true } });
    expect(again.body.optedOutAt).toBe(first.body.optedOutAt);
    expect((await get(id)).body.optedOutAt).toBe(first.body.optedOutAt);
    const back = await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body: { optedOut: false } });
    expect(back.body).toMatchObject({ optedOut: false, optedOutAt: null });
    expect((await get(id)).body.optedOutAt).toBeNull();
  });

  it.each([
    ['an invalid email', { email: 'not-an-email' }, 'body.email'],
    ['a phone without +', { phone: '4930123456' }, 'body.phone'],
    ['a phone of 7 digits', { phone: '+4930123' }, 'body.phone'],
    ['a phone of 16 digits', { phone: '+4930123456789012' }, 'body.phone'],
    ['a phone with spaces', { phone: '+49 30 123456' }, 'body.phone'],
    ['a locale that is no BCP 47 tag', { locale: 'en_US!' }, 'body.locale'],
    ['a negative lifetime value', { lifetimeValue: -1 }, 'body.lifetimeValue'],
    ['a lifetime value as a string', { lifetimeValue: '100' }, 'body.lifetimeValue'],
    ['a fractional tenure', { tenureMonths: 1.5 }, 'body.tenureMonths'],
    ['an unknown field', { favouriteColour: 'blue' }, 'body'],
    ['attributes that are not an object', { attributes: [1, 2] }, 'body.attributes'],
    ['optedOut as a string', { optedOut: 'yes' }, 'body.optedOut'],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_, body, path) => {
    const id = ext();
    const res = await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.map((d: any) => d.path)).toContain(path);
    expect((await get(id)).status).toBe(404);
  });

  it('accepts the edges: 8 and 15 digit phones, lifetime value 0, 3-part locales', async () => {
    for (const [phone, locale] of [
      ['+49301234', 'zh-Hant-TW'],
      ['+493012345678901', 'pt-BR'],
    ]) {
      const res = await call('PUT', `/api/v1/contacts/${ext()}`, { token: admin(), body: { phone, locale, lifetimeValue: 0 } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ phone, locale, lifetimeValue: 0 });
    }
  });

  it('refuses a body that is not JSON (415) and an external id with a space (400)', async () => {
    const id = ext();
    expect((await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), ...csv('email\nx@y.test\n') })).status).toBe(415);
    expect((await call('PUT', `/api/v1/contacts/a%20b`, { token: admin(), body: {} })).status).toBe(400);
    expect((await get(id)).status).toBe(404);
  });

  it('GET answers 404 for an external id that exists nowhere', async () => {
    const res = await get(ext());
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});

describe('POST /api/v1/contacts/import', () => {
  it('CSV: quoted commas, quotes and line breaks; bad rows reported by line, good rows committed', async () => {
    const [a, b, c, d, e, f, g] = [ext(), ext(), ext(), ext(), ext(), ext(), ext()];
    const text = [
      'externalId,email,phone,locale,segment,lifetimeValue,isEmployee,optedOut,attributes,accountId', // line 1
      `${a},a@example.test,+4930111111,en-gb,"Smith, Jones & Co",10.5,false,0,"{""region"":""north"", ""tags"":[""x"",""y""]}",acct-9`, // 2
      `${b},not-an-email,,,,,,,,`, // 3: bad email
      `${c},c@example.test,,,"multi`, // 4..5: a quoted line break
      `line segment",,yes,,,`,
      ``, // 6: blank, skipped
      `${d},d@example.test,+12,,,,,,,`, // 7: bad phone
      `${e},e@example.test,,,,,,,,,extra`, // 8: too many fields
      `${f},f@example.test,,,,-3,,,,`, // 9: negative lifetime value
      `${g},g@example.test,,,,,maybe,,,`, // 10: not a boolean
      `,nobody@example.test,,,,,,,,`, // 11: no external id
      `${a}-2,,,,,,,,{not json},`, // 12: attributes not JSON
    ].join('\r\n');
    const res = await call('POST', '/api/v1/contacts/import', { token: admin(), ...csv(text) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected.map((r: any) => [r.row, r.externalId])).toEqual([
      [3, b],
      [7, d],
      [8, e],
      [9, f],
      [10, g],
      [11, undefined],
      [12, `${a}-2`],
    ]);
    const reasons = Object.fromEntries(res.body.rejected.map((r: any) => [r.row, r.reason]));
    expect(reasons[3]).toMatch(/^email: /);
    expect(reasons[7]).toMatch(/^phone: /);
    expect(reasons[8]).toMatch(/11 fields where the header has 10/);
    expect(reasons[9]).toMatch(/^lifetimeValue: /);
    expect(reasons[10]).toMatch(/^isEmployee: /);
    expect(reasons[11]).toMatch(/^externalId: /);
    expect(reasons[12]).toMatch(/attributes: not valid JSON/);

    expect((await get(a)).body).toMatchObject({
      email: 'a@example.test',
      phone: '+4930111111',
      locale: 'en-GB',
      segment: 'Smith, Jones & Co',
      lifetimeValue: 10.5,
      isEmployee: false,
      optedOut: false,
      attributes: { region: 'north', tags: ['x', 'y'] },
      accountId: 'acct-9',
    });
    expect((await get(c)).body).toMatchObject({ email: 'c@example.test', segment: 'multi\r\nline segment', isEmployee: true });
    for (const id of [b, d, e, f, g]) expect((await get(id)).status).toBe(404);
  });

  it('a rejected row changes nothing of an existing contact (each row whole or not at all)', async () => {
    const id = ext();
    await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body: { email: 'before@example.test', segment: 'old' } });
    const res = await call('POST', '/api/v1/contacts/import', { token: admin(), ...csv(`externalId,email,segment,phone\n${id},after@example.test,new,12345\n`) });
    expect(res.body).toEqual({ accepted: 0, rejected: [{ row: 2, externalId: id, reason: expect.stringMatching(/^phone: /) }] });
    expect((await get(id)).body).toMatchObject({ email: 'before@example.test', segment: 'old' });
    // An empty cell keeps the stored value; a later import updates what it names.
    const ok = await call('POST', '/api/v1/contacts/import', { token: admin(), ...csv(`externalId,email,segment\n${id},,new\n`) });
    expect(ok.body).toEqual({ accepted: 1, rejected: [] });
    expect((await get(id)).body).toMatchObject({ email: 'before@example.test', segment: 'new' });
  });

  it('JSON lines: each line an upsert body with externalId; bad lines reported by line', async () => {
    const [a, b, c] = [ext(), ext(), ext()];
    const text = [
      JSON.stringify({ externalId: a, email: 'a@example.test', isTest: true, attributes: { source: 'crm' } }), // 1
      '', // 2
      '{"externalId": "broken"', // 3
      '[1, 2]', // 4
      JSON.stringify({ externalId: b, email: 'b@', locale: 'de' }), // 5
      JSON.stringify({ externalId: c, phone: '+33123456789', optedOut: true, unknown: 1 }), // 6
      JSON.stringify({ externalId: c, phone: '+33123456789', optedOut: true }), // 7
    ].join('\n');
    const res = await call('POST', '/api/v1/contacts/import', { token: admin(), ...ndjson(text) });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toEqual([
      { row: 3, reason: 'not valid JSON' },
      { row: 4, reason: 'not a JSON object' },
      { row: 5, externalId: b, reason: expect.stringMatching(/^email: /) },
      { row: 6, externalId: c, reason: expect.stringMatching(/unknown/i) },
    ]);
    expect((await get(a)).body).toMatchObject({ isTest: true, attributes: { source: 'crm' } });
    expect((await get(b)).status).toBe(404);
    expect((await get(c)).body).toMatchObject({ phone: '+33123456789', optedOut: true });
  });

  it('10,000 rows are taken; 10,001 are refused whole (413) and nothing is written', async () => {
    const tag = uniq();
    const rows = (n: number) => ['externalId,segment', ...Array.from({ length: n }, (_, i) => `bulk-${tag}-${n}-${i},s${i % 7}`)].join('\n');
    const over = await call('POST', '/api/v1/contacts/import', { token: admin(), ...csv(rows(10_001)) });
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await get(`bulk-${tag}-10001-0`)).status).toBe(404);
    expect((await get(`bulk-${tag}-10001-10000`)).status).toBe(404);
    const overLines = await call('POST', '/api/v1/contacts/import', {
      token: admin(),
      ...ndjson(Array.from({ length: 10_001 }, (_, i) => JSON.stringify({ externalId: `nd-${tag}-${i}` })).join('\n')),
    });
    expect(overLines.status).toBe(413);
    expect((await get(`nd-${tag}-0`)).status).toBe(404);

    const full = await call('POST', '/api/v1/contacts/import', { token: admin(), ...csv(rows(10_000)) });
    expect(full.status).toBe(200);
    expect(full.body).toEqual({ accepted: 10_000, rejected: [] });
    expect((await get(`bulk-${tag}-10000-9999`)).body).toMatchObject({ segment: `s${9999 % 7}` });
    // One audit row per committed chunk of 500 rows.
    const chunks = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.action, 'contact.import'), eq(auditLog.targetId, full.headers.get('x-request-id')!)));
    expect(chunks).toHaveLength(20);
  }, 120_000);

  it('refuses an upload it cannot read at all with 400 and writes nothing', async () => {
    const id = ext();
    for (const text of [
      `externalId,email,colour\n${id},x@example.test,blue\n`,
      `email\nx@example.test\n`,
      `externalId,email,email\n${id},a@b.test,c@d.test\n`,
      `externalId,segment\n${id},"never closed\n`,
    ]) {
      const res = await call('POST', '/api/v1/contacts/import', { token: admin(), ...csv(text) });
      expect(res.status, text).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await get(id)).status).toBe(404);
  });

  it('takes only CSV and JSON lines (415 otherwise), up to 5 MiB (413 beyond)', async () => {
    const id = ext();
    const asJson = await call('POST', '/api/v1/contacts/import', { token: admin(), body: [{ externalId: id }] });
    expect(asJson.status).toBe(415);
    const asForm = await call('POST', '/api/v1/contacts/import', { token: admin(), rawBody: `externalId\n${id}\n`, headers: { 'content-type': 'text/plain' } });
    expect(asForm.status).toBe(415);
    const big = await call('POST', '/api/v1/contacts/import', { token: admin(), ...csv(`externalId,segment\n${id},${'x'.repeat(5 * 1024 * 1024)}\n`) });
    expect(big.status).toBe(413);
    expect((await get(id)).status).toBe(404);
    // The larger limit is the import's alone: other routes keep 64 KiB.
    const put = await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body: { attributes: { blob: 'x'.repeat(70 * 1024) } } });
    expect(put.status).toBe(413);
  });
});

describe('who may manage contacts: admin on the root, else 403', () => {
  const LOGINS: Login[] = ['admin', 'analyst', 'manager', 'siteManager', 'agent', 'vendor', 'otherVendor', 'viewer'];
  let existing: string;
  beforeAll(async () => {
    existing = ext();
    expect((await call('PUT', `/api/v1/contacts/${existing}`, { token: admin(), body: { email: 'kept@example.test' } })).status).toBe(201);
  });

  it.each(LOGINS)('%s', async (login) => {
    const token = t.tokens[login];
    const id = ext();
    const put = await call('PUT', `/api/v1/contacts/${id}`, { token, body: { email: 'who@example.test' } });
    const change = await call('PUT', `/api/v1/contacts/${existing}`, { token, body: { email: `${login}@example.test` } });
    const read = await get(existing, token);
    const imported = await call('POST', '/api/v1/contacts/import', { token, ...csv(`externalId\n${id}-imp\n`) });
    if (login === 'admin') {
      expect([put.status, read.status, imported.status]).toEqual([201, 200, 200]);
      expect(change.status).toBe(200);
      await call('PUT', `/api/v1/contacts/${existing}`, { token, body: { email: 'kept@example.test' } });
    } else {
      for (const res of [put, change, read, imported]) {
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('FORBIDDEN');
      }
      expect((await get(id)).status).toBe(404);
      expect((await get(`${id}-imp`)).status).toBe(404);
      expect((await get(existing)).body.email).toBe('kept@example.test');
    }
  });

  it('API keys: an admin key may; a read-only key may read only; a manager key may not', async () => {
    const key = await makeKey(admin());
    const readOnly = await makeKey(admin(), { scopes: ['read'] });
    const manager = await makeKey(admin(), { role: 'manager', unitId: t.units.root });
    const id = ext();
    expect((await call('PUT', `/api/v1/contacts/${id}`, { token: key, body: { segment: 'k' } })).status).toBe(201);
    expect((await get(id, key)).status).toBe(200);
    expect((await get(id, readOnly)).status).toBe(200);
    expect((await call('PUT', `/api/v1/contacts/${id}`, { token: readOnly, body: { segment: 'r' } })).status).toBe(403);
    expect((await get(id, manager)).status).toBe(403);
    expect((await call('POST', '/api/v1/contacts/import', { token: manager, ...csv(`externalId,segment\n${id},m\n`) })).status).toBe(403);
    expect((await get(id)).body.segment).toBe('k');
  });

  it('no credential: 401', async () => {
    expect((await call('GET', `/api/v1/contacts/${existing}`)).status).toBe(401);
    expect((await call('PUT', `/api/v1/contacts/${existing}`, { body: {} })).status).toBe(401);
  });
});

describe('tenants: external ids are per tenant', () => {
  it("B's upsert and import with A's external id make B's own contact; A's is untouched and never shown", async () => {
    const B = await makeTenant('ContactsB');
    const id = ext();
    const a = await call('PUT', `/api/v1/contacts/${id}`, { token: admin(), body: { email: 'a-secret@example.test', segment: 'a-only' } });
    expect(a.status).toBe(201);
    expect((await get(id, B.tokens.admin)).status).toBe(404);
    const b = await call('PUT', `/api/v1/contacts/${id}`, { token: B.tokens.admin, body: { segment: 'b' } });
    expect(b.status).toBe(201); // created in B, not an update of A's
    expect(b.body.id).not.toBe(a.body.id);
    expect(JSON.stringify(b.body)).not.toContain('a-secret');
    const imp = await call('POST', '/api/v1/contacts/import', { token: B.tokens.admin, ...csv(`externalId,email\n${id},b@example.test\n`) });
    expect(imp.body).toEqual({ accepted: 1, rejected: [] });
    expect((await get(id)).body).toEqual(a.body);
    expect((await get(id, B.tokens.admin)).body).toMatchObject({ id: b.body.id, email: 'b@example.test', segment: 'b' });
    const rows = await db().select({ tenantId: contacts.tenantId }).from(contacts).where(eq(contacts.externalId, id));
    expect(rows.map((r) => r.tenantId).sort()).toEqual([t.tenantId, B.tenantId].sort());
  });
});
