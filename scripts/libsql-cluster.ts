// Many local libSQL databases in one process, each at its own URL as Turso gives each database
// its own hostname: the directory and every data database of the local stack. A database is one
// local libSQL server (./libsql-server.ts) on its own port; ports are kept in `cluster.json`
// beside the files so that the URLs recorded in the directory's catalog survive a restart.
//
// Databases are created on demand, as Turso's Platform API creates them: in-process with
// `create(name)`, or by another process (tenant:create --dedicated while `npm start` runs) with
// `POST <adminUrl>/v1/databases {"name"}` → 200 `{"database":{"name","url"}}` (idempotent).
//
// As a process of its own (the bench's stack): `tsx scripts/libsql-cluster.ts --dir DIR [--host H]
// [--admin-port P]` prints `libsql cluster listening on <adminUrl>`.
// With `faults` (development and tests only), every database can be made slow, paused,
// refusing or failing on command: `POST <adminUrl>/v1/databases/<name>/fault
// {"mode","delayMs"?,"status"?,"after"?}`, `GET` the same path for its state
// (./libsql-server/faults.ts, docs/outage.md). Without it those paths answer 404.
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startLibsqlServer, type LibsqlServer } from './libsql-server';

/** A database name as Turso allows it: lowercase letters, digits and dashes. */
export const DATABASE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface LibsqlClusterOptions {
  /** Folder of the database files; undefined = every database in memory. */
  dir?: string;
  host?: string; // default '127.0.0.1'
  /** Port of the admin endpoint; databases take the ports after it. 0 (default) = free ports. */
  adminPort?: number;
  log?: (line: string) => void;
  /** Every database reports the statements whose plan scans a table (scripts/libsql-server.ts `flagScans`). */
  flagScans?: { allow?: readonly string[] };
  /** Fault injection on every database, through the admin endpoint (development and tests only). */
  faults?: boolean;
}

export interface LibsqlCluster {
  /** Where other processes create databases: POST {adminUrl}/v1/databases. */
  adminUrl: string;
  /** Creates the database (or finds it) and returns its URL. */
  create(name: string): Promise<string>;
  /** The server of one database, undefined when none has that name. */
  server(name: string): LibsqlServer | undefined;
  list(): { name: string; url: string }[];
  close(): Promise<void>;
}

interface PortBook {
  ports: Record<string, number>;
}

/** Starts the admin endpoint and every database already in `dir`. */
export async function startLibsqlCluster(opts: LibsqlClusterOptions = {}): Promise<LibsqlCluster> {
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.dir === undefined ? undefined : resolve(opts.dir);
  const bookFile = dir && join(dir, 'cluster.json');
  if (dir) mkdirSync(dir, { recursive: true });
  const book: PortBook = bookFile && existsSync(bookFile) ? (JSON.parse(readFileSync(bookFile, 'utf8')) as PortBook) : { ports: {} };
  const servers = new Map<string, LibsqlServer>();
  const starting = new Map<string, Promise<LibsqlServer>>();

  const admin = createServer((req, res) => void handleAdmin(req, res));
  await new Promise<void>((ok, fail) => {
    admin.once('error', fail);
    admin.listen(opts.adminPort ?? 0, host, () => ok());
  });
  const adminPort = (admin.address() as AddressInfo).port;

  // A fixed admin port gives every database a stable port after it; otherwise any free port.
  const nextPort = () => {
    if (!opts.adminPort) return 0;
    const taken = new Set(Object.values(book.ports));
    let port = adminPort + 1;
    while (taken.has(port)) port++;
    return port;
  };

  // A known database takes its recorded port; a new one the next free port after the admin's.
  async function listen(name: string): Promise<LibsqlServer> {
    const file = dir ? join(dir, `${name}.db`) : ':memory:';
    const flagScans = opts.flagScans;
    if (book.ports[name] !== undefined || !opts.adminPort) return startLibsqlServer({ file, host, port: book.ports[name] ?? 0, log: opts.log, flagScans, faults: opts.faults });
    for (let port = nextPort(), tries = 0; ; port++, tries++) {
      try {
        return await startLibsqlServer({ file, host, port, log: opts.log, flagScans, faults: opts.faults });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries >= 50) throw err;
      }
    }
  }

  function create(name: string): Promise<string> {
    if (!DATABASE_NAME.test(name)) return Promise.reject(new Error(`invalid database name ${JSON.stringify(name)}`));
    const running = servers.get(name);
    if (running) return Promise.resolve(running.url);
    let pending = starting.get(name);
    if (!pending) {
      pending = listen(name);
      starting.set(name, pending);
      void pending.then(
        (server) => {
          servers.set(name, server);
          starting.delete(name);
          if (bookFile) {
            book.ports[name] = server.port;
            writeFileSync(bookFile, JSON.stringify(book, null, 2));
          }
        },
        () => starting.delete(name),
      );
    }
    return pending.then((server) => server.url);
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse) {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/v1/databases' && req.method === 'GET') return reply(200, { databases: list() });
    const fault = /^\/v1\/databases\/([a-z0-9-]+)\/fault$/.exec(path);
    if (fault && opts.faults) return handleFault(req, servers.get(fault[1]!), reply);
    if (path !== '/v1/databases' || req.method !== 'POST') return reply(404, { error: 'not found' });
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let name: unknown;
    try {
      name = (JSON.parse(raw) as { name?: unknown }).name;
    } catch {
      return reply(400, { error: 'the body must be JSON {"name"}' });
    }
    if (typeof name !== 'string' || !DATABASE_NAME.test(name)) return reply(400, { error: 'name: lowercase letters, digits and dashes' });
    try {
      return reply(200, { database: { name, url: await create(name) } });
    } catch (err) {
      return reply(500, { error: String(err) });
    }
  }

  async function handleFault(req: IncomingMessage, server: LibsqlServer | undefined, reply: (status: number, body: unknown) => void) {
    if (!server?.setFault || !server.controlUrl) return reply(404, { error: 'no such database' });
    if (req.method === 'GET') return reply(200, await (await fetch(`${server.controlUrl}/fault`)).json());
    if (req.method !== 'POST') return reply(405, { error: 'GET or POST' });
    let raw = '';
    for await (const chunk of req) raw += chunk;
    try {
      return reply(200, await server.setFault(JSON.parse(raw || '{}')));
    } catch (err) {
      return reply(400, { error: (err as Error).message });
    }
  }

  const list = () => [...servers].map(([name, server]) => ({ name, url: server.url }));

  // Databases of an earlier run come back at their ports.
  await Promise.all(Object.keys(book.ports).map((name) => create(name)));

  let closed: Promise<void> | undefined;
  return {
    adminUrl: `http://${host}:${adminPort}`,
    create,
    server: (name) => servers.get(name),
    list,
    close: () =>
      (closed ??= (async () => {
        await Promise.allSettled([...starting.values()]);
        await Promise.all([...servers.values()].map((s) => s.close()));
        await new Promise<void>((ok) => {
          admin.close(() => ok());
          admin.closeAllConnections();
        });
      })()),
  };
}

/** Asks a running cluster (another process's) to create a database; returns its URL. */
export async function createRemoteDatabase(adminUrl: string, name: string): Promise<string> {
  const res = await fetch(`${adminUrl}/v1/databases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  const body = (await res.json()) as { database?: { url: string }; error?: string };
  if (!res.ok || !body.database) throw new Error(`creating database ${name}: ${res.status} ${body.error ?? ''}`);
  return body.database.url;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, host: { type: 'string' }, 'admin-port': { type: 'string' } } });
  const cluster = await startLibsqlCluster({
    dir: values.dir,
    host: values.host,
    adminPort: values['admin-port'] === undefined ? 0 : Number(values['admin-port']),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(`libsql cluster listening on ${cluster.adminUrl}`);
  const stop = () => void cluster.close().then(() => process.exit(0));
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
