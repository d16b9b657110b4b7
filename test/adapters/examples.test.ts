/** The README's adapter snippets (examples/adapters/*.ts) send the version's model and params. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { main as aiMain, type MockCall } from '../../examples/adapters/ai.js';
import { main as anthropicMain } from '../../examples/adapters/anthropic.js';
import { main as langchainMain, type FakeCall } from '../../examples/adapters/langchain.js';
import { main as openaiMain } from '../../examples/adapters/openai.js';
import type { SentRequest } from '../../examples/adapters/stub.js';

const root = new URL('../..', import.meta.url).pathname;

async function snippet(file: string): Promise<string[]> {
  const text = await readFile(`${root}/examples/adapters/${file}`, 'utf8');
  const body = /\/\/ README:start\n([\s\S]*?)\n\s*\/\/ README:end/.exec(text)![1]!;
  return body.split('\n').map((l) => l.trim());
}

describe('adapter examples', () => {
  it('should send the version model, messages and params to Chat Completions (openai, stubbed fetch)', async () => {
    const sent: SentRequest[] = [];
    expect(await openaiMain(sent)).toBe('Open Settings.');
    expect(sent).toHaveLength(1);
    expect(new URL(sent[0]!.url).pathname).toBe('/v1/chat/completions');
    expect(sent[0]!.body).toEqual({
      model: 'gpt-4o-mini',
      temperature: 0.2,
      max_tokens: 400,
      messages: [
        { role: 'system', content: 'You are the support agent for Acme. Be direct.' },
        { role: 'user', content: 'Customer Ann asks: How do I reset my password?' },
      ],
    }); // top_k is not an OpenAI parameter: left out
  });

  it('should send top-level system, max_tokens and Anthropic param names to Messages (anthropic, stubbed fetch)', async () => {
    const sent: SentRequest[] = [];
    expect(await anthropicMain(sent)).toBe('Open Settings.');
    expect(new URL(sent[0]!.url).pathname).toBe('/v1/messages');
    expect(sent[0]!.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 512,
      temperature: 0.3,
      stop_sequences: ['END'],
      system: 'You are the support agent for Acme. Be direct.',
      messages: [{ role: 'user', content: 'Customer Ann asks: How do I reset my password?' }],
    }); // seed is not an Anthropic parameter: left out
  });

  it('should call the AI SDK model with the version model id, system, messages and call settings (ai, mock model)', async () => {
    const calls: MockCall[] = [];
    expect(await aiMain(calls)).toBe('Open Settings.');
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.modelId).toBe('gpt-4o-mini');
    expect(call.temperature).toBe(0.2);
    expect(call.maxOutputTokens).toBe(400);
    expect(call.topK).toBe(5);
    expect(call.prompt).toEqual([
      { role: 'system', content: 'You are the support agent for Acme. Be direct.' },
      { role: 'user', content: [{ type: 'text', text: 'Customer Ann asks: How do I reset my password?' }] },
    ]);
  });

  it('should build the LangChain model from the version fields and pass the rendered messages (langchain, fake model)', async () => {
    const calls: FakeCall[] = [];
    expect(await langchainMain(calls)).toBe('Open Settings.');
    expect(calls[0]!.fields).toEqual({ model: 'gpt-4o-mini', temperature: 0.2, maxTokens: 400, topK: 5 });
    expect(calls[0]!.messages.map((m) => [m.type, m.content])).toEqual([
      ['system', 'You are the support agent for Acme. Be direct.'],
      ['human', 'Customer Ann asks: How do I reset my password?'],
    ]);
  });

  it.each(['openai.ts', 'anthropic.ts', 'ai.ts', 'langchain.ts'])('should keep the README snippet of %s at most 6 lines, verbatim', async (file) => {
    const lines = await snippet(file);
    expect(lines.length).toBeLessThanOrEqual(6);
    const readme = await readFile(`${root}/README.md`, 'utf8');
    for (const line of lines) expect(readme).toContain(line);
  });
});
