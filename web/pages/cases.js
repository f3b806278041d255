// Cases inbox (mine, my team; filtered by status, unit, score and age; sorted; the owner and the
// time left to the next target) and the case page: its timeline, status changes explained, root
// cause and tags, and reassignment.
import { api, attempt, errorBox, firstContent, fmtDate, h, main, plural, session, setNotice, setTitle, table, Unauthorized, unitSelect } from '../lib.js';

const TRANSITIONS = { open: ['contacted', 'closed'], contacted: ['resolved', 'closed'], resolved: ['open'], closed: ['open'] };
const STATUS_WORDS = { contacted: 'contacted (you reached the customer)', resolved: 'resolved (the problem is fixed)', closed: 'closed (nothing more can be done)', open: 'open again (reopen)' };

/** Score bands of the filter: the API's scoreMin and scoreMax. */
const SCORES = { '0-3': [0, 3], '4-6': [4, 6], '0-6': [0, 6], '7-8': [7, 8], '9-10': [9, 10] };
/** Age filters: the API's minAgeDays / maxAgeDays. */
const AGES = {
  new: ['Opened today', { maxAgeDays: 1 }],
  1: ['Older than 1 day', { minAgeDays: 1 }],
  3: ['Older than 3 days', { minAgeDays: 3 }],
  7: ['Older than a week', { minAgeDays: 7 }],
  30: ['Older than 30 days', { minAgeDays: 30 }],
};
const SORTS = { newest: 'Newest first', oldest: 'Oldest first', due: 'Next target soonest', score: 'Lowest score first' };

/** "3 h left to first contact", "2 d 4 h late for resolution", or "—" once resolved or closed (from the API's nextDueAt). */
export function timeLeft(k, now = Date.now()) {
  if (!k.nextDueAt) return '—';
  const ms = Date.parse(k.nextDueAt) - now;
  const hours = Math.floor(Math.abs(ms) / 3_600_000);
  const span = hours >= 48 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : hours >= 1 ? `${hours} h` : `${Math.max(1, Math.floor(Math.abs(ms) / 60_000))} min`;
  const target = k.nextTarget === 'first_contact' ? 'first contact' : 'resolution';
  return ms >= 0 ? `${span} left to ${target}` : `${span} late for ${target}`;
}

/** The API query of the page's hash parameters. */
function listQuery(params) {
  const q = new URLSearchParams();
  q.set('scope', params.get('scope') ?? 'subtree');
  for (const k of ['status', 'unitId', 'sort']) if (params.get(k)) q.set(k, params.get(k));
  if (params.get('overdue') === 'true') q.set('overdue', 'true');
  const score = SCORES[params.get('score')];
  if (score) q.set('scoreMin', score[0]), q.set('scoreMax', score[1]);
  for (const [k, v] of Object.entries(AGES[params.get('age')]?.[1] ?? {})) q.set(k, v);
  q.set('limit', '50');
  return q;
}

function select(id, current, options, any) {
  return h(
    'select',
    { id },
    any ? h('option', { value: '' }, any) : null,
    Object.entries(options).map(([v, label]) => h('option', { value: v, selected: current === v }, Array.isArray(label) ? label[0] : label)),
  );
}

function caseFilters(params) {
  const s = session();
  const scope = select('scope', params.get('scope') ?? 'subtree', { mine: 'Mine', subtree: 'My team (all in reach)' });
  const status = select('f-status', params.get('status') ?? '', { open: 'open', contacted: 'contacted', resolved: 'resolved', closed: 'closed' }, 'Any');
  const unit = unitSelect('f-unit', s.units, params.get('unitId') ?? '');
  unit.required = false;
  unit.prepend(h('option', { value: '', selected: !params.get('unitId') }, 'Everything in reach'));
  const score = select('f-score', params.get('score') ?? '', { '0-3': '0–3', '4-6': '4–6', '0-6': 'Detractors (0–6)', '7-8': 'Passives (7–8)', '9-10': 'Promoters (9–10)' }, 'Any');
  const age = select('f-age', params.get('age') ?? '', AGES, 'Any age');
  const sort = select('f-sort', params.get('sort') ?? 'newest', SORTS);
  const overdue = h('input', { id: 'overdue', type: 'checkbox', checked: params.get('overdue') === 'true' });
  return h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filters',
      onsubmit: (e) => {
        e.preventDefault();
        const p = new URLSearchParams();
        p.set('scope', scope.value);
        if (status.value) p.set('status', status.value);
        if (unit.value) p.set('unitId', unit.value);
        if (score.value) p.set('score', score.value);
        if (age.value) p.set('age', age.value);
        if (sort.value !== 'newest') p.set('sort', sort.value);
        if (overdue.checked) p.set('overdue', 'true');
        location.hash = `#/cases?${p}`;
      },
    },
    h('label', { for: 'scope' }, 'Show', scope),
    h('label', { for: 'f-status' }, 'Status', status),
    h('label', { for: 'f-unit' }, 'Unit', unit),
    h('label', { for: 'f-score' }, 'Score', score),
    h('label', { for: 'f-age' }, 'Age', age),
    h('label', { for: 'f-sort' }, 'Sort', sort),
    h('label', { for: 'overdue', class: 'check' }, overdue, 'Overdue only'),
    h('button', { type: 'submit' }, 'Apply filters'),
  );
}

const caseRow = (k, now) =>
  h(
    'tr',
    {},
    h('th', { scope: 'row' }, h('a', { href: `#/cases/${k.id}` }, k.kind === 'at_risk' ? `Account at risk: ${k.accountId}` : k.comment ? k.comment.slice(0, 40) : `Case ${k.id.slice(-6)}`)),
    h('td', {}, k.unitName),
    h('td', { class: 'num' }, k.score === null ? '—' : String(k.score)),
    h('td', {}, h('span', { class: 'tag' }, k.status), k.overdue ? [' ', h('span', { class: 'tag overdue' }, 'overdue')] : ''),
    h('td', { class: 'owner' }, k.ownerName ?? 'nobody'),
    h('td', { class: k.overdue ? 'late' : undefined }, timeLeft(k, now)),
    h('td', {}, fmtDate(k.createdAt)),
  );

async function casesPage(params) {
  const q = listQuery(params);
  const list = await api('GET', `/api/v1/cases?${q}`);
  setTitle('Cases');
  main.append(caseFilters(params));
  if (!list.items.length) return main.append(firstContent(h('p', { role: 'status' }, 'No cases match.')));
  const now = Date.now();
  const body = [];
  let count = list.items.length;
  const wrap = firstContent(
    table(
      `${plural(count, 'case')}${list.nextOffset !== null ? ', more below' : ''}`,
      ['Case', 'Unit', 'Score', 'Status', 'Owner', 'Time left', 'Opened'],
      list.items.map((k) => caseRow(k, now)),
    ),
  );
  body.push(wrap);
  let next = list.nextOffset;
  const out = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: next === null }, 'Load more');
  more.addEventListener('click', () =>
    attempt(out, async () => {
      q.set('offset', String(next));
      const page = await api('GET', `/api/v1/cases?${q}`);
      wrap.querySelector('tbody').append(...page.items.map((k) => caseRow(k, now)));
      count += page.items.length;
      next = page.nextOffset;
      more.hidden = next === null;
      wrap.querySelector('caption').textContent = `${plural(count, 'case')}${next !== null ? ', more below' : ''}`;
    }),
  );
  main.append(...body, more, out);
}

/** Reassignment: for admins, managers and vendors over the unit (the API lists who may own the case; 403 for others: no form). */
async function reassignForm(k, reload) {
  const owners = await api('GET', `/api/v1/cases/${k.id}/owners`).then(
    (r) => r.items,
    () => null,
  );
  if (!owners) return null;
  const out = h('div', { 'aria-live': 'polite' });
  const owner = h(
    'select',
    { id: 'case-owner' },
    owners.map((o) => h('option', { value: o.id, selected: o.id === k.ownerUserId }, `${o.name || o.email} (${o.email})`)),
  );
  return h(
    'section',
    { 'aria-labelledby': 'owner-heading' },
    h('h2', { id: 'owner-heading' }, 'Owner'),
    h('p', {}, 'Hand the case to someone who can work it: admins, managers, vendors and agents of this unit or above it. The timeline keeps who handed it to whom.'),
    h(
      'form',
      {
        class: 'row reassign',
        onsubmit: (e) => {
          e.preventDefault();
          attempt(out, async () => {
            if (owner.value === k.ownerUserId) throw new Error('The case already has this owner.');
            await api('PATCH', `/api/v1/cases/${k.id}`, { ownerUserId: owner.value });
            setNotice(`Reassigned to ${owner.selectedOptions[0].textContent}.`);
            await reload();
          });
        },
      },
      h('label', { for: 'case-owner' }, 'New owner', owner),
      h('button', { type: 'submit', class: 'secondary' }, 'Reassign'),
    ),
    out,
  );
}

async function casePage(id) {
  const k = await api('GET', `/api/v1/cases/${id}`);
  setTitle(`Case in ${k.unitName}`);
  main.append(
    h('p', {}, h('a', { href: '#/cases' }, '← All cases')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Status'),
      h('dd', { 'data-testid': 'case-status' }, k.status, k.overdue ? ' (overdue)' : ''),
      ...(k.kind === 'at_risk'
        ? [h('dt', {}, 'Account at risk'), h('dd', {}, h('a', { href: `#/account?id=${encodeURIComponent(k.accountId)}` }, k.accountId))]
        : [h('dt', {}, 'Score'), h('dd', {}, String(k.score))]),
      h('dt', {}, 'Comment'),
      h('dd', {}, k.comment ?? '—'),
      h('dt', {}, 'Contact'),
      h('dd', {}, k.contact ? [k.contact.email, k.contact.phone].filter(Boolean).join(', ') || k.contact.externalId : '—'),
      h('dt', {}, 'Owner'),
      h('dd', { 'data-testid': 'case-owner' }, k.ownerName ?? 'nobody'),
      h('dt', {}, 'Time left'),
      h('dd', {}, timeLeft(k)),
      h('dt', {}, 'First contact by'),
      h('dd', {}, fmtDate(k.firstContactDueAt)),
      h('dt', {}, 'Resolve by'),
      h('dd', {}, fmtDate(k.resolutionDueAt)),
      h('dt', {}, 'Root cause'),
      h('dd', { 'data-testid': 'case-root-cause' }, k.rootCause ?? '—'),
      h('dt', {}, 'Tags'),
      h('dd', { 'data-testid': 'case-tags' }, k.tags.length ? k.tags.map((t) => h('span', { class: 'tag' }, t)) : '—'),
    ),
  );
  const next = TRANSITIONS[k.status] ?? [];
  const out = h('div', { 'aria-live': 'polite' });
  const status = h(
    'select',
    { id: 'status', 'aria-describedby': 'status-help' },
    h('option', { value: '' }, '(keep)'),
    next.map((s) => h('option', { value: s }, s)),
  );
  const note = h('textarea', { id: 'note', rows: 2 });
  const reason = h('input', { id: 'reason', type: 'text' });
  const rootCause = h('input', { id: 'root-cause', type: 'text', maxlength: 500, value: k.rootCause ?? '' });
  const tags = h('input', { id: 'tags', type: 'text', value: k.tags.join(', '), 'aria-describedby': 'tags-help' });
  const tagList = () => [
    ...new Set(
      tags.value
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
  main.append(
    h('h2', {}, 'Work the case'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = {};
          if (status.value) body.status = status.value;
          if (note.value.trim()) body.note = note.value.trim();
          if (reason.value.trim()) body.reason = reason.value.trim();
          if (rootCause.value.trim() !== (k.rootCause ?? '')) body.rootCause = rootCause.value.trim() || null;
          if (tagList().join('\u0000') !== k.tags.join('\u0000')) body.tags = tagList();
          try {
            if (!Object.keys(body).length) throw new Error('Nothing to save: choose a status, or write a note, a root cause or tags.');
            await api('PATCH', `/api/v1/cases/${k.id}`, body);
            setNotice('Saved.');
            await casePage(id);
          } catch (err) {
            if (!(err instanceof Unauthorized)) out.replaceChildren(errorBox(err));
          }
        },
      },
      h('label', { for: 'status' }, 'New status', status),
      h(
        'p',
        { id: 'status-help', class: 'help' },
        next.length
          ? `A case that is ${k.status} can become ${next.map((s) => STATUS_WORDS[s]).join(' or ')}. Open → contacted → resolved; closed when nothing can be done; resolved and closed cases can be reopened. Resolving or closing needs a reason: it stays in the timeline and the audit trail, so whoever reads the case later knows why.`
          : '',
      ),
      h('label', { for: 'reason' }, 'Reason (needed to resolve or close)', reason),
      h('label', { for: 'note' }, 'Note', note),
      h('label', { for: 'root-cause' }, 'Root cause', rootCause),
      h('label', { for: 'tags' }, 'Tags', tags),
      h('p', { id: 'tags-help', class: 'help' }, 'Separated by commas, e.g. scheduling, parts.'),
      h('button', { type: 'submit' }, 'Save'),
      out,
    ),
    (await reassignForm(k, () => casePage(id))) ?? '',
    await replyForm(k, () => casePage(id)),
    h('h2', {}, 'Timeline'),
    h(
      'ol',
      { class: 'timeline' },
      (k.timeline ?? []).map((ev) =>
        h(
          'li',
          {},
          h('strong', {}, ev.type),
          ` ${fmtDate(ev.createdAt)}`,
          ev.fromStatus !== ev.toStatus && ev.toStatus ? ` · ${ev.fromStatus ?? '—'} → ${ev.toStatus}` : '',
          ev.note ? ` · ${ev.note}` : '',
          ev.reason ? ` · reason: ${ev.reason}` : '',
          ev.details?.rootCause ? ` · root cause: ${ev.details.rootCause}` : '',
          ev.details?.tags ? ` · tags: ${ev.details.tags.join(', ')}` : '',
        ),
      ),
    ),
  );
}

/**
 * "Reply to the customer": a template rendered for this case by the API (placeholders filled in
 * the contact's locale), edited here, then kept in the timeline as a note. The API has no
 * endpoint that emails the customer, so the reply is also offered as an email draft (mailto).
 */
async function replyForm(k, reload) {
  const templates = await api('GET', '/api/v1/reply-templates').then(
    (r) => r.items,
    () => [],
  );
  // Templates of the themes the comment mentions (docs/themes.md) come first, marked as suggested.
  const mentioned = new Set((k.themes ?? []).map((t) => t.name.toLowerCase()));
  const suggested = (theme) => mentioned.has(theme.toLowerCase());
  const themes = [...new Set(templates.map((t) => t.theme))].sort((a, b) => Number(suggested(b)) - Number(suggested(a)));
  if (!themes.length) return h('p', {}, 'No reply templates yet: an administrator adds them.');
  const out = h('div', { 'aria-live': 'polite' });
  const template = h(
    'select',
    { id: 'reply-template' },
    h('option', { value: '' }, 'Choose a template'),
    themes.map((t) => h('option', { value: t }, suggested(t) ? `${t} (suggested)` : t)),
  );
  const subject = h('input', { id: 'reply-subject', required: true, maxlength: 300 });
  const body = h('textarea', { id: 'reply-body', rows: 6, required: true, maxlength: 3500 });
  const email = k.contact?.email;
  const draft = h('a', { hidden: !email }, 'Open as an email draft');
  const syncDraft = () => email && draft.setAttribute('href', `mailto:${email}?subject=${encodeURIComponent(subject.value)}&body=${encodeURIComponent(body.value)}`);
  syncDraft();
  subject.addEventListener('input', syncDraft);
  body.addEventListener('input', syncDraft);
  template.addEventListener('change', () =>
    attempt(out, async () => {
      if (!template.value) return;
      const r = await api('GET', `/api/v1/cases/${k.id}/reply?theme=${encodeURIComponent(template.value)}`);
      subject.value = r.subject;
      body.value = r.body;
      syncDraft();
    }),
  );
  return h(
    'section',
    { 'aria-labelledby': 'reply-heading' },
    h('h2', { id: 'reply-heading' }, 'Reply to the customer'),
    mentioned.size ? h('p', {}, `The comment mentions: ${(k.themes ?? []).map((t) => t.name).join(', ')}.`) : null,
    h(
      'form',
      {
        class: 'stack',
        onsubmit: (e) => {
          e.preventDefault();
          attempt(out, async () => {
            await api('PATCH', `/api/v1/cases/${k.id}`, { note: `Reply to the customer: ${subject.value.trim()}\n\n${body.value.trim()}` });
            setNotice('Reply added to the timeline.');
            await reload();
          });
        },
      },
      h('label', { for: 'reply-template' }, 'Reply template', template),
      h('label', { for: 'reply-subject' }, 'Subject', subject),
      h('label', { for: 'reply-body' }, 'Message', body),
      h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Add reply to timeline'), draft),
      out,
    ),
  );
}

export default function cases({ parts, params }) {
  return parts[1] ? casePage(parts[1]) : casesPage(params);
}
