/**
 * `promptpin/openai`: request bodies for the OpenAI SDK (`openai`) from a resolved version, with
 * the version's model and params under the API's names. Nothing of `openai` is imported: the
 * bodies are plain objects, typed so that `openai.chat.completions.create(body)` and
 * `openai.responses.create(body)` accept them as they are.
 *
 * @example
 * const prompt = client.get('support-agent', userId);
 * const reply = await prompt.call((m) => openai.chat.completions.create(chatCompletionRequest(prompt, m)), { vars });
 *
 * @packageDocumentation
 */
import type { RenderedPrompt } from '../render/compile.js';
import type { ResolvedPrompt } from '../resolved-prompt.js';
import { serverOf } from '../telemetry/sent-request.js';
import { asMessages, described, jsonCopy, mapParams, reportSent, schemaName, snakeParams, splitSystem, type ParamMap } from './shared.js';

/** `tools` and `response_format` of a Chat Completions body, from the version's `tools:` and `output_schema:`. */
function chatExtras(prompt: ResolvedPrompt): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (prompt.tools?.length) {
    out.tools = prompt.tools.map((t) => ({ type: 'function', function: { name: t.name, ...described(t), ...(t.parameters ? { parameters: jsonCopy(t.parameters) } : {}) } }));
  }
  if (prompt.outputSchema) out.response_format = { type: 'json_schema', json_schema: { name: schemaName(prompt.outputSchema), schema: jsonCopy(prompt.outputSchema) } };
  return out;
}

/** `tools` and `text.format` of a Responses body (function tools sent with `strict: false`: the schema as declared). */
function responsesExtras(prompt: ResolvedPrompt): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (prompt.tools?.length) {
    out.tools = prompt.tools.map((t) => ({ type: 'function', name: t.name, ...described(t), parameters: t.parameters ? jsonCopy(t.parameters) : null, strict: false }));
  }
  if (prompt.outputSchema) out.text = { format: { type: 'json_schema', name: schemaName(prompt.outputSchema), schema: jsonCopy(prompt.outputSchema) } };
  return out;
}

/** The SDK's default base URL, for `server.address` / `server.port`. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** One Chat Completions message as the builder sends it. */
export interface OpenAIChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** Options of the OpenAI builders (not sent). */
export interface OpenAIBuildOptions {
  /**
   * The client's base URL, for `server.address` / `server.port` on the span (pass
   * `openai.baseURL` when it is not the default). @defaultValue {@link OPENAI_DEFAULT_BASE_URL}
   */
  readonly baseURL?: string;
}

/** A Chat Completions request body: model, messages, and the version's params. */
export type ChatCompletionRequest<E = object> = {
  model: string;
  messages: OpenAIChatMessage[];
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  [param: string]: unknown;
} & E;

/** A Responses request body: `instructions` (system text) and `input` (the other messages, or the text). */
export type ResponsesRequest<E = object> = {
  model: string;
  instructions?: string;
  input: string | OpenAIChatMessage[];
  temperature?: number;
  top_p?: number;
  max_output_tokens?: number;
  [param: string]: unknown;
} & E;

/** Models that take `max_completion_tokens` and refuse `max_tokens` (reasoning models). */
const COMPLETION_TOKENS_MODELS = /^(?:openai\/)?(?:o\d|gpt-5)/i;

const CHAT_PARAMS: ParamMap = {
  rename: { max_output_tokens: 'max_tokens', stop_sequences: 'stop' },
  drop: new Set(['top_k']),
};
const RESPONSES_PARAMS: ParamMap = {
  rename: { max_tokens: 'max_output_tokens', max_completion_tokens: 'max_output_tokens' },
  drop: new Set(['top_k', 'stop', 'stop_sequences', 'frequency_penalty', 'presence_penalty', 'seed', 'n', 'response_format', 'stream_options']),
};
const SNAKE = { temperature: 'temperature', top_p: 'top_p', max_tokens: 'max_tokens', max_completion_tokens: 'max_tokens', max_output_tokens: 'max_tokens', frequency_penalty: 'frequency_penalty', presence_penalty: 'presence_penalty', seed: 'seed', stop: 'stop' };

function outputType(body: Readonly<Record<string, unknown>>): string {
  const format = (body.response_format ?? (body.text as { format?: unknown } | undefined)?.format) as { type?: unknown } | undefined;
  return format?.type === 'json_object' || format?.type === 'json_schema' ? 'json' : 'text';
}

function report(body: Readonly<Record<string, unknown>>, options: OpenAIBuildOptions | undefined, system: readonly string[]): void {
  const server = serverOf(options?.baseURL ?? OPENAI_DEFAULT_BASE_URL);
  reportSent({
    sdk: 'openai',
    provider: 'openai',
    model: typeof body.model === 'string' ? body.model : undefined,
    params: snakeParams(body, SNAKE),
    serverAddress: server?.address,
    serverPort: server?.port,
    stream: body.stream === true,
    outputType: outputType(body),
    systemInstructions: system,
  });
}

/**
 * A Chat Completions body (`openai.chat.completions.create`): `model`, `messages` (a text template
 * is one user message), and the version's params — `max_tokens` becomes `max_completion_tokens`
 * for reasoning models (`o1`, `o3`, `gpt-5`…), `stop_sequences` becomes `stop`, `top_k` (not an
 * OpenAI parameter) is left out. The version's `tools:` go as `tools` (`{ type: 'function', function }`)
 * and its `output_schema:` as `response_format` (`json_schema`, named by the schema's `title`, else
 * `output`). `extra` is merged last (e.g. `{ stream: true }`). Inside a
 * `prompt.call`, the span records what was sent (model, params, server, stream, output type).
 */
export function chatCompletionRequest<const E extends Record<string, unknown> = Record<never, never>>(
  prompt: ResolvedPrompt,
  rendered: RenderedPrompt,
  extra?: E,
  options?: OpenAIBuildOptions,
): ChatCompletionRequest<E> {
  const params = mapParams(prompt.params, CHAT_PARAMS);
  if (params.max_tokens !== undefined && COMPLETION_TOKENS_MODELS.test(prompt.model) && params.max_completion_tokens === undefined) {
    params.max_completion_tokens = params.max_tokens;
    delete params.max_tokens;
  }
  const body = { ...params, model: prompt.model, messages: asMessages(rendered), ...chatExtras(prompt), ...extra } as ChatCompletionRequest<E>;
  report(body, options, []);
  return body;
}

/**
 * A Responses body (`openai.responses.create`): `model`, `instructions` (the system blocks, joined
 * by a blank line), `input` (the other messages; a text template's string as is), and the
 * version's params (`max_tokens` → `max_output_tokens`; params the Responses API refuses, such as
 * `stop`, `seed`, penalties and `top_k`, are left out). The version's `tools:` go as function
 * `tools` (`strict: false`: the schema as declared) and its `output_schema:` as `text.format`
 * (`json_schema`). `extra` is merged last.
 */
export function responsesRequest<const E extends Record<string, unknown> = Record<never, never>>(
  prompt: ResolvedPrompt,
  rendered: RenderedPrompt,
  extra?: E,
  options?: OpenAIBuildOptions,
): ResponsesRequest<E> {
  const params = mapParams(prompt.params, RESPONSES_PARAMS);
  let input: string | OpenAIChatMessage[];
  let system: string[] = [];
  if (typeof rendered === 'string') input = rendered;
  else {
    const split = splitSystem(rendered);
    system = split.system;
    input = split.rest;
  }
  const body = { ...params, model: prompt.model, ...(system.length > 0 ? { instructions: system.join('\n\n') } : {}), input, ...responsesExtras(prompt), ...extra } as ResponsesRequest<E>;
  report(body, options, system);
  return body;
}
