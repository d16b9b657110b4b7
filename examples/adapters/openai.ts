/**
 * The README's OpenAI snippet, run against a stubbed fetch: `npx tsx examples/adapters/openai.ts`.
 * The body sent carries the version's model and params (test/adapters/examples.test.ts checks it).
 */
import OpenAI from 'openai';
import { chatCompletionRequest } from 'promptpin/openai';
import { createClient, stubFetch, vars, type SentRequest } from './stub.js';

export async function main(sent: SentRequest[] = []): Promise<string | null | undefined> {
  const openai = new OpenAI({ apiKey: 'test', fetch: stubFetch(sent) });
  const client = await createClient();
  // README:start
  const prompt = client.get('support-agent', 'user-42');
  const reply = await prompt.call((messages) => openai.chat.completions.create(chatCompletionRequest(prompt, messages)), { vars });
  // README:end
  await client.close();
  return reply.choices[0]?.message.content;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main());
