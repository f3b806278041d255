import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/**
 * CORS open to every origin, without credentials, for the public routes a host page posts to
 * (the survey page, the widget). The preflight is Hono's `cors()`. On the other requests the one
 * header is set on the handler's response after it ran: `cors()` sets it before, on a placeholder
 * response, and Hono then builds the handler's response a second time to copy that header over,
 * about 3 % of the Worker's CPU per answer in the capture profile (bench/README.md, "(a) Capture").
 */
export function openCors(allowMethods: string[], allowHeaders: string[]): MiddlewareHandler {
  const preflight = cors({ origin: '*', allowMethods, allowHeaders, maxAge: 600 });
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    await next();
    c.res.headers.set('access-control-allow-origin', '*');
  };
}
