import { bodyLimit } from 'hono/body-limit';
import { openCors } from '../lib/open-cors';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createRouter, type AppContext, type AppEnv } from '../lib/create-app';
import { WIDGET_SCRIPT } from './script';
import { bindRespondent, rebindMoved } from '../lib/bind-tenant';
import type { TenantDb } from '../db/tenant-db';
import { widgetKeyDatabase, widgetKeyTenant } from '../settings/settings';
import { SessionBody, widgetSession } from './session';

function jsonError(c: AppContext, status: ContentfulStatusCode, code: string, message: string, details?: unknown) {
  return c.json({ error: { code, message, ...(details === undefined ? {} : { details }), requestId: c.get('requestId') } }, status);
}

/**
 * The in-app widget: `GET /widget.js` (the script a host page embeds) and `POST /w/session`
 * (whether to show it, and the invitation when it shows). Open to any origin, without
 * cookies: the caller proves the user with the tenant's HMAC of the user id.
 */
export const widgetRoutes = createRouter();

widgetRoutes.get('/widget.js', (c) => {
  c.header('content-type', 'text/javascript; charset=utf-8');
  c.header('cache-control', 'public, max-age=300');
  c.header('x-content-type-options', 'nosniff');
  c.header('access-control-allow-origin', '*');
  return c.body(WIDGET_SCRIPT);
});

widgetRoutes.use('/w/*', openCors(['POST'], ['content-type']));
widgetRoutes.use('/w/*', bodyLimit({ maxSize: 4096, onError: (c: Context<AppEnv>) => jsonError(c, 413, 'PAYLOAD_TOO_LARGE', 'the request body exceeds 4096 bytes') }));

widgetRoutes.post('/w/session', async (c) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
  if (!/^application\/([\w.+-]+\+)?json$/i.test(type)) return jsonError(c, 415, 'UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON (content-type: application/json)');
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    return jsonError(c, 400, 'BAD_REQUEST', 'the body is not valid JSON');
  }
  const parsed = SessionBody.safeParse(raw);
  if (!parsed.success) {
    return jsonError(
      c,
      400,
      'VALIDATION_FAILED',
      'the request is not valid',
      parsed.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  c.header('cache-control', 'no-store');
  // The key names its tenant and its database (wpk_<tenant>_…_<database>): no directory read, no scan.
  const { publicKey } = parsed.data;
  const keyTenant = widgetKeyTenant(publicKey);
  let t = keyTenant ? await bindRespondent(c, keyTenant, widgetKeyDatabase(publicKey)) : null;
  if (!t) return jsonError(c, 401, 'UNAUTHORIZED', 'the widget key or the user signature is not valid');
  const session = (handle: TenantDb) => widgetSession(handle, c.get('config'), parsed.data, c.req.header('accept-language') ?? null, Date.now());
  let out = await session(t);
  // The tenant moved since the key was made: once more where the directory places it.
  if (out.kind === 'elsewhere' && (t = await rebindMoved(c, keyTenant!, widgetKeyDatabase(publicKey)))) out = await session(t);
  switch (out.kind) {
    case 'elsewhere':
    case 'unauthorized':
      return jsonError(c, 401, 'UNAUTHORIZED', 'the widget key or the user signature is not valid');
    case 'not-found':
      return jsonError(c, 404, 'NOT_FOUND', `${out.what} not found`);
    case 'wrong-channel':
      return jsonError(c, 422, 'UNPROCESSABLE', 'the touchpoint does not use the in_app channel');
    case 'hide':
      return c.json({ show: false, reason: out.reason }, 200);
    case 'show':
      return c.json(out.body, 200);
  }
});
