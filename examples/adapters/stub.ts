/**
 * What the adapter examples share: a prompt folder in memory (one chat prompt per SDK) and a
 * stubbed `fetch` that answers like the OpenAI and Anthropic APIs and records every request body.
 */
import { createMemorySource, PromptClient, type PromptClientOptions } from 'promptpin';

const template = '{{#system}}\nYou are the support agent for Acme. Be direct.\n{{/system}}\n{{#user}}\nCustomer {{customer_name}} asks: {{question}}\n{{/user}}\n';
const front = (model: string, params: string): string =>
  `---\nmodel: ${model}\nparams: ${params}\nvariables:\n  customer_name: string\n  question: string\n---\n${template}`;

/** The prompts the adapter examples call. */
export const FILES = {
  'support-agent/1.prompt': front('gpt-4o-mini', '{ temperature: 0.2, max_tokens: 400, top_k: 5 }'),
  'claude-agent/1.prompt': front('claude-sonnet-4-5', '{ temperature: 0.3, max_tokens: 512, stop: END, seed: 7 }'),
  'promptpin.yaml': 'environments:\n  production:\n    support-agent: { stable: 1 }\n    claude-agent: { stable: 1 }\n',
};

/** The variables every example passes. */
export const vars = { customer_name: 'Ann', question: 'How do I reset my password?' };

/** A client over {@link FILES}. */
export function createClient(options: Partial<PromptClientOptions> = {}): Promise<PromptClient> {
  return PromptClient.create({ source: createMemorySource({ files: FILES }), watch: false, ...options });
}

/** A request the stub received. */
export interface SentRequest {
  readonly url: string;
  readonly body: Record<string, unknown>;
}

/** A `fetch` that answers like api.openai.com / api.anthropic.com, recording into `sent`. */
export function stubFetch(sent: SentRequest[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    sent.push({ url, body });
    const json = (value: unknown): Response => new Response(JSON.stringify(value), { status: 200, headers: { 'content-type': 'application/json', 'request-id': 'req_1' } });
    if (url.endsWith('/messages')) {
      return json({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text: 'Open Settings.' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 30, output_tokens: 4 } });
    }
    if (url.endsWith('/responses')) {
      return json({ id: 'resp_1', object: 'response', created_at: 1, model: 'gpt-4o-mini-2024-07-18', status: 'completed', output: [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Open Settings.', annotations: [] }] }], usage: { input_tokens: 30, output_tokens: 4, total_tokens: 34 } });
    }
    return json({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini-2024-07-18', choices: [{ index: 0, message: { role: 'assistant', content: 'Open Settings.', refusal: null }, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 30, completion_tokens: 4, total_tokens: 34 } });
  }) as typeof fetch;
}
