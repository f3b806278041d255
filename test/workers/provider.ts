import { inject } from 'vitest';
import type { RecordedRequest } from '../provider-stub';
import { uniq } from './support';

declare module 'vitest' {
  export interface ProvidedContext {
    providerUrl: string;
  }
}

export type { RecordedRequest };

/**
 * A namespace of the provider stand-in (test/provider-stub.ts, a real HTTP server started by
 * the global setup): its base URL goes into a tenant's settings; what reached it is read back.
 */
export function providerSpace() {
  const root = inject('providerUrl');
  const ns = uniq();
  return {
    /** Base URL for provider settings: requests land under it and are recorded. */
    url: `${root}/t/${ns}`,
    /** The next `count` requests fail with `status` (0: the connection drops), with a Location header when given. */
    async failNext(count: number, status = 503, location?: string) {
      const res = await fetch(`${root}/__control/${ns}`, { method: 'POST', body: JSON.stringify({ failNext: count, status, location }) });
      if (!res.ok) throw new Error(`stub control failed: ${res.status}`);
    },
    async requests(): Promise<RecordedRequest[]> {
      return (await fetch(`${root}/__requests/${ns}`)).json();
    },
  };
}
