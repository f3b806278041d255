/** Placeholders a reply template may use; an unknown `{name}` stays as written. */
export const PLACEHOLDERS = ['contactName', 'score', 'unitName', 'comment', 'caseId', 'ownerName', 'touchpointName'] as const;

/** `{name}` replaced by its value for every known placeholder. */
export function renderTemplate(text: string, values: Partial<Record<(typeof PLACEHOLDERS)[number], string>>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values && values[name as keyof typeof values] !== undefined ? values[name as keyof typeof values]! : whole));
}

/** The template locale for a contact: exact, then its language, then the default locale, then English, then any. */
export function pickLocale(available: string[], preferred: string | null, fallback: string): string | null {
  const lower = available.map((l) => l.toLowerCase());
  const tries = [preferred, preferred?.split('-')[0], fallback, fallback.split('-')[0], 'en'].filter((x): x is string => !!x).map((x) => x.toLowerCase());
  for (const t of tries) {
    const i = lower.indexOf(t);
    if (i >= 0) return available[i]!;
  }
  return available[0] ?? null;
}
