/**
 * The README's Vercel AI SDK snippet, with the SDK's own mock model standing in for a provider:
 * `npx tsx examples/adapters/ai.ts`. `openai` here plays the role of `@ai-sdk/openai`'s provider
 * function: it is called with the version's model id.
 */
import { streamText } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { aiOptions } from 'promptpin/ai';
import { createClient, vars } from './stub.js';

/** The calls the mock model received. */
export type MockCall = Parameters<MockLanguageModelV3['doStream']>[0] & { readonly modelId: string };

/** A provider function like `@ai-sdk/openai`'s `openai`, backed by the mock model. */
export function mockProvider(calls: MockCall[]): (modelId: string) => MockLanguageModelV3 {
  return (modelId) =>
    new MockLanguageModelV3({
      provider: 'openai.chat',
      modelId,
      doStream: async (options) => {
        calls.push({ ...options, modelId });
        return {
          stream: simulateReadableStream({
            chunks: [
              { type: 'stream-start', warnings: [] },
              { type: 'response-metadata', id: 'resp-1', modelId: `${modelId}-2024-07-18` },
              { type: 'text-start', id: 't1' },
              { type: 'text-delta', id: 't1', delta: 'Open ' },
              { type: 'text-delta', id: 't1', delta: 'Settings.' },
              { type: 'text-end', id: 't1' },
              { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: { inputTokens: { total: 30, noCache: 30, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 4, text: 4, reasoning: undefined } } },
            ],
          }),
        };
      },
    });
}

export async function main(calls: MockCall[] = []): Promise<string> {
  const openai = mockProvider(calls);
  const client = await createClient();
  let text = '';
  // README:start
  const prompt = client.get('support-agent', 'user-42');
  const result = prompt.call((messages) => streamText(aiOptions(prompt, messages, { model: openai })), { vars });
  for await (const chunk of result.textStream) text += chunk;
  // README:end
  await client.close();
  return text;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main());
