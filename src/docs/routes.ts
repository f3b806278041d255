import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../lib/create-app';
import { renderReference, type OpenApiDocument } from './reference';

const INFO = {
  title: 'NPS Program Platform API',
  version: '1.0.0',
  description: 'Multi-tenant Net Promoter Score programs: hierarchy, access, surveys, scores and the closed loop.',
};

/** Serves the OpenAPI 3.1 document generated from the routes' zod definitions, and a readable page of it. */
export function mountDocs(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A session JWT from /api/v1/auth/login, or an API key (`nps_...`)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'cookie', { type: 'apiKey', in: 'cookie', name: 'nps_session' });
  app.doc31('/api/openapi.json', { openapi: '3.1.0', info: INFO });
  app.get('/api/docs', (c) => {
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: INFO }) as unknown as OpenApiDocument;
    return c.html(renderReference(doc));
  });
}
