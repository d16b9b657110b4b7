/**
 * Stamp mode with a GenAI auto-instrumentation (@opentelemetry/instrumentation-openai) patching a
 * real `openai` client (stubbed fetch): usage is exported once, on the instrumented LLM span, and
 * that span carries the prompt version.
 */
import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromptSpanProcessor } from 'promptpin';
import { chatCompletionRequest } from 'promptpin/openai';
import { createClient, stubFetch, vars, type SentRequest } from '../../examples/adapters/stub.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new PromptSpanProcessor(), new SimpleSpanProcessor(exporter)] });
const cm = new AsyncLocalStorageContextManager();
const instrumentation = new OpenAIInstrumentation({ enabled: false });
type OpenAICtor = typeof import('openai').default;
let OpenAI: OpenAICtor;

beforeAll(() => {
  context.setGlobalContextManager(cm.enable());
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  const mod = createRequire(import.meta.url)('openai') as { OpenAI: OpenAICtor };
  // NB: if another file already loaded openai in this worker, require-in-the-middle saw nothing: patch by hand.
  const definition = instrumentation.getModuleDefinitions()[0]!;
  if (!(mod.OpenAI.Chat.Completions.prototype.create as { __wrapped?: boolean }).__wrapped) definition.patch?.(mod);
  OpenAI = mod.OpenAI;
});
afterAll(() => {
  instrumentation.disable();
  cm.disable();
  context.disable();
});

const USAGE = ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens'];

describe('stamp mode with @opentelemetry/instrumentation-openai', () => {
  it('should export usage once, on the LLM span, which carries prompt.version (telemetry: "stamp", compat links)', async () => {
    exporter.reset();
    const sent: SentRequest[] = [];
    const openai = new OpenAI({ apiKey: 'test', fetch: stubFetch(sent) });
    const client = await createClient({ tracerProvider: provider, telemetry: 'stamp', compat: { langfuse: true, traceloop: true, openInference: true } });
    const prompt = client.get('support-agent', 'user-42');
    const reply = await prompt.call((m) => openai.chat.completions.create(chatCompletionRequest(prompt, m)), { vars });
    expect(reply.usage?.completion_tokens).toBe(4);
    await client.close();

    const spans = exporter.getFinishedSpans();
    const llm = spans.filter((s) => s.instrumentationScope.name === '@opentelemetry/instrumentation-openai');
    const wrapper = spans.filter((s) => s.instrumentationScope.name === 'promptpin');
    expect(llm).toHaveLength(1);
    expect(wrapper).toHaveLength(1);
    expect(llm[0]!.parentSpanContext?.spanId).toBe(wrapper[0]!.spanContext().spanId);
    // Usage counted once: only the LLM span has it.
    const withUsage = spans.filter((s) => USAGE.some((k) => s.attributes[k] !== undefined));
    expect(withUsage).toEqual(llm);
    expect(llm[0]!.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 30,
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.request.temperature': 0.2,
      'prompt.name': 'support-agent',
      'prompt.version': 1,
      'gen_ai.prompt.name': 'support-agent',
      'gen_ai.prompt.version': '1',
      'langfuse.observation.prompt.name': 'support-agent',
      'langfuse.observation.prompt.version': 1,
      'traceloop.prompt.key': 'support-agent',
      'traceloop.prompt.version': 1,
      'llm.prompt_template.version': '1',
    });
    // The wrapper: no GenAI attributes at all, so no backend takes it for a second generation.
    expect(wrapper[0]!.name).toBe('prompt support-agent');
    expect(Object.keys(wrapper[0]!.attributes).filter((k) => k.startsWith('gen_ai.'))).toEqual([]);
    expect(wrapper[0]!.attributes['prompt.version']).toBe(1);
  });

  it('should count usage twice in full mode (the case stamp mode exists for), and stamp only prompt.* on the child', async () => {
    exporter.reset();
    const openai = new OpenAI({ apiKey: 'test', fetch: stubFetch([]) });
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'user-42');
    await prompt.call((m) => openai.chat.completions.create(chatCompletionRequest(prompt, m)), { vars });
    await client.close();
    const spans = exporter.getFinishedSpans();
    expect(spans.filter((s) => s.attributes['gen_ai.usage.output_tokens'] === 4)).toHaveLength(2);
    const llm = spans.find((s) => s.instrumentationScope.name === '@opentelemetry/instrumentation-openai')!;
    expect(llm.attributes['prompt.version']).toBe(1);
    expect(llm.attributes['gen_ai.prompt.version']).toBeUndefined();
  });

  it('should switch one call to stamp mode with call(fn, { mode: "stamp" })', async () => {
    exporter.reset();
    const openai = new OpenAI({ apiKey: 'test', fetch: stubFetch([]) });
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'user-42');
    await prompt.call((m) => openai.chat.completions.create(chatCompletionRequest(prompt, m)), { vars, mode: 'stamp' });
    await client.close();
    expect(exporter.getFinishedSpans().filter((s) => s.attributes['gen_ai.usage.output_tokens'] === 4)).toHaveLength(1);
  });
});
