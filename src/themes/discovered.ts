import type { CountScope, ThemeCount } from '../comments/counts';
import type { Library } from '../comments/library';
import type { Deps } from '../lib/deps';

/** A discovered theme: frequent stems and phrases of detractor comments that no library theme matches (docs/themes.md). */
export interface Discovered {
  id: string;
  name: string;
  terms: Record<string, string[]>;
  count: ThemeCount;
  examples: string[];
}

/** Not built yet (issue 14, item 3): no discovered themes are offered. */
export async function discoveredThemes(_d: Deps, _scope: CountScope, _lib: Library): Promise<Discovered[]> {
  return [];
}
