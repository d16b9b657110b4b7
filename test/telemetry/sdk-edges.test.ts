/**
 * Edge cases of real SDK result shapes: the `openai` client with a stubbed fetch (no network).
 * Each case was a defect: an unhandled rejection, an aborted stream counted as a success, a span
 * left open by toReadableStream(), a frozen thenable, an error whose getters throw.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySource, PromptClient, type PromptOutcome } from '../../src/index.js';

const FILES = {
  'a/1.prompt': '---\nmodel: gpt-4o-mini\nvariables:\n  q: string\n---\n{{#user}}\n{{q}}\n{{/user}}\n',
  'promptpin.yaml': 'environments:\n  production:\n    a: { stable: 1 }\n',
};

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const clients: PromptClient[] = [];
afterEach(async () => {
  exporter.reset();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function prompt(errors: unknown[] = []) {
  const client = await PromptClient.create({ source: createMemorySource({ files: FILES }), watch: false, tracerProvider: provider, onError: (e) => errors.push(e) });
  clients.push(client);
  return client.get('a', 'u');
}

function streamingFetch(): typeof fetch {
  const base = { id: 'chatcmpl-1', created: 1, model: 'gpt-4o-mini' };
  return (async (_input: unknown, init?: RequestInit) => {
    const chunks: unknown[] = [0, 1, 2, 3, 4].map((i) => ({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: `w${i}` }, finish_reason: i === 4 ? 'stop' : null }] }));
    chunks.push({ ...base, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 61, completion_tokens: 12, total_tokens: 73 } });
    const encoder = new TextEncoder();
    const signal = init?.signal;
    const body = new ReadableStream({
      async start(controller) {
        for (const c of chunks) {
          if (signal?.aborted) {
            controller.error(new DOMException('aborted', 'AbortError'));
            return;
          }
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(c)}\n\n`));
          await nextTurn(); // one chunk per event-loop turn, as a network stream delivers them
        }
        controller.enqueue(encoder.encode('data: [DONE]\n\n'));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }) as unknown as typeof fetch;
}

describe('prompt.call with real SDK shapes', () => {
  it('should not leave an unhandled rejection when a failed call is used through .withResponse()', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const openai = new OpenAI({
        apiKey: 'x',
        maxRetries: 0,
        fetch: (async () => new Response(JSON.stringify({ error: { message: 'bad key' } }), { status: 401, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch,
      });
      const p = await prompt();
      await expect(p.call(() => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }), { vars: { q: 'x' } }).withResponse()).rejects.toMatchObject({ status: 401 });
      // Node reports unhandled rejections once the microtask queue drains: two turns cover it.
      await nextTurn();
      await nextTurn();
      expect(unhandled).toEqual([]);
      expect(exporter.getFinishedSpans()).toHaveLength(1);
      expect(exporter.getFinishedSpans()[0]!.attributes['error.type']).toBe('AuthenticationError');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('should record an aborted stream as abandoned, not as a completed call', async () => {
    const openai = new OpenAI({ apiKey: 'x', fetch: streamingFetch() });
    const p = await prompt();
    const outcomes: PromptOutcome[] = [];
    const stream = await p.call(
      () => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }),
      { vars: { q: 'x' }, outcome: (_r, read) => (outcomes.push(read), read) },
    );
    let n = 0;
    for await (const _chunk of stream) if (++n === 2) stream.controller.abort();
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes['promptpin.stream.abandoned']).toBe(true);
    // Nothing of a half-read stream (tokens, refusal, tool calls) reaches the guards.
    expect(outcomes).toEqual([{ error: false, abandoned: true }]);
  });

  it('should end the span when the stream is read through toReadableStream()', async () => {
    const openai = new OpenAI({ apiKey: 'x', fetch: streamingFetch() });
    const p = await prompt();
    const stream = await p.call(
      () => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }),
      { vars: { q: 'x' } },
    );
    const reader = stream.toReadableStream().getReader();
    let chunks = 0;
    while (!(await reader.read()).done) chunks++;
    for (let turns = 0; exporter.getFinishedSpans().length === 0 && turns < 100; turns++) await nextTurn();
    expect(chunks).toBe(6);
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes['gen_ai.usage.output_tokens']).toBe(12);
  });

  it('should return the value of a frozen thenable, and keep the user error when its getters throw', async () => {
    const errors: unknown[] = [];
    const p = await prompt(errors);
    const frozen = Object.freeze({ then: (resolve: (v: number) => void) => resolve(7) });
    await expect(Promise.resolve(p.call(() => frozen as unknown as Promise<number>, { vars: { q: 'x' } }))).resolves.toBe(7);
    const userError = new Proxy(new Error('user err'), {
      get(target, prop) {
        if (prop === 'constructor') throw new Error('telemetry-internal');
        return Reflect.get(target, prop) as unknown;
      },
    });
    let caught: unknown;
    try {
      p.call(() => {
        throw userError;
      }, { vars: { q: 'x' } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBe(userError);
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });
});
