import { parseArgs } from 'node:util';
import { deleteTenant } from '../src/tenancy/lifecycle';
import { dataDb, placementOf, withPlane } from './plane';

/**
 * `npm run tenant:delete -- --tenant ID --confirm ID`: deletes a tenant and every row of it in
 * every table; its directory entry goes too (the directory's audit row stays).
 */
const { values } = parseArgs({ options: { tenant: { type: 'string' }, confirm: { type: 'string' } }, strict: true });
if (!values.tenant || values.confirm !== values.tenant) {
  console.error('usage: npm run tenant:delete -- --tenant ID --confirm ID   (the same id twice)');
  process.exit(2);
}
const tenantId = values.tenant;
try {
  const held = await withPlane(async (plane) => {
    const placement = await placementOf(plane, tenantId);
    if (!placement) throw new Error(`no tenant ${tenantId} in the directory`);
    return deleteTenant(plane.directory, tenantId, await dataDb(plane, placement.databaseId), 'tenant:delete');
  });
  const rows = Object.values(held).reduce((n, t) => n + t.rows, 0);
  console.log(`tenant ${tenantId} deleted: ${rows} rows`);
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
