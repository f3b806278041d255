import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { commit, type Db } from '../src/db/client';
import { openDb } from '../src/db/client';
import { listDatabases } from '../src/db/directory';
import { deleteTenantRows } from '../src/tenancy/archive';
import { registerTenant } from '../src/tenancy/directory-entry';
import type { ScriptPlane } from './plane';
import { HISTORY_PEOPLE, seedDemoHistory, type HistorySummary } from './demo-history';
import { loginEmails, roleGrants, surveys, surveyVersions, touchpoints, units, users, type Role, type UnitKind } from '../src/db/schema';
import { standardSurvey } from '../src/surveys/templates';
import { hashPassword } from '../src/auth/password';
import { newId } from '../src/lib/ids';
import { tenantStatements } from '../src/org/tenants';

export const DEMO_PASSWORD = 'demo-pass-1234';
export const DEMO_TENANT = 'Acme Field Services';
export const DEMO_LOGINS = [
  { email: 'admin@acme.test', role: 'admin' as Role, unit: 'Acme Field Services' },
  { email: 'manager.emea@acme.test', role: 'manager' as Role, unit: 'EMEA' },
  { email: 'vendor@fastfix.test', role: 'vendor' as Role, unit: 'FastFix' },
];

const HIERARCHY: { name: string; kind: UnitKind; parent: string; timezone: string }[] = [
  { name: 'EMEA', kind: 'region', parent: DEMO_TENANT, timezone: 'Europe/Berlin' },
  { name: 'Americas', kind: 'region', parent: DEMO_TENANT, timezone: 'America/New_York' },
  { name: 'Berlin', kind: 'site', parent: 'EMEA', timezone: 'Europe/Berlin' },
  { name: 'Paris', kind: 'site', parent: 'EMEA', timezone: 'Europe/Paris' },
  { name: 'London', kind: 'site', parent: 'EMEA', timezone: 'Europe/London' },
  { name: 'New York', kind: 'site', parent: 'Americas', timezone: 'America/New_York' },
  { name: 'São Paulo', kind: 'site', parent: 'Americas', timezone: 'America/Sao_Paulo' },
  { name: 'Toronto', kind: 'site', parent: 'Americas', timezone: 'America/Toronto' },
  { name: 'FastFix', kind: 'vendor', parent: DEMO_TENANT, timezone: 'Europe/Berlin' },
  { name: 'QuickServe', kind: 'vendor', parent: DEMO_TENANT, timezone: 'America/New_York' },
];

/**
 * Seeds the demo tenant "Acme Field Services" (enterprise → EMEA and Americas → three sites
 * each, vendors FastFix and QuickServe, three demo logins, a published survey in English and
 * German with the touchpoint `support-resolution`) in one atomic batch. Idempotent:
 * when the admin login exists it does nothing. Never for production data.
 */
export async function seedDemoTenant(db: Db): Promise<{ created: boolean; tenantId?: string }> {
  const [existing] = await db.select().from(loginEmails).where(eq(loginEmails.email, DEMO_LOGINS[0]!.email));
  if (existing) return { created: false };

  const tenant = await tenantStatements(db, { name: DEMO_TENANT, adminEmail: DEMO_LOGINS[0]!.email, adminPassword: DEMO_PASSWORD, timezone: 'UTC' });
  const statements = [...tenant.statements];
  const now = Date.now();
  const byName = new Map<string, { id: string; path: string }>([[DEMO_TENANT, { id: tenant.rootUnitId, path: tenant.rootPath }]]);
  for (const u of HIERARCHY) {
    const parent = byName.get(u.parent)!;
    const id = newId('unit');
    const path = `${parent.path}${id}/`;
    byName.set(u.name, { id, path });
    statements.push(db.insert(units).values({ id, tenantId: tenant.tenantId, parentId: parent.id, name: u.name, kind: u.kind, path, timezone: u.timezone, createdAt: now, updatedAt: now }));
  }
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  for (const login of DEMO_LOGINS.slice(1)) {
    const userId = newId('usr');
    statements.push(
      db.insert(users).values({ id: userId, tenantId: tenant.tenantId, email: login.email, name: login.email.split('@')[0]!, passwordHash, createdAt: now, updatedAt: now }),
      db.insert(loginEmails).values({ email: login.email, tenantId: tenant.tenantId, userId }),
      db.insert(roleGrants).values({ id: newId('grt'), tenantId: tenant.tenantId, userId, unitId: byName.get(login.unit)!.id, role: login.role, createdAt: now }),
    );
  }
  // A published survey in English and German, and the support-resolution touchpoint: email,
  // 24 hours after the ticket is resolved.
  const surveyId = newId('srv');
  const definition = standardSurvey(DEMO_TENANT);
  statements.push(
    db.insert(surveys).values({ id: surveyId, tenantId: tenant.tenantId, name: 'Support NPS', defaultLocale: 'en', draft: definition, publishedVersion: 1, createdAt: now, updatedAt: now }),
    db.insert(surveyVersions).values({ id: newId('srv_v'), tenantId: tenant.tenantId, surveyId, version: 1, definition, publishedBy: tenant.adminUserId, createdAt: now }),
    db.insert(touchpoints).values({
      id: newId('tp'),
      tenantId: tenant.tenantId,
      key: 'support-resolution',
      name: 'Support ticket resolved',
      kind: 'support_resolution',
      surveyId,
      channels: ['email'],
      delayMinutes: 24 * 60,
      reminderAfterDays: 3,
      rules: { suppressAfterNegativeDays: 7 },
      active: true,
      createdAt: now,
      updatedAt: now,
    }),
  );
  await commit(db, statements);
  return { created: true, tenantId: tenant.tenantId };
}

/**
 * The demo tenant on the local data plane: in the `eu` shared database, entered in the directory
 * with its three logins. Idempotent like seedDemoTenant.
 */
export async function seedDemoPlane(plane: ScriptPlane, opts: { history?: boolean; dataDir?: string } = {}): Promise<{ created: boolean; databaseUrl: string; history?: HistorySummary }> {
  const eu = (await listDatabases(plane.directory)).find((d) => d.id === 'eu-shared-1');
  if (!eu) throw new Error('the local plane has no eu-shared-1 database');
  const db = openDb(eu.url);
  const seeded = await seedDemoTenant(db);
  let history: HistorySummary | undefined;
  if (seeded.tenantId) {
    try {
      if (opts.history ?? true) history = await seedDemoHistory(eu.url, seeded.tenantId, { file: opts.dataDir ? join(opts.dataDir, `${eu.id}.db`) : undefined });
      const emails = [...DEMO_LOGINS.map((l) => l.email), ...(history ? HISTORY_PEOPLE.map((p) => p.email) : [])];
      await registerTenant(plane.directory, { id: seeded.tenantId, name: DEMO_TENANT, region: 'eu', databaseId: eu.id, emails }, 'seed');
    } catch (err) {
      await deleteTenantRows(db, seeded.tenantId);
      throw err;
    }
  }
  return { created: seeded.created, databaseUrl: eu.url, history };
}
