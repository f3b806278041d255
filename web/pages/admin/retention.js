// Retention: how long answers' free text and contacts' personal data are kept (settings.retention).
import { api, attempt, field, h, main, setNotice, setTitle } from '../../lib.js';

function daysInput(id, value) {
  return h('input', { id, type: 'number', min: 30, max: 3650, step: 1, inputmode: 'numeric', value: value ?? '', placeholder: 'keep forever', 'aria-describedby': `${id}-help` });
}

export default async function retention({ back }) {
  const settings = await api('GET', '/api/v1/settings');
  const r = settings.retention;
  setTitle('Retention');
  const comment = daysInput('ret-comment', r.commentDays);
  const contact = daysInput('ret-contact', r.contactDays);
  const out = h('div', { 'aria-live': 'polite' });
  // Empty means keep forever (null); anything else goes to the API as typed, which validates it.
  const value = (input) => (input.value.trim() === '' ? null : Number(input.value));
  main.append(
    back,
    h(
      'p',
      {},
      'Erasure runs every night at 03:00 UTC. Scores, rollups, cases and the rows themselves are kept, so reports do not change; only the personal and free-text data goes. Leave a field empty to keep that data forever; otherwise 30 to 3650 days.',
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Comments'),
      h('dd', { 'data-testid': 'ret-comment-now' }, r.commentDays === null ? 'kept forever' : `erased after ${r.commentDays} days`),
      h('dt', {}, 'Contacts'),
      h('dd', { 'data-testid': 'ret-contact-now' }, r.contactDays === null ? 'kept forever' : `erased after ${r.contactDays} days without activity`),
    ),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = { retention: { commentDays: value(comment), contactDays: value(contact) } };
          if (await attempt(out, () => api('PATCH', '/api/v1/settings', body))) {
            setNotice('Retention saved.');
            await retention({ back });
          }
        },
      },
      field('ret-comment', 'Erase answers\u2019 comments after (days)', comment),
      h('p', { id: 'ret-comment-help', class: 'help' }, 'For answers older than this, the comment and every other free-text answer are erased. The score and the choice answers stay.'),
      field('ret-contact', 'Erase contacts\u2019 personal data after (days without activity)', contact),
      h(
        'p',
        { id: 'ret-contact-help', class: 'help' },
        'For contacts with no invitation, answer, event or update for this long, the email, phone and attributes are erased. The contact stays (its external id, segment and language), so its answers still count.',
      ),
      h('button', { type: 'submit' }, 'Save'),
      out,
    ),
  );
}
