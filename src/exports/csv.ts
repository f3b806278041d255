import type { scoreReport } from '../scores/report';

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A text that a
 * spreadsheet would run as a formula (= + - @ tab CR at its start) gets a leading apostrophe
 * (OWASP "CSV injection"); numbers are written as numbers.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let s = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (fields: unknown[]) => `${fields.map(csvField).join(',')}\r\n`;

const SCORE_COLUMNS = [
  'key',
  'period',
  'nps',
  'n',
  'promoters',
  'passives',
  'detractors',
  'ci_low',
  'ci_high',
  'ci_level',
  'effective_n',
  'suppressed',
  'suppressed_reason',
  'delta_points',
  'delta_p',
  'low_sample',
  'shrunk_nps',
  'shrunk_ci_low',
  'shrunk_ci_high',
];

/** The scores CSV of scoreReport's items: the scores export and saved reports (src/reports) write it here. */
export function scoresCsvBody(items: Awaited<ReturnType<typeof scoreReport>>): string {
  let body = csvLine(SCORE_COLUMNS);
  for (const i of items)
    body += csvLine([
      i.key,
      i.period ?? null,
      i.nps,
      i.n,
      i.promoters,
      i.passives,
      i.detractors,
      i.ci?.low ?? null,
      i.ci?.high ?? null,
      i.ci?.level ?? null,
      i.effectiveN ?? null,
      i.suppressed,
      i.suppressedReason ?? null,
      i.delta?.points ?? null,
      i.delta?.p ?? null,
      i.lowSample ?? false,
      i.shrunk?.nps ?? null,
      i.shrunk?.ci.low ?? null,
      i.shrunk?.ci.high ?? null,
    ]);
  return body;
}
