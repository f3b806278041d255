import { sql, type SQL } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { CONTACT_DIMS } from '../db/schema';

/*
 * The contact cuts of the scores (docs/dimensions.md): tenure in buckets, contract size and support
 * tier, as the contact stood when the answer came (kept on the answer, like its segment). One rule
 * for the fold (in TypeScript) and for the reads of answers (in SQL).
 */

export type ContactDim = (typeof CONTACT_DIMS)[number];

/** Tenure buckets: [months below which, label]; the rest is '5y+', no tenure is 'unknown'. */
const TENURE_BUCKETS: [number, string][] = [
  [6, '<6m'],
  [12, '6-12m'],
  [24, '1-2y'],
  [60, '2-5y'],
];

/** What an answer (or a contact) holds of the attributes. */
export interface ContactAttributes {
  tenureMonths: number | null;
  contractSize: string | null;
  supportTier: string | null;
}

/** An answer's group in a contact cut. */
export function contactValue(a: ContactAttributes, dim: ContactDim): string {
  if (dim === 'tenure') {
    if (a.tenureMonths === null) return 'unknown';
    return TENURE_BUCKETS.find(([below]) => a.tenureMonths! < below)?.[1] ?? '5y+';
  }
  return (dim === 'contractSize' ? a.contractSize : a.supportTier) ?? 'unknown';
}

/** The same rule in SQL, over the columns of a table that holds the attributes (responses or contacts). */
export function contactValueSql(dim: ContactDim, cols: { tenureMonths: AnySQLiteColumn; contractSize: AnySQLiteColumn; supportTier: AnySQLiteColumn }): SQL<string> {
  if (dim === 'tenure') {
    const m = cols.tenureMonths;
    return sql<string>`case when ${m} is null then 'unknown' ${sql.join(
      TENURE_BUCKETS.map(([below, label]) => sql`when ${m} < ${below} then ${label}`),
      sql` `,
    )} else '5y+' end`;
  }
  return sql<string>`coalesce(${dim === 'contractSize' ? cols.contractSize : cols.supportTier}, 'unknown')`;
}
