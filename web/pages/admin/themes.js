// The theme library (docs/themes.md): named themes with terms per language, matched by stem.
// Adding, changing and deleting a theme re-tags the stored comments in the background.
import { api, attempt, field, h, main, setNotice, setTitle, table } from '../../lib.js';

/** `en: wait, waiting time` per line → {"en":["wait","waiting time"]}. */
function parseTerms(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const terms = m[2]
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    out[m[1].toLowerCase()] = [...(out[m[1].toLowerCase()] ?? []), ...terms];
  }
  return out;
}
const formatTerms = (terms) =>
  Object.entries(terms)
    .map(([l, list]) => `${l}: ${list.join(', ')}`)
    .join('\n');

export default async function themeLibrary({ back }) {
  const lib = await api('GET', '/api/v1/theme-library');
  setTitle('Theme library');
  const out = h('div', { 'aria-live': 'polite' });
  const editing = h('input', { type: 'hidden', value: '' });
  const name = h('input', { id: 'th-name', required: true, maxlength: 80 });
  const terms = h('textarea', { id: 'th-terms', rows: 5, 'aria-describedby': 'th-terms-help', placeholder: 'en: wait, waiting time\nde: warten, Wartezeit' });
  const submit = h('button', { type: 'submit' }, 'Add theme');
  const reload = () => themeLibrary({ back });
  main.append(
    back,
    h('p', {}, `Comments are matched by stem in their own language: "wait" also finds "waited" and "waiting". Library version ${lib.version}.`),
    table(
      'Themes',
      ['Theme', 'Terms', 'Actions'],
      lib.items.map((t) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, t.name),
          h(
            'td',
            {},
            h(
              'ul',
              { class: 'terms' },
              Object.entries(t.terms).map(([l, list]) => h('li', {}, h('b', {}, `${l}: `), list.join(', '))),
            ),
          ),
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                'aria-label': `Edit ${t.name}`,
                onclick: () => {
                  editing.value = t.id;
                  name.value = t.name;
                  terms.value = formatTerms(t.terms);
                  submit.textContent = 'Save theme';
                  name.focus();
                },
              },
              'Edit',
            ),
            ' ',
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                'aria-label': `Delete ${t.name}`,
                onclick: async () => {
                  if (await attempt(out, () => api('DELETE', `/api/v1/theme-library/${t.id}`))) {
                    setNotice(`Theme “${t.name}” deleted; comments are re-tagged.`);
                    await reload();
                  }
                },
              },
              'Delete',
            ),
          ),
        ),
      ),
    ),
    h('h2', {}, 'Add or change a theme'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = { name: name.value.trim(), terms: parseTerms(terms.value) };
          const id = editing.value;
          if (await attempt(out, () => (id ? api('PATCH', `/api/v1/theme-library/${id}`, body) : api('POST', '/api/v1/theme-library', body)))) {
            setNotice(`Theme “${body.name}” saved; comments are re-tagged.`);
            await reload();
          }
        },
      },
      editing,
      field('th-name', 'Name', name),
      field('th-terms', 'Terms, one language per line', terms),
      h('p', { id: 'th-terms-help', class: 'help' }, 'A language code, a colon, then terms separated by commas: one to three words each, without stopwords between them.'),
      submit,
      out,
    ),
  );
}
