/**
 * Issue 9, item 9c: a fault in guard accounting (an exception inside src/guards/*, or in the
 * onBreach handler) was reported as SOURCE_LOAD_FAILED, sending operators to the registry host.
 * It has its own code, GUARD_FAILED; the call is never affected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySource, ErrorCode, isPromptError, PromptClient, type PromptError } from '../../src/index.js';
import { GREET_V1, GREET_V2, releaseYaml } from '../support/folders.js';

const YAML = releaseYaml(`  production:
    greet:
      stable: 1
      rollout:
        candidate: 2
        percent: 50
        started: 2026-11-20T15:00:00Z
        expected: Refusal rate unchanged.
        guards:
          - { signal: refusal, max_increase: 0.5pp }
        min_samples: 5
        window: 24h
        on_breach: rollback
`);
const FILES = { 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': YAML };

const clients: PromptClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function client(errors: PromptError[], onBreach?: () => void): Promise<PromptClient> {
  const c = await PromptClient.create({ source: createMemorySource({ files: FILES }), onError: (e) => errors.push(e), ...(onBreach ? { onBreach } : {}), now: () => Date.parse('2026-11-20T16:00:00Z') });
  clients.push(c);
  return c;
}

describe('guard faults', () => {
  it('should report an exception inside guard accounting as GUARD_FAILED, not SOURCE_LOAD_FAILED', async () => {
    const errors: PromptError[] = [];
    const c = await client(errors);
    // An outcome whose signal getter throws: telemetry and the guards both read it.
    const hostile = Object.defineProperty({}, 'refusal', {
      enumerable: true,
      get() {
        throw new Error('getter exploded');
      },
    });
    for (let i = 0; i < 20; i++) expect(() => c.get('greet', `u${i}`).record(hostile)).not.toThrow();
    const guard = errors.filter((e) => e.code === ErrorCode.GUARD_FAILED);
    expect(guard.length).toBeGreaterThan(0);
    expect(errors.every((e) => isPromptError(e) && e.code !== ErrorCode.SOURCE_LOAD_FAILED)).toBe(true);
    expect(guard[0]!.message).toMatch(/^Guard accounting for "greet" v[12] failed: getter exploded\. The call itself was not affected/);
  });

  it('should report a throwing onBreach handler as GUARD_FAILED, and still apply the breach', async () => {
    const errors: PromptError[] = [];
    const c = await client(errors, () => {
      throw new Error('pager is down');
    });
    for (let i = 0; i < 5000 && errors.length === 0; i++) {
      const p = c.get('greet', `user-${i}`);
      p.record({ refusal: p.slice === 'candidate' });
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe(ErrorCode.GUARD_FAILED);
    expect(errors[0]!.message).toMatch(/onBreach handler threw for "greet" \(refusal:\+0\.5pp\): pager is down/);
    expect(c.get('greet', 'anyone').slice).toBe('stable');
  });
});
