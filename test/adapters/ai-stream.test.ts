/** promptpin/ai: a streamText call's span lasts until the stream is consumed, cancelled or abandoned. */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { generateText, streamText } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aiOptions, readAiResult } from 'promptpin/ai';
import { mockProvider, type MockCall } from '../../examples/adapters/ai.js';
import { createClient, vars } from '../../examples/adapters/stub.js';

const events: string[] = [];
const exporter = new InMemorySpanExporter();
const recordEnd: SpanProcessor = {
  onStart: () => {},
  onEnd: (span) => {
    events.push(`span end: ${span.name}`);
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
const provider = new BasicTracerProvider({ spanProcessors: [recordEnd, new SimpleSpanProcessor(exporter)] });
const cm = new AsyncLocalStorageContextManager();
beforeAll(() => context.setGlobalContextManager(cm.enable()));
afterAll(() => {
  cm.disable();
  context.disable();
});
afterEach(() => {
  exporter.reset();
  events.length = 0;
});

const promptSpan = (): ReadableSpan => exporter.getFinishedSpans().find((s) => s.instrumentationScope.name === 'promptpin')!;

describe('promptpin/ai', () => {
  it('should end the streamText span after the last chunk is consumed, with usage (event order)', async () => {
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'u');
    const result = prompt.call((m) => streamText(aiOptions(prompt, m, { model: mockProvider([]) })), { vars });
    events.push('returned');
    for await (const chunk of result.textStream) events.push(`chunk: ${chunk}`);
    events.push('loop done');
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['returned', 'chunk: Open ', 'chunk: Settings.', 'span end: chat gpt-4o-mini', 'loop done']);
    const span = promptSpan();
    expect(span.attributes).toMatchObject({
      'prompt.version': 1,
      'gen_ai.usage.input_tokens': 30,
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 400,
    });
    expect(span.attributes['promptpin.stream.abandoned']).toBeUndefined();
    await client.close();
  });

  it('should keep the span open while the stream is not read, and end it when a response helper is consumed', async () => {
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'u');
    const result = prompt.call((m) => streamText(aiOptions(prompt, m, { model: mockProvider([]) })), { vars });
    await new Promise((r) => setImmediate(r));
    expect(exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === 'promptpin')).toHaveLength(0);
    const response = result.toTextStreamResponse();
    expect(await response.text()).toBe('Open Settings.');
    await new Promise((r) => setImmediate(r));
    expect(promptSpan().attributes['gen_ai.usage.output_tokens']).toBe(4);
    await client.close();
  });

  it('should end the span as abandoned when the consumer breaks out of fullStream', async () => {
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'u');
    const seen: MockCall[] = [];
    const slow = new MockLanguageModelV3({
      doStream: async (options) => {
        seen.push({ ...options, modelId: 'm' });
        return { stream: simulateReadableStream({ chunks: [{ type: 'stream-start', warnings: [] }, { type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: 'a' }, { type: 'text-delta', id: 't', delta: 'b' }], initialDelayInMs: null, chunkDelayInMs: null }) };
      },
    });
    const result = prompt.call((m) => streamText(aiOptions(prompt, m, { model: slow })), { vars });
    for await (const part of result.fullStream) if (part.type === 'text-delta') break;
    await new Promise((r) => setImmediate(r));
    expect(promptSpan().attributes['promptpin.stream.abandoned']).toBe(true);
    await client.close();
  });

  it('should read usage, finish reason and tool calls of a generateText result', async () => {
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'u');
    const model = new MockLanguageModelV3({
      doGenerate: async () => ({
        content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'book', input: '{}' }],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: { inputTokens: { total: 11, noCache: 11, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 3, text: 3, reasoning: undefined } },
        warnings: [],
      }),
    });
    const result = await prompt.call((m) => generateText(aiOptions(prompt, m, { model })), { vars });
    expect(readAiResult(result)).toMatchObject({ inputTokens: 11, outputTokens: 3, toolCall: true, finishReasons: ['tool-calls'] });
    expect(promptSpan().attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 11, 'gen_ai.usage.output_tokens': 3, 'promptpin.outcome.tool_call': true });
    await client.close();
  });

  it('should build options outside a call without following anything', () => {
    const opts = aiOptions({ model: 'gpt-4o', params: { max_tokens: 9, stop: 'X' } } as never, 'hello');
    expect(opts).toEqual({ model: 'gpt-4o', prompt: 'hello', maxOutputTokens: 9, stopSequences: ['X'] });
  });
});
