// A small closed-loop HTTP load generator for `npm run bench`: N clients on keep-alive
// connections, each sending its next request as soon as the previous one answered, for a
// fixed time or number of requests. node:http rather than fetch: less work per request in the
// driver, which shares the machine's two cores with workerd and the libSQL server.
import { Agent, request } from 'node:http';

export interface Latencies {
  count: number;
  errors: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface Call {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export function summarize(ms: number[], elapsedMs: number, errors: number, statuses: Record<string, number>): Latencies {
  const sorted = [...ms].sort((a, b) => a - b);
  const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : NaN);
  return {
    count: ms.length,
    errors,
    statuses,
    elapsedMs,
    rps: (ms.length / elapsedMs) * 1000,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1),
  };
}

export function httpClient(baseUrl: string, maxSockets: number) {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  // A keep-alive socket the server closed while idle fails on reuse: that request is sent once
  // more on a new socket (the pattern Node's http documentation gives); its time starts over.
  const send = (call: Call, retried = false): Promise<{ status: number; body: string; ms: number }> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const headers: Record<string, string | number> = { ...call.headers };
      if (call.body !== undefined) headers['content-length'] = Buffer.byteLength(call.body);
      const req = request({ host: url.hostname, port: url.port, method: call.method, path: call.path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
        res.on('error', reject);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET') send(call, true).then(resolve, reject);
        else reject(err);
      });
      req.end(call.body);
    });

  /**
   * `clients` concurrent loops until `durationMs` passed or `next` returns null (no more work).
   * Only answers with a 2xx status count as done; others are errors (their statuses listed).
   */
  async function run(clients: number, durationMs: number, next: (i: number) => Call | null, onError?: (status: number, body: string) => void): Promise<Latencies & { samples: number[] }> {
    const ms: number[] = [];
    const statuses: Record<string, number> = {};
    let errors = 0;
    let i = 0;
    const t0 = performance.now();
    const end = t0 + durationMs;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < end) {
          const call = next(i++);
          if (!call) return;
          try {
            const r = await send(call);
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.status >= 200 && r.status < 300) ms.push(r.ms);
            else {
              errors++;
              onError?.(r.status, r.body);
            }
          } catch (err) {
            errors++;
            statuses.network = (statuses.network ?? 0) + 1;
            onError?.(0, String(err));
          }
        }
      }),
    );
    return { ...summarize(ms, performance.now() - t0, errors, statuses), samples: ms };
  }

  return { send, run, close: () => agent.destroy() };
}
