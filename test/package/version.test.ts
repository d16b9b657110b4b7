import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { INSTRUMENTATION_VERSION } from '../../src/telemetry/prompt-telemetry.js';

describe('package version', () => {
  it('should stamp spans and metrics with the version in package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    // A release that bumps package.json must bump the instrumentation scope version too.
    expect(INSTRUMENTATION_VERSION).toBe(pkg.version);
  });
});
