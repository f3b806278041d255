import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES, clientTypes } from '../../scripts/openapi';

describe('the typed API client', () => {
  it('is generated from the current document (after a route change: npm run gen:client)', async () => {
    expect(readFileSync(CLIENT_TYPES, 'utf8') === (await clientTypes()), `${CLIENT_TYPES} is stale: run npm run gen:client`).toBe(true);
  });
});
