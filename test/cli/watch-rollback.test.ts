import { afterEach, describe, expect, it } from 'vitest';
import { bucketOf, candidateThreshold, PromptClient } from '../../src/index.js';
import { run, tempProject } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
let client: PromptClient | undefined;
afterEach(async () => {
  await client?.close();
  await cleanup?.();
  client = undefined;
  cleanup = undefined;
});

/**
 * Resolves once `check()` holds, testing it now and after each 'change' the client emits (the
 * folder watcher's reload): no polling and no clock; the test's timeout bounds the wait.
 */
function changedUntil(c: PromptClient, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check()) return resolve();
    const off = c.on('change', () => {
      if (!check()) return;
      off();
      resolve();
    });
  });
}

describe('promptpin rollback with a running client', () => {
  it('should make a client watching the folder serve the stable version, with no restart', async () => {
    const p = await tempProject();
    cleanup = p.cleanup;
    expect((await run(p.cwd, ['lock'])).code).toBe(0);
    // A unit inside the example rollout's 10% slice (salt support-agent@2).
    const unit = Array.from({ length: 1000 }, (_, i) => `user-${i}`).find((u) => bucketOf('support-agent@2', u) < candidateThreshold(10))!;
    client = await PromptClient.create({ source: p.dir, environment: 'production' });
    const before = client.get('support-agent', unit);
    expect([before.version, before.slice]).toEqual([2, 'candidate']);

    const served = changedUntil(client, () => client!.get('support-agent', unit).version === 1);
    const r = await run(p.cwd, ['rollback', 'support-agent', '--reason', 'refusals up on v2']);
    expect(r.code).toBe(0);
    await served;
    const after = client.get('support-agent', unit);
    expect([after.version, after.slice]).toEqual([1, 'stable']);
    // The prompt resolved before the rollback is an immutable snapshot: it still says v2.
    expect(before.version).toBe(2);
    expect(client.status().lastError).toBeNull();
  });
});
