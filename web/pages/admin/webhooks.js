// Webhooks: endpoints, a new one (its signing secret shown once), events, pause and resume,
// secret rotation, removal, and an endpoint's delivery log with replays.
import { api, attempt, field, fmtDate, h, main, plural, setNotice, setTitle, shownOnce, table } from '../../lib.js';

/** The event types, as the API's OpenAPI document lists them (no second copy in the portal). */
let eventTypes;
async function loadEventTypes() {
  if (!eventTypes) {
    const doc = await api('GET', '/api/openapi.json');
    eventTypes = doc.components?.schemas?.Webhook?.properties?.events?.items?.enum ?? [];
  }
  return eventTypes;
}

function eventBoxes(prefix, checked) {
  return h(
    'fieldset',
    { class: 'choices' },
    h('legend', {}, 'Events'),
    eventTypes.map((ev) => {
      const id = `${prefix}-${ev.replace(/\W/g, '-')}`;
      return h('label', { for: id, class: 'check' }, h('input', { id, type: 'checkbox', value: ev, checked: checked.includes(ev) }), ev);
    }),
  );
}
const checkedIn = (fieldset) => [...fieldset.querySelectorAll('input:checked')].map((i) => i.value);

const pauseLabel = (w) => (w.active ? 'Pause' : 'Resume');

async function webhooksPage(back, created) {
  const [{ items }] = await Promise.all([api('GET', '/api/v1/webhooks'), loadEventTypes()]);
  setTitle('Webhooks');
  main.append(back);
  if (created) main.append(shownOnce(`Signing secret of ${created.url}`, created.secret, 'Configure your receiver with it now (Standard Webhooks, webhook-signature header): it is not shown again.'));
  const out = h('div', { 'aria-live': 'polite' });
  if (!items.length) main.append(h('p', {}, 'No endpoints yet.'));
  else
    main.append(
      table(
        `${plural(items.length, 'endpoint')}`,
        ['Endpoint', 'Events', 'State', ''],
        items.map((w) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, h('a', { href: `#/admin/webhooks/${w.id}` }, w.url)),
            h('td', {}, w.events.join(', ')),
            h('td', {}, h('span', { class: 'tag' }, w.active ? 'active' : 'paused')),
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-label': `${pauseLabel(w)} ${w.url}`,
                  onclick: async () => {
                    if (await attempt(out, () => api('PATCH', `/api/v1/webhooks/${w.id}`, { active: !w.active }))) {
                      setNotice(w.active ? `Paused ${w.url}.` : `Resumed ${w.url}.`);
                      await webhooksPage(back);
                    }
                  },
                },
                pauseLabel(w),
              ),
            ),
          ),
        ),
      ),
    );
  main.append(out);

  const url = h('input', { id: 'hook-url', type: 'url', required: true, placeholder: 'https://example.com/nps-events' });
  const events = eventBoxes('hook-ev', eventTypes);
  const createOut = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'New endpoint'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          const hook = await attempt(createOut, () => api('POST', '/api/v1/webhooks', { url: url.value.trim(), events: checkedIn(events) }));
          if (hook) await webhooksPage(back, hook);
        },
      },
      field('hook-url', 'URL', url),
      events,
      h('button', { type: 'submit' }, 'Add endpoint'),
      createOut,
    ),
  );
}

async function webhookPage(id, params, back, rotated) {
  const status = params.get('status') ?? '';
  const [{ items }] = await Promise.all([api('GET', '/api/v1/webhooks'), loadEventTypes()]);
  const w = items.find((x) => x.id === id);
  if (!w) throw new Error('That endpoint does not exist.');
  const log = await api('GET', `/api/v1/webhooks/${id}/deliveries?limit=100${status ? `&status=${status}` : ''}`);
  setTitle(`Webhook: ${w.url}`);
  const reload = async (message, secret) => {
    setNotice(message);
    await webhookPage(id, params, back, secret);
  };
  main.append(back, h('p', {}, h('a', { href: '#/admin/webhooks' }, '← Webhooks')));
  if (rotated) main.append(shownOnce('New signing secret', rotated, 'Update your receiver now: it is not shown again. The previous secret keeps signing beside it for 24 hours.'));
  main.append(
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'State'),
      h('dd', {}, w.active ? 'active' : 'paused'),
      h('dt', {}, 'Created'),
      h('dd', {}, fmtDate(w.createdAt)),
      h('dt', {}, 'Previous secret'),
      h('dd', {}, w.previousSecretExpiresAt ? `signs too until ${fmtDate(w.previousSecretExpiresAt)}` : '—'),
    ),
  );

  const events = eventBoxes('edit-ev', w.events);
  const editOut = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'Events and state'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          if (await attempt(editOut, () => api('PATCH', `/api/v1/webhooks/${id}`, { events: checkedIn(events) }))) await reload('Saved.');
        },
      },
      events,
      h('button', { type: 'submit' }, 'Save events'),
      editOut,
    ),
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: async () => {
            if (await attempt(editOut, () => api('PATCH', `/api/v1/webhooks/${id}`, { active: !w.active }))) await reload(w.active ? 'Paused: new events are not sent.' : 'Resumed.');
          },
        },
        w.active ? 'Pause endpoint' : 'Resume endpoint',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: async () => {
            const res = await attempt(editOut, () => api('POST', `/api/v1/webhooks/${id}/rotate-secret`));
            if (res) await reload('Secret rotated.', res.secret);
          },
        },
        'Rotate secret',
      ),
    ),
  );

  const filter = h(
    'select',
    { id: 'delivery-status', onchange: (e) => (location.hash = `#/admin/webhooks/${id}${e.target.value ? `?status=${e.target.value}` : ''}`) },
    ['', 'pending', 'delivered', 'failed'].map((s) => h('option', { value: s, selected: s === status }, s || 'all')),
  );
  const logOut = h('div', { 'aria-live': 'polite' });
  main.append(h('h2', {}, 'Delivery log'), h('div', { class: 'row' }, field('delivery-status', 'Show', filter)), logOut);
  if (!log.items.length) main.append(h('p', {}, 'No deliveries.'));
  else
    main.append(
      table(
        `${log.items.length === 1 ? 'The newest delivery' : `${log.items.length} newest deliveries`}`,
        ['Message', 'Event', 'Status', 'Attempts', 'Last answer', 'Created', ''],
        log.items.map((d) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, h('code', {}, d.id)),
            h('td', {}, d.eventType),
            h('td', {}, h('span', { class: 'tag' }, d.status)),
            h('td', { class: 'num' }, String(d.attempts)),
            h('td', {}, d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '—')),
            h('td', {}, fmtDate(d.createdAt)),
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-label': `Replay ${d.id}`,
                  onclick: async () => {
                    const r = await attempt(logOut, () => api('POST', `/api/v1/webhooks/${id}/deliveries/${d.id}/replay`));
                    if (r) await reload(r.ok ? `Replayed ${d.id}: delivered (HTTP ${r.statusCode}).` : `Replayed ${d.id}: failed (${r.statusCode ? `HTTP ${r.statusCode}` : r.error}).`);
                  },
                },
                'Replay',
              ),
            ),
          ),
        ),
      ),
    );

  const delOut = h('div', { 'aria-live': 'polite' });
  const confirmBox = h('div', { class: 'row' });
  main.append(
    h('h2', {}, 'Remove'),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          const yes = h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                if (await attempt(delOut, async () => (await api('DELETE', `/api/v1/webhooks/${id}`), true))) {
                  setNotice(`Removed ${w.url}.`);
                  location.hash = '#/admin/webhooks';
                }
              },
            },
            'Yes, remove it and its log',
          );
          confirmBox.replaceChildren(yes, h('button', { type: 'button', class: 'secondary', onclick: () => confirmBox.replaceChildren() }, 'Cancel'));
          yes.focus();
        },
      },
      'Remove endpoint…',
    ),
    confirmBox,
    delOut,
  );
}

export default function webhooks({ parts, params, back }) {
  return parts[1] ? webhookPage(parts[1], params, back) : webhooksPage(back);
}
