import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { dataPlane } from '../db/plane';
import { loadConfig } from '../env';
import { ApiError } from './errors';
import type { AppEnv } from './create-app';

/** Request-scoped services in `c.var`: request id, validated config, the data plane. */
export const init = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
  c.set('requestId', requestId);
  c.header('x-request-id', requestId);
  const config = loadConfig(c.env);
  c.set('config', config);
  const plane = dataPlane(config);
  c.set('plane', plane);
  // One database for every tenant: known before the credential. With a directory, the
  // credential, survey link or widget key names the tenant and bindTenant sets it.
  const single = plane.single();
  if (single) c.set('db', single);
  await next();
});

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

const JSON_TYPE = /^application\/([\w.+-]+\+)?json$/i;

/**
 * Routes whose request bodies differ from the default (JSON, at most MAX_BODY_BYTES): the
 * media types they take and their byte limit. One table for the whole API, matched on
 * method and path (`{name}` matches one path segment); a route not listed gets the default.
 * Bodies of any other type than JSON are safe from cross-site form posts only for types a
 * form cannot send (anything but urlencoded, multipart and text/plain), so list no such type.
 */
export const BODY_RULES: readonly { method: string; path: string; types: readonly (string | RegExp)[]; maxBytes: number }[] = [
  // Contact import: CSV or JSON lines, up to 10,000 rows.
  { method: 'POST', path: '/api/v1/contacts/import', types: ['text/csv', 'application/x-ndjson'], maxBytes: 5 * 1024 * 1024 },
  // Event batches: up to 500 events with their attributes.
  { method: 'POST', path: '/api/v1/events', types: [JSON_TYPE], maxBytes: 1024 * 1024 },
  // Answers collected elsewhere: up to 5,000 with their answers and event attributes.
  { method: 'POST', path: '/api/v1/responses/import', types: [JSON_TYPE], maxBytes: 8 * 1024 * 1024 },
  // Daily values of a unit measure: JSON or CSV, up to 10,000 rows.
  { method: 'PUT', path: '/api/v1/measures/{key}/values', types: [JSON_TYPE, 'text/csv'], maxBytes: 2 * 1024 * 1024 },
  // Daily behaviour signals of accounts: JSON, up to 10,000 rows.
  { method: 'PUT', path: '/api/v1/accounts/signals', types: [JSON_TYPE], maxBytes: 2 * 1024 * 1024 },
  // Another survey vendor's export to reconcile with: CSV, up to 50,000 rows.
  { method: 'POST', path: '/api/v1/reconciliations', types: ['text/csv'], maxBytes: 5 * 1024 * 1024 },
];

const pathPattern = (path: string) =>
  new RegExp(
    `^${path
      .split('/')
      .map((s) => (/^\{\w+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
      .join('/')}$`,
  );
const RULES = BODY_RULES.map((r) => ({ ...r, pattern: pathPattern(r.path) }));

/** The media type of a content-type header, lower case without parameters; '' when absent. */
export const mediaTypeOf = (header: string | undefined) => (header ?? '').split(';')[0]!.trim().toLowerCase();

/** The body rule of a request: its entry in BODY_RULES, else JSON up to MAX_BODY_BYTES. */
function bodyRule(method: string, path: string, defaultLimit: number) {
  const rule = RULES.find((r) => r.method === method && r.pattern.test(path));
  return rule ?? { types: [JSON_TYPE], maxBytes: defaultLimit };
}

/**
 * API bodies are JSON and at most MAX_BODY_BYTES (64 KiB by default), unless BODY_RULES says
 * otherwise for the route. Requiring the JSON type also stops cross-site form posts riding on
 * the SameSite=Lax session cookie.
 */
export const jsonBodyGuard = createMiddleware<AppEnv>(async (c, next) => {
  if (!BODY_METHODS.has(c.req.method)) return next();
  const rule = bodyRule(c.req.method, c.req.path, c.get('config').maxBodyBytes);
  const length = c.req.header('content-length');
  // Without a length header (e.g. a Request built in the Worker itself), the body stream tells.
  const hasBody = (length !== undefined ? length !== '0' : c.req.raw.body !== null) || c.req.header('transfer-encoding') !== undefined;
  const mediaType = mediaTypeOf(c.req.header('content-type'));
  if (hasBody && !rule.types.some((t) => (typeof t === 'string' ? t === mediaType : t.test(mediaType)))) {
    const names = rule.types.map((t) => (typeof t === 'string' ? t : 'application/json'));
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `the request body must be ${names.join(' or ')} (content-type)`);
  }
  const limit = rule.maxBytes;
  return bodyLimit({
    maxSize: limit,
    onError: () => {
      throw new ApiError('PAYLOAD_TOO_LARGE', `the request body exceeds ${limit} bytes`);
    },
  })(c, next);
});
