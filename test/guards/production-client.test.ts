/** The production guard engine through a real client and the release-file loader. */
import { afterEach, describe, expect, it } from 'vitest';
import { checkFolder } from '../../src/authoring.js';
import { createMemorySource, ErrorCode, PromptClient, type GuardBreachEvent, type PromptError } from '../../src/index.js';
import { parseReleaseFile, parseGuardShorthand, formatGuard, guardSignalProblem } from '../../src/registry/release.js';
import type { PromptEntry } from '../../src/registry/types.js';
import { GREET_V1, GREET_V2, releaseYaml } from '../support/folders.js';
import { mulberry32 } from '../support/random.js';

function release(opts: { guards?: string; percent?: number; signals?: string; expected?: string; window?: string } = {}): string {
  return `${opts.signals ?? ''}${releaseYaml(`  production:
    greet:
      stable: 1
      rollout:
        candidate: 2
        percent: ${opts.percent ?? 10}
        started: 2026-11-20T15:00:00Z
        expected: ${opts.expected ?? 'Output length falls 10-20%; refusal rate unchanged.'}
        guards:
${opts.guards ?? '          - { signal: refusal, max_increase: 0.5pp }'}
        min_samples: 500
        window: ${opts.window ?? '24h'}
`)}`;
}
const files = (yaml: string) => ({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': yaml });
const clients: PromptClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
const NOW = Date.parse('2026-11-20T16:00:00Z');

async function client(yaml: string, extra: { onError?: (e: PromptError) => void; now?: () => number } = {}) {
  const errors: PromptError[] = [];
  const breaches: GuardBreachEvent[] = [];
  const c = await PromptClient.create({ source: createMemorySource({ files: files(yaml) }), onBreach: (e) => breaches.push(e), now: extra.now ?? (() => NOW) });
  c.on('error', (e) => errors.push(e));
  clients.push(c);
  return { c, errors, breaches };
}

describe('outcomes are attributed to the unit get() resolved', () => {
  it('should carry the unit\'s phase and pseudo-cluster in the ResolvedPrompt, so record() needs no extra argument', async () => {
    const { c } = await client(release());
    const a = c.get('greet', 'user-1') as unknown as { guardUnit?: { phase: number; cluster: number } };
    const b = c.get('greet', 'user-1') as unknown as { guardUnit?: { phase: number; cluster: number } };
    expect(a.guardUnit).toEqual(b.guardUnit);
    expect(a).toBe(b); // cached per arm and cluster: get stays allocation-free after warm-up
    expect(a.guardUnit?.phase).toBe(1000);
    // Without a unit id nothing is randomized: the outcome is not compared.
    const anon = c.get('greet') as unknown as { guardUnit?: unknown; record: (o: object) => void };
    expect(anon.guardUnit).toBeUndefined();
    anon.record({ refusal: true });
    expect(c.status().guards[0]!.samples).toEqual({ stable: 0, candidate: 0 });
    c.get('greet', 'user-1').record({ refusal: false });
    expect(c.status().guards[0]!.samples.stable + c.status().guards[0]!.samples.candidate).toBe(1);
  });

  it('should start a new phase on a ramp while prompts already held keep the phase they were resolved in', async () => {
    const source = createMemorySource({ files: files(release({ percent: 10 })) });
    const c = await PromptClient.create({ source, now: () => NOW });
    clients.push(c);
    const held = c.get('greet', 'u1') as unknown as { guardUnit: { phase: number } };
    source.set({ files: files(release({ percent: 50 })) });
    await c.reload();
    expect((c.get('greet', 'u1') as unknown as { guardUnit: { phase: number } }).guardUnit.phase).toBe(5000);
    expect(held.guardUnit.phase).toBe(1000);
  });

  it('should not trip an A/A rollout ramped 10% → 50% while the baseline moves 0.4% → 2.0% (through the client)', async () => {
    const source = createMemorySource({ files: files(release({ percent: 10 })) });
    const breaches: GuardBreachEvent[] = [];
    const c = await PromptClient.create({ source, now: () => NOW, onBreach: (e) => breaches.push(e) });
    clients.push(c);
    const rand = mulberry32(11);
    const run = (n: number, p: number) => {
      for (let i = 0; i < n; i++) c.get('greet', `u${Math.floor(rand() * 1e9)}`).record({ refusal: rand() < p });
    };
    run(40_000, 0.004);
    source.set({ files: files(release({ percent: 50 })) });
    await c.reload();
    run(40_000, 0.02);
    expect(breaches).toEqual([]);
    const r = c.status().guards[0]!.reports[0]!;
    expect(r.unit).toBe('pp');
    expect(Math.abs(r.observed)).toBeLessThan(0.5);
  });

  it('should report a breach in one unit for people (pp, rounded) with its interval and a text line', async () => {
    const { c, breaches } = await client(release());
    const rand = mulberry32(7);
    for (let i = 0; i < 300_000 && breaches.length === 0; i++) {
      const p = c.get('greet', `u${Math.floor(rand() * 1e9)}`);
      p.record({ refusal: rand() < (p.slice === 'candidate' ? 0.013 : 0.004) });
    }
    expect(breaches).toHaveLength(1);
    const b = breaches[0]!;
    expect(b.unit).toBe('pp');
    expect(b.observed).toBe(Math.round(b.observed * 100) / 100);
    expect(b.interval[0]).toBeGreaterThan(0.5);
    expect(b.text).toMatch(/^refusal \+\d+\.?\d*pp \[\+\d+\.?\d*, \+\d+\.?\d*\] > 0\.5pp; n = [\d,]+ candidate \/ [\d,]+ stable$/);
    expect(b.evidence.candidateN).toBeLessThan(20_000);
  });
});

describe('guards that cannot be judged show up', () => {
  it('should flag a guarded signal that no outcome carries after 1,000 outcomes, in status() and once in onError', async () => {
    const { c, errors } = await client(release({ guards: '          - { signal: refusal, max_increase: 0.5pp }\n          - { signal: output_tokens, max_change: 25% }' }));
    for (let i = 0; i < 1_500; i++) c.get('greet', `u${i}`).record({ refusal: false });
    const s = c.status().guards[0]!;
    expect(s.noData).toEqual(['output_tokens:25%']);
    expect(s.reports.map((r) => r.noData)).toEqual([false, true]);
    expect(errors.filter((e) => e.code === ErrorCode.TELEMETRY_FAILED)).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/output_tokens:25% .* got no data in 1000 outcomes/);
  });

  it('should show a rollout past its window as stale', async () => {
    let now = NOW;
    const { c } = await client(release({ window: '2h' }), { now: () => now });
    expect(c.status().guards[0]!.stale).toBe(false);
    now = Date.parse('2026-11-20T17:00:01Z');
    expect(c.status().guards[0]).toMatchObject({ stale: true, state: 'window-closed' });
  });
});

describe('specs that can be judged (loader and check)', () => {
  const prompts = new Map<string, PromptEntry>([['greet', { name: 'greet', versions: new Map([[1, {} as never], [2, {} as never]]) }]]);
  const issuesOf = (yaml: string) => parseReleaseFile(yaml, prompts).issues.map((i) => i.message);

  it('should refuse a misspelled signal, with a suggestion', () => {
    const msgs = issuesOf(release({ guards: '          - { signal: refusl, max_increase: 0.5pp }', expected: 'Refusal rate unchanged; output length falls.' }));
    expect(msgs.join('\n')).toMatch(/guard signal "refusl" is not a known signal \(did you mean "refusal"\?\)/);
    const check = checkFolder({ promptFiles: [{ path: 'greet/1.prompt', text: GREET_V1 }, { path: 'greet/2.prompt', text: GREET_V2 }], releaseText: release({ guards: '          - { signal: refusl, max_increase: 0.5pp }' }) });
    expect(JSON.stringify(check)).toMatch(/refusl/);
  });

  it('should accept custom signals declared in promptpin.yaml, with their kind', () => {
    expect(issuesOf(release({ signals: 'signals: { escalation: rate, csat: mean }\n', guards: '          - { signal: escalation, max_increase: 1pp }\n          - { signal: csat, max_decrease: 5% }', expected: 'Escalation rate unchanged; csat stays flat.' }))).toEqual([]);
    const { environments } = parseReleaseFile(release({ signals: 'signals: { csat: mean }\n', guards: '          - { signal: csat, max_decrease: 5% }', expected: 'CSAT unchanged; no drop.' }), prompts);
    expect(environments.get('production')!.get('greet')!.rollout!.guards).toEqual([{ signal: 'csat', maxDecrease: 5, unit: '%' }]);
  });

  it('should refuse a threshold unit that does not fit the signal\'s kind (pp on a mean, % on a rate)', () => {
    expect(issuesOf(release({ guards: '          - { signal: output_tokens, max_increase: 0.5pp }' })).join('\n')).toMatch(/"output_tokens" is a mean, so its threshold is a relative change in %/);
    expect(issuesOf(release({ guards: '          - { signal: refusal, max_change: 10% }' })).join('\n')).toMatch(/"refusal" is a rate, so its threshold is in percentage points/);
    expect(issuesOf(release({ guards: '          - { signal: refusal, max_increase: 10% }' })).join('\n')).toMatch(/"refusal" is a rate/);
    expect(guardSignalProblem({ signal: 'latency_ms', maxIncrease: 20, unit: '%' }, {})).toBeNull();
  });

  it('should refuse an expected note that names none of the rollout\'s signals', () => {
    expect(issuesOf(release({ guards: '          - { signal: tool_call, max_decrease: 5pp }', expected: 'Output length falls 10-20% overall.' })).join('\n')).toMatch(/names no signal of the rollout's guards \(tool_call\)/);
    expect(issuesOf(release({ guards: '          - { signal: tool_call, max_decrease: 5pp }', expected: 'Tool calls unchanged; answers shorter.' }))).toEqual([]);
  });

  it('should parse and format one-sided mean guards (+20% / -20%) and keep two-sided % and pp guards', () => {
    expect(parseGuardShorthand('latency_ms:+20%')).toEqual({ signal: 'latency_ms', maxIncrease: 20, unit: '%' });
    expect(parseGuardShorthand('output_tokens:-10%')).toEqual({ signal: 'output_tokens', maxDecrease: 10, unit: '%' });
    expect(parseGuardShorthand('output_tokens:-100%')).toMatch(/cannot fall by 100%/);
    for (const g of ['latency_ms:+20%', 'output_tokens:-10%', 'output_tokens:25%', 'refusal:+0.5pp', 'tool_call:-5pp']) {
      expect(formatGuard(parseGuardShorthand(g) as never)).toBe(g);
    }
  });
});
