// Before and after an annotation: GET /api/v1/scores?around=<id> — the weeks from the annotated
// day on against as many weeks before it, with the two-sample test; by unit below when there are
// units below. Every number from the API.
import { ANNOTATION_KINDS, api, crumbs, deltaCell, fmtNps, h, lowSampleMark, main, npsCell, session, setTitle, table } from '../lib.js';

const WEEKS = [2, 4, 8, 13];

function windowCard(label, w, item) {
  return h(
    'div',
    { class: 'card' },
    h('div', {}, `${label}: ${w.from} to ${w.to}`),
    h('div', { class: `big${item.suppressed ? ' suppressed' : ''}` }, item.suppressed ? (item.n ? 'Too few answers' : 'No answers') : fmtNps(item.nps)),
    h('div', {}, `n = ${item.n}`, item.ci ? `, interval ${fmtNps(item.ci.low)} to ${fmtNps(item.ci.high)}` : '', lowSampleMark(item)),
  );
}

export default async function around({ params }) {
  const id = params.get('id');
  // The page starts afresh at once (never an error under the previous page's content).
  setTitle('Before and after');
  if (!id) {
    main.append(h('p', { class: 'msg' }, "Choose an event first: the Events column of the dashboard's trend tables links each one to its before and after."));
    return;
  }
  const weeks = WEEKS.includes(Number(params.get('weeks'))) ? Number(params.get('weeks')) : 4;
  const total = await api('GET', `/api/v1/scores?around=${encodeURIComponent(id)}&aroundWeeks=${weeks}`);
  const a = total.around.annotation;
  const unit = session().byId.get(a.unitId);
  const byUnit = unit ? await api('GET', `/api/v1/scores?around=${encodeURIComponent(id)}&aroundWeeks=${weeks}&groupBy=unit`) : { items: [] };
  setTitle(`Before and after: ${a.title}`);
  const all = total.items[0];
  const weeksSel = h(
    'select',
    { id: 'around-weeks', onchange: (e) => (location.hash = `#/around?id=${id}&weeks=${e.target.value}`) },
    WEEKS.map((w) => h('option', { value: w, selected: w === weeks }, `${w} weeks each side`)),
  );
  const verdict = all.delta
    ? all.delta.p < 0.05
      ? `A significant change of ${all.delta.points > 0 ? '+' : ''}${fmtNps(all.delta.points)} points (${all.delta.p < 0.001 ? 'p < 0.001' : `p = ${all.delta.p.toFixed(3)}`}).`
      : `A change of ${all.delta.points > 0 ? '+' : ''}${fmtNps(all.delta.points)} points, within noise (p = ${all.delta.p.toFixed(3)}).`
    : 'Not comparable: too few answers on one side.';
  main.append(
    unit ? crumbs(unit) : '',
    h('p', {}, `${ANNOTATION_KINDS[a.kind] ?? a.kind} on ${a.date}${unit ? ` at ${unit.name}` : ''}.`),
    h('div', { class: 'row' }, h('label', { for: 'around-weeks' }, 'Window', weeksSel)),
    h('div', { class: 'cards' }, windowCard('Before', total.around.before, all.before), windowCard('After', total.around.after, all)),
    h('p', { 'data-testid': 'around-verdict' }, verdict, ' The test says whether the change is larger than sampling noise, not what caused it.'),
  );
  const rows = byUnit.items.filter((i) => i.key !== a.unitId);
  if (rows.length)
    main.append(
      h('h2', {}, 'By unit'),
      table(
        `Units under ${unit.name}: after, before and the change; ★ marks a significant change (p < 0.05)`,
        ['Unit', 'After', 'Before', 'Change'],
        rows.map((i) => h('tr', {}, h('th', { scope: 'row' }, session().byId.get(i.key)?.name ?? i.key), npsCell(i), npsCell(i.before), deltaCell(i))),
      ),
    );
}
