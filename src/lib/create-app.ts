import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Actor } from '../auth/policy';
import { isStorageUnavailable, StorageUnavailable, type Db } from '../db/client';
import type { DataPlane } from '../db/plane';
import type { TenantDb } from '../db/tenant-db';
import type { Config, Env } from '../env';
import { ApiError, errorBody, type ErrorCode, type ErrorDetail } from './errors';

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    /** Finds each tenant's data database (src/db/plane.ts). */
    plane: DataPlane;
    /**
     * The data database itself, unscoped: for the directory's work and named cross-tenant
     * sweeps only (test/node/data-layer.test.ts keeps everything else off it).
     */
    db: Db;
    /** The tenant-scoped handle (src/db/tenant-db.ts): set once the tenant is known (credential, survey link, widget key). */
    tdb: TenantDb;
    /** The handle was bound by the database id a survey link or widget key carries, not by the directory (src/lib/bind-tenant.ts). */
    boundByLink: boolean;
    /** Set by `authenticate`; routes that need a caller mount it. */
    actor: Actor;
  };
}

export type AppContext = Context<AppEnv>;

/** Zod issues as field paths prefixed by where they came from: `body.email`, `query.limit`. */
const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const where = result.target === 'json' ? 'body' : result.target;
  const details: ErrorDetail[] = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new ApiError('VALIDATION_FAILED', 'the request is not valid', details);
};

/** Every router comes from here, so validation errors answer the same way everywhere. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook, strict: false });
}

const HTTP_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** The envelope for anything thrown; 5xx are logged with the request id, never leaked. */
export function onError(err: Error, c: AppContext): Response {
  const requestId = c.get('requestId') ?? 'unknown';
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, requestId, err.details), err.status, err.headers);
  }
  // A storage call past its deadline, refused, or failing on the server's side: fail fast and say when to come back.
  if (isStorageUnavailable(err)) {
    console.error(JSON.stringify({ level: 'error', requestId, message: 'storage unavailable', cause: String(err), reason: storageReason(err) }));
    return c.json(errorBody('UNAVAILABLE', STORAGE_UNAVAILABLE_MESSAGE, requestId), 503, { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) });
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code = HTTP_CODES[err.status] ?? 'BAD_REQUEST';
    const message = err.message || 'the request could not be processed';
    return c.json(errorBody(code, message, requestId), HTTP_CODES[err.status] ? (err.status as 400) : 400);
  }
  console.error(JSON.stringify({ level: 'error', requestId, message: err.message, stack: err.stack }));
  return c.json(errorBody('INTERNAL', 'an unexpected error occurred', requestId), 500);
}

/** What a request whose storage call failed is told (503), and when to try again. */
export const STORAGE_UNAVAILABLE_MESSAGE = 'the database did not answer in time; try again in a minute';
export const STORAGE_RETRY_AFTER_SECONDS = 60;

function storageReason(err: unknown): string {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; depth++, e = (e as { cause?: unknown }).cause) {
    if (e instanceof StorageUnavailable) return e.reason;
  }
  return 'timeout';
}

export function notFoundHandler(c: AppContext): Response {
  return c.json(errorBody('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`, c.get('requestId') ?? 'unknown'), 404);
}
