import { createClient, type Client } from '@libsql/client/web';
import type { BatchItem } from 'drizzle-orm/batch';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import { drizzle } from 'drizzle-orm/libsql/web';

export type Db = LibSQLDatabase & { $client: Client };

/**
 * A storage call that could not be served: past its deadline, the database unreachable
 * (connection refused or lost), or the database answering with a server error (5xx). The
 * request that made it answers 503 with Retry-After; capture buffers the answer instead
 * (docs/outage.md). A statement the database refuses (a constraint, bad SQL) is not this.
 */
export class StorageUnavailable extends Error {
  constructor(
    readonly reason: 'timeout' | 'unreachable' | 'server-error',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageUnavailable';
  }
}

/** Whether an error, or one of its causes (drizzle and the libSQL client wrap), is a storage call that could not be served. */
export function isStorageUnavailable(err: unknown): boolean {
  let e = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    if (e instanceof StorageUnavailable) return true;
    // A deadline that fired while the body was read, after the answer's status line.
    const name = (e as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

const deadlineFetches = new Map<number, (request: Request) => Promise<Response>>();

/**
 * The fetch a client with a deadline makes its HTTP requests with (one libSQL request is one
 * storage call: a statement or a batch). The deadline is an abort signal on the request, so a
 * healthy call costs a timer and nothing else: no extra round trip, no extra await in the
 * caller. Failures are tagged `StorageUnavailable` where they are known for what they are.
 */
function deadlineFetch(ms: number) {
  let f = deadlineFetches.get(ms);
  if (!f) {
    f = (request: Request) =>
      fetch(request, { signal: AbortSignal.timeout(ms) }).then(
        (response) => {
          if (response.status < 500) return response;
          void response.body?.cancel();
          throw new StorageUnavailable('server-error', `the database answered ${response.status}`);
        },
        (err: unknown) => {
          const name = (err as { name?: unknown })?.name;
          const timedOut = name === 'TimeoutError' || name === 'AbortError';
          throw new StorageUnavailable(timedOut ? 'timeout' : 'unreachable', timedOut ? `the database did not answer within ${ms} ms` : `the database is unreachable: ${String(err)}`, {
            cause: err,
          });
        },
      );
    deadlineFetches.set(ms, f);
  }
  return f;
}

/**
 * One client per request: Workers forbid sharing I/O objects across requests, and an HTTP
 * libSQL client holds no connection worth reusing. Scripts in Node use the same function.
 * `deadlineMs` (the Worker's request and job paths, src/db/plane.ts): each storage call fails
 * with StorageUnavailable past it; none (scripts, tests) waits as long as the call takes.
 */
export function openDb(url: string, authToken?: string, deadlineMs?: number): Db {
  const client = createClient({ url, authToken, intMode: 'number', ...(deadlineMs ? { fetch: deadlineFetch(deadlineMs) } : {}) });
  // No schema: drizzle's relational queries would rebuild their config of every table per client.
  return drizzle(client);
}

/** Runs the statements as one atomic batch in one round trip (a Turso request crosses the network). */
export function commit(db: Pick<Db, 'batch'>, statements: BatchItem<'sqlite'>[]) {
  return db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
}
