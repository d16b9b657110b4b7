import { context, createContextKey, type Attributes } from '@opentelemetry/api';
import type { ResultReading } from './readers.js';

/**
 * The OpenTelemetry Context key under which a running `prompt.call` exposes its {@link CallHandle}
 * to the request builders of `promptpin/openai`, `promptpin/anthropic`, `promptpin/ai` and
 * `promptpin/langchain`. `Symbol.for` underneath, so the ESM and CJS copies share it.
 * @internal
 */
export const CALL_HANDLE_KEY = createContextKey('promptpin.call-handle');

/**
 * The OpenTelemetry Context key under which a stamp-mode call keeps the attributes that
 * {@link PromptSpanProcessor} stamps on the GenAI span of an auto-instrumentation.
 * @internal
 */
export const PROMPT_LLM_CONTEXT_KEY = createContextKey('promptpin.prompt-call.llm');

/** Which SDK a request builder built for (the last resort for `gen_ai.provider.name`). */
export type AdapterSdk = 'openai' | 'anthropic' | 'ai' | 'langchain';

/** What a request builder actually sent, stamped on the call span. @internal */
export interface SentRequest {
  readonly sdk: AdapterSdk;
  /** `gen_ai.provider.name` the SDK implies (`openai`, `anthropic`), when it implies one. */
  readonly provider?: string | undefined;
  readonly model?: string | undefined;
  /** Request parameters under their snake_case names (`temperature`, `max_tokens`, `top_p`, …). */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly serverAddress?: string | undefined;
  readonly serverPort?: number | undefined;
  readonly stream?: boolean | undefined;
  /** `gen_ai.output.type`: `text`, `json`, `image`, `speech`. */
  readonly outputType?: string | undefined;
  /** System text the API takes apart from the messages (only recorded with content capture). */
  readonly systemInstructions?: readonly string[] | undefined;
}

/** What a {@link ResultFollower} reports: a reading of the result, in the built-in readers' shape. */
export type FollowReading = Omit<ResultReading, 'format'> & { readonly format: string };

/** Where a {@link ResultFollower} reports how the call ended (each at most once; later calls are ignored). */
export interface FollowSink {
  /** The call completed; `result` is what the `outcome` hook receives. */
  complete(reading: FollowReading | undefined, result: unknown): void;
  /** The call failed (a stream errored, a promise rejected). */
  fail(err: unknown): void;
  /** The consumer stopped early (cancelled, `break`). */
  abandon(reading: FollowReading | undefined): void;
}

/**
 * Follows results of one SDK: a builder registers it on the call so that the call span lasts as
 * long as the result does (an AI SDK `streamText` result, a LangChain stream).
 * @internal
 */
export interface ResultFollower {
  /**
   * Takes over an (awaited) result: returns `{ value }`, the value `call` returns in its place
   * (the result itself or a faithful wrapper), after arranging for `sink` to be told how it ends;
   * `undefined` to leave the result to the built-in readers.
   */
  follow(result: unknown, sink: FollowSink): { readonly value: unknown } | undefined;
}

/** A running call, as request builders see it. @internal */
export interface CallHandle {
  /** Stamps what was actually sent (model, params, server, stream, output type). Never throws. */
  sent(request: SentRequest): void;
  /** Lets `follower` read and follow this call's result. */
  follow(follower: ResultFollower): void;
}

/**
 * The handle of the call whose `fn` is running synchronously right now (no context manager needed).
 * NB: on globalThis under a `Symbol.for` key, so the ESM and CJS copies of promptpin share it.
 */
const SYNC_KEY = Symbol.for('promptpin.sync-call-handle');
const slot = globalThis as { [SYNC_KEY]?: CallHandle | undefined };

/** Sets the synchronously running call's handle; returns the previous one, to restore. @internal */
export function swapSyncHandle(handle: CallHandle | undefined): CallHandle | undefined {
  const previous = slot[SYNC_KEY];
  slot[SYNC_KEY] = handle;
  return previous;
}

/**
 * The {@link CallHandle} of the innermost `prompt.call` running in the active context, else of the
 * call whose `fn` is running synchronously (so builders called before `fn`'s first `await` find it
 * even with no context manager registered). @internal
 */
export function activeCallHandle(): CallHandle | undefined {
  return (context.active().getValue(CALL_HANDLE_KEY) as CallHandle | undefined) ?? slot[SYNC_KEY];
}

/** The GenAI-span attributes of the innermost stamp-mode call in `ctx`, if any. @internal */
export function llmAttributesIn(ctx: { getValue(key: symbol): unknown }): Attributes | undefined {
  return ctx.getValue(PROMPT_LLM_CONTEXT_KEY) as Attributes | undefined;
}
