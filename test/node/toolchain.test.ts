import { describe, expect, it } from 'vitest';

describe('the toolchain', () => {
  it('runs the scripts and tests on the Node the project brings (the `node` package), whatever the machine has', () => {
    // npm puts node_modules/.bin first on PATH, so its `node` runs vitest, tsx and wrangler.
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });
});
