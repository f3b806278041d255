import { createClient } from '@libsql/client';
const client = createClient({ url: 'file:/tmp/q.db' });
const T = 'ten_q';
const from = Date.now() - 90 * 86400000;
const base = `from responses r join units u on u.tenant_id = '${T}' and u.id = r.unit_id
  left join invitations i on i.tenant_id = '${T}' and i.id = r.invitation_id
  left join events e on e.tenant_id = '${T}' and e.event_id = case when i.source like 'event:%' then substr(i.source, 7) end
  left join events e2 on e2.tenant_id = '${T}' and e2.id = r.event_id
  where r.tenant_id = '${T}' and u.path >= '/root/' and u.path < '/root0' and r.counted = 1 and r.score is not null and r.created_at >= ${from}`;
const num = (j: string, p: string) => `case json_type(${j}, '${p}') when 'integer' then json_extract(${j}, '${p}') when 'real' then json_extract(${j}, '${p}') when 'true' then 1 when 'false' then 0 end`;
const variants: Record<string, string> = {
  scoreOnly: `select r.score ${base}`,
  scoreOrdered: `select r.score ${base} order by r.id`,
  attrsRaw: `select r.score, e.attributes, e2.attributes ${base}`,
  multiPath: `select r.score, json_extract(e.attributes, '$.resolutionHours', '$.reopened'), json_extract(e2.attributes, '$.resolutionHours', '$.reopened') ${base}`,
  current: `select r.score, coalesce(${num('e.attributes', '$.resolutionHours')}, ${num('e2.attributes', '$.resolutionHours')}), coalesce(${num('e.attributes', '$.reopened')}, ${num('e2.attributes', '$.reopened')}) ${base}`,
};
for (const [name, q] of Object.entries(variants)) {
  const t0 = performance.now();
  const r = await client.execute(q);
  console.log(name, r.rows.length, (performance.now() - t0).toFixed(0), 'ms');
}
const plan = await client.execute(`explain query plan select r.score ${base}`);
console.log(plan.rows.map((r) => r.detail).join('\n'));
