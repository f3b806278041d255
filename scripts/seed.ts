import { DEMO_TENANT, seedDemoPlane } from './demo-tenant';
import { withPlane } from './plane';

// The demo tenant is for local development only.
if (process.env.ENVIRONMENT === 'production' || /^(libsql|https|wss):/.test(process.env.DIRECTORY_URL ?? '')) {
  console.error('refusing to seed demo data into a production directory');
  process.exit(2);
}
const { created } = await withPlane(seedDemoPlane);
console.log(created ? `seeded "${DEMO_TENANT}"` : `"${DEMO_TENANT}" already present; nothing changed`);
