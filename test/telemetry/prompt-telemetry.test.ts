import { context, propagation, SpanKind, SpanStatusCode, trace, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { isPromptError, type PromptError, type PromptOutcome } from 'promptpin';
import { afterEach, describe, expect, it } from 'vitest';
import { PromptTelemetry } from '../../src/telemetry/prompt-telemetry.js';
import { chatChunks, chatCompletion, createClient, memoryProvider, useAsyncContext } from './fixtures.js';

const VARS = { customer_name: 'Ann', question: 'How do I reset my password?' };

async function* fromArray<T>(items: readonly T[], onFinally?: () => void): AsyncGenerator<T> {
  try {
    for (const item of items) {
      await Promise.resolve();
      yield item;
    }
  } finally {
    onFinally?.();
  }
}

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('PromptTelemetry.call through prompt.call', () => {
  it('should run fn in one CLIENT span named "{operation} {model}" with prompt and GenAI attributes', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'qa-v2');
    const result = chatCompletion();
    let seenSpan: Span | undefined;
    let seenMessages: unknown;
    const out = await prompt.call(
      async (messages, span) => {
        seenSpan = span;
        seenMessages = messages;
        return result;
      },
      { vars: VARS },
    );
    expect(out).toBe(result);
    expect(seenMessages).toEqual(prompt.render(VARS));
    const [span, ...rest] = spans();
    expect(rest).toHaveLength(0);
    expect(span!.spanContext().spanId).toBe(seenSpan!.spanContext().spanId);
    expect(span!.name).toBe('chat gpt-4o-mini');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.attributes).toEqual({
      'prompt.name': 'support-agent',
      'prompt.version': 2,
      'prompt.hash': prompt.hash,
      'prompt.slice': 'override',
      'prompt.environment': 'production',
      'prompt.rollout.percent': 50,
      'gen_ai.prompt.name': 'support-agent',
      'gen_ai.prompt.version': '2',
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.1,
      'gen_ai.request.max_tokens': 300,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-123',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 42,
      'gen_ai.usage.output_tokens': 7,
    });
  });

  it('should omit prompt.rollout.percent outside a rollout and guess the provider from the model id', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('billing/refund-agent', 'u1');
    const text = prompt.call((rendered) => `echo:${String(rendered).length}`, { vars: { order_id: 'A-1' } });
    expect(text).toMatch(/^echo:\d+$/);
    const span = spans()[0]!;
    expect(span.name).toBe('chat claude-sonnet-4-5');
    expect(span.attributes['prompt.rollout.percent']).toBeUndefined();
    expect(span.attributes['prompt.slice']).toBe('stable');
    expect(span.attributes['gen_ai.provider.name']).toBe('anthropic');
    expect(span.attributes['gen_ai.request.temperature']).toBe(0);
  });

  it('should set request attributes at span start, where samplers see them', async () => {
    const seen: Record<string, unknown>[] = [];
    const { provider } = memoryProvider();
    const sampling: TracerProvider = {
      getTracer: (name, version) => {
        const real = provider.getTracer(name, version);
        return {
          startSpan: (n, options, ctx) => {
            seen.push({ ...options?.attributes });
            return real.startSpan(n, options, ctx);
          },
          startActiveSpan: real.startActiveSpan.bind(real),
        } as Tracer;
      },
    };
    const client = await createClient({ tracerProvider: sampling });
    client.get('support-agent', 'qa-v1').call(() => 1, { vars: VARS });
    expect(seen[0]).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'prompt.version': 1, 'gen_ai.request.top_p': 0.9 });
  });

  it('should return a sync result unchanged and end the span before returning', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    const value = { some: 'object' };
    expect(client.get('support-agent', 'qa-v1').call(() => value, { vars: VARS })).toBe(value);
    expect(spans()).toHaveLength(1);
  });

  it('should record, mark ERROR and rethrow the same error from an async fn', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    class RateLimitError extends Error {}
    const boom = new RateLimitError('429 rate limited');
    await expect(client.get('support-agent', 'qa-v1').call(() => Promise.reject(boom), { vars: VARS })).rejects.toBe(boom);
    const span = spans()[0]!;
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: '429 rate limited' });
    expect(span.attributes['error.type']).toBe('RateLimitError');
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
  });

  it('should record, mark ERROR and rethrow the same error from a sync fn', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    const boom = new TypeError('bad');
    expect(() =>
      client.get('support-agent', 'qa-v1').call(() => {
        throw boom;
      }, { vars: VARS }),
    ).toThrow(boom);
    expect(spans()[0]!.attributes['error.type']).toBe('TypeError');
    expect(spans()[0]!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('should throw render errors before any span starts or fn runs', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    let ran = false;
    expect(() => client.get('support-agent', 'qa-v1').call(() => (ran = true), { vars: { customer_name: 'Ann' } })).toThrow(/question/);
    expect(ran).toBe(false);
    expect(spans()).toHaveLength(0);
  });

  it('should keep a streamed span open until the stream is consumed, reading usage from the final chunk', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    const stream = await client.get('support-agent', 'qa-v1').call(async () => fromArray(chatChunks(['Re', 'set', ' it'])), { vars: VARS });
    expect(spans()).toHaveLength(0);
    const texts: string[] = [];
    for await (const chunk of stream) {
      const delta = (chunk as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content;
      if (delta) texts.push(delta);
      expect(spans()).toHaveLength(0);
    }
    expect(texts.join('')).toBe('Reset it');
    const span = spans()[0]!;
    expect(span.attributes).toMatchObject({
      'gen_ai.response.id': 'chatcmpl-s1',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 30,
      'gen_ai.usage.output_tokens': 3,
    });
    expect(span.attributes['promptpin.stream.abandoned']).toBeUndefined();
  });

  it('should end the span of an abandoned stream and forward return() to the source', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    let closed = false;
    const stream = await client.get('support-agent', 'qa-v1').call(async () => fromArray(chatChunks(['a', 'b', 'c']), () => (closed = true)), { vars: VARS });
    for await (const _chunk of stream) break;
    expect(closed).toBe(true);
    const span = spans()[0]!;
    expect(span.attributes['promptpin.stream.abandoned']).toBe(true);
    expect(span.attributes['gen_ai.response.id']).toBe('chatcmpl-s1');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('should record an error thrown mid-stream', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    const boom = new Error('connection reset');
    async function* failing(): AsyncGenerator<unknown> {
      yield chatChunks(['a'])[0];
      throw boom;
    }
    const stream = await client.get('support-agent', 'qa-v1').call(async () => failing(), { vars: VARS });
    await expect(
      (async () => {
        for await (const _ of stream) {
          /* consume */
        }
      })(),
    ).rejects.toBe(boom);
    expect(spans()[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(spans()[0]!.attributes['error.type']).toBe('Error');
  });

  it('should keep a stream object usable: other methods, private fields, chaining, terminal promises', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    class MessageStreamLike {
      readonly #events = [
        { type: 'message_start', message: { id: 'msg_1', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 11, output_tokens: 1 } } },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'approve' } },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } },
      ];
      handlers: string[] = [];
      controller = { abort: () => 'aborted' };
      on(name: string): this {
        this.handlers.push(name);
        return this;
      }
      async withResponse(): Promise<{ status: number }> {
        return { status: 200 };
      }
      async finalMessage(): Promise<unknown> {
        return { id: 'msg_1', type: 'message', model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text: 'approve' }], stop_reason: 'end_turn', usage: { input_tokens: 11, output_tokens: 5 } };
      }
      async *[Symbol.asyncIterator](): AsyncGenerator<unknown> {
        yield* this.#events;
      }
    }
    const stream = await client.get('billing/refund-agent', 'u').call(async () => new MessageStreamLike(), { vars: { order_id: 'A' } });
    expect(stream).toBeInstanceOf(MessageStreamLike);
    expect(stream.on('text').on('end')).toBe(stream);
    expect(stream.handlers).toEqual(['text', 'end']);
    expect(stream.controller.abort()).toBe('aborted');
    expect((await stream.withResponse()).status).toBe(200);
    await Promise.resolve();
    expect(spans()).toHaveLength(0);
    const message = (await stream.finalMessage()) as { id: string };
    expect(message.id).toBe('msg_1');
    await Promise.resolve();
    const span = spans()[0]!;
    expect(span.attributes).toMatchObject({ 'gen_ai.response.id': 'msg_1', 'gen_ai.usage.input_tokens': 11, 'gen_ai.usage.output_tokens': 5, 'gen_ai.response.finish_reasons': ['end_turn'] });
  });

  it('should keep the extra methods of a Promise subclass (OpenAI APIPromise.withResponse)', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    class APIPromiseLike<T> extends Promise<T> {
      withResponse(): Promise<{ data: T; status: number }> {
        return this.then((data) => ({ data, status: 200 }));
      }
    }
    const result = chatCompletion();
    const p = client.get('support-agent', 'qa-v1').call(() => new APIPromiseLike<typeof result>((resolve) => resolve(result)), { vars: VARS });
    expect(typeof p.withResponse).toBe('function');
    const { data, status } = await p.withResponse();
    expect(data).toBe(result);
    expect(status).toBe(200);
    expect(await p).toBe(result);
    expect(spans()).toHaveLength(1);
  });

  it('should let the outcome hook add and override fields, and report the outcome once before the span ends', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'qa-v1');
    const outcomes: { outcome: PromptOutcome; endedBefore: boolean }[] = [];
    const telemetry = new PromptTelemetry({ tracerProvider: provider, onError: () => {}, clock: (() => { let t = 0; return () => (t += 250); })() });
    const out = await telemetry.call(
      prompt,
      prompt.render(VARS),
      async () => chatCompletion({ choices: [{ index: 0, message: { role: 'assistant', content: 'I cannot help with that.' }, finish_reason: 'stop' }] }),
      { outcome: (_result, read) => ({ ...read, refusal: true, segment: 'password' }) },
      (outcome) => outcomes.push({ outcome, endedBefore: spans().length > 0 }),
    );
    expect((out as { id: string }).id).toBe('chatcmpl-123');
    expect(outcomes).toEqual([
      { outcome: { error: false, latency_ms: 250, refusal: true, tool_call: false, input_tokens: 42, output_tokens: 7, segment: 'password' }, endedBefore: false },
    ]);
    expect(spans()[0]!.attributes['promptpin.outcome.refusal']).toBe(true);
  });

  it('should report an error outcome once for a failed call', async () => {
    const { provider } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'qa-v1');
    const outcomes: PromptOutcome[] = [];
    const telemetry = new PromptTelemetry({ tracerProvider: provider, onError: () => {}, clock: () => 5 });
    await expect(telemetry.call(prompt, prompt.render(VARS), () => Promise.reject(new Error('x')), undefined, (o) => outcomes.push(o))).rejects.toThrow('x');
    expect(outcomes).toEqual([{ error: true, latency_ms: 0 }]);
  });

  it.each([
    ['a sync fn that throws undefined', (): unknown => {
      throw undefined;
    }],
    ['an async fn that rejects with no reason', (): Promise<unknown> => Promise.reject()],
  ])('should count %s as a failure: ERROR status, error.type _OTHER, no outcome hook, rethrown as is', async (_what, fn) => {
    const reader = new TestReader();
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'qa-v1');
    const outcomes: PromptOutcome[] = [];
    let hooked = 0;
    const telemetry = new PromptTelemetry({ tracerProvider: provider, meterProvider: new MeterProvider({ readers: [reader] }), onError: () => {}, clock: () => 5 });
    let thrown: { value: unknown } | undefined;
    try {
      await telemetry.call(prompt, prompt.render(VARS), fn, { outcome: () => (hooked++, { refusal: true }) }, (o) => outcomes.push(o));
    } catch (err) {
      thrown = { value: err };
    }
    expect(thrown).toEqual({ value: undefined });
    const span = spans()[0]!;
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(span.attributes['error.type']).toBe('_OTHER');
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
    expect(hooked).toBe(0);
    expect(outcomes).toEqual([{ error: true, latency_ms: 0 }]);
    const errors = (await collect(reader)).get('promptpin.errors');
    expect(errors).toEqual([expect.objectContaining({ attributes: expect.objectContaining({ 'error.type': '_OTHER' }), value: 1 })]);
  });

  it('should parent spans started inside fn under the call span (with a context manager)', async () => {
    cleanup = useAsyncContext();
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    const tracer = provider.getTracer('app');
    await client.get('support-agent', 'qa-v1').call(
      async () => {
        await new Promise((r) => setTimeout(r, 1));
        tracer.startSpan('http POST').end();
      },
      { vars: VARS },
    );
    const call = spans().find((s) => s.name === 'chat gpt-4o-mini')!;
    const child = spans().find((s) => s.name === 'http POST')!;
    expect(child.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
  });

  it('should keep each prompt version on its own span in nested calls of two prompts', async () => {
    cleanup = useAsyncContext();
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    await client.get('support-agent', 'qa-v2').call(
      async () => {
        await client.get('billing/refund-agent', 'u').call(async () => 'approve', { vars: { order_id: 'A' } });
        return 'done';
      },
      { vars: VARS },
    );
    const outer = spans().find((s) => s.attributes['prompt.name'] === 'support-agent')!;
    const inner = spans().find((s) => s.attributes['prompt.name'] === 'billing/refund-agent')!;
    expect(outer.attributes['prompt.version']).toBe(2);
    expect(inner.attributes['prompt.version']).toBe(1);
    expect(inner.attributes['gen_ai.request.model']).toBe('claude-sonnet-4-5');
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  });

  it('should add compatibility attributes only when asked', async () => {
    const { provider, spans } = memoryProvider();
    const prompt = (await createClient({ tracerProvider: provider })).get('support-agent', 'qa-v2');
    new PromptTelemetry({ tracerProvider: provider, onError: () => {}, compat: { openFeature: true, openInference: true } }).call(prompt, prompt.render(VARS), () => 1, undefined, () => {});
    new PromptTelemetry({ tracerProvider: provider, onError: () => {} }).call(prompt, prompt.render(VARS), () => 1, undefined, () => {});
    const [withCompat, without] = spans();
    expect(withCompat!.attributes).toMatchObject({ 'feature_flag.key': 'prompt:support-agent', 'feature_flag.result.variant': '2', 'llm.prompt_template.version': '2' });
    expect(Object.keys(without!.attributes).filter((k) => k.startsWith('feature_flag') || k.startsWith('llm.'))).toEqual([]);
  });

  it('should merge call attributes without letting them override prompt stamps', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider });
    client.get('support-agent', 'qa-v2').call(() => 1, { vars: VARS, attributes: { 'app.route': '/help', 'prompt.version': 99 } });
    expect(spans()[0]!.attributes['app.route']).toBe('/help');
    expect(spans()[0]!.attributes['prompt.version']).toBe(2);
  });
});

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

async function collect(reader: MetricReader): Promise<Map<string, DataPoint<unknown>[]>> {
  const { resourceMetrics } = await reader.collect();
  const out = new Map<string, DataPoint<unknown>[]>();
  for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) out.set(m.descriptor.name, m.dataPoints as DataPoint<unknown>[]);
  return out;
}

describe('PromptTelemetry metrics', () => {
  it('should record calls, errors, refusals, tool calls, token usage and duration per prompt version and slice', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { provider } = memoryProvider();
    const client = await createClient({ tracerProvider: provider, meterProvider });
    const v2 = client.get('support-agent', 'qa-v2');
    await v2.call(async () => chatCompletion(), { vars: VARS });
    await v2.call(async () => chatCompletion({ choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: 'No.' }, finish_reason: 'stop' }] }), { vars: VARS });
    await v2.call(
      async () => chatCompletion({ choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'book', arguments: '{}' } }] }, finish_reason: 'tool_calls' }] }),
      { vars: VARS },
    );
    await expect(v2.call(() => Promise.reject(new RangeError('x')), { vars: VARS })).rejects.toThrow();
    const data = await collect(reader);
    const base = { 'prompt.name': 'support-agent', 'prompt.version': 2, 'prompt.slice': 'override', 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };
    expect(data.get('promptpin.calls')).toEqual([expect.objectContaining({ attributes: base, value: 4 })]);
    expect(data.get('promptpin.refusals')).toEqual([expect.objectContaining({ attributes: base, value: 1 })]);
    expect(data.get('promptpin.tool_calls')).toEqual([expect.objectContaining({ attributes: base, value: 1 })]);
    expect(data.get('promptpin.errors')).toEqual([expect.objectContaining({ attributes: { ...base, 'error.type': 'RangeError' }, value: 1 })]);
    const tokens = data.get('gen_ai.client.token.usage')!;
    const input = tokens.find((p) => p.attributes['gen_ai.token.type'] === 'input')!.value as Histogram;
    const output = tokens.find((p) => p.attributes['gen_ai.token.type'] === 'output')!.value as Histogram;
    expect([input.count, input.sum]).toEqual([3, 126]);
    expect([output.count, output.sum]).toEqual([3, 21]);
    const durations = data.get('gen_ai.client.operation.duration')!;
    expect(durations.map((p) => (p.value as Histogram).count).sort()).toEqual([1, 3]);
  });

  it('should stamp error.type _OTHER on an error the outcome hook reports for a call that returned', async () => {
    const reader = new TestReader();
    const client = await createClient({ meterProvider: new MeterProvider({ readers: [reader] }) });
    await client.get('support-agent', 'qa-v2').call(async () => chatCompletion(), { vars: VARS, outcome: (_r, read) => ({ ...read, error: true }) });
    const data = await collect(reader);
    expect(data.get('promptpin.errors')).toEqual([expect.objectContaining({ attributes: expect.objectContaining({ 'prompt.version': 2, 'error.type': '_OTHER' }), value: 1 })]);
    // The call did not throw: its duration carries no error.type.
    expect(data.get('gen_ai.client.operation.duration')?.map((p) => p.attributes['error.type'])).toEqual([undefined]);
  });

  it('should record outcomes reported later through prompt.record', async () => {
    const reader = new TestReader();
    const client = await createClient({ meterProvider: new MeterProvider({ readers: [reader] }) });
    client.get('support-agent', 'qa-v1').record({ refusal: true, output_tokens: 12 });
    client.get('support-agent', 'qa-v1').record({ error: true });
    const data = await collect(reader);
    expect(data.get('promptpin.refusals')?.[0]?.value).toBe(1);
    // Every promptpin.errors point carries error.type, as docs/telemetry.md says: _OTHER when no error object is known.
    expect(data.get('promptpin.errors')).toEqual([
      expect.objectContaining({ attributes: { 'prompt.name': 'support-agent', 'prompt.version': 1, 'prompt.slice': 'override', 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'error.type': '_OTHER' }, value: 1 }),
    ]);
    expect(data.get('promptpin.calls')).toBeUndefined();
    expect((data.get('gen_ai.client.token.usage')?.[0]?.value as Histogram).sum).toBe(12);
  });
});

describe('PromptTelemetry without an SDK', () => {
  it('should work with no tracer or meter provider registered', async () => {
    trace.disable();
    const errors: PromptError[] = [];
    const client = await createClient({ onError: (e) => errors.push(e) });
    const prompt = client.get('support-agent', 'u1');
    let span: Span | undefined;
    expect(await prompt.call(async (_m, s) => ((span = s), 'ok'), { vars: VARS })).toBe('ok');
    expect(span!.isRecording()).toBe(false);
    const stream = await prompt.call(async () => fromArray(chatChunks(['x'])), { vars: VARS });
    let n = 0;
    for await (const _ of stream) n++;
    expect(n).toBe(3);
    expect(errors).toEqual([]);
  });
});

describe('PromptTelemetry fast path', () => {
  it('should return the very result and skip outcome work when nothing consumes it', async () => {
    trace.disable();
    const prompt = (await createClient()).get('billing/refund-agent', 'u1');
    expect(prompt.rolloutPercent).toBeUndefined();
    const outcomes: PromptOutcome[] = [];
    const result = Promise.resolve(chatCompletion());
    const lazy = new PromptTelemetry({ onError: () => {} });
    expect(lazy.call(prompt, prompt.render({ order_id: 'A' }), () => result, undefined, (o) => outcomes.push(o))).toBe(result);
    await result;
    expect(outcomes).toEqual([]);
    const eager = new PromptTelemetry({ onError: () => {}, wantsOutcome: () => true });
    await eager.call(prompt, prompt.render({ order_id: 'A' }), () => result, undefined, (o) => outcomes.push(o));
    expect(outcomes).toEqual([expect.objectContaining({ error: false, input_tokens: 42, output_tokens: 7 })]);
  });

  it('should still follow calls of a prompt in a rollout, with an outcome hook, or with a MeterProvider', async () => {
    trace.disable();
    const reader = new TestReader();
    const client = await createClient({ meterProvider: new MeterProvider({ readers: [reader] }) });
    await client.get('billing/refund-agent', 'u1').call(async () => chatCompletion(), { vars: { order_id: 'A' } });
    expect((await collect(reader)).get('promptpin.calls')?.[0]?.value).toBe(1);
    const bare = await createClient();
    const prompt = bare.get('billing/refund-agent', 'u1');
    let hooked = 0;
    await prompt.call(async () => chatCompletion(), { vars: { order_id: 'A' }, outcome: () => (hooked++, undefined) });
    expect(hooked).toBe(1);
    const outcomes: PromptOutcome[] = [];
    const inRollout = bare.get('support-agent', 'u1');
    expect(inRollout.rolloutPercent).toBe(50);
    new PromptTelemetry({ onError: () => {} }).call(inRollout, inRollout.render(VARS), () => chatCompletion(), undefined, (o) => outcomes.push(o));
    expect(outcomes).toHaveLength(1);
  });
});

describe('PromptTelemetry faults', () => {
  function expectTelemetryFaults(errors: PromptError[]): void {
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(isPromptError(e)).toBe(true);
      expect(e.code).toBe('TELEMETRY_FAILED');
    }
  }

  it('should never break call when a span processor throws (reported via onError)', async () => {
    const throwing: SpanProcessor = {
      onStart: () => {
        throw new Error('processor onStart exploded');
      },
      onEnd: (_s: ReadableSpan) => {
        throw new Error('exporter exploded');
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const { provider } = memoryProvider([throwing]);
    const errors: PromptError[] = [];
    const client = await createClient({ tracerProvider: provider, onError: (e) => errors.push(e) });
    expect(await client.get('support-agent', 'qa-v1').call(async () => 'fine', { vars: VARS })).toBe('fine');
    expectTelemetryFaults(errors);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/Telemetry for "support-agent" v1 failed while (starting the span|ending the span): .*exploded/);
  });

  it('should run fn once and return its result when the tracer itself throws', async () => {
    const faulty: TracerProvider = {
      getTracer: () =>
        ({
          startSpan: () => {
            throw new Error('tracer broken');
          },
          startActiveSpan: () => {
            throw new Error('tracer broken');
          },
        }) as unknown as Tracer,
    };
    const errors: PromptError[] = [];
    const client = await createClient({ tracerProvider: faulty, onError: (e) => errors.push(e) });
    let runs = 0;
    expect(client.get('support-agent', 'qa-v1').call(() => ++runs, { vars: VARS })).toBe(1);
    expect(runs).toBe(1);
    expectTelemetryFaults(errors);
  });

  it('should survive a getTracer that throws and hooks that throw', async () => {
    const errors: PromptError[] = [];
    const client = await createClient({
      tracerProvider: {
        getTracer: () => {
          throw new Error('no tracer');
        },
      },
      onError: (e) => errors.push(e),
    });
    const prompt = client.get('support-agent', 'qa-v1');
    const out = await prompt.call(async () => chatCompletion(), {
      vars: VARS,
      outcome: () => {
        throw new Error('classifier down');
      },
    });
    expect((out as { id: string }).id).toBe('chatcmpl-123');
    expectTelemetryFaults(errors);
    expect(errors.some((e) => /outcome hook/.test(e.message))).toBe(true);
  });

  it('should survive a span whose methods throw and an onOutcome that throws', async () => {
    const { provider } = memoryProvider();
    const prompt = (await createClient({ tracerProvider: provider })).get('support-agent', 'qa-v1');
    const errors: unknown[] = [];
    const brokenSpan = new Proxy(provider.getTracer('x').startSpan('y'), {
      get(t, p) {
        if (p === 'setAttributes' || p === 'end' || p === 'recordException') {
          return () => {
            throw new Error(`span.${String(p)} broken`);
          };
        }
        const v = Reflect.get(t, p, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    const tracerProvider: TracerProvider = { getTracer: () => ({ startSpan: () => brokenSpan, startActiveSpan: () => undefined }) as unknown as Tracer };
    const telemetry = new PromptTelemetry({ tracerProvider, onError: (e) => errors.push(e) });
    const out = await telemetry.call(prompt, prompt.render(VARS), async () => chatCompletion(), undefined, () => {
      throw new Error('guards broken');
    });
    expect((out as { id: string }).id).toBe('chatcmpl-123');
    expect(errors.map((e) => (e as Error).message).join('\n')).toMatch(/setting span attributes[\s\S]*reporting the outcome[\s\S]*ending the span/);
    await expect(telemetry.call(prompt, prompt.render(VARS), () => Promise.reject(new Error('llm down')), undefined, () => {})).rejects.toThrow('llm down');
  });
});

describe('PromptTelemetry baggage', () => {
  it('should put prompt.name and prompt.version in W3C baggage only when asked', async () => {
    cleanup = useAsyncContext();
    const prompt = (await createClient()).get('support-agent', 'qa-v2');
    const seen: (string | undefined)[][] = [];
    const read = (): number => {
      const bag = propagation.getBaggage(context.active());
      seen.push([bag?.getEntry('prompt.name')?.value, bag?.getEntry('prompt.version')?.value]);
      return 1;
    };
    new PromptTelemetry({ baggage: true, onError: () => {} }).call(prompt, prompt.render(VARS), read, undefined, () => {});
    new PromptTelemetry({ onError: () => {} }).call(prompt, prompt.render(VARS), read, undefined, () => {});
    expect(seen).toEqual([
      ['support-agent', '2'],
      [undefined, undefined],
    ]);
  });
});
