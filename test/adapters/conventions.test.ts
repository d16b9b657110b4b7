/** What a request builder sent lands on the call span; backend links; the OpenFeature event; gen_ai.provider.name always set. */
import Anthropic from '@anthropic-ai/sdk';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySource, PromptClient } from 'promptpin';
import { messagesRequest } from 'promptpin/anthropic';
import { chatCompletionRequest, responsesRequest } from 'promptpin/openai';
import { createClient, stubFetch, vars, type SentRequest } from '../../examples/adapters/stub.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
afterEach(() => exporter.reset());
const only = () => exporter.getFinishedSpans()[0]!;

describe('request builders on the call span', () => {
  it('should stamp server, stream, output type and the model actually sent (openai, JSON output, model override)', async () => {
    const sent: SentRequest[] = [];
    const openai = new OpenAI({ apiKey: 'test', fetch: stubFetch(sent), baseURL: 'http://127.0.0.1:8080/v1' });
    const client = await createClient({ tracerProvider: provider });
    const prompt = client.get('support-agent', 'u');
    await prompt.call((m) => openai.chat.completions.create(chatCompletionRequest(prompt, m, { model: 'gpt-4o', response_format: { type: 'json_object' } }, { baseURL: openai.baseURL })), { vars });
    await client.close();
    expect(sent[0]!.body.model).toBe('gpt-4o');
    expect(only().name).toBe('chat gpt-4o');
    expect(only().attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4o', 'server.address': '127.0.0.1', 'server.port': 8080, 'gen_ai.request.stream': false, 'gen_ai.output.type': 'json', 'gen_ai.provider.name': 'openai' });
  });

  it('should put the system blocks in instructions (Responses) and record them as gen_ai.system_instructions with capture on', async () => {
    const sent: SentRequest[] = [];
    const openai = new OpenAI({ apiKey: 'test', fetch: stubFetch(sent) });
    const client = await createClient({ tracerProvider: provider, captureContent: true });
    const prompt = client.get('support-agent', 'u');
    await prompt.call((m) => openai.responses.create(responsesRequest(prompt, m)), { vars });
    await client.close();
    expect(sent[0]!.body).toEqual({
      model: 'gpt-4o-mini',
      temperature: 0.2,
      max_output_tokens: 400,
      instructions: 'You are the support agent for Acme. Be direct.',
      input: [{ role: 'user', content: 'Customer Ann asks: How do I reset my password?' }],
    });
    const attrs = only().attributes;
    expect(JSON.parse(String(attrs['gen_ai.system_instructions']))).toEqual([{ type: 'text', content: 'You are the support agent for Acme. Be direct.' }]);
    expect(JSON.parse(String(attrs['gen_ai.input.messages'])).map((m: { role: string }) => m.role)).toEqual(['user']);
    expect(attrs['server.address']).toBe('api.openai.com');
  });

  it('should default max_tokens to 4096 for Anthropic when the version has none, and map max_tokens → max_completion_tokens for reasoning models', async () => {
    const files = {
      'c/1.prompt': '---\nmodel: claude-haiku-4-5\n---\nHi\n',
      'o/1.prompt': '---\nmodel: o3-mini\nparams: { max_tokens: 50 }\n---\nHi\n',
      'promptpin.yaml': 'environments:\n  production:\n    c: { stable: 1 }\n    o: { stable: 1 }\n',
    };
    const client = await PromptClient.create({ source: createMemorySource({ files }), watch: false });
    const c = client.get('c', 'u');
    expect(messagesRequest(c, c.render())).toEqual({ model: 'claude-haiku-4-5', max_tokens: 4096, messages: [{ role: 'user', content: 'Hi' }] });
    const o = client.get('o', 'u');
    expect(chatCompletionRequest(o, o.render())).toEqual({ model: 'o3-mini', max_completion_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
    await client.close();
  });

  it('should always set gen_ai.provider.name: from the builder when the model says nothing, else _OTHER', async () => {
    const files = {
      'l/1.prompt': '---\nmodel: llama-3.1-70b\n---\nHi\n',
      'promptpin.yaml': 'environments:\n  production:\n    l: { stable: 1 }\n',
    };
    const client = await PromptClient.create({ source: createMemorySource({ files }), watch: false, tracerProvider: provider });
    const p = client.get('l', 'u');
    const anthropic = new Anthropic({ apiKey: 'test', fetch: stubFetch([]) });
    await p.call((m) => anthropic.messages.create(messagesRequest(p, m)));
    expect(only().attributes['gen_ai.provider.name']).toBe('anthropic');
    exporter.reset();
    await p.call(async () => ({ text: 'no known shape' }));
    expect(only().attributes['gen_ai.provider.name']).toBe('_OTHER');
    await client.close();
  });
});

describe('backend links (compat)', () => {
  it('should add the Datadog prompt-tracking JSON and the OpenFeature feature_flag.evaluation event', async () => {
    const client = await createClient({ tracerProvider: provider, compat: { datadog: true, openFeature: true } });
    const prompt = client.get('support-agent', 'u');
    await prompt.call(() => 1, { vars });
    const status = client.status();
    await client.close();
    const span = only();
    expect(JSON.parse(String(span.attributes['_dd.ml_obs.prompt_tracking']))).toEqual({
      id: 'support-agent',
      name: 'support-agent',
      version: '1',
      chat_template: [
        { role: 'system', content: 'You are the support agent for Acme. Be direct.' },
        { role: 'user', content: 'Customer {{customer_name}} asks: {{question}}' },
      ],
    });
    const event = span.events.find((e) => e.name === 'feature_flag.evaluation')!;
    expect(event.attributes).toEqual({
      'feature_flag.key': 'prompt:support-agent',
      'feature_flag.result.variant': '1',
      'feature_flag.provider.name': 'promptpin',
      'feature_flag.result.reason': 'static',
      'feature_flag.set.id': 'production',
      'feature_flag.version': status.revision,
    });
  });
});
