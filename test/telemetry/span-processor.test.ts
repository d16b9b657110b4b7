import { context, propagation, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PromptSpanProcessor } from '../../src/telemetry/span-processor.js';
import { createClient, memoryProvider, useAsyncContext } from './fixtures.js';

const VARS = { customer_name: 'Ann', question: 'Where is my order?' };
const PROMPT_KEYS = ['prompt.name', 'prompt.version', 'prompt.hash', 'prompt.slice', 'prompt.environment', 'prompt.rollout.percent'];

function promptStamps(span: ReadableSpan | undefined): Record<string, unknown> {
  expect(span).toBeDefined();
  return Object.fromEntries(Object.entries(span!.attributes).filter(([k]) => PROMPT_KEYS.includes(k)));
}

let cleanup: () => void;
beforeEach(() => {
  cleanup = useAsyncContext();
});
afterEach(() => cleanup());

describe('PromptSpanProcessor', () => {
  it('should stamp prompt.* on child spans across await, setTimeout and promise chains', async () => {
    const { provider, spans } = memoryProvider([new PromptSpanProcessor()]);
    const client = await createClient({ tracerProvider: provider });
    const tracer = provider.getTracer('app');
    const prompt = client.get('support-agent', 'qa-v2');
    await prompt.call(
      async () => {
        await Promise.resolve();
        tracer.startSpan('after await').end();
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            tracer.startSpan('in setTimeout').end();
            resolve();
          }, 1),
        );
        await Promise.resolve()
          .then(() => new Promise((r) => setImmediate(r)))
          .then(() => tracer.startSpan('in promise chain').end());
        await tracer.startActiveSpan('tool: lookup_order', async (tool) => {
          await new Promise((r) => setTimeout(r, 1));
          tracer.startSpan('http GET /orders').end();
          tool.end();
        });
      },
      { vars: VARS },
    );
    tracer.startSpan('outside any call').end();

    const expected = {
      'prompt.name': 'support-agent',
      'prompt.version': 2,
      'prompt.hash': prompt.hash,
      'prompt.slice': 'override',
      'prompt.environment': 'production',
      'prompt.rollout.percent': 50,
    };
    const byName = new Map(spans().map((s) => [s.name, s]));
    for (const name of ['after await', 'in setTimeout', 'in promise chain', 'tool: lookup_order', 'http GET /orders']) {
      expect(promptStamps(byName.get(name)), name).toEqual(expected);
    }
    expect(promptStamps(byName.get('outside any call'))).toEqual({});
  });

  it('should stamp a callback scheduled inside a call but run after it ended', async () => {
    const { provider, spans } = memoryProvider([new PromptSpanProcessor()]);
    const client = await createClient({ tracerProvider: provider });
    const tracer = provider.getTracer('app');
    let later!: Promise<void>;
    client.get('support-agent', 'qa-v1').call(
      () => {
        later = new Promise((resolve) =>
          setTimeout(() => {
            tracer.startSpan('background work').end();
            resolve();
          }, 2),
        );
      },
      { vars: VARS },
    );
    await later;
    expect(promptStamps(spans().find((s) => s.name === 'background work'))['prompt.version']).toBe(1);
  });

  it('should stamp the innermost prompt in nested calls, and the outer one again after the inner ends', async () => {
    const { provider, spans } = memoryProvider([new PromptSpanProcessor()]);
    const client = await createClient({ tracerProvider: provider });
    const tracer = provider.getTracer('app');
    await client.get('support-agent', 'qa-v2').call(
      async () => {
        tracer.startSpan('outer before').end();
        await client.get('billing/refund-agent', 'u').call(
          async () => {
            await new Promise((r) => setTimeout(r, 1));
            tracer.startSpan('inner work').end();
          },
          { vars: { order_id: 'A-1' } },
        );
        tracer.startSpan('outer after').end();
      },
      { vars: VARS },
    );
    const get = (name: string): Record<string, unknown> => promptStamps(spans().find((s) => s.name === name));
    expect(get('outer before')).toMatchObject({ 'prompt.name': 'support-agent', 'prompt.version': 2 });
    expect(get('outer after')).toMatchObject({ 'prompt.name': 'support-agent', 'prompt.version': 2 });
    expect(get('inner work')).toMatchObject({ 'prompt.name': 'billing/refund-agent', 'prompt.version': 1, 'prompt.slice': 'stable' });
    expect(get('inner work')['prompt.rollout.percent']).toBeUndefined();
    // The call spans themselves keep their own versions even with the processor registered.
    const inner = spans().find((s) => s.attributes['gen_ai.request.model'] === 'claude-sonnet-4-5');
    expect(promptStamps(inner)).toMatchObject({ 'prompt.name': 'billing/refund-agent', 'prompt.version': 1 });
    const outer = spans().find((s) => s.name === 'chat gpt-4o-mini');
    expect(promptStamps(outer)).toMatchObject({ 'prompt.name': 'support-agent', 'prompt.version': 2 });
  });

  it('should keep concurrent calls of different versions apart', async () => {
    const { provider, spans } = memoryProvider([new PromptSpanProcessor()]);
    const client = await createClient({ tracerProvider: provider });
    const tracer = provider.getTracer('app');
    const run = (unit: string, label: string): Promise<void> =>
      client.get('support-agent', unit).call(
        async () => {
          for (let i = 0; i < 3; i++) {
            await new Promise((r) => setTimeout(r, 1));
            tracer.startSpan(`${label}-${i}`).end();
          }
        },
        { vars: VARS },
      );
    await Promise.all([run('qa-v1', 'v1'), run('qa-v2', 'v2')]);
    for (const s of spans().filter((x) => /^v[12]-/.test(x.name))) {
      expect(s.attributes['prompt.version'], s.name).toBe(s.name.startsWith('v1') ? 1 : 2);
    }
    expect(spans().filter((x) => /^v[12]-/.test(x.name))).toHaveLength(6);
  });

  it('should stamp from W3C baggage only with fromBaggage', async () => {
    const bag = propagation.createBaggage({ 'prompt.name': { value: 'support-agent' }, 'prompt.version': { value: '4' } });
    const ctx = propagation.setBaggage(context.active(), bag);
    for (const fromBaggage of [true, false]) {
      const { provider, spans } = memoryProvider([new PromptSpanProcessor({ fromBaggage })]);
      context.with(ctx, () => provider.getTracer('downstream').startSpan('GET /inventory').end());
      expect(promptStamps(spans()[0])).toEqual(fromBaggage ? { 'prompt.name': 'support-agent', 'prompt.version': 4 } : {});
    }
  });

  it('should carry prompt.* to a downstream service through propagated baggage', async () => {
    const { provider, spans } = memoryProvider([new PromptSpanProcessor({ fromBaggage: true })]);
    const client = await createClient({ tracerProvider: provider });
    const { PromptTelemetry } = await import('../../src/telemetry/prompt-telemetry.js');
    const { W3CBaggagePropagator } = await import('@opentelemetry/core');
    const prompt = client.get('support-agent', 'qa-v2');
    const headers: Record<string, string> = {};
    new PromptTelemetry({ baggage: true, onError: () => {} }).call(prompt, prompt.render(VARS), () => {
      new W3CBaggagePropagator().inject(context.active(), headers, { set: (c, k, v) => (c[k] = v) });
    }, undefined, () => {});
    expect(headers.baggage).toMatch(/prompt\.name=support-agent/);
    // The receiving service extracts the header and starts its server span.
    const incoming = new W3CBaggagePropagator().extract(trace.deleteSpan(context.active()), headers, { get: (c, k) => c[k], keys: (c) => Object.keys(c) });
    context.with(incoming, () => provider.getTracer('inventory').startSpan('GET /inventory').end());
    expect(promptStamps(spans().find((s) => s.name === 'GET /inventory'))).toEqual({ 'prompt.name': 'support-agent', 'prompt.version': 2 });
  });

  it('should never throw from onStart', () => {
    const processor = new PromptSpanProcessor({ fromBaggage: true });
    const badSpan = {
      setAttributes: () => {
        throw new Error('x');
      },
      setAttribute: () => {
        throw new Error('x');
      },
    } as unknown as Parameters<PromptSpanProcessor['onStart']>[0];
    const ctx = context.active().setValue(Symbol.for('promptpin.prompt-call'), { 'prompt.name': 'a' });
    expect(() => processor.onStart(badSpan, ctx)).not.toThrow();
  });
});
