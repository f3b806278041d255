import type { Definition } from './definition';

/*
 * A per-isolate cache of published survey versions, warmed as survey pages are rendered, so a
 * page opened while the database does not answer can still be shown (docs/outage.md). A
 * published version never changes, so an entry is never stale; which version is a touchpoint's
 * newest may change, and during an outage the last one seen is shown. Bounded: past MAX
 * entries the least recently used goes.
 */

/** What a page needs of a published version. */
export interface CachedSurvey {
  surveyId: string;
  version: number;
  definition: Definition;
  defaultLocale: string;
}

const MAX = 500;
/** `tenant|survey|version` → the version. */
const versions = new Map<string, CachedSurvey>();
/** `tenant|touchpoint` → the key of the newest published version its anonymous links showed. */
const newest = new Map<string, string>();

const versionKey = (tenantId: string, surveyId: string, version: number) => `${tenantId}|${surveyId}|${version}`;

function touch<V>(map: Map<string, V>, key: string, value: V) {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX) map.delete(map.keys().next().value!);
}

/** Remembers a version a page was rendered with; for an anonymous link, also as its touchpoint's newest. */
export function rememberSurvey(tenantId: string, survey: CachedSurvey, touchpointId?: string) {
  const key = versionKey(tenantId, survey.surveyId, survey.version);
  touch(versions, key, survey);
  if (touchpointId) touch(newest, `${tenantId}|${touchpointId}`, key);
}

/**
 * The version a link shows, when this isolate has seen it: an invitation's (its link names the
 * survey and version), or the newest of an anonymous link's touchpoint (or the version its
 * page's state names).
 */
export function cachedSurvey(tenantId: string, link: { surveyId?: string; surveyVersion: number } | { touchpointId: string; surveyVersion?: number }): CachedSurvey | undefined {
  let key: string | undefined;
  if ('touchpointId' in link) {
    key = newest.get(`${tenantId}|${link.touchpointId}`);
    const hit = key ? versions.get(key) : undefined;
    if (hit && link.surveyVersion !== undefined && link.surveyVersion !== hit.version) key = versionKey(tenantId, hit.surveyId, link.surveyVersion);
  } else if (link.surveyId) key = versionKey(tenantId, link.surveyId, link.surveyVersion);
  const hit = key ? versions.get(key) : undefined;
  if (hit && key) touch(versions, key, hit);
  return hit;
}

/** Empties the cache (tests: a cold isolate). */
export function forgetSurveys() {
  versions.clear();
  newest.clear();
}
