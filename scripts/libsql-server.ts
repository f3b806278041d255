// A local libSQL server speaking Hrana over HTTP (JSON, versions 2 and 3) on top of the `libsql`
// package, so that `@libsql/client/web` behaves against it as against sqld / Turso.
// Stream and baton handling follow tursodatabase/libsql libsql-server/src/hrana/http/stream.rs,
// the pipeline and its errors libsql-server/src/hrana/http/mod.rs and request.rs, the routes
// libsql-server/src/http/user/mod.rs. Statement execution lives in ./libsql-server/.
//
// One connection serves every stream: an in-memory database exists only in its connection, and
// libsql's busy wait would block the event loop. A stream that leaves a transaction open owns the
// connection until the transaction ends; other streams' requests queue (FIFO) meanwhile. As in
// sqld (connection_manager.rs), a transaction open for TXN_TIMEOUT while others wait is rolled
// back and its stream's next program fails with TRANSACTION_TIMEOUT.
//
// Fault injection (development and tests only, `faults: true` / `--faults`): a control endpoint
// of its own makes the database slow, paused, refusing or failing on command
// (./libsql-server/faults.ts, docs/outage.md).
//
// CLI: tsx scripts/libsql-server.ts --file .data/nps.db --port 8080   (or --memory) [--faults]
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'libsql';
import { Connection, NO_STATS, resolveSql, StmtError, type ScannedBy, type Stats } from './libsql-server/connection';
import { rowsScannedReader } from './libsql-server/rows-scanned';
import { decodePipeline, ProtocolError, type StreamRequest } from './libsql-server/protocol';
import { ScanWatch, SMALL_TABLES, type TableScan } from './libsql-server/scans';
import { Faults, type Fault, type FaultReport } from './libsql-server/faults';

export interface LibsqlServerOptions {
  file?: string; // path of the database file; ':memory:' or undefined = in-memory
  host?: string; // default '127.0.0.1'
  port?: number; // default 0 = pick a free port
  streamIdleTimeoutMs?: number; // idle stream expiry, default 10_000 as sqld
  log?: (line: string) => void;
  /** Report statements whose query plan scans a whole table (libsql-server/scans.ts), except
   *  scans of the tables in `allow`: `GET /scans` and `scans()` list them. */
  flagScans?: { allow?: readonly string[] };
  /** Development and tests only: fault injection on command, through `setFault` and a control
   *  endpoint on a port of its own (`controlUrl`): `POST /fault {"mode","delayMs"?,"status"?,"after"?}`,
   *  `GET /fault` (libsql-server/faults.ts). Without it the server has no fault control at all. */
  faults?: boolean;
}

export interface LibsqlServer {
  url: string; // e.g. 'http://127.0.0.1:43123'
  port: number;
  /** Since start or the last reset: rows read (returned and changed), rows scanned as libSQL
   *  counts them (when `scannedCounted`: see libsql-server/rows-scanned.ts), rows written,
   *  statements executed and Hrana pipeline requests served. A reset also clears the table scans
   *  found. */
  stats(): Stats & { scannedCounted: boolean };
  resetStats(): void;
  /** With `flagScans`, since start or the last reset: each distinct statement whose plan scans a table. */
  scans(): TableScan[];
  /** With `faults`: where the fault control listens (`POST {controlUrl}/fault`). */
  controlUrl?: string;
  /** With `faults`: sets the fault (`{mode: 'off'}` ends it). */
  setFault?(fault: Fault): Promise<FaultReport>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const TXN_TIMEOUT_MS = 5_000; // connection/mod.rs TXN_TIMEOUT
const EXPIRED_KEPT_MS = 300_000; // stream.rs CLEANUP: expired streams answer STREAM_EXPIRED this long
const MAX_SQL_COUNT = 50; // request.rs
const MAX_STORED_SQL_BYTES = 5_000; // request.rs, ByteSize::kb(5)
const U64_MASK = (1n << 64n) - 1n;

/** stream.rs StreamError::StreamExpired: HTTP 400 with a JSON error. */
class StreamExpired extends Error {}
class BodyTooLarge extends Error {}
class ServerClosing extends Error {}

interface Stream {
  key: string; // hex of the random 8-byte stream id
  seq: bigint; // the sequence number the next baton must carry
  sqls: Map<number, string>;
  busy: boolean; // a request is using it (sqld's Handle::Acquired)
  open: boolean; // false once a `close` request ran
  txTimedOut: boolean; // its transaction was rolled back for a waiting stream
  expiry?: NodeJS.Timeout;
}

interface Waiter {
  stream: Stream;
  grant: () => void;
  fail: (error: Error) => void;
}

const needsConnection = (r: StreamRequest) => r.type === 'execute' || r.type === 'batch' || r.type === 'sequence' || r.type === 'describe';

// bytesize's Display, as in sqld's SQL_STORE_TOO_LARGE message.
function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const exp = Math.min(Math.floor(Math.log(n) / Math.log(1000)), 6);
  return `${(n / 1000 ** exp).toFixed(1)} ${'KMGTPE'[exp - 1]}B`;
}

// An oversized body is still drained (not buffered): answering before the client finished
// sending would break its connection instead of showing it the 413.
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => (size > MAX_BODY_BYTES ? reject(new BodyTooLarge()) : resolveBody(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, contentType?: string, body = ''): void {
  const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) };
  if (contentType !== undefined) headers['content-type'] = contentType;
  res.writeHead(status, headers).end(body);
}

// Exactly `application/json`: @libsql/hrana-client only parses error bodies with that type.
const sendJson = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json', JSON.stringify(value));

// Known paths and their method (others answer 404, a wrong method 405, as axum does).
const ROUTES: Record<string, string> = {
  '/v2': 'GET',
  '/v3': 'GET',
  '/v2/pipeline': 'POST',
  '/v3/pipeline': 'POST',
  '/health': 'GET',
  '/stats': 'GET',
  '/stats/statements': 'GET',
  '/scans': 'GET',
};

class HranaServer {
  private readonly streams = new Map<string, Stream>();
  private readonly expired = new Map<string, number>(); // stream key -> expiry time, oldest first
  private readonly batonKey = randomBytes(32);
  private readonly counters: Stats = { ...NO_STATS };
  private readonly connection: Connection;
  private readonly scanned: (() => number) | undefined;
  private readonly scannedCounted: boolean;
  private readonly scannedBy: ScannedBy = new Map();
  // The stream allowed to use the connection: the one running a request or holding a transaction.
  private owner: Stream | null = null;
  private ownerTxSince: number | null = null;
  private waiters: Waiter[] = [];
  private stealTimer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly db: Database.Database,
    private readonly idleMs: number,
    private readonly log: (line: string) => void,
    readonly scanWatch?: ScanWatch,
  ) {
    this.scanned = rowsScannedReader(db, log);
    this.scannedCounted = this.scanned !== undefined;
    this.connection = new Connection(db, this.counters, scanWatch, this.scanned, this.scannedBy);
  }

  stats(): Stats & { scannedCounted: boolean } {
    return { ...this.counters, scannedCounted: this.scannedCounted };
  }

  /** Since start or the last reset, each statement's runs and rows scanned, the most scanned first. */
  scannedByStatement(): { sql: string; runs: number; scanned: number }[] {
    return [...this.scannedBy].map(([sql, v]) => ({ sql, ...v })).sort((a, b) => b.scanned - a.scanned);
  }

  resetStats(): void {
    Object.assign(this.counters, NO_STATS);
    this.scannedBy.clear();
    this.scanWatch?.reset();
  }

  /** `body`: the request's body when it was read already (a request held by a fault). */
  async handleHttp(req: IncomingMessage, res: ServerResponse, body?: Promise<string>): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = ROUTES[path];
    if (method === undefined) return send(res, 404);
    if (req.method !== method) return send(res, 405);
    try {
      switch (path) {
        case '/v2':
        case '/v3':
          return send(res, 200, 'text/plain', 'Hello, this is HTTP API v2 (Hrana over HTTP)');
        case '/health':
          return send(res, 200);
        case '/stats':
          return sendJson(res, 200, this.stats());
        case '/stats/statements':
          return sendJson(res, 200, { statements: this.scannedByStatement() });
        case '/scans':
          return sendJson(res, 200, { scans: this.scanWatch?.found ?? null });
      }
      this.counters.requests++;
      sendJson(res, 200, await this.pipeline(await (body ?? readBody(req)), path === '/v3/pipeline' ? 3 : 2));
    } catch (error) {
      this.log(`hrana server: ${(error as Error).message}`);
      if (error instanceof ProtocolError) send(res, 400, 'text/plain', error.message);
      else if (error instanceof StreamExpired) sendJson(res, 400, { message: 'The stream has expired due to inactivity', code: 'STREAM_EXPIRED' });
      else if (error instanceof BodyTooLarge) sendJson(res, 413, { message: `Request body exceeds ${MAX_BODY_BYTES} bytes`, code: 'PAYLOAD_TOO_LARGE' });
      else if (error instanceof ServerClosing) sendJson(res, 503, { message: 'The server is shutting down', code: 'SERVER_CLOSING' });
      else sendJson(res, 500, { message: String((error as Error).message), code: 'INTERNAL_ERROR' });
    }
  }

  close(): void {
    this.closing = true;
    for (const waiter of this.waiters.splice(0)) waiter.fail(new ServerClosing());
    clearTimeout(this.stealTimer);
    for (const stream of this.streams.values()) clearTimeout(stream.expiry);
    this.streams.clear();
    this.connection.rollback();
    // Fold the WAL into the database file, so that a stopped server leaves one complete file.
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  private async pipeline(body: string, version: number) {
    const request = decodePipeline(body); // whole body first: a malformed request runs nothing
    if (this.closing) throw new ServerClosing();
    const stream = this.acquire(request.baton);
    let baton: string | null | undefined;
    try {
      if (request.requests.some(needsConnection)) {
        const wait = this.lock(stream);
        if (wait !== undefined) await wait;
      }
      const results = request.requests.map((r) => this.handle(stream, r, version));
      baton = this.release(stream);
      return { baton, base_url: null, results };
    } finally {
      // An HTTP-level error drops the stream, as sqld drops a Guard that was not released.
      if (baton === undefined) this.drop(stream);
      this.settle(stream);
    }
  }

  private handle(stream: Stream, request: StreamRequest, version: number) {
    try {
      return { type: 'ok', response: this.respond(stream, request, version) };
    } catch (error) {
      if (error instanceof StmtError) return { type: 'error', error: error.toProto() };
      throw error;
    }
  }

  private respond(stream: Stream, request: StreamRequest, version: number) {
    const { connection } = this;
    switch (request.type) {
      case 'close':
        // sqld drops the stream's connection, which rolls its transaction back.
        if (this.owner === stream) connection.rollback();
        stream.open = false;
        return { type: 'close' };
      case 'execute':
        this.checkOpen(stream);
        return { type: 'execute', result: connection.execute(request.stmt, stream.sqls, this.takeTimeout(stream)) };
      case 'batch':
        this.checkOpen(stream);
        return {
          type: 'batch',
          result: connection.batch(request.steps, stream.sqls, version, this.takeTimeout(stream)),
        };
      case 'sequence':
        this.checkOpen(stream);
        connection.sequence(resolveSql(request.sql, request.sqlId, stream.sqls), this.takeTimeout(stream));
        return { type: 'sequence' };
      case 'describe':
        this.checkOpen(stream);
        return { type: 'describe', result: connection.describe(resolveSql(request.sql, request.sqlId, stream.sqls)) };
      case 'store_sql': {
        const { sqls } = stream;
        if (sqls.has(request.sqlId)) throw new ProtocolError(`SQL text ${request.sqlId} already exists`);
        if (sqls.size >= MAX_SQL_COUNT) {
          throw new StmtError(`The server already stores ${sqls.size} SQL texts, it cannot store more`, 'SQL_STORE_TOO_MANY');
        }
        const size = Buffer.byteLength(request.sql);
        if (size > MAX_STORED_SQL_BYTES) {
          throw new StmtError(`The statement is too large to be stored: ${formatBytes(size)}/${formatBytes(MAX_STORED_SQL_BYTES)}`, 'SQL_STORE_TOO_LARGE');
        }
        sqls.set(request.sqlId, request.sql);
        return { type: 'store_sql' };
      }
      case 'close_sql':
        stream.sqls.delete(request.sqlId);
        return { type: 'close_sql' };
      case 'get_autocommit':
        if (version < 3) {
          throw new ProtocolError('The `get_autocommit` request is only supported in protocol version hrana3 and higher');
        }
        this.checkOpen(stream);
        // Only the owner can be inside a transaction; every other stream is in autocommit.
        return { type: 'get_autocommit', is_autocommit: !(this.owner === stream && connection.inTransaction) };
    }
  }

  private checkOpen(stream: Stream): void {
    if (!stream.open) throw new ProtocolError('Stream for this baton was closed');
  }

  private takeTimeout(stream: Stream): boolean {
    const timedOut = stream.txTimedOut;
    stream.txTimedOut = false;
    return timedOut;
  }

  // Streams and batons (stream.rs): a baton is base64(stream id, sequence number, HMAC) and
  // each request must present the baton returned by the previous one.

  private acquire(baton: string | null): Stream {
    if (baton === null) {
      let key: string;
      do key = randomBytes(8).toString('hex');
      while (this.streams.has(key));
      const seq = randomBytes(8).readBigUInt64BE();
      const stream: Stream = { key, seq, sqls: new Map(), busy: true, open: true, txTimedOut: false };
      this.streams.set(key, stream);
      return stream;
    }
    const { key, seq } = this.decodeBaton(baton);
    const stream = this.streams.get(key);
    if (stream === undefined) {
      const expiredAt = this.expired.get(key);
      if (expiredAt !== undefined && Date.now() - expiredAt < EXPIRED_KEPT_MS) throw new StreamExpired();
      throw new ProtocolError('Received an invalid baton');
    }
    if (stream.busy || stream.seq !== seq) throw new ProtocolError('Received a baton that has already been used');
    stream.busy = true;
    stream.seq = (stream.seq + 1n) & U64_MASK;
    clearTimeout(stream.expiry);
    return stream;
  }

  /** Returns the baton for the next request, or null when the stream was closed. */
  private release(stream: Stream): string | null {
    stream.busy = false;
    if (!stream.open) {
      this.streams.delete(stream.key);
      return null;
    }
    stream.expiry = setTimeout(() => this.expire(stream), this.idleMs).unref();
    const payload = Buffer.alloc(16);
    payload.write(stream.key, 0, 'hex');
    payload.writeBigUInt64BE(stream.seq, 8);
    const mac = createHmac('sha256', this.batonKey).update(payload).digest();
    return Buffer.concat([payload, mac]).toString('base64').replace(/=+$/, '');
  }

  private decodeBaton(baton: string): { key: string; seq: bigint } {
    const data = /^[A-Za-z0-9+/]{64}$/.test(baton) ? Buffer.from(baton, 'base64') : Buffer.alloc(0);
    const mac = createHmac('sha256', this.batonKey).update(data.subarray(0, 16)).digest();
    if (data.length !== 48 || !timingSafeEqual(mac, data.subarray(16))) {
      throw new ProtocolError('Received an invalid baton');
    }
    return { key: data.toString('hex', 0, 8), seq: data.readBigUInt64BE(8) };
  }

  private expire(stream: Stream): void {
    this.log(`stream ${stream.key} expired after ${this.idleMs} ms idle`);
    this.drop(stream);
    const now = Date.now();
    for (const [key, at] of this.expired) {
      if (now - at < EXPIRED_KEPT_MS) break;
      this.expired.delete(key);
    }
    this.expired.set(stream.key, now);
  }

  /** Forgets a stream; its open transaction, if any, is rolled back. */
  private drop(stream: Stream): void {
    clearTimeout(stream.expiry);
    this.streams.delete(stream.key);
    if (this.owner === stream) {
      this.connection.rollback();
      this.handOver();
    }
  }

  // The connection lock.

  private lock(stream: Stream): Promise<void> | undefined {
    if (this.owner === null || this.owner === stream) {
      this.owner = stream;
      return undefined;
    }
    return new Promise((grant, fail) => {
      this.waiters.push({ stream, grant, fail });
      this.scheduleSteal();
    });
  }

  /** After a request: the owner keeps the connection only while its transaction is open. */
  private settle(stream: Stream): void {
    if (this.owner !== stream) return;
    if (this.connection.inTransaction && this.streams.get(stream.key) === stream) {
      this.ownerTxSince ??= Date.now();
      this.scheduleSteal();
    } else {
      this.connection.rollback();
      this.handOver();
    }
  }

  private handOver(): void {
    clearTimeout(this.stealTimer);
    this.ownerTxSince = null;
    const next = this.waiters.shift();
    this.owner = next?.stream ?? null;
    next?.grant();
  }

  private scheduleSteal(): void {
    if (this.ownerTxSince === null || this.waiters.length === 0) return;
    clearTimeout(this.stealTimer);
    const delay = Math.max(0, this.ownerTxSince + TXN_TIMEOUT_MS - Date.now());
    this.stealTimer = setTimeout(() => this.steal(), delay).unref();
  }

  private steal(): void {
    const victim = this.owner;
    if (victim === null || this.ownerTxSince === null || this.waiters.length === 0) return;
    this.log(`stream ${victim.key}: transaction rolled back after ${TXN_TIMEOUT_MS} ms, others waiting`);
    victim.txTimedOut = true;
    this.connection.rollback();
    this.handOver();
  }
}

/** Starts the server; resolves once it listens. */
export async function startLibsqlServer(opts: LibsqlServerOptions = {}): Promise<LibsqlServer> {
  const file = opts.file === undefined || opts.file === ':memory:' ? ':memory:' : resolve(opts.file);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.exec('PRAGMA journal_mode = WAL'); // no-op in memory
  db.exec('PRAGMA synchronous = NORMAL'); // durable across crashes of this process in WAL mode
  db.exec('PRAGMA foreign_keys = ON'); // as sqld

  const log = opts.log ?? (() => {});
  const scanWatch = opts.flagScans && new ScanWatch(db, new Set(opts.flagScans.allow), log);
  const hrana = new HranaServer(db, opts.streamIdleTimeoutMs ?? 10_000, log, scanWatch);
  const host = opts.host ?? '127.0.0.1';
  const listen = (port: number) =>
    new Promise<void>((resolveListen, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolveListen();
      });
    });
  // Refusing: the port is closed and open connections are cut; then it listens again on the same port.
  let refusing = false;
  const refuse = async (on: boolean) => {
    if (on === refusing) return;
    refusing = on;
    if (on) {
      http.close();
      http.closeAllConnections();
      log(`libsql server ${port}: refusing connections (injected fault)`);
    } else {
      await listen(port);
      log(`libsql server ${port}: accepting connections again`);
    }
  };
  const faults = opts.faults ? new Faults(refuse) : undefined;
  const http = createServer((req, res) => {
    if (!faults || !DATABASE_PATHS.test((req.url ?? '/').split('?')[0]!)) return void hrana.handleHttp(req, res);
    // The body is read first, as a paused process's socket buffers it: a request held while its client gives up still runs.
    const body = readBody(req);
    body.catch(() => {});
    void faults.gate().then((gate) => {
      if (gate.kind === 'serve') return hrana.handleHttp(req, res, body);
      if (gate.kind === 'drop') return void req.socket.destroy();
      log(`libsql server ${port}: answered ${gate.status} (injected fault)`);
      sendJson(res, gate.status, { message: 'injected fault: the database is failing', code: 'INJECTED_FAULT' });
    });
  });
  await listen(opts.port ?? 0);
  const { port } = http.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const control = faults ? await startFaultControl(faults, host) : undefined;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats: () => hrana.stats(),
    resetStats: () => hrana.resetStats(),
    scans: () => [...(scanWatch?.found ?? [])],
    ...(faults && control ? { controlUrl: control.url, setFault: (fault: Fault) => faults.set(fault) } : {}),
    close: () =>
      (closed ??= (async () => {
        faults?.release();
        await control?.close();
        hrana.close();
        await new Promise<void>((resolveClose) => {
          if (!http.listening) return resolveClose();
          http.close(() => resolveClose());
          http.closeAllConnections();
        });
      })()),
  };
}

/** The paths of database requests: Hrana pipelines, cursors and version probes, and `/health` (as sqld's). */
const DATABASE_PATHS = /^\/(v[23](\/pipeline|\/cursor)?|health)$/;

/** The fault control of one server, on a loopback port of its own: `GET /fault`, `POST /fault {…}`. */
async function startFaultControl(faults: Faults, host: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/fault') return send(res, 404);
    if (req.method === 'GET') return sendJson(res, 200, faults.report());
    if (req.method !== 'POST') return send(res, 405);
    void readBody(req)
      .then((body) => faults.set(JSON.parse(body || '{}') as Fault))
      .then(
        (report) => sendJson(res, 200, report),
        (err: unknown) => sendJson(res, 400, { error: (err as Error).message }),
      );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      file: { type: 'string' },
      memory: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      'flag-scans': { type: 'boolean' },
      faults: { type: 'boolean' },
    },
  });
  const server = await startLibsqlServer({
    file: values.memory ? ':memory:' : (values.file ?? '.data/nps.db'),
    host: values.host,
    port: values.port === undefined ? 8080 : Number(values.port),
    log: (line) => process.stderr.write(`${line}\n`),
    flagScans: values['flag-scans'] ? { allow: SMALL_TABLES } : undefined,
    faults: values.faults,
  });
  console.log(`libsql server listening on ${server.url}`);
  if (server.controlUrl) console.log(`fault control: POST ${server.controlUrl}/fault {"mode":"refuse"|"pause"|"slow"|"error"|"off"}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  try {
    return entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
