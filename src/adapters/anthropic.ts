/**
 * `promptpin/anthropic`: Messages request bodies for the Anthropic SDK (`@anthropic-ai/sdk`) from a
 * resolved version: top-level `system`, `messages`, the required `max_tokens`, and the version's
 * params under Anthropic's names. Nothing of the SDK is imported.
 *
 * @example
 * const prompt = client.get('support-agent', userId);
 * const reply = await prompt.call((m) => anthropic.messages.create(messagesRequest(prompt, m)), { vars });
 *
 * @packageDocumentation
 */
import type { RenderedPrompt } from '../render/compile.js';
import type { ResolvedPrompt } from '../resolved-prompt.js';
import { serverOf } from '../telemetry/sent-request.js';
import { described, EMPTY_OBJECT_SCHEMA, jsonCopy, mapParams, reportSent, snakeParams, splitSystem, type ParamMap } from './shared.js';

/**
 * `max_tokens` sent when neither the version's params nor `extra` give one: the Messages API
 * requires it. Declare `max_tokens` in the `.prompt` file's `params` to choose your own.
 */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/** The SDK's default base URL, for `server.address` / `server.port`. */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** One Messages message as the builder sends it (`system` goes top-level). */
export interface AnthropicMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/** A Messages request body. */
export type MessagesRequest<E = object> = {
  model: string;
  max_tokens: number;
  system?: string;
  messages: AnthropicMessage[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  [param: string]: unknown;
} & E;

/** Options of {@link messagesRequest} (not sent). */
export interface AnthropicBuildOptions {
  /** The client's base URL, for `server.address` / `server.port`. @defaultValue {@link ANTHROPIC_DEFAULT_BASE_URL} */
  readonly baseURL?: string;
}

const PARAMS: ParamMap = {
  rename: { max_output_tokens: 'max_tokens', max_completion_tokens: 'max_tokens', stop: 'stop_sequences' },
  drop: new Set(['frequency_penalty', 'presence_penalty', 'seed', 'n', 'response_format', 'logprobs', 'top_logprobs', 'stream_options']),
};
const SNAKE = { temperature: 'temperature', top_p: 'top_p', top_k: 'top_k', max_tokens: 'max_tokens', stop_sequences: 'stop_sequences' };

/**
 * A Messages body (`anthropic.messages.create`): `system` (the template's system blocks, joined by
 * a blank line), `messages` (the other blocks; a text template is one user message), `max_tokens`
 * (the version's, else {@link ANTHROPIC_DEFAULT_MAX_TOKENS}), and the version's params
 * (`stop` → `stop_sequences` as an array; OpenAI-only params such as penalties and `seed` are left
 * out). The version's `tools:` go as `tools` (`{ name, description, input_schema }`) and its
 * `output_schema:` as `output_config.format` (`json_schema`). `extra` is merged last (e.g. `{ stream: true }`).
 */
export function messagesRequest<const E extends Record<string, unknown> = Record<never, never>>(
  prompt: ResolvedPrompt,
  rendered: RenderedPrompt,
  extra?: E,
  options?: AnthropicBuildOptions,
): MessagesRequest<E> {
  const params = mapParams(prompt.params, PARAMS);
  if (typeof params.stop_sequences === 'string') params.stop_sequences = [params.stop_sequences];
  const { system, rest } = splitSystem(rendered);
  const messages = rest.map((m) => ({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.content }));
  const body = {
    max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
    ...params,
    model: prompt.model,
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    messages,
    ...(prompt.tools?.length ? { tools: prompt.tools.map((t) => ({ name: t.name, ...described(t), input_schema: jsonCopy(t.parameters ?? EMPTY_OBJECT_SCHEMA) })) } : {}),
    ...(prompt.outputSchema ? { output_config: { format: { type: 'json_schema', schema: jsonCopy(prompt.outputSchema) } } } : {}),
    ...extra,
  } as MessagesRequest<E>;
  const server = serverOf(options?.baseURL ?? ANTHROPIC_DEFAULT_BASE_URL);
  reportSent({
    sdk: 'anthropic',
    provider: 'anthropic',
    model: body.model,
    params: snakeParams(body, SNAKE),
    serverAddress: server?.address,
    serverPort: server?.port,
    stream: body.stream === true,
    outputType: 'text',
    systemInstructions: system,
  });
  return body;
}
