// Administration › Surveys: the list, a new survey, and the editor — questions, the translation
// table (text keys × locales) with a live preview of the hosted page, saving, publishing, versions.
import { api, attempt, errorBox, field, fmtDate, h, main, setNotice, setTitle, state, table, Unauthorized } from '../../lib.js';

const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const QUESTION_TYPES = ['comment', 'csat', 'ces', 'single', 'multi', 'hidden'];
const languageNames = new Intl.DisplayNames(['en'], { type: 'language' });
const localeName = (l) => {
  try {
    return languageNames.of(l);
  } catch {
    return l;
  }
};

async function listPage(back) {
  const list = await api('GET', '/api/v1/surveys');
  setTitle('Surveys');
  main.append(back);
  if (!list.items.length) main.append(h('p', {}, 'No surveys yet.'));
  else
    main.append(
      table(
        `${list.items.length} survey${list.items.length === 1 ? '' : 's'}`,
        ['Survey', 'Default locale', 'Published version', 'Draft'],
        list.items.map((s) => {
          const missing = Object.values(s.missingTexts).reduce((n, keys) => n + keys.length, 0);
          return h(
            'tr',
            {},
            h('th', { scope: 'row' }, h('a', { href: `#/admin/surveys/${s.id}` }, s.name)),
            h('td', {}, s.defaultLocale),
            h('td', {}, s.publishedVersion === null ? 'not published' : `version ${s.publishedVersion}`),
            h('td', {}, missing ? h('span', { class: 'tag overdue' }, `${missing} texts missing`) : 'complete'),
          );
        }),
      ),
    );
  const name = h('input', { id: 'survey-name', required: true, maxlength: 200 });
  const locale = h('input', { id: 'survey-locale', value: 'en', required: true, pattern: LOCALE.source, maxlength: 35 });
  const out = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h2', {}, 'New survey'),
    h('p', {}, 'Starts as the standard NPS survey (the recommend question and a comment worded per answer) in English and German.'),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: (e) => {
          e.preventDefault();
          attempt(out, async () => {
            const survey = await api('POST', '/api/v1/surveys', { name: name.value.trim(), defaultLocale: locale.value.trim() });
            setNotice('Survey created.');
            location.hash = `#/admin/surveys/${survey.id}`;
          });
        },
      },
      field('survey-name', 'Name', name),
      field('survey-locale', 'Default locale (e.g. en)', locale),
      h('button', { type: 'submit' }, 'Create survey'),
      out,
    ),
  );
}

/** The preview's HTML from the API (not JSON, so not through api()); errors come back as the envelope. */
async function fetchPreview(id, locale, draft) {
  const res = await fetch(`/api/v1/surveys/${id}/preview`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ locale, draft }) });
  if (res.status === 401) return api('GET', '/api/v1/me'); // lets api() end the session as everywhere else
  if (res.ok) return res.text();
  const data = await res.json().catch(() => null);
  const err = new Error(data?.error?.message ?? `HTTP ${res.status}`);
  err.details = Array.isArray(data?.error?.details) ? data.error.details : undefined;
  throw err;
}

async function editorPage(id, back) {
  const [survey, versions] = await Promise.all([api('GET', `/api/v1/surveys/${id}`), api('GET', `/api/v1/surveys/${id}/versions`)]);
  setTitle(`Survey: ${survey.name}`);
  main.append(back, h('p', {}, h('a', { href: '#/admin/surveys' }, '← All surveys')));

  // The editor's state: the draft as edited (unsaved until "Save draft"), and what the API last said.
  let saved = survey;
  let draft = structuredClone(survey.draft);
  let dirty = false;
  const locales = () => [...new Set([nameLocale.value || saved.defaultLocale, ...Object.keys(draft.translations)])];

  const out = h('div', { 'aria-live': 'polite' });
  const missingBox = h('div', { id: 'missing-texts', 'aria-live': 'polite' });
  const name = h('input', { id: 'edit-name', value: survey.name, required: true, maxlength: 200, oninput: () => (dirty = true) });
  const nameLocale = h('select', { id: 'edit-default-locale', onchange: () => ((dirty = true), drawTable(), schedulePreview()) });
  const questionsBox = h('div');
  const tableBox = h('div');
  const previewLocale = h('select', { id: 'preview-locale', onchange: () => schedulePreview(0) });
  const frame = h('iframe', { sandbox: '', class: 'preview-frame', title: 'Preview of the survey page' });
  const previewStatus = h('p', { class: 'preview-status', 'aria-live': 'polite' });

  function fillLocaleSelects() {
    const ls = locales();
    const keepPreview = previewLocale.value || saved.defaultLocale;
    const keepDefault = nameLocale.value || saved.defaultLocale;
    nameLocale.replaceChildren(...ls.map((l) => h('option', { value: l, selected: l === keepDefault }, `${l} · ${localeName(l)}`)));
    previewLocale.replaceChildren(...ls.map((l) => h('option', { value: l, selected: l === keepPreview }, `${l} · ${localeName(l)}`)));
  }

  // ---- Questions: structural changes save the draft at once, so the API lists the texts they need.
  function drawQuestions() {
    const rows = draft.questions.map((q, i) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, h('code', {}, q.id)),
        h('td', {}, q.type),
        h('td', {}, q.required ? 'yes' : 'no'),
        h('td', {}, q.options?.join(', ') ?? '—'),
        h('td', {}, q.showIf ? q.showIf.categories.join(', ') : 'everyone'),
        h(
          'td',
          {},
          q.type === 'nps'
            ? '—'
            : h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-label': `Remove question ${q.id}`,
                  onclick: () => {
                    draft.questions.splice(i, 1);
                    for (const texts of Object.values(draft.translations)) for (const k of Object.keys(texts)) if (k.startsWith(`${q.id}.`)) delete texts[k];
                    saveDraft(`Question ${q.id} removed; draft saved.`);
                  },
                },
                'Remove',
              ),
        ),
      ),
    );
    questionsBox.replaceChildren(table('Questions, in order', ['Id', 'Type', 'Required', 'Options', 'Asked of', 'Actions'], rows));
  }

  const qId = h('input', { id: 'q-id', required: true, pattern: '[a-z][a-z0-9_]{0,39}', maxlength: 40 });
  const qType = h(
    'select',
    { id: 'q-type' },
    QUESTION_TYPES.map((t) => h('option', { value: t }, t)),
  );
  const qOptions = h('input', { id: 'q-options', placeholder: 'e.g. price, speed, staff' });
  const qRequired = h('input', { id: 'q-required', type: 'checkbox' });
  const addQuestion = h(
    'form',
    {
      class: 'stack',
      onsubmit: (e) => {
        e.preventDefault();
        const q = { id: qId.value.trim(), type: qType.value };
        if (qRequired.checked) q.required = true;
        if (q.type === 'single' || q.type === 'multi')
          q.options = qOptions.value
            .split(',')
            .map((o) => o.trim())
            .filter(Boolean);
        draft.questions.push(q);
        saveDraft(`Question ${q.id} added; draft saved. Its texts are now rows of the table.`).then((ok) => {
          if (ok) (qId.value = ''), (qOptions.value = ''), (qRequired.checked = false);
          else draft.questions = draft.questions.filter((x) => x !== q);
        });
      },
    },
    h('h3', {}, 'Add a question'),
    field('q-id', 'Question id (lower-case letters, digits, _)', qId),
    field('q-type', 'Type', qType),
    field('q-options', 'Options (single and multiple choice; ids separated by commas)', qOptions),
    h('label', { for: 'q-required', class: 'check' }, qRequired, 'Required'),
    h('button', { type: 'submit', class: 'secondary' }, 'Add question and save draft'),
  );

  // ---- The translation table: rows are the text keys the API says every locale needs, then
  // any other keys a locale has (optional, e.g. the invitation's words); columns are locales.
  function drawTable() {
    const ls = locales();
    const required = new Set(saved.requiredTexts);
    const extra = [...new Set(ls.flatMap((l) => Object.keys(draft.translations[l] ?? {})))].filter((k) => !required.has(k)).sort();
    const keys = [...saved.requiredTexts, ...extra];
    const count = (l) => saved.requiredTexts.filter((k) => !draft.translations[l]?.[k]?.trim()).length;
    const heads = ls.map((l) => {
      const n = count(l);
      const remove =
        l === (nameLocale.value || saved.defaultLocale)
          ? ''
          : h(
              'button',
              {
                type: 'button',
                class: 'link',
                onclick: () => {
                  delete draft.translations[l];
                  dirty = true;
                  out.replaceChildren(h('p', { class: 'msg', role: 'status' }, `Column ${l} removed; save the draft to keep the change.`));
                  drawTable();
                  schedulePreview(0);
                },
              },
              `Remove ${l}`,
            );
      return h('th', { scope: 'col', 'data-locale': l }, `${l} · ${localeName(l)}`, h('br'), h('small', { class: n ? 'missing-count' : undefined }, n ? `${n} missing` : 'complete'), h('br'), remove);
    });
    const rows = keys.map((k) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, h('code', {}, k), required.has(k) ? '' : h('small', {}, ' optional')),
        ls.map((l) => {
          const value = draft.translations[l]?.[k] ?? '';
          const missing = required.has(k) && !value.trim();
          const input = h('input', {
            value,
            'aria-label': `${k} in ${localeName(l)} (${l})`,
            'aria-invalid': missing ? 'true' : undefined,
            placeholder: missing ? 'missing' : undefined,
            maxlength: 2000,
            'data-key': k,
            'data-locale': l,
          });
          input.addEventListener('input', () => {
            draft.translations[l] ??= {};
            if (input.value) draft.translations[l][k] = input.value;
            else delete draft.translations[l][k];
            dirty = true;
            const now = required.has(k) && !input.value.trim();
            input.closest('td').classList.toggle('missing', now);
            input.setAttribute('aria-invalid', String(now));
            input.placeholder = now ? 'missing' : '';
            const n = count(l);
            const small = tableBox.querySelector(`th[data-locale="${l}"] small`);
            small.textContent = n ? `${n} missing` : 'complete';
            small.className = n ? 'missing-count' : '';
            schedulePreview();
          });
          return h('td', { class: missing ? 'missing' : undefined }, input);
        }),
      ),
    );
    tableBox.replaceChildren(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'translations' },
          h('caption', {}, 'Texts per locale (empty required cells are marked missing)'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Text key'), heads)),
          h('tbody', {}, rows),
        ),
      ),
    );
    fillLocaleSelects();
  }

  const newLocale = h('input', { id: 'new-locale', maxlength: 35, pattern: LOCALE.source, placeholder: 'fr' });
  const addLocale = h(
    'form',
    {
      class: 'row',
      onsubmit: (e) => {
        e.preventDefault();
        const l = newLocale.value.trim();
        if (!LOCALE.test(l)) return void out.replaceChildren(errorBox(new Error(`"${l}" is not a language tag such as fr or pt-BR.`)));
        if (draft.translations[l]) return void out.replaceChildren(errorBox(new Error(`The table already has ${l}.`)));
        draft.translations[l] = {};
        dirty = true;
        newLocale.value = '';
        out.replaceChildren(h('p', { class: 'msg', role: 'status' }, `Column ${l} (${localeName(l)}) added: fill its texts, then save.`));
        drawTable();
        previewLocale.value = l;
        schedulePreview(0);
        tableBox.querySelector(`input[data-locale="${l}"]`)?.focus();
      },
    },
    field('new-locale', 'Add a locale', newLocale),
    h('button', { type: 'submit', class: 'secondary' }, 'Add locale'),
  );

  // ---- Live preview: the API renders the unsaved draft with the hosted page's own renderer.
  let timer = 0;
  let seq = 0;
  function schedulePreview(delay = 300) {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      const locale = previewLocale.value || saved.defaultLocale;
      try {
        const html = await fetchPreview(id, locale, draft);
        if (mine !== seq || typeof html !== 'string') return;
        frame.srcdoc = html;
        frame.title = `Preview of the survey page in ${localeName(locale)}`;
        previewStatus.replaceChildren();
      } catch (err) {
        if (mine === seq && !(err instanceof Unauthorized)) previewStatus.replaceChildren(errorBox(err));
      }
    }, delay);
  }

  // ---- Save, publish, versions.
  async function saveDraft(message) {
    missingBox.replaceChildren();
    return attempt(out, async () => {
      saved = await api('PATCH', `/api/v1/surveys/${id}`, { name: name.value.trim(), defaultLocale: nameLocale.value, definition: draft });
      draft = structuredClone(saved.draft);
      dirty = false;
      out.replaceChildren(h('p', { class: 'msg', role: 'status' }, message));
      drawQuestions();
      drawTable();
      schedulePreview(0);
      return true;
    });
  }

  function showMissing(missing) {
    const entries = Object.entries(missing);
    missingBox.replaceChildren(
      h(
        'div',
        { class: 'msg error', role: 'alert' },
        h('p', {}, 'Not published: the draft lacks these texts.'),
        h(
          'ul',
          {},
          entries.map(([l, keys]) => h('li', {}, h('strong', {}, `${l} (${localeName(l)}): `), keys.join(', '))),
        ),
      ),
    );
  }

  async function publish() {
    missingBox.replaceChildren();
    if (dirty && !(await saveDraft('Draft saved.'))) return;
    try {
      const res = await api('POST', `/api/v1/surveys/${id}/publish`);
      setNotice(res.unchanged ? `Nothing changed since version ${res.version}.` : `Published version ${res.version}.`);
      await editorPage(id, back);
    } catch (err) {
      if (err instanceof Unauthorized) return;
      if (err.status === 422 && err.details?.missing) showMissing(err.details.missing);
      else out.replaceChildren(errorBox(err));
    }
  }

  const versionRows = versions.items.map((v) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, `version ${v.version}`),
      h('td', {}, fmtDate(v.publishedAt)),
      h('td', {}, v.definition.questions.map((q) => q.id).join(', ')),
      h('td', {}, Object.keys(v.definition.translations).join(', ')),
    ),
  );

  main.append(
    h('div', { class: 'row' }, field('edit-name', 'Name', name), field('edit-default-locale', 'Default locale', nameLocale)),
    h('p', {}, saved.publishedVersion === null ? 'Not published yet.' : `Live: version ${saved.publishedVersion}. Answers keep the version they answered; publishing makes a new one.`),
    h('h2', {}, 'Questions'),
    questionsBox,
    addQuestion,
    h(
      'div',
      { class: 'survey-editor' },
      h(
        'section',
        { 'aria-labelledby': 'texts-heading' },
        h('h2', { id: 'texts-heading' }, 'Translations'),
        addLocale,
        tableBox,
        missingBox,
        h(
          'div',
          { class: 'row actions' },
          h('button', { type: 'button', onclick: () => saveDraft('Draft saved.') }, 'Save draft'),
          h('button', { type: 'button', class: 'secondary', onclick: publish }, 'Publish'),
        ),
        out,
      ),
      h(
        'section',
        { 'aria-labelledby': 'preview-heading', class: 'preview-pane' },
        h('h2', { id: 'preview-heading' }, 'Preview'),
        field('preview-locale', 'Show the page in', previewLocale),
        previewStatus,
        frame,
      ),
    ),
    h('h2', {}, 'Published versions'),
    versions.items.length
      ? table(`${versions.items.length} version${versions.items.length === 1 ? '' : 's'}, newest first`, ['Version', 'Published', 'Questions', 'Locales'], versionRows)
      : h('p', {}, 'None yet.'),
  );
  nameLocale.value = saved.defaultLocale;
  drawQuestions();
  drawTable();
  schedulePreview(0);
}

export default function surveys({ parts, back }) {
  if (!state.session) return;
  return parts[1] ? editorPage(parts[1], back) : listPage(back);
}
