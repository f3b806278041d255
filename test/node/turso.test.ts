import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTursoDatabase, type TursoApi } from '../../scripts/turso';

/*
 * The Platform API client against an HTTP server that answers as Turso's API documents it
 * (https://docs.turso.tech/api-reference/databases/create and .../databases/retrieve): 200 with
 * `{database: {DbId, Hostname, Name}}`, 409 for a name taken, 401 for a bad token.
 */
const TOKEN = 'platform-token';
const databases = new Map<string, { group: string; hostname: string }>();
const requests: { method: string; path: string; auth: string | undefined; body: unknown }[] = [];
let server: Server;
let api: TursoApi;

const body = async (req: IncomingMessage) => {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : undefined;
};

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const payload = await body(req);
    requests.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body: payload });
    const answer = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return answer(401, { error: 'invalid token' });
    const m = /^\/v1\/organizations\/acme\/databases(?:\/([^/]+))?$/.exec(req.url!);
    if (!m) return answer(404, { error: 'not found' });
    if (req.method === 'POST' && !m[1]) {
      const { name, group } = payload as { name: string; group: string };
      if (databases.has(name)) return answer(409, { error: `database ${name} already exists` });
      const hostname = `${name}-acme.${group}.turso.io`;
      databases.set(name, { group, hostname });
      return answer(200, { database: { DbId: `id-${name}`, Hostname: hostname, Name: name } });
    }
    if (req.method === 'GET' && m[1]) {
      const db = databases.get(decodeURIComponent(m[1]));
      return db ? answer(200, { database: { Name: m[1], Hostname: db.hostname, group: db.group } }) : answer(404, { error: 'database not found' });
    }
    return answer(405, { error: 'method not allowed' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = { org: 'acme', token: TOKEN, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('creating a dedicated data database with the Turso Platform API', () => {
  it('creates the database in the group of its region and answers its libsql URL', async () => {
    const url = await createTursoDatabase(api, 'eu-ded-1', 'eu');
    expect(url).toBe('libsql://eu-ded-1-acme.eu.turso.io');
    expect(requests.at(-1)).toEqual({ method: 'POST', path: '/v1/organizations/acme/databases', auth: `Bearer ${TOKEN}`, body: { name: 'eu-ded-1', group: 'eu' } });
    expect(databases.get('eu-ded-1')?.group).toBe('eu');
  });

  it('a re-run after the database was created finds it instead of failing', async () => {
    const before = databases.size;
    const url = await createTursoDatabase(api, 'eu-ded-1', 'eu');
    expect(url).toBe('libsql://eu-ded-1-acme.eu.turso.io');
    expect(databases.size).toBe(before);
    expect(requests.slice(-2).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/organizations/acme/databases', 'GET /v1/organizations/acme/databases/eu-ded-1']);
  });

  it('a refused token fails with the status and the API message, creating nothing', async () => {
    const before = databases.size;
    await expect(createTursoDatabase({ ...api, token: 'wrong' }, 'us-ded-2', 'us')).rejects.toThrow(/401 invalid token/);
    expect(databases.size).toBe(before);
  });
});
