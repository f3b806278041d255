import { TenantDb } from '../../src/db/tenant-db';
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import type { Env } from '../../src/env';
import { getSettings } from '../../src/settings/settings';
import { widgetKeyTenant } from '../../src/settings/settings';
import { call, db, makeTenant, uniq, type Fixture } from './support';

/**
 * Tenant settings: root admin only; secrets (API key, auth token, webhook and widget secrets)
 * never leave in an answer or an audit row, only `****` and their last 4 characters (a short
 * one not even that); a provider object merges onto the stored one and must end complete.
 */
let t: Fixture;
const admin = () => t.tokens.admin;
const patch = (body: unknown, token = admin()) => call('PATCH', '/api/v1/settings', { token, body });
const read = () => call('GET', '/api/v1/settings', { token: admin() });
const stored = () => getSettings(new TenantDb(db(), t.tenantId));
const auditRows = async () => (await call('GET', `/api/v1/audit-log?targetType=tenant&targetId=${t.tenantId}&limit=500`, { token: admin() })).body.items as any[];

const secret = (label: string) => `${label}-${uniq()}${uniq()}${uniq()}`;

beforeAll(async () => {
  t = await makeTenant('Settings');
});

describe('GET and PATCH /api/v1/settings', () => {
  it('a new tenant has the defaults and no providers', async () => {
    const res = await read();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      fatigueDays: 90,
      minResponses: 5,
      reliabilityThreshold: 30,
      agentMinResponses: 30,
      notForIndividualEvaluation: { roles: [], unitIds: [] },
      linkExpiryDays: 30,
      email: null,
      sms: null,
      webhook: null,
      widget: null,
      retention: { commentDays: null, contactDays: null },
      populationShares: null,
      accounts: { roleWeights: { decision_maker: 3, influencer: 2, user: 1 }, horizonDays: 90, riskThreshold: 0.5 },
      branding: null,
    });
  });

  it('sets providers; every answer masks the secrets; the database keeps them; the audit row names fields, not values', async () => {
    const apiKey = secret('mail');
    const authToken = secret('sms');
    const hook = secret('hook');
    const body = {
      fatigueDays: 60,
      email: { baseUrl: 'https://mail.example.test/v1', apiKey, from: 'surveys@acme.test' },
      sms: { baseUrl: 'https://sms.example.test', accountSid: 'AC123', authToken, from: '+15550001111' },
      webhook: { url: 'https://hooks.acme.test/nps', secret: hook },
    };
    const res = await patch(body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const expected = {
      fatigueDays: 60,
      minResponses: 5,
      reliabilityThreshold: 30,
      agentMinResponses: 30,
      notForIndividualEvaluation: { roles: [], unitIds: [] },
      linkExpiryDays: 30,
      email: { baseUrl: 'https://mail.example.test/v1', from: 'surveys@acme.test', apiKey: `****${apiKey.slice(-4)}` },
      sms: { baseUrl: 'https://sms.example.test', accountSid: 'AC123', from: '+15550001111', authToken: `****${authToken.slice(-4)}` },
      webhook: { url: 'https://hooks.acme.test/nps', secret: `****${hook.slice(-4)}` },
      widget: null,
      retention: { commentDays: null, contactDays: null },
      populationShares: null,
      accounts: { roleWeights: { decision_maker: 3, influencer: 2, user: 1 }, horizonDays: 90, riskThreshold: 0.5 },
      branding: null,
    };
    expect(res.body).toEqual(expected);
    expect((await read()).body).toEqual(expected);
    expect(await stored()).toMatchObject(body);

    const [row] = await auditRows();
    expect(row).toMatchObject({ action: 'settings.update', actorId: t.userIds.admin, requestId: res.headers.get('x-request-id') });
    expect(row.beforeDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(row.afterDigest).toMatch(/^[0-9a-f]{64}$/);
    // Providers added are named whole; within one that stays, the fields that changed.
    expect(row.details.changed.sort()).toEqual(['email', 'fatigueDays', 'sms', 'webhook']);
    const everything = JSON.stringify([res.body, (await read()).body, await auditRows()]);
    for (const s of [apiKey, authToken, hook]) expect(everything).not.toContain(s);
  });

  it('a provider object merges onto the stored one: the sender changes, the key stays', async () => {
    const apiKey = secret('mail');
    expect((await patch({ email: { baseUrl: 'https://mail.example.test', apiKey, from: 'a@acme.test' } })).status).toBe(200);
    const res = await patch({ email: { from: 'b@acme.test' } });
    expect(res.status).toBe(200);
    expect(res.body.email).toEqual({ baseUrl: 'https://mail.example.test', from: 'b@acme.test', apiKey: `****${apiKey.slice(-4)}` });
    expect((await stored()).email).toEqual({ baseUrl: 'https://mail.example.test', apiKey, from: 'b@acme.test' });
    expect((await auditRows())[0].details).toEqual({ changed: ['email.from'] });
  });

  it('null removes a provider; a short secret shows no characters at all', async () => {
    expect((await patch({ webhook: { url: 'https://hooks.acme.test/x', secret: secret('w') } })).status).toBe(200);
    const res = await patch({ webhook: null, sms: { baseUrl: 'https://sms.example.test', accountSid: 'AC9', authToken: 'short', from: '+15550002222' } });
    expect(res.status).toBe(200);
    expect(res.body.webhook).toBeNull();
    expect(res.body.sms.authToken).toBe('****');
    expect((await stored()).webhook).toBeUndefined();
    expect((await auditRows())[0].details.changed).toEqual(expect.arrayContaining(['webhook', 'sms.accountSid', 'sms.authToken']));
  });

  it('changes of different settings at the same time all land', async () => {
    const [a, b, c] = await Promise.all([patch({ fatigueDays: 45 }), patch({ linkExpiryDays: 14 }), patch({ email: { from: 'c@acme.test' } })]);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(await stored()).toMatchObject({ fatigueDays: 45, linkExpiryDays: 14, email: { from: 'c@acme.test' } });
  });

  it('refuses bad input with 400 and the field paths, changing nothing', async () => {
    const before = await stored();
    const rowsBefore = (await auditRows()).length;
    await patch({ sms: null });
    const cases: [unknown, string[]][] = [
      [{}, ['body']],
      [{ tenantId: 'ten_x' }, ['body']],
      [{ fatigueDays: -1 }, ['body.fatigueDays']],
      [{ fatigueDays: '30' }, ['body.fatigueDays']],
      [{ linkExpiryDays: 0 }, ['body.linkExpiryDays']],
      [{ email: { baseUrl: 'ftp://mail.example.test' } }, ['body.email.baseUrl']],
      [{ email: { from: 'not an email' } }, ['body.email.from']],
      [{ email: { apiKey: 'k', extra: 1 } }, ['body.email']],
      [{ webhook: { url: 'https://hooks.acme.test', secret: 'too-short' } }, ['body.webhook.secret']],
      [{ widget: { publicKey: 'wpk_mine_0000', secret: secret('w') } }, ['body.widget']],
      // Merged onto nothing stored: incomplete.
      [{ sms: { from: '+15550003333' } }, ['body.sms.baseUrl', 'body.sms.accountSid', 'body.sms.authToken']],
    ];
    for (const [body, paths] of cases) {
      const res = await patch(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      const got = (res.body.error.details as { path: string }[]).map((d) => d.path);
      for (const p of paths)
        expect(
          got.some((g) => g === p || g.startsWith(`${p}.`)),
          `${JSON.stringify(body)} → ${got}`,
        ).toBe(true);
    }
    expect(await stored()).toEqual({ ...before, sms: undefined });
    expect((await auditRows()).length).toBe(rowsBefore + 1); // only the valid `sms: null`
  });

  it('in production a provider URL must be https', async () => {
    const res = await createApp().request(
      '/api/v1/settings',
      {
        method: 'PATCH',
        headers: { authorization: `Bearer ${admin()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ webhook: { url: 'http://hooks.acme.test/nps', secret: secret('hook') } }),
      },
      { ...(env as Env), ENVIRONMENT: 'production', PUBLIC_BASE_URL: 'https://nps.example.com', OUTBOUND_ALLOW: undefined },
      createExecutionContext(),
    );
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).error.details).toEqual([{ path: 'body.webhook.url', message: 'https required in production' }]);
  });

  it('only an admin on the root may read or change settings', async () => {
    for (const login of ['analyst', 'manager', 'viewer'] as const) {
      expect((await call('GET', '/api/v1/settings', { token: t.tokens[login] })).status).toBe(403);
      expect((await patch({ fatigueDays: 7 }, t.tokens[login])).status).toBe(403);
    }
    expect((await stored()).fatigueDays).not.toBe(7);
  });
});

describe('POST /api/v1/settings/widget-key', () => {
  it('creates a key pair, shows the secret once, names the tenant in the public key, and replaces the previous pair', async () => {
    const res = await call('POST', '/api/v1/settings/widget-key', { token: admin() });
    expect(res.status).toBe(201);
    expect(res.body.publicKey).toMatch(new RegExp(`^wpk_${t.tenantId}_[0-9a-f]{16}$`));
    expect(res.body.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(widgetKeyTenant(res.body.publicKey)).toBe(t.tenantId);
    expect(widgetKeyTenant(`wpk_${t.tenantId}_nothex`)).toBeNull();
    expect((await read()).body.widget).toEqual({ publicKey: res.body.publicKey, secret: `****${res.body.secret.slice(-4)}` });
    expect((await stored()).widget).toEqual(res.body);

    const [row] = await auditRows();
    expect(row).toMatchObject({ action: 'settings.widget_key', requestId: res.headers.get('x-request-id'), details: { publicKey: res.body.publicKey } });
    expect(JSON.stringify(row)).not.toContain(res.body.secret);

    const again = await call('POST', '/api/v1/settings/widget-key', { token: admin() });
    expect(again.status).toBe(201);
    expect(again.body.publicKey).not.toBe(res.body.publicKey);
    expect((await stored()).widget).toEqual(again.body);

    // Turned off with null.
    expect((await patch({ widget: null })).body.widget).toBeNull();
    expect((await stored()).widget).toBeUndefined();
  });

  it('is refused (403) to other roles, leaving the key as it was', async () => {
    const before = (await stored()).widget;
    for (const login of ['analyst', 'manager', 'agent'] as const) {
      expect((await call('POST', '/api/v1/settings/widget-key', { token: t.tokens[login] })).status).toBe(403);
    }
    expect((await stored()).widget).toEqual(before);
  });
});
