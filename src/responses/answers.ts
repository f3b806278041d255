import type { Category } from '../scoring/nps';
import type { Definition, Question } from '../surveys/definition';

/**
 * The answers of one submit checked against the survey version it answers: question ids that
 * exist, option ids of the question, CSAT 1-5, CES 1-7, skip logic (a question shown only to
 * some categories takes no answer from the others) and, for a page's final submit, required
 * questions. The survey's first comment question is answered by the top-level `comment`
 * (kept in its own column); every other question by id in `answers`.
 */
export const MAX_TEXT = 2000;
export const MAX_HIDDEN = 200;

export interface Issue {
  path: string;
  message: string;
}

export type AnswerValue = string | number | string[];

export interface CheckedAnswers {
  comment: string | null;
  answers: Record<string, AnswerValue>;
  issues: Issue[];
}

const SCALES: Partial<Record<Question['type'], [number, number]>> = { csat: [1, 5], ces: [1, 7] };

/** The question the top-level `comment` answers: the first comment question, if any. */
export const commentQuestion = (def: Definition) => def.questions.find((q) => q.type === 'comment');

/** Whether a question is asked of a respondent in `category` (no skip logic: asked of everyone). */
export const asked = (q: Question, category: Category | null) => !q.showIf || (category !== null && q.showIf.categories.includes(category));

/** The questions after the score that a respondent in `category` sees, in order (hidden ones excluded). */
export const followUps = (def: Definition, category: Category | null) => def.questions.filter((q) => q.type !== 'nps' && q.type !== 'hidden' && asked(q, category));

function checkValue(q: Question, value: unknown): { value?: AnswerValue; message?: string } {
  const scale = SCALES[q.type];
  if (scale) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < scale[0] || value > scale[1]) return { message: `an integer from ${scale[0]} to ${scale[1]}` };
    return { value };
  }
  switch (q.type) {
    case 'single':
      if (typeof value !== 'string' || !q.options!.includes(value)) return { message: `one of ${q.options!.join(', ')}` };
      return { value };
    case 'multi': {
      if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || !q.options!.includes(v))) {
        return { message: `a non-empty list of ${q.options!.join(', ')}` };
      }
      if (new Set(value).size !== value.length) return { message: 'each option at most once' };
      return { value: value as string[] };
    }
    case 'comment':
      if (typeof value !== 'string' || value.length > MAX_TEXT) return { message: `a text of at most ${MAX_TEXT} characters` };
      return { value: value.trim() };
    case 'hidden':
      if (typeof value === 'number' && Number.isFinite(value)) return { value: String(value) };
      if (typeof value !== 'string' || value.length > MAX_HIDDEN) return { message: `a text of at most ${MAX_HIDDEN} characters` };
      return { value };
    default:
      return { message: 'not answerable here' };
  }
}

/**
 * Checks a submit's comment and answers for a respondent in `category` (the category of the
 * score that stands). `already` are the answers stored before (they satisfy `required`).
 * Empty texts count as not given.
 */
export function checkAnswers(
  def: Definition,
  category: Category | null,
  input: { comment?: string | null; answers?: Record<string, unknown> },
  opts: { enforceRequired: boolean; already?: { comment: string | null; answers: Record<string, unknown> } } = { enforceRequired: false },
): CheckedAnswers {
  const issues: Issue[] = [];
  const primary = commentQuestion(def);
  const byId = new Map(def.questions.map((q) => [q.id, q]));
  let comment: string | null = null;

  const rawComment = typeof input.comment === 'string' ? input.comment.trim() : '';
  if (rawComment) {
    if (!primary) issues.push({ path: 'comment', message: 'this survey asks for no comment' });
    else if (!asked(primary, category)) issues.push({ path: 'comment', message: `not asked of a ${category ?? 'respondent without a score'}` });
    else if (rawComment.length > MAX_TEXT) issues.push({ path: 'comment', message: `at most ${MAX_TEXT} characters` });
    else comment = rawComment;
  }

  const answers: Record<string, AnswerValue> = {};
  for (const [id, value] of Object.entries(input.answers ?? {})) {
    const q = byId.get(id);
    const path = `answers.${id}`;
    if (!q) issues.push({ path, message: 'no such question in this survey version' });
    else if (q.type === 'nps') issues.push({ path, message: 'the score is given as "score"' });
    else if (q === primary) issues.push({ path, message: 'this question is answered by "comment"' });
    else if (!asked(q, category)) issues.push({ path, message: `not asked of a ${category ?? 'respondent without a score'}` });
    else {
      const checked = checkValue(q, value);
      if (checked.message) issues.push({ path, message: `must be ${checked.message}` });
      else if (!(typeof checked.value === 'string' && checked.value === '')) answers[id] = checked.value!;
    }
  }

  if (opts.enforceRequired) {
    for (const q of followUps(def, category)) {
      if (!q.required) continue;
      const given = q === primary ? (comment ?? opts.already?.comment) : (answers[q.id] ?? opts.already?.answers[q.id]);
      if (given === undefined || given === null || given === '') issues.push({ path: q === primary ? 'comment' : `answers.${q.id}`, message: 'required' });
    }
  }
  return { comment, answers, issues };
}

/**
 * A form's fields as the `answers` of a JSON submit: `q.<id>` per question (repeated for
 * multiple choice); scales become numbers when they are digits, so the same checks apply.
 */
export function answersFromForm(def: Definition, fields: { get(name: string): string | undefined; getAll(name: string): string[] }): Record<string, unknown> {
  const primary = commentQuestion(def);
  const out: Record<string, unknown> = {};
  for (const q of def.questions) {
    if (q.type === 'nps' || q === primary) continue;
    const name = `q.${q.id}`;
    if (q.type === 'multi') {
      const all = fields.getAll(name);
      if (all.length) out[q.id] = all;
      continue;
    }
    const v = fields.get(name);
    if (v === undefined || v === '') continue;
    out[q.id] = SCALES[q.type] && /^\d{1,2}$/.test(v) ? Number(v) : v;
  }
  return out;
}
