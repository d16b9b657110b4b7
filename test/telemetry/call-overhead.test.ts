import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PromptClient, type PromptOutcome } from 'promptpin';
import { activeCallHandle } from '../../src/telemetry/call-handle.js';
import { PromptTelemetry } from '../../src/telemetry/prompt-telemetry.js';
import { GuardCoordinator } from '../../src/guards/coordinator.js';
import type { Rollout } from '../../src/registry/types.js';

// Work counted, not time: no test here asserts a duration (the figures live in bench/call.bench.ts).
const SOURCE = new URL('../../examples/prompts', import.meta.url).pathname;
const WITHIN_WINDOW = Date.parse('2026-11-20T16:00:00Z');
const VARS = { customer_name: 'Ann', plan: 'pro', question: 'Why?' };
const completion = () => ({ object: 'chat.completion', id: 'c1', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 3 } });

afterEach(() => {
  context.disable();
  trace.disable();
  vi.restoreAllMocks();
});

describe('call overhead without an OpenTelemetry SDK', () => {
  it('should build no Context when no context manager is registered, and still count every guarded outcome', async () => {
    trace.disable();
    context.disable();
    const client = await PromptClient.create({ source: SOURCE, watch: false, now: () => WITHIN_WINDOW });
    const setValue = vi.spyOn(ROOT_CONTEXT, 'setValue');
    let seen = 0;
    for (let n = 0; n < 200; n++) {
      client.get('support-agent', `u-${n}`).call(() => {
        // Request builders still find the running call (the sync slot).
        if (activeCallHandle() !== undefined) seen++;
        return completion();
      }, { vars: VARS });
    }
    expect(setValue).not.toHaveBeenCalled();
    expect(seen).toBe(200);
    const samples = client.status().guards[0]!.samples;
    expect(samples.stable + samples.candidate).toBe(200);
    await client.close();
  });

  it('should still expose the call handle after an await when a context manager is registered', async () => {
    trace.disable();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const client = await PromptClient.create({ source: SOURCE, watch: false, now: () => WITHIN_WINDOW });
    let handle: unknown;
    await client.get('support-agent', 'u-1').call(async () => {
      await Promise.resolve();
      handle = activeCallHandle();
      return completion();
    }, { vars: VARS });
    expect(handle).toBeDefined();
    await client.close();
  });

  it('should read the clock only when something uses the latency', async () => {
    trace.disable();
    const client = await PromptClient.create({ source: SOURCE, watch: false });
    const prompt = client.get('support-agent', 'u-1');
    expect(prompt.rolloutPercent).toBeDefined();
    const reads = { n: 0 };
    const clock = (): number => (reads.n++, 1000 + reads.n);
    const outcomes: PromptOutcome[] = [];
    const untimed = new PromptTelemetry({ onError: () => {}, clock, wantsLatency: () => false });
    untimed.call(prompt, prompt.render(VARS), completion, undefined, (o) => outcomes.push(o));
    expect(reads.n).toBe(0);
    expect(outcomes[0]).toEqual({ error: false, refusal: false, tool_call: false, input_tokens: 5, output_tokens: 3 });
    // Default: timed (a latency guard, an outcome hook, a MeterProvider or a recording span need it).
    new PromptTelemetry({ onError: () => {}, clock }).call(prompt, prompt.render(VARS), completion, undefined, (o) => outcomes.push(o));
    expect(reads.n).toBe(2);
    expect(outcomes[1]).toMatchObject({ latency_ms: 1 });
    untimed.call(prompt, prompt.render(VARS), completion, { outcome: () => undefined }, (o) => outcomes.push(o));
    expect(reads.n).toBe(4);
    await client.close();
  });

  it('should time calls of a rollout only when one of its guards judges latency_ms', () => {
    const guards = new GuardCoordinator({ now: () => 0, onBreach: () => {}, onError: () => {} });
    const rollout = (signal: string): Rollout => ({ candidate: 2, percent: 10, salt: 's', expected: '', guards: [{ signal, maxIncrease: 10, unit: '%' }], minSamples: 10, onBreach: 'rollback' });
    guards.ensure('a', 'p', 1, rollout('output_tokens'));
    guards.ensure('b', 'p', 1, rollout('latency_ms'));
    expect(guards.wantsLatency('a')).toBe(false);
    expect(guards.wantsLatency('b')).toBe(true);
    expect(guards.wantsLatency('unknown')).toBe(false);
  });
});
