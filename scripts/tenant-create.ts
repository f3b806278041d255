import { parseArgs } from 'node:util';
import { z } from 'zod';
import { randomSecret } from '../src/lib/ids';
import { createTenant } from '../src/org/tenants';
import { isTimeZone } from '../src/org/units';
import { withDatabase } from './database';

/**
 * `npm run tenant:create -- --name NAME --admin-email EMAIL [--timezone TZ] [--json]`:
 * creates a tenant with its root unit and first admin, whose one-time password is generated
 * and printed once. The admin's email may have accounts in other tenants (docs/access.md).
 */
const { values } = parseArgs({
  options: { name: { type: 'string' }, 'admin-email': { type: 'string' }, timezone: { type: 'string' }, json: { type: 'boolean', default: false } },
  strict: true,
});
const input = z
  .object({ name: z.string().trim().min(1).max(200), adminEmail: z.string().trim().toLowerCase().pipe(z.email()), timezone: z.string().refine(isTimeZone, 'not a known IANA time zone').optional() })
  .safeParse({ name: values.name, adminEmail: values['admin-email'], timezone: values.timezone });
if (!input.success) {
  console.error(`usage: npm run tenant:create -- --name NAME --admin-email EMAIL [--timezone TZ] [--json]\n${input.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  process.exit(2);
}
const password = randomSecret(15);
try {
  const tenant = await withDatabase((db) => createTenant(db, { name: input.data.name, adminEmail: input.data.adminEmail, adminPassword: password, timezone: input.data.timezone }));
  if (values.json) console.log(JSON.stringify({ tenantId: tenant.tenantId, adminEmail: tenant.adminEmail, password }));
  else console.log(`tenant ${tenant.tenantId} created\nadmin: ${tenant.adminEmail}\none-time password: ${password}`);
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
