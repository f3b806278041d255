// Score thresholds: the anonymity threshold (below it a score is not shown) and the reliability
// threshold (below it a score shows with a low-sample mark). Settings `minResponses` and
// `reliabilityThreshold`; the API checks them.
import { api, attempt, field, h, main, setNotice, setTitle } from '../../lib.js';

const countInput = (id, value) => h('input', { id, type: 'number', min: 1, max: 100000, step: 1, inputmode: 'numeric', required: true, value, 'aria-describedby': `${id}-help` });

export default async function thresholds({ back }) {
  const settings = await api('GET', '/api/v1/settings');
  setTitle('Score thresholds');
  const anonymity = countInput('th-anonymity', settings.minResponses);
  const reliability = countInput('th-reliability', settings.reliabilityThreshold);
  const out = h('div', { 'aria-live': 'polite' });
  main.append(
    back,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Anonymity'),
      h('dd', { 'data-testid': 'th-anonymity-now' }, `scores from fewer than ${settings.minResponses} answers are not shown`),
      h('dt', {}, 'Reliability'),
      h('dd', { 'data-testid': 'th-reliability-now' }, `scores from fewer than ${settings.reliabilityThreshold} answers are marked \u201clow sample\u201d`),
    ),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = { minResponses: Number(anonymity.value), reliabilityThreshold: Number(reliability.value) };
          if (await attempt(out, () => api('PATCH', '/api/v1/settings', body))) {
            setNotice('Thresholds saved.');
            await thresholds({ back });
          }
        },
      },
      field('th-anonymity', 'Anonymity threshold (answers)', anonymity),
      h('p', { id: 'th-anonymity-help', class: 'help' }, 'Below this many answers no score is shown anywhere, only the number of answers: small groups stay anonymous. Default 5.'),
      field('th-reliability', 'Reliability threshold (answers)', reliability),
      h(
        'p',
        { id: 'th-reliability-help', class: 'help' },
        'From the anonymity threshold up to this many answers the score is shown with a \u201clow sample\u201d mark: its interval is wide, read it with care. Not below the anonymity threshold. Default 30.',
      ),
      h('button', { type: 'submit' }, 'Save'),
      out,
    ),
  );
}
