import { apiKeyRoutes } from './api-keys/routes';
import { auditRoutes } from './audit/routes';
import { authRoutes } from './auth/routes';
import { contactRoutes } from './contacts/routes';
import { mountDocs } from './docs/routes';
import { eventRoutes } from './events/routes';
import { outboxRoutes } from './delivery/outbox-routes';
import { healthRoutes } from './health/routes';
import { invitationRoutes } from './invitations/routes';
import { surveyRoutes } from './surveys/routes';
import { touchpointRoutes } from './touchpoints/routes';
import { scoreRoutes } from './scores/routes';
import { reweightRoutes } from './scores/reweight';
import { exportRoutes } from './exports/routes';
import { reconciliationRoutes } from './reconciliation/routes';
import { createRouter, notFoundHandler, onError } from './lib/create-app';
import { init, jsonBodyGuard } from './lib/middleware';
import { unitRoutes } from './org/routes';
import { settingsRoutes } from './settings/routes';
import { userRoutes } from './users/routes';
import { responseRoutes } from './responses/routes';
import { surveyPageRoutes } from './survey-page/routes';
import { touchpointLinkRoutes } from './survey-page/link-routes';
import { widgetRoutes } from './widget/routes';
import { waveRoutes } from './waves/routes';
import { caseRoutes } from './cases/routes';
import { caseSettingsRoutes } from './cases/settings-routes';
import { alertRoutes } from './alerts/routes';
import { webhookRoutes } from './webhooks/routes';
import { actionPlanRoutes } from './action-plans/routes';
import { benchRoutes } from './bench/routes';

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
  app.route('/', reweightRoutes);
  app.route('/', exportRoutes);
  app.route('/', reconciliationRoutes);
  app.route('/', contactRoutes);
  app.route('/', eventRoutes);
  app.route('/', waveRoutes);
  app.route('/', caseRoutes);
  app.route('/', caseSettingsRoutes);
  app.route('/', settingsRoutes);
  app.route('/', invitationRoutes);
  app.route('/', outboxRoutes);
  app.route('/', touchpointLinkRoutes);
  app.route('/', responseRoutes);
  app.route('/', surveyPageRoutes);
  app.route('/', widgetRoutes);
  app.route('/', alertRoutes);
  app.route('/', webhookRoutes);
  app.route('/', actionPlanRoutes);
  app.route('/', benchRoutes); // dev-only baselines of `npm run bench`: 404 unless BENCH=1 outside production
  mountDocs(app);
  return app;
}

export type App = ReturnType<typeof createApp>;
