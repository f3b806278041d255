import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import worker from '../../src/worker';
import type { paths } from '../generated/api';
import { call, makeTenant, PASSWORD } from './support';

/** The client generated from /api/openapi.json, its requests answered by the real Worker. */
const client = (token?: string) =>
  createClient<paths>({
    baseUrl: 'http://nps.test',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    fetch: async (request: Request) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(request, env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    },
  });

describe('the API document, as generated clients read it', () => {
  it('names every operation once, declares its security and a server', async () => {
    const doc = (await call('GET', '/api/openapi.json')).body;
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    const ops = Object.values(doc.paths as Record<string, Record<string, { operationId?: string; security?: unknown[] }>>).flatMap((m) => Object.values(m));
    const ids = ops.map((op) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ops.length);
    expect(ops.filter((op) => !Array.isArray(op.security))).toEqual([]);
    const byPath = (method: string, path: string) => doc.paths[path][method].operationId;
    expect([byPath('get', '/api/v1/units'), byPath('post', '/api/v1/units'), byPath('get', '/api/v1/units/{id}'), byPath('post', '/api/v1/surveys/{id}/publish')]).toEqual([
      'listUnits',
      'createUnit',
      'getUnit',
      'publishSurvey',
    ]);
    // Public operations say so; every other one names the session or API key schemes.
    expect(byPath('post', '/api/v1/auth/login')).toBe('login');
    expect(doc.paths['/api/v1/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/api/v1/units'].get.security).toEqual([{ bearer: [] }, { cookie: [] }]);
  });
});

describe('the typed client (openapi-fetch) end to end', () => {
  it('signs in, creates and reads units, reads scores and gets the error envelope', async () => {
    const t = await makeTenant('TypedClient');
    const login = await client().POST('/api/v1/auth/login', {
      body: { email: t.email('admin'), password: PASSWORD },
      headers: { 'cf-connecting-ip': t.ip },
    });
    expect(login.response.status).toBe(200);
    const api = client(login.data!.token);

    const created = await api.POST('/api/v1/units', { body: { name: 'Lyon', kind: 'site', parentId: t.units.emea! } });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ name: 'Lyon', kind: 'site', parentId: t.units.emea });

    const one = await api.GET('/api/v1/units/{id}', { params: { path: { id: created.data!.id } } });
    expect(one.data?.path).toBe(`${t.paths.emea!.path}${created.data!.id}/`);

    const list = await api.GET('/api/v1/units', { params: { query: { rootId: t.units.emea } } });
    expect(list.data?.items.map((u) => u.name).sort()).toEqual(['Berlin', 'EMEA', 'Lyon', 'Paris']);

    const scores = await api.GET('/api/v1/scores', { params: { query: { unitId: t.units.emea } } });
    expect(scores.response.status).toBe(200);
    expect(scores.data?.items[0]).toMatchObject({ n: 0, suppressed: true });

    const missing = await api.GET('/api/v1/units/{id}', { params: { path: { id: 'unit_missing' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error.code).toBe('NOT_FOUND');

    const me = await api.GET('/api/v1/me');
    expect(me.data?.tenant.id).toBe(t.tenantId);
  });
});
