import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, candidateThreshold, PromptClient } from '../../src/index.js';
import { ensureBuilt, run, tempProject } from './helpers.js';

beforeAll(() => {
  ensureBuilt();
}, 130_000);

let cleanup: (() => Promise<void>) | undefined;
let client: PromptClient | undefined;
afterEach(async () => {
  await client?.close();
  await cleanup?.();
  client = undefined;
  cleanup = undefined;
});

/** Polls `check` every 20 ms for up to `ms`; returns whether it became true. */
async function eventually(check: () => boolean, ms: number): Promise<{ ok: boolean; waited: number }> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (check()) return { ok: true, waited: Date.now() - start };
    await new Promise((r) => setTimeout(r, 20));
  }
  return { ok: check(), waited: Date.now() - start };
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

    const r = await run(p.cwd, ['rollback', 'support-agent', '--reason', 'refusals up on v2']);
    expect(r.code).toBe(0);
    const served = await eventually(() => client!.get('support-agent', unit).version === 1, 3000);
    expect(served.ok).toBe(true);
    const after = client.get('support-agent', unit);
    expect([after.version, after.slice]).toEqual([1, 'stable']);
    // The prompt resolved before the rollback is an immutable snapshot: it still says v2.
    expect(before.version).toBe(2);
    expect(client.status().lastError).toBeNull();
  });
});
