import { DEMO_TENANT, seedDemoTenant } from './demo-tenant';
import { withDatabase } from './database';

// The demo tenant is for local development only.
if (process.env.ENVIRONMENT === 'production' || /^(libsql|https|wss):/.test(process.env.LIBSQL_URL ?? '')) {
  console.error('refusing to seed demo data into a production database');
  process.exit(2);
}
const { created } = await withDatabase(seedDemoTenant);
console.log(created ? `seeded "${DEMO_TENANT}"` : `"${DEMO_TENANT}" already present; nothing changed`);
