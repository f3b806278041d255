import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server standing in for the mail and SMS providers and the tenants' webhook
 * endpoints in the workerd suites. Each test works in its own namespace, a path prefix
 * `/t/<ns>`, so parallel test files never see each other's requests:
 *  - `ANY /t/<ns>/<path>` is recorded exactly (method, path, query, headers, raw body) and
 *    answered 201 `{"sid"}` for a Twilio `Messages.json`, else 200 `{"id"}` — or with a failure;
 *  - `POST /__control/<ns>` `{"failNext": n, "status": 503}` makes the next n requests fail
 *    with that status (`"status": 0` drops the connection instead: a network error; with
 *    `"location"` the failure carries that Location header, e.g. a 302 redirect);
 *  - `GET /__requests/<ns>` answers the recorded requests, oldest first.
 */
export interface RecordedRequest {
  method: string;
  /** The path after `/t/<ns>`. */
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
  /** What the stub answered; 0 when it dropped the connection. */
  answered: number;
}

interface Namespace {
  requests: RecordedRequest[];
  failNext: number;
  status: number;
  location?: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function startProviderStub(): Promise<{ url: string; close: () => Promise<void> }> {
  const spaces = new Map<string, Namespace>();
  const space = (ns: string) => {
    let s = spaces.get(ns);
    if (!s) spaces.set(ns, (s = { requests: [], failNext: 0, status: 503 }));
    return s;
  };
  let counter = 0;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const body = await readBody(req);
    let m: RegExpExecArray | null;
    if ((m = /^\/__control\/([\w-]+)$/.exec(url.pathname)) && req.method === 'POST') {
      let control: { failNext?: number; status?: number; location?: string };
      try {
        control = JSON.parse(body || '{}');
      } catch {
        return send(res, 400, { error: 'control body must be JSON' });
      }
      Object.assign(space(m[1]!), { failNext: control.failNext ?? 0, status: control.status ?? 503, location: control.location });
      return send(res, 200, { ok: true });
    }
    if ((m = /^\/__requests\/([\w-]+)$/.exec(url.pathname)) && req.method === 'GET') {
      return send(res, 200, space(m[1]!).requests);
    }
    if ((m = /^\/t\/([\w-]+)(\/.*)?$/.exec(url.pathname))) {
      const s = space(m[1]!);
      const path = m[2] ?? '/';
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const failing = s.failNext > 0;
      if (failing) s.failNext--;
      const answered = failing ? s.status : path.endsWith('/Messages.json') ? 201 : 200;
      s.requests.push({ method: req.method ?? '', path, query: url.search, headers, body, answered });
      if (answered === 0) return req.socket.destroy();
      if (failing) return send(res, answered, { error: { message: `stub failure ${answered}` } }, s.location ? { location: s.location } : {});
      counter++;
      return send(res, answered, path.endsWith('/Messages.json') ? { sid: `SM${counter}` } : { id: `msg_${counter}` });
    }
    return send(res, 404, { error: 'unknown stub path' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // workerd keeps connections alive
      }),
  };
}
