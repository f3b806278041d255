import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { openDb } from '../db/client';
import { loadConfig } from '../env';
import { ApiError } from './errors';
import type { AppEnv } from './create-app';

/** Request-scoped services in `c.var`: request id, validated config, database. */
export const init = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
  c.set('requestId', requestId);
  c.header('x-request-id', requestId);
  const config = loadConfig(c.env);
  c.set('config', config);
  c.set('db', openDb(config.libsqlUrl, config.libsqlAuthToken));
  await next();
});

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * API bodies are JSON and at most MAX_BODY_BYTES (64 KiB by default). Requiring the JSON
 * type also stops cross-site form posts riding on the SameSite=Lax session cookie.
 */
export const jsonBodyGuard = createMiddleware<AppEnv>(async (c, next) => {
  if (!BODY_METHODS.has(c.req.method)) return next();
  const length = c.req.header('content-length');
  const hasBody = (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
  const type = c.req.header('content-type') ?? '';
  if (hasBody && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON (content-type: application/json)');
  }
  const limit = c.get('config').maxBodyBytes;
  return bodyLimit({
    maxSize: limit,
    onError: () => {
      throw new ApiError('PAYLOAD_TOO_LARGE', `the request body exceeds ${limit} bytes`);
    },
  })(c, next);
});
