import { createClient } from '@libsql/client';
const client = createClient({ url: 'file:/tmp/q.db' });
for (const q of [`select score from responses where tenant_id = 'ten_q'`, `select count(*) from responses r join invitations i on i.id = r.invitation_id where r.tenant_id = 'ten_q'`, `select count(*) from responses where tenant_id = 'ten_q'`]) {
  const t0 = performance.now();
  const r = await client.execute(q);
  console.log(q.slice(0, 60), r.rows.length, (performance.now() - t0).toFixed(0), 'ms');
}
