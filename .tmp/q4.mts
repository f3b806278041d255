import { createClient } from '@libsql/client';
const client = createClient({ url: 'file:/tmp/q.db' });
const T = 'ten_q';
const from = Date.now() - 90 * 86400000;
const base = (joins: string) => `from responses r join units u on u.tenant_id = '${T}' and u.id = r.unit_id ${joins}
  where r.tenant_id = '${T}' and u.path >= '/root/' and u.path < '/root0' and r.counted = 1 and r.score is not null and r.created_at >= ${from}`;
const J = `left join invitations i on i.tenant_id = '${T}' and i.id = r.invitation_id
  left join events e on e.tenant_id = '${T}' and e.event_id = case when i.source like 'event:%' then substr(i.source, 7) end`;
for (const [name, q] of Object.entries({
  countNoJoin: `select count(*) ${base('')}`,
  countInv: `select count(*) ${base(`left join invitations i on i.tenant_id = '${T}' and i.id = r.invitation_id`)}`,
  countEvents: `select count(*) ${base(J)}`,
  grouped: `select r.score, json_extract(e.attributes, '$.resolutionHours'), count(*) ${base(J)} group by 1, 2`,
  countPlainResponses: `select count(*) from responses r where r.tenant_id = '${T}' and r.created_at >= ${from}`,
})) {
  const t0 = performance.now();
  const r = await client.execute(q);
  console.log(name, r.rows.length, JSON.stringify(r.rows[0]), (performance.now() - t0).toFixed(0), 'ms');
  if (name === 'countEvents') console.log((await client.execute(`explain query plan ${q}`)).rows.map((x) => x.detail).join(' | '));
}
