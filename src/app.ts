import { apiKeyRoutes } from './api-keys/routes';
import { auditRoutes } from './audit/routes';
import { authRoutes } from './auth/routes';
import { contactRoutes } from './contacts/routes';
import { mountDocs } from './docs/routes';
import { eventRoutes } from './events/routes';
import { healthRoutes } from './health/routes';
import { surveyRoutes } from './surveys/routes';
import { touchpointRoutes } from './touchpoints/routes';
import { scoreRoutes } from './scores/routes';
import { exportRoutes } from './exports/routes';
import { reconciliationRoutes } from './reconciliation/routes';
import { createRouter, notFoundHandler, onError } from './lib/create-app';
import { init, jsonBodyGuard } from './lib/middleware';
import { unitRoutes } from './org/routes';
import { userRoutes } from './users/routes';
import { waveRoutes } from './waves/routes';

/** The Hono app: request services, body rules, every feature's routes, one error envelope. */
export function createApp() {
  const app = createRouter();
  app.use('*', init);
  app.use('/api/*', jsonBodyGuard);
  app.onError(onError);
  app.notFound(notFoundHandler);

  app.route('/', healthRoutes);
  app.route('/', authRoutes);
  app.route('/', unitRoutes);
  app.route('/', userRoutes);
  app.route('/', apiKeyRoutes);
  app.route('/', auditRoutes);
  app.route('/', surveyRoutes);
  app.route('/', touchpointRoutes);
  app.route('/', scoreRoutes);
  app.route('/', exportRoutes);
  app.route('/', reconciliationRoutes);
  app.route('/', contactRoutes);
  app.route('/', eventRoutes);
  app.route('/', waveRoutes);
  mountDocs(app);
  return app;
}

export type App = ReturnType<typeof createApp>;
