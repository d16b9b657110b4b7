/**
 * `promptpin/ai`: options for the Vercel AI SDK (`ai` v5+) — `generateText`, `streamText`,
 * `generateObject`, `streamObject` — from a resolved version, and readers of their results. Nothing
 * of `ai` is imported.
 *
 * Inside a `prompt.call`, {@link aiOptions} also makes the call follow the SDK's result: a
 * `generateText` result is read (usage, finish reason, tool calls); a `streamText` result keeps the
 * span open until the stream is consumed (through `textStream`, `fullStream`, or a response helper
 * such as `toTextStreamResponse()`), cancelled or abandoned, and ends it with the usage.
 *
 * @example
 * const prompt = client.get('support-agent', userId);
 * const result = prompt.call((m) => streamText(aiOptions(prompt, m, { model: openai })), { vars });
 * for await (const text of result.textStream) process.stdout.write(text);
 *
 * @packageDocumentation
 */
import type { RenderedPrompt } from '../render/compile.js';
import type { ResolvedPrompt } from '../resolved-prompt.js';
import { activeCallHandle, type FollowReading, type FollowSink, type ResultFollower } from '../telemetry/call-handle.js';
import { guessProvider } from '../telemetry/prompt-info.js';
import { described, EMPTY_OBJECT_SCHEMA, jsonCopy, reportSent, splitSystem } from './shared.js';

/**
 * A JSON Schema in the AI SDK's `Schema` shape (what `jsonSchema()` from `ai` returns: the
 * `Symbol.for('vercel.ai.schema')` brand, `jsonSchema`, no `validate`), built without importing `ai`.
 */
export interface AiJsonSchema {
  readonly jsonSchema: Record<string, unknown>;
  readonly validate: undefined;
  readonly _type: undefined;
}

function aiJsonSchema(schema: Readonly<Record<string, unknown>>): AiJsonSchema {
  return { [Symbol.for('vercel.ai.schema')]: true, _type: undefined, jsonSchema: jsonCopy(schema), validate: undefined };
}

/**
 * The version's `tools:` as the AI SDK's `tools` setting (`{ [name]: { description, inputSchema } }`);
 * `undefined` without tools. {@link aiOptions} adds it; add `execute` per tool yourself.
 */
export function aiTools(prompt: ResolvedPrompt): Record<string, { description?: string; inputSchema: AiJsonSchema }> | undefined {
  if (!prompt.tools?.length) return undefined;
  const out: Record<string, { description?: string; inputSchema: AiJsonSchema }> = {};
  for (const t of prompt.tools) out[t.name] = { ...described(t), inputSchema: aiJsonSchema(t.parameters ?? EMPTY_OBJECT_SCHEMA) };
  return out;
}

/**
 * The version's `output_schema:` as an AI SDK schema, for `generateObject({ ...aiOptions(…), schema: aiSchema(prompt) })`
 * (or `Output.object({ schema })`); `undefined` without one.
 */
export function aiSchema(prompt: ResolvedPrompt): AiJsonSchema | undefined {
  return prompt.outputSchema ? aiJsonSchema(prompt.outputSchema) : undefined;
}

/** What the AI SDK takes as `model`: a model object (`openai('gpt-4o')`) or a gateway id string. */
export type AiModel = string | { readonly modelId?: string; readonly provider?: string; readonly specificationVersion?: string };

/** Options of {@link aiOptions}: the model (or the provider function to call with the version's model id), and anything else to pass. */
export type AiOptionsInput<M, E> = {
  /**
   * A provider function called with the version's model id (`openai`, `anthropic`), a model object,
   * or omitted: the version's model id is passed as a string (AI Gateway).
   */
  readonly model?: M | ((modelId: string) => M);
} & E;

/** One message of the `messages` setting. */
export interface AiMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** The call settings built from the version: `prompt` for a text template, `system` + `messages` for a chat template. */
export type AiCallSettings<M> = AiSettings<M> & ({ prompt: string; messages?: never } | { messages: AiMessage[]; prompt?: never });

/** The settings besides the prompt. */
export interface AiSettings<M> {
  model: M | string;
  system?: string;
  temperature?: number;
  maxOutputTokens?: number;
  topP?: number;
  topK?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  stopSequences?: string[];
  seed?: number;
}

const RENAME: Readonly<Record<string, string>> = {
  temperature: 'temperature',
  max_tokens: 'maxOutputTokens',
  max_output_tokens: 'maxOutputTokens',
  max_completion_tokens: 'maxOutputTokens',
  top_p: 'topP',
  top_k: 'topK',
  presence_penalty: 'presencePenalty',
  frequency_penalty: 'frequencyPenalty',
  stop: 'stopSequences',
  stop_sequences: 'stopSequences',
  seed: 'seed',
  max_retries: 'maxRetries',
};

/** The version's params under the AI SDK's call-setting names (unknown params go to `providerOptions` only if you pass them). */
export function aiCallSettings(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const name = RENAME[key];
    if (name === undefined || value === undefined) continue;
    out[name] = name === 'stopSequences' && typeof value === 'string' ? [value] : value;
  }
  return out;
}

function providerOf(model: unknown): string | undefined {
  const p = typeof model === 'object' && model !== null ? (model as { provider?: unknown }).provider : undefined;
  if (typeof p === 'string' && p !== '') {
    const head = p.split('.')[0]!;
    return guessProvider(`${head}/x`) ?? head;
  }
  return typeof model === 'string' ? guessProvider(model) : undefined;
}

/**
 * Options for `generateText` / `streamText` / `generateObject` / `streamObject`: `model`, `system`
 * (the template's system blocks), `messages` (the other blocks) or `prompt` (a text template), and
 * the version's params as call settings (`max_tokens` → `maxOutputTokens`, `top_p` → `topP`,
 * `stop` → `stopSequences`, …). Anything else in `input` (tools, schema, abortSignal, callbacks) is
 * passed as is; your `onFinish` / `onError` / `onAbort` still run.
 */
export function aiOptions<M = never, const E extends Record<string, unknown> = Record<never, never>>(
  prompt: ResolvedPrompt,
  rendered: RenderedPrompt,
  input?: AiOptionsInput<M, E>,
): AiCallSettings<M> & Omit<E, 'model'> {
  const { model: given, ...extra } = (input ?? {}) as { model?: unknown } & Record<string, unknown>;
  const model = typeof given === 'function' ? (given as (id: string) => unknown)(prompt.model) : (given ?? prompt.model);
  const settings: Record<string, unknown> = { ...aiCallSettings(prompt.params), model };
  const tools = aiTools(prompt);
  if (tools !== undefined) settings.tools = tools;
  if (typeof rendered === 'string') settings.prompt = rendered;
  else {
    const { system, rest } = splitSystem(rendered);
    if (system.length > 0) settings.system = system.join('\n\n');
    settings.messages = rest.map((m) => ({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.content }));
  }
  Object.assign(settings, extra);
  const handle = activeCallHandle();
  if (handle !== undefined) {
    const follower = new AiFollower();
    for (const name of ['onFinish', 'onError', 'onAbort'] as const) {
      const user = settings[name] as ((event: unknown) => unknown) | undefined;
      settings[name] = (event: unknown): unknown => {
        follower.callback(name, event);
        return user?.(event);
      };
    }
    try {
      handle.follow(follower);
    } catch {
      // Telemetry never breaks a request.
    }
    const modelId = typeof model === 'string' ? model : (model as { modelId?: unknown } | null)?.modelId;
    reportSent({
      sdk: 'ai',
      provider: providerOf(model),
      model: typeof modelId === 'string' ? modelId : undefined,
      params: { temperature: settings.temperature, top_p: settings.topP, top_k: settings.topK, max_tokens: settings.maxOutputTokens, frequency_penalty: settings.frequencyPenalty, presence_penalty: settings.presencePenalty, seed: settings.seed, stop: settings.stopSequences },
      outputType: 'schema' in settings || 'output' in settings ? 'json' : 'text',
      systemInstructions: typeof settings.system === 'string' ? [settings.system] : [],
    });
  }
  return settings as AiCallSettings<M> & Omit<E, 'model'>;
}

type Obj = Record<string, unknown>;
const obj = (x: unknown): Obj | undefined => (typeof x === 'object' && x !== null ? (x as Obj) : undefined);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

/**
 * Reads an AI SDK result or `onFinish` event: `usage` / `totalUsage` (`inputTokens`,
 * `outputTokens`, cached input tokens), `finishReason`, `toolCalls`, `response.id` /
 * `response.modelId`. `undefined` when the value is not one.
 */
export function readAiResult(value: unknown): FollowReading | undefined {
  const r = obj(value);
  if (r === undefined) return undefined;
  let usage: Obj | undefined;
  let finish: unknown;
  try {
    usage = obj(r.totalUsage) ?? obj(r.usage);
    finish = r.finishReason;
  } catch {
    return undefined;
  }
  if (usage === undefined || typeof finish !== 'string') return undefined;
  const response = obj(r.response);
  const toolCalls = Array.isArray(r.toolCalls) ? r.toolCalls : [];
  const details = obj(usage.inputTokenDetails);
  return {
    format: 'ai-sdk',
    responseId: typeof response?.id === 'string' ? response.id : undefined,
    responseModel: typeof response?.modelId === 'string' ? response.modelId : undefined,
    finishReasons: [finish],
    inputTokens: num(usage.inputTokens),
    outputTokens: num(usage.outputTokens),
    cacheReadTokens: num(details?.cacheReadTokens) ?? num(usage.cachedInputTokens),
    cacheCreationTokens: num(details?.cacheWriteTokens),
    refusal: finish === 'content-filter',
    toolCall: toolCalls.length > 0 || finish === 'tool-calls',
    output: undefined,
  };
}

const STREAM_PROPS = new Set(['textStream', 'fullStream', 'partialObjectStream', 'elementStream', 'partialOutputStream', 'experimental_partialOutputStream']);

function isAiStreamResult(value: unknown): value is Obj {
  const r = obj(value);
  if (r === undefined) return false;
  try {
    return 'fullStream' in r && ('textStream' in r || 'partialObjectStream' in r) && typeof (r as { then?: unknown }).then !== 'function';
  } catch {
    return false;
  }
}

/**
 * Follows one AI SDK call: the `onFinish` event carries the usage; a stream read through the
 * result's own streams must also reach its end (so the span ends after the last chunk is
 * consumed); cancelling such a stream, `onAbort`, or the result being garbage-collected unread
 * abandons the call; `onError` fails it.
 */
class AiFollower implements ResultFollower {
  #sink: FollowSink | undefined;
  #result: unknown;
  #finished: { reading: FollowReading | undefined } | undefined;
  #error: { error: unknown } | undefined;
  #aborted = false;
  #reading = 0;
  #done = false;

  callback(name: 'onFinish' | 'onError' | 'onAbort', event: unknown): void {
    if (name === 'onFinish') this.#finished = { reading: readAiResult(event) };
    else if (name === 'onError') this.#error = { error: obj(event) !== undefined && 'error' in obj(event)! ? obj(event)!.error : event };
    else this.#aborted = true;
    this.#settle();
  }

  follow(result: unknown, sink: FollowSink): { readonly value: unknown } | undefined {
    if (isAiStreamResult(result)) {
      this.#sink = sink;
      this.#result = result;
      const proxy = this.#proxy(result);
      GC.register(proxy, sink);
      this.#settle();
      return { value: proxy };
    }
    const reading = readAiResult(result);
    if (reading === undefined) return undefined;
    sink.complete(reading, result);
    return { value: result };
  }

  #settle(): void {
    const sink = this.#sink;
    if (sink === undefined || this.#done) return;
    if (this.#error !== undefined) {
      this.#done = true;
      sink.fail(this.#error.error);
    } else if (this.#aborted) {
      this.#done = true;
      sink.abandon(this.#finished?.reading);
    } else if (this.#finished !== undefined && this.#reading === 0) {
      this.#done = true;
      sink.complete(this.#finished.reading, this.#result);
    }
  }

  #proxy(result: Obj): Obj {
    const bound = new Map<PropertyKey, unknown>();
    const streams = new Map<PropertyKey, unknown>();
    return new Proxy(result, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target) as unknown;
        if (STREAM_PROPS.has(prop as string) && value instanceof ReadableStream) {
          let s = streams.get(prop);
          if (s === undefined) streams.set(prop, (s = this.#follow(value)));
          return s;
        }
        if (typeof value === 'function') {
          let f = bound.get(prop);
          if (f === undefined) bound.set(prop, (f = (value as (...args: unknown[]) => unknown).bind(target)));
          return f;
        }
        return value;
      },
    });
  }

  /** A stream that passes `source` through, telling the follower when it is read to its end or cancelled. */
  #follow(source: ReadableStream<unknown>): ReadableStream<unknown> {
    let reader: ReadableStreamDefaultReader<unknown> | undefined;
    let state: 'idle' | 'reading' | 'over' = 'idle';
    const over = (): void => {
      if (state === 'reading') this.#reading--;
      state = 'over';
    };
    return new ReadableStream<unknown>(
      {
        pull: async (controller) => {
          if (state === 'idle') {
            state = 'reading';
            this.#reading++;
            reader = source.getReader();
          }
          try {
            const { done, value } = await reader!.read();
            if (done) {
              controller.close();
              over();
              this.#settle();
            } else controller.enqueue(value);
          } catch (err) {
            controller.error(err);
            over();
            if (this.#error === undefined) this.#error = { error: err };
            this.#settle();
          }
        },
        cancel: async (reason) => {
          const wasReading = state === 'reading';
          over();
          if (wasReading && this.#finished === undefined) {
            this.#aborted = true;
            this.#settle();
          } else this.#settle();
          await (reader ?? source).cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  }
}

/** A stream result dropped unread ends its span as abandoned (the sink ignores it once the call ended). */
const GC = new FinalizationRegistry<FollowSink>((sink) => {
  try {
    sink.abandon(undefined);
  } catch {
    // Nothing to report to: the call is gone.
  }
});
