/** Guards end to end, through a real client: outcomes → per-arm counts → trip → rollback on the next get. */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySource, PromptClient, type GuardBreachEvent } from '../../src/index.js';
import { GREET_V1, GREET_V2, releaseYaml } from '../support/folders.js';
import { mulberry32 } from '../support/random.js';

function release(opts: { onBreach?: string; started?: string; guards?: string; percent?: number } = {}): string {
  return releaseYaml(`  production:
    greet:
      stable: 1
      rollout:
        candidate: 2
        percent: ${opts.percent ?? 10}
        started: ${opts.started ?? '2026-11-20T15:00:00Z'}
        expected: Output length falls 10-20%; refusal rate unchanged.
        guards:
${opts.guards ?? '          - { signal: refusal, max_increase: 0.5pp }'}
        min_samples: 500
        window: 24h
        on_breach: ${opts.onBreach ?? 'rollback'}
`);
}

const files = (yaml: string) => ({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': yaml });
const clients: PromptClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** Simulates users: each request resolves, and records a refusal with the arm's probability. */
function simulate(client: PromptClient, rates: { stable: number; candidate: number }, maxRequests: number, seed = 1, stop?: () => boolean) {
  const rand = mulberry32(seed);
  let requests = 0;
  let candidateSamples = 0;
  for (; requests < maxRequests && !stop?.(); requests++) {
    const p = client.get('greet', `user-${Math.floor(rand() * 1e9)}`);
    if (p.slice === 'candidate') candidateSamples++;
    p.record({ refusal: rand() < (p.slice === 'candidate' ? rates.candidate : rates.stable) });
  }
  return { requests, candidateSamples };
}

describe('guards through a client', () => {
  it('should trip on the Friday scenario (refusals 0.4% → 1.3%) and serve stable from the next get', async () => {
    const breaches: GuardBreachEvent[] = [];
    const now = Date.parse('2026-11-20T16:00:00Z');
    const client = await PromptClient.create({ source: createMemorySource({ files: files(release()) }), onBreach: (e) => breaches.push(e), now: () => now });
    clients.push(client);
    const seen: GuardBreachEvent[] = [];
    client.on('breach', (e) => seen.push(e));
    const { requests, candidateSamples } = simulate(client, { stable: 0.004, candidate: 0.013 }, 400_000, 7, () => breaches.length > 0);
    expect(breaches).toHaveLength(1);
    expect(seen).toEqual(breaches);
    const b = breaches[0]!;
    expect(b).toMatchObject({ prompt: 'greet', stable: 1, candidate: 2, guardText: 'refusal:+0.5pp', action: 'rollback', threshold: 0.5 });
    expect(b.observed).toBeGreaterThan(0.5);
    expect(candidateSamples).toBeLessThan(30_000);
    expect(requests).toBeGreaterThan(1000);
    // From the next get on, nobody is on the candidate.
    for (let i = 0; i < 2000; i++) expect(client.get('greet', `after-${i}`).slice).toBe('stable');
    const status = client.status().guards[0]!;
    expect(status).toMatchObject({ prompt: 'greet', state: 'tripped', action: 'rollback', guards: ['refusal:+0.5pp'] });
    expect(status.breach).toBe(b);
    // Overrides and pins still work: a tripped guard stops the bucket, not explicit choices.
    expect(client.get('greet', 'x', { version: 2 }).slice).toBe('pinned');
  });

  it('should not trip when the candidate behaves like stable (A/A)', async () => {
    const breaches: GuardBreachEvent[] = [];
    const client = await PromptClient.create({ source: createMemorySource({ files: files(release()) }), onBreach: (e) => breaches.push(e), now: () => Date.parse('2026-11-20T16:00:00Z') });
    clients.push(client);
    simulate(client, { stable: 0.004, candidate: 0.004 }, 100_000, 11);
    expect(breaches).toHaveLength(0);
    expect(client.status().guards[0]).toMatchObject({ state: 'judging', samples: { stable: expect.any(Number), candidate: expect.any(Number) } });
    expect(client.status().guards[0]!.samples.candidate).toBeGreaterThan(9000);
  });

  it('should only alert with on_breach: alert, and start fresh counts for a new rollout', async () => {
    const breaches: GuardBreachEvent[] = [];
    const source = createMemorySource({ files: files(release({ onBreach: 'alert' })) });
    const client = await PromptClient.create({ source, onBreach: (e) => breaches.push(e), now: () => Date.parse('2026-11-20T16:00:00Z') });
    clients.push(client);
    simulate(client, { stable: 0.004, candidate: 0.05 }, 200_000, 3, () => breaches.length > 0);
    expect(breaches).toHaveLength(1);
    expect(breaches[0]!.action).toBe('alert');
    const onCandidate = Array.from({ length: 3000 }, (_, i) => client.get('greet', `u${i}`)).filter((p) => p.slice === 'candidate').length;
    expect(onCandidate).toBeGreaterThan(200);
    expect(client.status().guards[0]!.state).toBe('tripped');
    // A new rollout (new started) is judged from zero.
    source.set({ files: files(release({ onBreach: 'alert', started: '2026-11-21T09:00:00Z' })) });
    await client.reload();
    expect(client.status().guards[0]).toMatchObject({ state: 'judging', samples: { stable: 0, candidate: 0 }, breach: null });
  });

  it('should keep a trip across a reload of the same rollout, and forget it when the rollout ends', async () => {
    const source = createMemorySource({ files: files(release()) });
    const client = await PromptClient.create({ source, onBreach: () => {}, now: () => Date.parse('2026-11-20T16:00:00Z') });
    clients.push(client);
    simulate(client, { stable: 0.004, candidate: 0.05 }, 200_000, 5, () => client.status().guards[0]?.state === 'tripped');
    source.set({ files: { ...files(release()), 'other/1.prompt': GREET_V1 } });
    await client.reload();
    expect(client.status().guards[0]!.state).toBe('tripped');
    for (let i = 0; i < 1000; i++) expect(client.get('greet', `u${i}`).slice).toBe('stable');
    source.set({ files: files(releaseYaml('  production:\n    greet: { stable: 2 }\n')) });
    await client.reload();
    expect(client.status().guards).toEqual([]);
    expect(client.get('greet', 'u1').version).toBe(2);
  });

  it('should follow a ramp with the same counts, and judge afresh when the guards change', async () => {
    const source = createMemorySource({ files: files(release({ percent: 10 })) });
    const client = await PromptClient.create({ source, onBreach: () => {}, now: () => Date.parse('2026-11-20T16:00:00Z') });
    clients.push(client);
    simulate(client, { stable: 0.004, candidate: 0.004 }, 20_000, 21);
    const before = client.status().guards[0]!;
    expect(before.samples.candidate).toBeGreaterThan(1000);
    source.set({ files: files(release({ percent: 20 })) });
    await client.reload();
    const ramped = client.status().guards[0]!;
    expect(ramped.percent).toBe(20);
    expect(ramped.samples).toEqual(before.samples);
    source.set({ files: files(release({ percent: 20, guards: '          - { signal: refusal, max_increase: 1pp }' })) });
    await client.reload();
    expect(client.status().guards[0]).toMatchObject({ guards: ['refusal:+1pp'], samples: { stable: 0, candidate: 0 } });
  });

  it('should not judge outside the window after started', async () => {
    const breaches: GuardBreachEvent[] = [];
    const client = await PromptClient.create({ source: createMemorySource({ files: files(release()) }), onBreach: (e) => breaches.push(e), now: () => Date.parse('2026-11-22T16:00:00Z') });
    clients.push(client);
    simulate(client, { stable: 0.004, candidate: 0.05 }, 60_000, 9);
    expect(breaches).toHaveLength(0);
    expect(client.status().guards[0]!.state).toBe('window-closed');
  });

  it('should never make get throw or record throw, even with a throwing onBreach', async () => {
    const errors: unknown[] = [];
    const client = await PromptClient.create({
      source: createMemorySource({ files: files(release()) }),
      onBreach: () => {
        throw new Error('pager is down');
      },
      onError: (e) => errors.push(e),
      now: () => Date.parse('2026-11-20T16:00:00Z'),
    });
    clients.push(client);
    expect(() => simulate(client, { stable: 0.004, candidate: 0.05 }, 200_000, 13, () => errors.length > 0)).not.toThrow();
    expect(String((errors[0] as Error).message)).toMatch(/pager is down/);
    expect(client.get('greet', 'u1').slice).toBe('stable');
  });
});

describe('guards through prompt.call (outcomes read from the results)', () => {
  /** An OpenAI Chat Completions-shaped result. */
  const completion = (tokens: number, refusal: boolean) => ({
    id: 'chatcmpl-x',
    model: 'gpt-4o-mini',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: refusal ? null : 'ok', refusal: refusal ? 'no' : null } }],
    usage: { prompt_tokens: 100, completion_tokens: tokens, total_tokens: 100 + tokens },
  });

  async function run(guards: string, candidate: { tokenFactor: number; refusal: number }, stableRefusal: number, maxRequests: number, seed: number) {
    const breaches: GuardBreachEvent[] = [];
    const client = await PromptClient.create({
      source: createMemorySource({ files: files(release({ guards })) }),
      onBreach: (e) => breaches.push(e),
      now: () => Date.parse('2026-11-20T16:00:00Z'),
    });
    clients.push(client);
    const rand = mulberry32(seed);
    let requests = 0;
    for (; requests < maxRequests && breaches.length === 0; requests++) {
      const p = client.get('greet', `user-${Math.floor(rand() * 1e9)}`);
      const isCandidate = p.slice === 'candidate';
      // Output length: normal-ish around 300 tokens (sum of uniforms), scaled on the candidate.
      const tokens = Math.round((isCandidate ? candidate.tokenFactor : 1) * (200 + 50 * (rand() + rand() + rand() + rand())));
      const refused = rand() < (isCandidate ? candidate.refusal : stableRefusal);
      await p.call(() => Promise.resolve(completion(tokens, refused)), { vars: { who: 'Ann' } });
    }
    return { breaches, requests, client };
  }

  it('should trip an output_tokens max_change 10% guard on an 18% drop, and not on a 5% drop', async () => {
    const drop18 = await run('          - { signal: output_tokens, max_change: 10% }', { tokenFactor: 0.82, refusal: 0 }, 0, 60_000, 31);
    expect(drop18.breaches).toHaveLength(1);
    expect(drop18.breaches[0]).toMatchObject({ guardText: 'output_tokens:10%', threshold: 10 });
    expect(drop18.breaches[0]!.observed).toBeLessThan(-10);
    const drop5 = await run('          - { signal: output_tokens, max_change: 10% }', { tokenFactor: 0.95, refusal: 0 }, 0, 60_000, 32);
    expect(drop5.breaches).toHaveLength(0);
    expect(drop5.client.status().guards[0]!.samples.candidate).toBeGreaterThan(5000);
  });

  it('should not trip on a candidate exactly at the refusal threshold (0.4% → 0.9%) over 60,000 calls', async () => {
    const boundary = await run('          - { signal: refusal, max_increase: 0.5pp }', { tokenFactor: 1, refusal: 0.009 }, 0.004, 60_000, 33);
    expect(boundary.breaches).toHaveLength(0);
    expect(boundary.requests).toBe(60_000);
  });

  it('should trip the refusal guard on the seed regression read from message.refusal', async () => {
    const seed = await run('          - { signal: refusal, max_increase: 0.5pp }', { tokenFactor: 1, refusal: 0.013 }, 0.004, 300_000, 34);
    expect(seed.breaches).toHaveLength(1);
    expect(seed.breaches[0]!.guardText).toBe('refusal:+0.5pp');
    expect(seed.client.get('greet', 'someone-new').slice).toBe('stable');
  });
});
