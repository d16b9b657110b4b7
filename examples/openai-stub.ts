/**
 * The exact user code with the real `openai` package: `prompt.call` wraps
 * `openai.chat.completions.create`, and the span carries prompt.version plus the usage, finish
 * reason and response id read from the result. The transport is a stubbed `fetch` (no network, no
 * key): it answers like the Chat Completions API, once as JSON and once as a stream (SSE).
 *
 *   npx tsx examples/openai-stub.ts
 */
import path from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { PromptClient, PromptSpanProcessor } from 'promptpin';

// --- A stubbed transport: what api.openai.com would answer. ---------------------------------------

const sent: { url: string; body: Record<string, unknown> }[] = [];

async function stubFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = input instanceof Request ? input.url : String(input);
  const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
  sent.push({ url, body });
  const base = { id: 'chatcmpl-stub-1', created: 1_767_225_600, model: 'gpt-4o-mini-2024-07-18' };
  if (body.stream === true) {
    const chunks = [
      { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'Open Settings ' }, finish_reason: null }] },
      { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: '→ Security → Reset password.' }, finish_reason: null }] },
      { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      { ...base, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 61, completion_tokens: 12, total_tokens: 73 } },
    ];
    const sse = chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n';
    return new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_stub_2' } });
  }
  const completion = {
    ...base,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Open Settings → Security → Reset password.', refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 61, completion_tokens: 12, total_tokens: 73 },
  };
  return new Response(JSON.stringify(completion), { status: 200, headers: { 'content-type': 'application/json', 'x-request-id': 'req_stub_1' } });
}

// --- OpenTelemetry: the SDK with an in-memory exporter, to print what would be exported. -----------

const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new PromptSpanProcessor(), new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);

// --- The user code. --------------------------------------------------------------------------------

const openai = new OpenAI({ apiKey: 'test', fetch: stubFetch });
const client = await PromptClient.create({ source: path.join(import.meta.dirname, 'prompts'), environment: 'production', watch: false });
const userId = 'qa-user-1'; // pinned to the candidate (v2) by an override in promptpin.yaml
const prompt = client.get('support-agent', userId);
const vars = { customer_name: 'Ann', plan: 'pro' as const, question: 'How do I reset my password?' };

const reply = await prompt.call(
  (messages) =>
    openai.chat.completions.create({
      model: prompt.model,
      messages: typeof messages === 'string' ? [{ role: 'user', content: messages }] : messages,
      temperature: prompt.params.temperature as number,
      max_tokens: prompt.params.max_tokens as number,
    }),
  { vars },
);
console.log(`reply: ${reply.choices[0]?.message.content}`);

// Streaming: the span stays open until the stream is consumed; usage comes from the last chunk.
const stream = await prompt.call(
  (messages) =>
    openai.chat.completions.create({
      model: prompt.model,
      messages: typeof messages === 'string' ? [{ role: 'user', content: messages }] : messages,
      stream: true,
      stream_options: { include_usage: true },
    }),
  { vars },
);
let streamed = '';
for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
console.log(`streamed reply: ${streamed}`);

await provider.forceFlush();

// --- What the spans carry. --------------------------------------------------------------------------

console.log('');
console.log(`requests sent through the stubbed fetch: ${sent.map((s) => `POST ${new URL(s.url).pathname} model=${String(s.body.model)}${s.body.stream ? ' stream' : ''}`).join('; ')}`);
const show = (span: ReadableSpan): void => {
  console.log('');
  console.log(`span "${span.name}" kind=${span.kind === 2 ? 'CLIENT' : span.kind} status=${span.status.code === 2 ? 'ERROR' : 'OK/UNSET'}`);
  for (const [key, value] of Object.entries(span.attributes)) console.log(`  ${key.padEnd(34)} ${JSON.stringify(value)}`);
};
const spans = exporter.getFinishedSpans();
spans.forEach(show);

await client.close();
contextManager.disable();

const ok =
  spans.length === 2 &&
  spans.every((s) => s.attributes['prompt.version'] === 2 && s.attributes['gen_ai.usage.output_tokens'] === 12 && s.attributes['gen_ai.response.id'] === 'chatcmpl-stub-1');
if (!ok) {
  console.error('Unexpected span attributes.');
  process.exit(1);
}
