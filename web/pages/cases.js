// Cases inbox (mine, my team, overdue) and the case page with its timeline and status changes.
import { api, attempt, errorBox, fmtDate, h, main, plural, setNotice, setTitle, table, Unauthorized } from '../lib.js';

const TRANSITIONS = { open: ['contacted', 'closed'], contacted: ['resolved', 'closed'], resolved: ['open'], closed: ['open'] };

async function casesPage(params) {
  const scope = params.get('scope') ?? 'subtree';
  const overdue = params.get('overdue') === 'true';
  const list = await api('GET', `/api/v1/cases?scope=${scope}${overdue ? '&overdue=true' : ''}`);
  setTitle('Cases');
  const go = (s, o) => (location.hash = `#/cases?scope=${s}${o ? '&overdue=true' : ''}`);
  const scopeSel = h(
    'select',
    { id: 'scope', onchange: (e) => go(e.target.value, overdue) },
    h('option', { value: 'mine', selected: scope === 'mine' }, 'Mine'),
    h('option', { value: 'subtree', selected: scope === 'subtree' }, 'My team (all in reach)'),
  );
  const overdueBox = h('input', { id: 'overdue', type: 'checkbox', checked: overdue, onchange: (e) => go(scope, e.target.checked) });
  main.append(
    h('div', { class: 'row' }, h('label', { for: 'scope' }, 'Show', scopeSel), h('label', { for: 'overdue', style: 'display:flex;gap:.5rem;align-items:center' }, overdueBox, 'Overdue only')),
  );
  if (!list.items.length) return main.append(h('p', {}, 'No cases.'));
  main.append(
    table(
      `${plural(list.items.length, 'case')}`,
      ['Case', 'Unit', 'Score', 'Status', 'Resolve by'],
      list.items.map((k) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('a', { href: `#/cases/${k.id}` }, k.kind === 'at_risk' ? `Account at risk: ${k.accountId}` : k.comment ? k.comment.slice(0, 40) : `Case ${k.id.slice(-6)}`)),
          h('td', {}, k.unitName),
          h('td', { class: 'num' }, k.score === null ? '—' : String(k.score)),
          h('td', {}, h('span', { class: 'tag' }, k.status), k.overdue ? h('span', { class: 'tag overdue' }, ' overdue') : ''),
          h('td', {}, fmtDate(k.resolutionDueAt)),
        ),
      ),
    ),
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
      h('dt', {}, 'First contact by'),
      h('dd', {}, fmtDate(k.firstContactDueAt)),
      h('dt', {}, 'Resolve by'),
      h('dd', {}, fmtDate(k.resolutionDueAt)),
    ),
  );
  const next = TRANSITIONS[k.status] ?? [];
  const out = h('div', { 'aria-live': 'polite' });
  const status = h(
    'select',
    { id: 'status' },
    h('option', { value: '' }, '(keep)'),
    next.map((s) => h('option', { value: s }, s)),
  );
  const note = h('textarea', { id: 'note', rows: 2 });
  const reason = h('input', { id: 'reason', type: 'text' });
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
          try {
            await api('PATCH', `/api/v1/cases/${k.id}`, body);
            setNotice('Saved.');
            await casePage(id);
          } catch (err) {
            if (!(err instanceof Unauthorized)) out.replaceChildren(errorBox(err));
          }
        },
      },
      h('label', { for: 'status' }, 'New status', status),
      h('label', { for: 'reason' }, 'Reason (needed to resolve or close)', reason),
      h('label', { for: 'note' }, 'Note', note),
      h('button', { type: 'submit' }, 'Save'),
      out,
    ),
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
