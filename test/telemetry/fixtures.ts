import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PromptClient, type PromptClientOptions } from 'promptpin';

/** A small prompts folder: two versions of a chat prompt in a rollout, a text prompt. */
export const FILES: Readonly<Record<string, string>> = {
  'support-agent/1.prompt': `---
model: gpt-4o-mini
provider: openai
params: { temperature: 0.2, max_tokens: 400, top_p: 0.9 }
variables:
  customer_name: string
  question: string
---
{{#system}}
You are the support agent for Acme.
{{/system}}
{{#user}}
Customer {{customer_name}} asks: {{question}}
{{/user}}
`,
  'support-agent/2.prompt': `---
model: gpt-4o-mini
provider: openai
params: { temperature: 0.1, max_tokens: 300 }
variables:
  customer_name: string
  question: string
---
{{#system}}
You are the support agent for Acme. Be concise.
{{/system}}
{{#user}}
Customer {{customer_name}} asks: {{question}}
{{/user}}
`,
  'billing/refund-agent/1.prompt': `---
model: claude-sonnet-4-5
params: { temperature: 0, max_tokens: 300 }
variables:
  order_id: string
---
Decide whether order {{order_id}} qualifies for a refund.
`,
  'promptpin.yaml': `environments:
  production:
    support-agent:
      stable: 1
      rollout:
        candidate: 2
        percent: 50
        salt: support-agent@2
        started: 2026-11-20T15:00:00Z
        author: ana
        expected: Output length falls 10-20%. Refusal rate unchanged.
        guards:
          - { signal: refusal, max_increase: 0.5pp }
        min_samples: 500
        window: 24h
        on_breach: alert
      overrides:
        qa-v1: 1
        qa-v2: 2
    billing/refund-agent:
      stable: 1
`,
};

/** A tracer provider with an in-memory exporter, plus extra processors first. */
export function memoryProvider(extra: SpanProcessor[] = []): { provider: BasicTracerProvider; exporter: InMemorySpanExporter; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [...extra, new SimpleSpanProcessor(exporter)] });
  return { provider, exporter, spans: () => exporter.getFinishedSpans() };
}

/** Creates a client over {@link FILES}. */
export function createClient(options: Partial<PromptClientOptions> = {}): Promise<PromptClient> {
  return PromptClient.create({ source: { files: FILES }, watch: false, ...options });
}

/** Registers the AsyncLocalStorage context manager; returns the function that removes it. */
export function useAsyncContext(): () => void {
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  context.setGlobalContextManager(manager);
  return () => {
    context.disable();
    trace.disable();
  };
}

/** An OpenAI Chat Completions result. */
export function chatCompletion(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'chatcmpl-123',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Reset it from Settings.', refusal: null }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 },
    ...over,
  };
}

/** OpenAI chat chunks as a stream with `include_usage`: usage arrives on the last chunk. */
export function chatChunks(text: string[]): Record<string, unknown>[] {
  const base = { id: 'chatcmpl-s1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini-2024-07-18' };
  return [
    ...text.map((t, i) => ({ ...base, choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: t } : { content: t }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { ...base, choices: [], usage: { prompt_tokens: 30, completion_tokens: text.length, total_tokens: 30 + text.length } },
  ];
}

/** All string values of a span's attributes and of its events' attributes. */
export function allTelemetryText(spans: readonly ReadableSpan[]): string {
  const parts: string[] = [];
  const add = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(add);
    else if (v !== undefined) parts.push(String(v));
  };
  for (const s of spans) {
    parts.push(s.name);
    Object.values(s.attributes).forEach(add);
    for (const e of s.events) {
      parts.push(e.name);
      Object.values(e.attributes ?? {}).forEach(add);
    }
    parts.push(s.status.message ?? '');
  }
  return parts.join('\n');
}
