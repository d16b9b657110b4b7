/**
 * The README's Anthropic snippet, run against a stubbed fetch: `npx tsx examples/adapters/anthropic.ts`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { messagesRequest } from 'promptpin/anthropic';
import { createClient, stubFetch, vars, type SentRequest } from './stub.js';

export async function main(sent: SentRequest[] = []): Promise<string | undefined> {
  const anthropic = new Anthropic({ apiKey: 'test', fetch: stubFetch(sent) });
  const client = await createClient();
  // README:start
  const prompt = client.get('claude-agent', 'user-42');
  const reply = await prompt.call((messages) => anthropic.messages.create(messagesRequest(prompt, messages)), { vars });
  // README:end
  await client.close();
  const first = reply.content[0];
  return first?.type === 'text' ? first.text : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main());
