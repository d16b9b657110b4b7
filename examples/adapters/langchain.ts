/**
 * The README's LangChain.js snippet, with LangChain's fake chat model standing in for
 * `ChatOpenAI`: `npx tsx examples/adapters/langchain.ts`. `ChatModel` here plays the role of
 * `@langchain/openai`'s `ChatOpenAI`: it is constructed from the version's fields.
 */
import type { BaseMessage } from '@langchain/core/messages';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { chatModelFields, langchainMessages } from 'promptpin/langchain';
import { createClient, vars } from './stub.js';

/** What the fake model was constructed with and received. */
export interface FakeCall {
  readonly fields: Record<string, unknown>;
  readonly messages: BaseMessage[];
}

/** A chat model class like `ChatOpenAI`, backed by the fake model, recording into `calls`. */
export function fakeChatModel(calls: FakeCall[]) {
  return class ChatModel extends FakeListChatModel {
    readonly #fields: Record<string, unknown>;
    constructor(fields: Record<string, unknown>) {
      super({ responses: ['Open Settings.'] });
      this.#fields = fields;
    }
    override async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']) {
      calls.push({ fields: this.#fields, messages });
      return super._generate(messages, options);
    }
  };
}

export async function main(calls: FakeCall[] = []): Promise<unknown> {
  const ChatModel = fakeChatModel(calls);
  const client = await createClient();
  // README:start
  const prompt = client.get('support-agent', 'user-42');
  const model = new ChatModel(chatModelFields(prompt));
  const reply = await prompt.call((messages) => model.invoke(langchainMessages(messages)), { vars });
  // README:end
  await client.close();
  return reply.content;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main());
