import { parseArgs } from 'node:util';
import { z } from 'zod';
import { REGIONS } from '../src/db/directory-schema';
import { randomSecret } from '../src/lib/ids';
import { isTimeZone } from '../src/org/units';
import { provisionTenant, withPlane } from './plane';

/**
 * `npm run tenant:create -- --name NAME --admin-email EMAIL [--region eu|us] [--dedicated]
 * [--timezone TZ] [--json]`: creates a tenant with its root unit and first admin in the region's
 * shared data database (or a new dedicated one), enters it in the directory, and prints the
 * admin's one-time password once. The admin's email may have accounts in other tenants.
 */
const USAGE = 'usage: npm run tenant:create -- --name NAME --admin-email EMAIL [--region eu|us] [--dedicated] [--timezone TZ] [--json]';
const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    'admin-email': { type: 'string' },
    region: { type: 'string', default: 'eu' },
    dedicated: { type: 'boolean', default: false },
    timezone: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const input = z
  .object({
    name: z.string().trim().min(1).max(200),
    adminEmail: z.string().trim().toLowerCase().pipe(z.email()),
    region: z.enum(REGIONS),
    timezone: z.string().refine(isTimeZone, 'not a known IANA time zone').optional(),
  })
  .safeParse({ name: values.name, adminEmail: values['admin-email'], region: values.region, timezone: values.timezone });
if (!input.success) {
  console.error(`${USAGE}\n${input.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  process.exit(2);
}
const password = randomSecret(15);
try {
  const tenant = await withPlane((plane) => provisionTenant(plane, { ...input.data, adminPassword: password, dedicated: values.dedicated }));
  if (values.json) console.log(JSON.stringify({ tenantId: tenant.tenantId, adminEmail: tenant.adminEmail, password, region: tenant.region, databaseId: tenant.databaseId }));
  else console.log(`tenant ${tenant.tenantId} created in ${tenant.databaseId} (${tenant.region})\nadmin: ${tenant.adminEmail}\none-time password: ${password}`);
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
