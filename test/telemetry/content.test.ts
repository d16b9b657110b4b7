import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PromptError } from 'promptpin';
import { resolveCaptureMode } from '../../src/telemetry/content.js';
import { guessProvider } from '../../src/telemetry/prompt-info.js';
import { PromptTelemetry } from '../../src/telemetry/prompt-telemetry.js';
import { allTelemetryText, chatChunks, chatCompletion, createClient, memoryProvider } from './fixtures.js';

const NAME = 'Zephyrine-MARKER-name';
const QUESTION = 'MARKER-question: my card 4111 1111 1111 1111 was charged twice';
const OUTPUT = 'MARKER-output: I have refunded the duplicate charge';
const TOOL_ARGS = '{"MARKER-arg":"refund-42"}';
const VARS = { customer_name: NAME, question: QUESTION };

async function* stream(chunks: readonly unknown[]): AsyncGenerator<unknown> {
  for (const c of chunks) yield c;
}

/** Runs every kind of call once: whole, streamed, tool call, refusal, failure, record. */
async function exercise(captureContent?: boolean): Promise<string> {
  const { provider, spans } = memoryProvider();
  const client = await createClient({ tracerProvider: provider, ...(captureContent !== undefined ? { captureContent } : {}) });
  const prompt = client.get('support-agent', 'qa-v1');
  await prompt.call(async () => chatCompletion({ choices: [{ index: 0, message: { role: 'assistant', content: OUTPUT }, finish_reason: 'stop' }] }), { vars: VARS });
  const s = await prompt.call(async () => stream(chatChunks(['MARKER-output', ' streamed'])), { vars: VARS });
  for await (const _ of s) {
    /* consume */
  }
  await prompt.call(
    async () => chatCompletion({ choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'refund', arguments: TOOL_ARGS } }] }, finish_reason: 'tool_calls' }] }),
    { vars: VARS },
  );
  await prompt.call(async () => chatCompletion({ choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: 'MARKER-refusal text' }, finish_reason: 'stop' }] }), { vars: VARS });
  await expect(prompt.call(() => Promise.reject(new Error('upstream 500')), { vars: VARS })).rejects.toThrow();
  const traced = provider.getTracer('app');
  traced.startActiveSpan('request', (span) => {
    prompt.record({ refusal: true, segment: 'MARKER-segment' });
    span.end();
  });
  expect(spans().length).toBe(6);
  return allTelemetryText(spans());
}

const MARKERS = ['MARKER', 'Zephyrine', '4111', 'support agent for Acme', 'refund-42', 'streamed'];

beforeEach(() => {
  vi.stubEnv('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('content capture off (the default)', () => {
  it('should export no rendered prompt, variable value or output in any span attribute or event', async () => {
    const text = await exercise();
    for (const marker of MARKERS) expect(text, marker).not.toContain(marker);
    // The telemetry itself is there: the search looks at real data.
    expect(text).toContain('support-agent');
    expect(text).toContain('upstream 500');
  });

  it('should find the same markers when capture is on (the search is honest)', async () => {
    const text = await exercise(true);
    for (const marker of MARKERS.filter((m) => m !== 'MARKER-segment')) expect(text, marker).toContain(marker);
  });

  it('should stay off when the environment variable says NO_CONTENT or false', async () => {
    for (const value of ['NO_CONTENT', 'false', '0', 'nonsense']) {
      vi.stubEnv('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', value);
      const text = await exercise();
      expect(text, value).not.toContain('MARKER');
    }
  });
});

describe('content capture on', () => {
  it('should record gen_ai.input.messages, gen_ai.output.messages and gen_ai.prompt.variable.<key> on the span', async () => {
    const { provider, spans } = memoryProvider();
    const client = await createClient({ tracerProvider: provider, captureContent: true });
    const prompt = client.get('support-agent', 'qa-v1');
    await prompt.call(async () => chatCompletion({ choices: [{ index: 0, message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' }] }), { vars: { customer_name: 'Ann', question: 'Why?' } });
    const a = spans()[0]!.attributes;
    expect(JSON.parse(a['gen_ai.input.messages'] as string)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are the support agent for Acme.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Customer Ann asks: Why?' }] },
    ]);
    expect(JSON.parse(a['gen_ai.output.messages'] as string)).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Done.' }], finish_reason: 'stop' }]);
    expect(a['gen_ai.prompt.variable.customer_name']).toBe('Ann');
    expect(a['gen_ai.prompt.variable.question']).toBe('Why?');
  });

  it('should apply the redact hook to every piece, and drop a piece when the hook throws', async () => {
    const { provider, spans } = memoryProvider();
    const prompt = (await createClient()).get('support-agent', 'qa-v1');
    const errors: unknown[] = [];
    const telemetry = new PromptTelemetry({
      tracerProvider: provider,
      captureContent: 'SPAN_ONLY',
      onError: (e) => errors.push(e),
      redact: (text, target) => {
        if (target.key === 'question') throw new Error('scrubber down');
        return text.replace(/\d{4}( \d{4}){3}/g, '[card]').replace(/Zephyrine/g, '[name]');
      },
    });
    await telemetry.call(prompt, prompt.render(VARS), async () => chatCompletion({ choices: [{ index: 0, message: { role: 'assistant', content: 'Refunded 4111 1111 1111 1111' }, finish_reason: 'stop' }] }), { vars: VARS }, () => {});
    const a = spans()[0]!.attributes;
    expect(a['gen_ai.prompt.variable.customer_name']).toBe('[name]-MARKER-name');
    expect(a['gen_ai.prompt.variable.question']).toBeUndefined();
    expect(a['gen_ai.input.messages']).toContain('[card]');
    expect(a['gen_ai.output.messages']).toContain('Refunded [card]');
    expect(allTelemetryText(spans())).not.toContain('4111');
    expect((errors as PromptError[]).map((e) => e.code)).toEqual(['TELEMETRY_FAILED']);
  });

  it('should put content on a gen_ai.client.inference.operation.details event in EVENT_ONLY mode', async () => {
    const { provider, spans } = memoryProvider();
    const prompt = (await createClient()).get('support-agent', 'qa-v1');
    const telemetry = new PromptTelemetry({ tracerProvider: provider, onError: () => {}, env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'event_only' } });
    expect(telemetry.captureMode).toBe('EVENT_ONLY');
    await telemetry.call(prompt, prompt.render(VARS), async () => chatCompletion(), { vars: VARS }, () => {});
    const span = spans()[0]!;
    expect(Object.keys(span.attributes).filter((k) => k.startsWith('gen_ai.input') || k.startsWith('gen_ai.output') || k.startsWith('gen_ai.prompt.variable'))).toEqual([]);
    const [event] = span.events;
    expect(event?.name).toBe('gen_ai.client.inference.operation.details');
    expect(Object.keys(event?.attributes ?? {}).sort()).toEqual(['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.prompt.variable.customer_name', 'gen_ai.prompt.variable.question']);
  });

  it('should emit the input event for a failed call in SPAN_AND_EVENT mode', async () => {
    const { provider, spans } = memoryProvider();
    const prompt = (await createClient()).get('support-agent', 'qa-v1');
    const telemetry = new PromptTelemetry({ tracerProvider: provider, onError: () => {}, captureContent: 'SPAN_AND_EVENT' });
    expect(() =>
      telemetry.call(prompt, prompt.render(VARS), () => {
        throw new Error('x');
      }, { vars: VARS }, () => {}),
    ).toThrow('x');
    const span = spans()[0]!;
    expect(span.attributes['gen_ai.input.messages']).toBeDefined();
    expect(span.events.map((e) => e.name)).toEqual(['exception', 'gen_ai.client.inference.operation.details']);
  });
});

describe('resolveCaptureMode', () => {
  it.each([
    [true, undefined, 'SPAN_ONLY'],
    [false, 'SPAN_ONLY', 'NO_CONTENT'],
    ['EVENT_ONLY', undefined, 'EVENT_ONLY'],
    [undefined, undefined, 'NO_CONTENT'],
    [undefined, '', 'NO_CONTENT'],
    [undefined, 'true', 'SPAN_ONLY'],
    [undefined, 'TRUE', 'SPAN_ONLY'],
    [undefined, '1', 'SPAN_ONLY'],
    [undefined, 'false', 'NO_CONTENT'],
    [undefined, 'span_and_event', 'SPAN_AND_EVENT'],
    [undefined, 'EVENT_ONLY', 'EVENT_ONLY'],
    [undefined, 'NO_CONTENT', 'NO_CONTENT'],
    [undefined, 'maybe', 'NO_CONTENT'],
  ] as const)('should read option %j with env %j as %s', (option, env, expected) => {
    expect(resolveCaptureMode(option, env)).toBe(expected);
  });
});

describe('guessProvider', () => {
  it.each([
    ['gpt-4o-mini', 'openai'],
    ['o3-mini', 'openai'],
    ['o1', 'openai'],
    ['claude-sonnet-4-5', 'anthropic'],
    ['anthropic/claude-3-haiku', 'anthropic'],
    ['openai/gpt-4.1', 'openai'],
    ['gemini-2.5-pro', 'gcp.gemini'],
    ['mistral-large-latest', 'mistral_ai'],
    ['command-r-plus', 'cohere'],
    ['deepseek-chat', 'deepseek'],
    ['grok-4', 'x_ai'],
    ['llama-3.1-70b', undefined],
    ['my-finetune', undefined],
    ['omega', undefined],
  ])('should map %s to %s', (model, provider) => {
    expect(guessProvider(model)).toBe(provider);
  });
});
