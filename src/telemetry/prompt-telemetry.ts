import {
  context,
  createContextKey,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type MeterProvider,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { ErrorCode, PromptError } from '../errors.js';
import { runtimeEnv } from '../internal/env.js';
import type { RenderedPrompt } from '../render/compile.js';
import type { CallOptions, PromptOutcome, ResolvedPrompt, TelemetryMode } from '../resolved-prompt.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_PROMPT_VARIABLE_PREFIX,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_PROMPT_NAME,
  ATTR_PROMPT_VERSION,
  ATTR_PROMPTPIN_OUTCOME_REFUSAL,
  ATTR_PROMPTPIN_OUTCOME_TOOL_CALL,
  ATTR_PROMPTPIN_STREAM_ABANDONED,
  ATTR_PROMPTPIN_STREAM_OBSERVED,
  BAGGAGE_PROMPT_NAME,
  BAGGAGE_PROMPT_VERSION,
  ERROR_TYPE_VALUE_OTHER,
  EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
  EVENT_PROMPTPIN_OUTCOME,
  INSTRUMENTATION_SCOPE,
} from './attributes.js';
import { CAPTURE_CONTENT_ENV, inputMessages, resolveCaptureMode, variableText, type CaptureContentMode, type RedactContent, type RedactTarget } from './content.js';
import { PromptMetrics, type PromptInstruments } from './metrics.js';
import { resolveConventions, type GenAiConventions } from './semconv.js';
import { PROMPT_CONTEXT_KEY } from './prompt-context.js';
import { buildPromptInfo, type PromptInfo, type TelemetryCompatOptions } from './prompt-info.js';
import { EVENT_FEATURE_FLAG_EVALUATION } from './backend-links.js';
import { CALL_HANDLE_KEY, PROMPT_LLM_CONTEXT_KEY, swapSyncHandle, type CallHandle, type FollowReading, type FollowSink, type ResultFollower, type SentRequest } from './call-handle.js';
import { finishProvider, sentAttributes, systemInstructionParts } from './sent-request.js';
import { readResult, StreamReader, type OutputMessage, type OutputPart, type ResultReading } from './readers.js';
import { isStreamResult, isThenable, observeStream, type StreamHooks } from './wrap.js';

/** promptpin's version, reported as the tracer's and meter's instrumentation scope version. */
export const INSTRUMENTATION_VERSION = '0.1.0';

/** Options the client passes to telemetry. */
export interface PromptTelemetryOptions {
  /** Where spans go. @defaultValue the global provider (`trace.getTracerProvider()`) */
  readonly tracerProvider?: TracerProvider;
  /** Where metrics go. @defaultValue the global provider, looked up at each call */
  readonly meterProvider?: MeterProvider;
  /**
   * Record prompt text, variable values and outputs. `true` is `SPAN_ONLY`.
   * @defaultValue from `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, else off
   */
  readonly captureContent?: boolean | CaptureContentMode;
  /** Rewrites each captured piece of content; only used when capture is on. */
  readonly redact?: RedactContent;
  /** Optional attributes of other conventions. */
  readonly compat?: TelemetryCompatOptions;
  /** Put `prompt.name` / `prompt.version` in W3C baggage during a call. @defaultValue false */
  readonly baggage?: boolean;
  /** Every telemetry fault is reported here; telemetry never throws into the caller. */
  readonly onError: (err: unknown) => void;
  /** Monotonic clock in milliseconds, for latency. @defaultValue performance.now */
  readonly clock?: () => number;
  /**
   * Whether `onOutcome` consumes the outcomes of a prompt's calls. When it does not, and nothing
   * else needs the outcome (a recording span, an `outcome` hook, a MeterProvider), a call skips
   * reading its result and timing it, and `onOutcome` is not called.
   * @defaultValue `(prompt) => prompt.rolloutPercent !== undefined` (guards judge live rollouts)
   */
  readonly wantsOutcome?: (prompt: ResolvedPrompt) => boolean;
  /**
   * Whether `onOutcome` reads `latency_ms` (a guard on it). When it does not, and nothing else needs
   * the latency (a recording span, an `outcome` hook, a MeterProvider), a followed call reads no
   * clock and its outcome carries no `latency_ms`.
   * @defaultValue `() => true`
   */
  readonly wantsLatency?: (prompt: ResolvedPrompt) => boolean;
  /** Environment read for the capture variable. @defaultValue process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `full` or `stamp` (see `CallOptions.mode`). @defaultValue 'full' */
  readonly mode?: TelemetryMode;
  /**
   * GenAI convention names: `default` or `latest`.
   * @defaultValue `latest` when `OTEL_SEMCONV_STABILITY_OPT_IN` lists `gen_ai_latest_experimental`, else `default`
   */
  readonly semconv?: GenAiConventions;
}

/**
 * Records a call's token counts under the conventions in effect. `each`: an inference call ended
 * (the latest conventions count 0 when no usage came back, failed calls included).
 */
function recordTokens(m: PromptInstruments, info: PromptInfo, input: unknown, output: unknown, reading: ResultReading | undefined, each: boolean): void {
  const inTokens = typeof input === 'number' ? input : undefined;
  const outTokens = typeof output === 'number' ? output : undefined;
  const latest = m.latest;
  if (latest === undefined) {
    if (inTokens !== undefined) m.tokenUsage?.record(inTokens, info.metricInput);
    if (outTokens !== undefined) m.tokenUsage?.record(outTokens, info.metricOutput);
    return;
  }
  if (inTokens !== undefined || each) latest.usageInput.add(inTokens ?? 0, info.metricUsage);
  if (outTokens !== undefined || each) latest.usageOutput.add(outTokens ?? 0, info.metricUsage);
  if (reading?.cacheReadTokens !== undefined) latest.usageCacheRead.add(reading.cacheReadTokens, info.metricUsage);
  if (reading?.cacheCreationTokens !== undefined) latest.usageCacheWrite.add(reading.cacheCreationTokens, info.metricUsage);
  if (inTokens !== undefined) latest.operationInput.record(inTokens, info.metricBase);
  if (outTokens !== undefined) latest.operationOutput.record(outTokens, info.metricBase);
}

const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

const PROBE = ROOT_CONTEXT.setValue(createContextKey('promptpin.context-probe'), true);
const probeActive = (): boolean => context.active() === PROBE;

/**
 * True when `context.with` activates a context, i.e. a context manager is registered. Without one a
 * Context built for the call (span, call handle, baggage) is never seen by anyone: skipping it saves
 * a Map copy per value. NB: probed at each call, since an app may register a manager at any time.
 */
function contextManaged(parent: Context): boolean {
  return parent !== ROOT_CONTEXT || context.with(PROBE, probeActive);
}

/** True when `span` has the span context active in `parent` (or both are invalid). */
function sameSpanContext(span: Span, parent: Context): boolean {
  const own = span.spanContext();
  const theirs = trace.getSpanContext(parent);
  // NB: not isSpanContextValid (two regex tests): the no-op tracer hands back INVALID_SPAN_CONTEXT itself.
  if (theirs === undefined) return own === INVALID_SPAN_CONTEXT || own.spanId === INVALID_SPAN_CONTEXT.spanId;
  return own === theirs || (own.spanId === theirs.spanId && own.traceId === theirs.traceId && own.traceFlags === theirs.traceFlags);
}

/** `error.type`: the error's class name (`RateLimitError`), else its `name`, else `_OTHER`. */
export function errorTypeOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const ctor = (err as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof ctor === 'string' && ctor !== '' && ctor !== 'Error' && ctor !== 'Object') return ctor;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
    return ERROR_TYPE_VALUE_OTHER;
  }
  return ERROR_TYPE_VALUE_OTHER;
}

function toException(err: unknown): Exception {
  if (err instanceof Error) return err;
  if (typeof err === 'string') return err;
  return { name: errorTypeOf(err), message: String(err) };
}

/** The outcome fields read from a result (`latencyMs` undefined: the call was not timed). */
function outcomeFrom(reading: ResultReading | undefined, latencyMs: number | undefined): PromptOutcome {
  const out: Record<string, boolean | number> = { error: false };
  if (latencyMs !== undefined) out.latency_ms = latencyMs;
  if (reading === undefined) return out;
  out.refusal = reading.refusal;
  out.tool_call = reading.toolCall;
  if (reading.inputTokens !== undefined) out.input_tokens = reading.inputTokens;
  if (reading.outputTokens !== undefined) out.output_tokens = reading.outputTokens;
  return out;
}

/** One call in flight: its span, its clock, and how it ends (exactly once). */
class CallState implements StreamHooks, CallHandle {
  ended = false;
  /** Stamp mode: the span is a wrapper; the instrumented LLM span carries the GenAI attributes. */
  stamp = false;
  /** Set by a request builder (`promptpin/ai`, `promptpin/langchain`) to follow its SDK's results. */
  follower: ResultFollower | undefined;
  /** `gen_ai.provider.name` was set after start (by a request builder). */
  providerSet = false;
  /** What `fn` received, for the content a builder sends apart (system instructions). */
  rendered: RenderedPrompt | undefined;
  reader: StreamReader | undefined;
  /** Input content kept for the `EVENT_*` capture modes. */
  eventInput: Attributes | undefined;
  /** The stream being followed, handed to the `outcome` hook when it ends. */
  stream: object | undefined;
  /** Puts the followed stream back as it was; called once when the call ends. */
  restore: (() => void) | undefined;

  constructor(
    readonly telemetry: PromptTelemetry,
    readonly prompt: ResolvedPrompt,
    readonly info: PromptInfo | undefined,
    readonly span: Span,
    readonly recording: boolean,
    readonly startedAt: number,
    readonly opts: CallOptions<unknown, unknown> | undefined,
    readonly onOutcome: (outcome: PromptOutcome, span: Span) => void,
  ) {}

  /** Milliseconds since the call started; undefined when the call is not timed (`startedAt` NaN). */
  latency(): number | undefined {
    return this.startedAt === this.startedAt ? this.telemetry.elapsed(this.startedAt) : undefined;
  }

  sent(request: SentRequest): void {
    this.telemetry.sent(this, request);
  }

  follow(follower: ResultFollower): void {
    this.follower = follower;
  }

  /**
   * A whole (non-stream) result, or a stream to follow in place. Returns what the caller gets: the
   * value itself (never a wrapper), unless a request builder's follower (`promptpin/ai`) hands back
   * the result it follows. A stream that cannot be followed without changing how it behaves
   * (frozen, non-configurable `[Symbol.asyncIterator]`, …) ends the call at once, unobserved.
   */
  settle(value: unknown): unknown {
    // A thenable that calls back twice, or after failing, must not patch anything.
    if (this.ended) return value;
    const follower = this.follower;
    if (follower !== undefined) {
      try {
        const sink: FollowSink = {
          complete: (reading, result) => this.completeRead(reading, result),
          fail: (err) => this.fail(err),
          abandon: (reading) => this.abandonRead(reading),
        };
        const taken = follower.follow(value, sink);
        if (taken !== undefined) return taken.value;
      } catch (err) {
        this.telemetry.fault(err, this.prompt, 'following a result');
      }
    }
    let stream = false;
    try {
      stream = isStreamResult(value);
    } catch (err) {
      this.telemetry.fault(err, this.prompt, 'inspecting the result');
    }
    if (stream) {
      try {
        this.reader = new StreamReader(this.recording && this.telemetry.captureOutput);
        this.stream = value as object;
        this.restore = observeStream(value as object, this);
        if (this.restore !== undefined) return value;
      } catch (err) {
        this.telemetry.fault(err, this.prompt, 'following a stream');
      }
      this.unobserved();
      return value;
    }
    this.complete(value, value);
    return value;
  }

  /** Called first by every way a call ends: the stream object goes back to its own shape. */
  #end(): void {
    this.ended = true;
    const restore = this.restore;
    this.restore = undefined;
    if (restore === undefined) return;
    try {
      restore();
    } catch (err) {
      this.telemetry.fault(err, this.prompt, 'restoring a stream');
    }
  }

  /** A stream returned as is, without following it: the call ends now, its outcome unknown. */
  unobserved(): void {
    if (this.ended) return;
    this.#end();
    this.telemetry.finish(this, { error: false, unobserved: true }, undefined, this.stream, undefined, 'unobserved');
  }

  chunk(value: unknown): void {
    if (this.ended || this.reader === undefined) return;
    try {
      this.reader.observe(value);
    } catch (err) {
      this.telemetry.fault(err, this.prompt, 'reading a stream chunk');
    }
  }

  /** `final`: the value a terminal method resolved with; `result`: what `outcome` receives. */
  complete(final?: unknown, result?: unknown): void {
    if (this.ended) return;
    this.#end();
    const t = this.telemetry;
    let reading: ResultReading | undefined;
    try {
      const withContent = this.recording && t.captureOutput;
      reading = final === undefined ? undefined : readResult(final, withContent);
      if (reading === undefined && this.reader !== undefined) reading = this.reader.reading();
    } catch (err) {
      t.fault(err, this.prompt, 'reading the result');
    }
    t.finish(this, outcomeFrom(reading, this.latency()), reading, result ?? final ?? this.stream, undefined);
  }

  /** Completion with a reading made by a {@link ResultFollower}. */
  completeRead(reading: FollowReading | undefined, result: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const r = reading as ResultReading | undefined;
    this.telemetry.finish(this, outcomeFrom(r, this.latency()), r, result, undefined);
  }

  /** An abandoned result, read so far by a {@link ResultFollower}. */
  abandonRead(reading: FollowReading | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.telemetry.finish(this, { error: false, abandoned: true }, reading as ResultReading | undefined, this.stream, undefined, 'abandoned');
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.#end();
    // Boxed: `throw undefined` and a reason-less `Promise.reject()` are failures too.
    const latency = this.latency();
    this.telemetry.finish(this, latency === undefined ? { error: true } : { error: true, latency_ms: latency }, undefined, undefined, { error: err });
  }

  abandon(): void {
    if (this.ended) return;
    this.#end();
    const t = this.telemetry;
    let reading: ResultReading | undefined;
    try {
      reading = this.reader?.reading();
    } catch (err) {
      t.fault(err, this.prompt, 'reading a stream');
    }
    // Signals of a half-read stream would be biased (tokens, latency, tool calls not yet seen):
    // report only that it was abandoned.
    t.finish(this, { error: false, abandoned: true }, reading, this.stream, undefined, 'abandoned');
  }
}

/**
 * Runs calls inside spans stamped with `prompt.*` and the GenAI attributes, reads each result's
 * outcome, records metrics, and reports the outcome to the guards. Telemetry never throws into the
 * caller: every fault goes to `onError` as a `PromptError` with code `TELEMETRY_FAILED`.
 * @internal
 */
export class PromptTelemetry {
  readonly #tracer: Tracer;
  readonly #metrics: PromptMetrics;
  readonly #mode: CaptureContentMode;
  readonly #redact: RedactContent | undefined;
  readonly #compat: TelemetryCompatOptions;
  readonly #baggage: boolean;
  readonly #onError: (err: unknown) => void;
  readonly #clock: () => number;
  readonly #wantsOutcome: (prompt: ResolvedPrompt) => boolean;
  readonly #wantsLatency: ((prompt: ResolvedPrompt) => boolean) | undefined;
  readonly #defaultMode: TelemetryMode;
  /** GenAI convention names in effect, read once at construction. */
  readonly conventions: GenAiConventions;
  readonly #infos = new WeakMap<ResolvedPrompt, PromptInfo>();
  /** Capture content on the span / in an event. */
  readonly captureSpan: boolean;
  readonly captureEvent: boolean;
  /** Read output content at all (either capture target). */
  readonly captureOutput: boolean;

  constructor(options: PromptTelemetryOptions) {
    this.#onError = options.onError;
    this.#clock = options.clock ?? (() => performance.now());
    this.#wantsOutcome = options.wantsOutcome ?? ((prompt) => prompt.rolloutPercent !== undefined);
    this.#wantsLatency = options.wantsLatency;
    this.#compat = options.compat ?? {};
    this.#baggage = options.baggage === true;
    this.#defaultMode = options.mode === 'stamp' ? 'stamp' : 'full';
    this.#redact = options.redact;
    const env = options.env ?? runtimeEnv;
    this.#mode = resolveCaptureMode(options.captureContent, env[CAPTURE_CONTENT_ENV]);
    this.conventions = resolveConventions(options.semconv, env);
    this.captureSpan = this.#mode === 'SPAN_ONLY' || this.#mode === 'SPAN_AND_EVENT';
    this.captureEvent = this.#mode === 'EVENT_ONLY' || this.#mode === 'SPAN_AND_EVENT';
    this.captureOutput = this.captureSpan || this.captureEvent;
    let tracer: Tracer;
    try {
      // NB: the global provider is a proxy: a tracer taken now follows an SDK registered later.
      tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION);
    } catch (err) {
      this.fault(err, undefined, 'getting a tracer');
      tracer = trace.getTracerProvider().getTracer(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION);
    }
    this.#tracer = tracer;
    this.#metrics = new PromptMetrics(options.meterProvider, INSTRUMENTATION_VERSION, this.conventions);
  }

  /** The content capture mode in effect. */
  get captureMode(): CaptureContentMode {
    return this.#mode;
  }

  /**
   * Runs `fn(rendered, span)` inside one CLIENT span named `{operation} {model}` and returns its
   * very result: the same object, the same promise or thenable (observed with a `then` of its own,
   * registered before the caller's), a stream followed in place and put back as it was when the
   * call ends. Errors from `fn` are recorded and rethrown as is. `onOutcome` is called once per
   * completed call, before the span ends.
   */
  call<R>(
    prompt: ResolvedPrompt,
    rendered: RenderedPrompt,
    fn: (rendered: RenderedPrompt, span: Span) => R,
    opts: CallOptions<unknown, Awaited<R>> | undefined,
    onOutcome: (outcome: PromptOutcome, span: Span) => void,
  ): R {
    const parent = context.active();
    let info: PromptInfo | undefined;
    let ctx: Context | undefined;
    let span = NOOP_SPAN;
    let recording = false;
    const stamp = (opts?.mode ?? this.#defaultMode) === 'stamp';
    try {
      info = this.#info(prompt);
      const own = stamp ? info.stampStartAttributes : info.startAttributes;
      const attributes = opts?.attributes === undefined ? own : { ...opts.attributes, ...own };
      // Same as tracer.startActiveSpan (startSpan, setSpan, with), done by hand so that the context
      // can also carry the prompt key, and a faulty tracer cannot take `fn` down with it.
      span = this.#tracer.startSpan(stamp ? info.stampSpanName : info.spanName, { kind: stamp ? SpanKind.INTERNAL : SpanKind.CLIENT, attributes }, parent);
      recording = span.isRecording();
      if (recording && info.featureFlagEvent !== undefined) span.addEvent(EVENT_FEATURE_FLAG_EVALUATION, info.featureFlagEvent);
      if ((recording || this.#baggage || !sameSpanContext(span, parent)) && contextManaged(parent)) {
        ctx = trace.setSpan(parent, span);
        // Only recording spans have recording children for PromptSpanProcessor to stamp.
        if (recording) ctx = ctx.setValue(PROMPT_CONTEXT_KEY, info.contextAttributes);
        if (recording && stamp) ctx = ctx.setValue(PROMPT_LLM_CONTEXT_KEY, info.llmAttributes);
        if (this.#baggage) ctx = this.#withBaggage(ctx, prompt);
      }
      // else: a no-op tracer handed back the parent's span context: activating it changes nothing.
    } catch (err) {
      this.fault(err, prompt, 'starting the span');
    }
    let followed = true;
    let timed = true;
    try {
      if (recording || opts?.outcome !== undefined) {
        // followed and timed
      } else if (this.#wantsOutcome(prompt)) {
        timed = this.#wantsLatency === undefined || this.#wantsLatency(prompt) || !this.#metrics.get().noop;
      } else {
        followed = timed = !this.#metrics.get().noop;
      }
    } catch (err) {
      this.fault(err, prompt, 'getting the meter');
    }
    if (!followed) {
      // Nobody consumes this call's outcome (no recording span, no outcome hook, no MeterProvider,
      // no live rollout to judge): run fn as is, returning its very result, at near-zero cost.
      return ctx === undefined ? fn(rendered, span) : context.with(ctx, fn, undefined, rendered, span);
    }
    const state = new CallState(this, prompt, info, span, recording, timed ? this.#clock() : Number.NaN, opts as CallOptions<unknown, unknown> | undefined, onOutcome);
    state.stamp = stamp;
    state.rendered = rendered;
    // Request builders find the call here (to stamp what they sent, to follow their SDK's results):
    // in the context (after an await), and in the sync slot (before the first await, and always
    // when no context manager is registered, where a context would be built for nobody).
    if (ctx !== undefined || contextManaged(parent)) ctx = (ctx ?? parent).setValue(CALL_HANDLE_KEY, state);
    if (recording && this.captureOutput && !stamp) this.#captureInput(state, rendered, opts?.vars);

    let result: R;
    const previous = swapSyncHandle(state);
    try {
      result = ctx === undefined ? fn(rendered, span) : context.with(ctx, fn, undefined, rendered, span);
    } catch (err) {
      state.fail(err);
      throw err;
    } finally {
      swapSyncHandle(previous);
    }
    let thenable = false;
    try {
      thenable = isThenable(result);
    } catch (err) {
      this.fault(err, prompt, 'inspecting the result');
    }
    if (thenable) {
      // The caller gets `result` itself (an APIPromise keeps `.withResponse()` and its private
      // fields; a frozen thenable stays frozen). Observing it registers the first reaction, so a
      // stream it resolves to is followed before the caller's `await` resumes.
      try {
        const derived: unknown = (result as PromiseLike<unknown>).then(
          (value) => state.settle(value),
          (err: unknown) => state.fail(err),
        );
        // Neither reaction throws; a thenable's own derived promise may still reject.
        if (derived instanceof Promise) derived.catch(() => {});
      } catch (err) {
        // `then` threw: the caller's await rejects with the same error.
        state.fail(err);
      }
      return result;
    }
    return state.settle(result) as R;
  }

  /**
   * Records an outcome known later (`prompt.record`): the refusal, tool-call and error counters,
   * token usage, and a `promptpin.outcome` event on the active span (booleans and numbers only).
   */
  record(prompt: ResolvedPrompt, outcome: PromptOutcome): void {
    try {
      const info = this.#info(prompt);
      const m = this.#metrics.get();
      if (outcome.refusal === true) m.refusals.add(1, info.metricBase);
      if (outcome.tool_call === true) m.toolCalls.add(1, info.metricBase);
      if (outcome.error === true) m.errors.add(1, { ...info.metricBase, [ATTR_ERROR_TYPE]: ERROR_TYPE_VALUE_OTHER });
      recordTokens(m, info, outcome.input_tokens, outcome.output_tokens, undefined, false);
      const span = trace.getActiveSpan();
      if (span?.isRecording()) {
        const attrs: Attributes = { [ATTR_PROMPT_NAME]: prompt.name, [ATTR_PROMPT_VERSION]: prompt.version };
        for (const [key, value] of Object.entries(outcome)) {
          if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) attrs[`promptpin.outcome.${key}`] = value;
        }
        span.addEvent(EVENT_PROMPTPIN_OUTCOME, attrs);
      }
    } catch (err) {
      this.fault(err, prompt, 'recording an outcome');
    }
  }

  /** Milliseconds since `start` on the telemetry clock. @internal */
  elapsed(start: number): number {
    return this.#clock() - start;
  }

  /** Reports a telemetry fault to `onError`. Never throws. @internal */
  fault(err: unknown, prompt: ResolvedPrompt | undefined, where: string): void {
    try {
      const what = prompt ? `Telemetry for "${prompt.name}" v${prompt.version}` : 'Telemetry';
      const why = err instanceof Error ? err.message : String(err);
      this.#onError(
        new PromptError(
          ErrorCode.TELEMETRY_FAILED,
          `${what} failed while ${where}: ${why}. The call itself was not affected; check the tracer and meter providers, span processors and exporters, and the redact/outcome hooks.`,
          { cause: err },
        ),
      );
    } catch {
      // onError must not break a call either.
    }
  }

  /**
   * Ends a call exactly once: applies the user's `outcome` hook, stamps the response attributes,
   * records metrics, reports the outcome (before the span ends, so guards may add events), ends.
   * `failure` is set when the call failed, whatever it failed with (even `undefined`).
   * @internal
   */
  finish(
    state: CallState,
    read: PromptOutcome,
    reading: ResultReading | undefined,
    result: unknown,
    failure: { readonly error: unknown } | undefined,
    streamEnd?: 'abandoned' | 'unobserved',
  ): void {
    const { span, recording, prompt, info } = state;
    const failed = failure !== undefined;
    const error = failure?.error;
    let outcome = read;
    const hook = state.opts?.outcome;
    if (hook !== undefined && !failed) {
      try {
        const extra = hook(result, read);
        if (extra) outcome = { ...read, ...extra };
      } catch (err) {
        this.fault(err, prompt, 'running the outcome hook');
      }
    }
    let errorType: string | undefined;
    if (failed) {
      try {
        errorType = errorTypeOf(error);
      } catch {
        // An error object whose getters throw still gets a type, and the user's error still wins.
        errorType = ERROR_TYPE_VALUE_OTHER;
      }
    }
    if (recording) {
      try {
        if (failed) {
          span.recordException(toException(error));
          span.setStatus({ code: SpanStatusCode.ERROR, ...(error instanceof Error ? { message: error.message } : {}) });
          span.setAttribute(ATTR_ERROR_TYPE, errorType!);
          if (state.eventInput !== undefined) span.addEvent(EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS, state.eventInput);
        } else if (state.stamp) {
          this.#stampResponse(state, outcome, streamEnd === 'abandoned');
        } else {
          this.#responseAttributes(state, outcome, reading, streamEnd);
        }
        if (!state.stamp && state.info?.providerKnown === false && !state.providerSet) finishProvider(span, reading?.format);
      } catch (err) {
        this.fault(err, prompt, 'setting span attributes');
      }
    }
    if (info !== undefined) {
      try {
        const m = this.#metrics.get();
        // The API's no-op instruments record nothing: skip the calls (a few per outcome).
        if (!m.noop) this.#recordMetrics(m, info, state, outcome, reading, errorType, streamEnd);
      } catch (err) {
        this.fault(err, prompt, 'recording metrics');
      }
    }
    try {
      state.onOutcome(outcome, span);
    } catch (err) {
      this.fault(err, prompt, 'reporting the outcome');
    }
    try {
      span.end();
    } catch (err) {
      this.fault(err, prompt, 'ending the span');
    }
  }

  #recordMetrics(
    m: PromptInstruments,
    info: PromptInfo,
    state: CallState,
    outcome: PromptOutcome,
    reading: ResultReading | undefined,
    errorType: string | undefined,
    streamEnd: 'abandoned' | 'unobserved' | undefined,
  ): void {
    m.calls.add(1, info.metricBase);
    const latency = outcome.latency_ms;
    // Stamp mode: the instrumentation records the gen_ai.client.* metrics; counting them here too would double them.
    const genAi = !state.stamp;
    if (genAi && typeof latency === 'number') {
      m.duration.record(latency / 1000, errorType === undefined ? info.metricBase : { ...info.metricBase, [ATTR_ERROR_TYPE]: errorType });
    }
    // Every errors point carries error.type: `_OTHER` when the outcome (hook) reported the error.
    if (outcome.error === true) m.errors.add(1, { ...info.metricBase, [ATTR_ERROR_TYPE]: errorType ?? ERROR_TYPE_VALUE_OTHER });
    if (outcome.refusal === true) m.refusals.add(1, info.metricBase);
    if (outcome.tool_call === true) m.toolCalls.add(1, info.metricBase);
    if (genAi) recordTokens(m, info, outcome.input_tokens, outcome.output_tokens, reading, streamEnd !== 'abandoned');
  }

  /** Stamps what a request builder sent on a full-mode call span. Never throws. @internal */
  sent(state: CallState, request: SentRequest): void {
    try {
      if (!state.recording || state.ended || state.stamp) return;
      const { attributes, spanName, provider } = sentAttributes(state.prompt, request, state.info?.providerKnown === true || state.providerSet);
      if (provider) state.providerSet = true;
      if (spanName !== undefined) state.span.updateName(spanName);
      const system = request.systemInstructions;
      if (this.captureOutput && system !== undefined && system.length > 0 && Array.isArray(state.rendered)) {
        const name = state.prompt.name;
        const parts = systemInstructionParts(system, (text) => this.#redacted(text, { kind: 'input', prompt: name, key: 'system' }));
        const rest = state.rendered.filter((m) => m.role !== 'system');
        const content: Attributes = {
          [ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]: JSON.stringify(parts),
          [ATTR_GEN_AI_INPUT_MESSAGES]: JSON.stringify(inputMessages(rest, (text, role) => this.#redacted(text, { kind: 'input', prompt: name, key: role }))),
        };
        if (this.captureSpan) Object.assign(attributes, content);
        if (this.captureEvent && state.eventInput !== undefined) state.eventInput = { ...state.eventInput, ...content };
      }
      state.span.setAttributes(attributes);
    } catch (err) {
      this.fault(err, state.prompt, 'stamping the request sent');
    }
  }

  /** Stamp mode: the wrapper keeps only promptpin's own outcome attributes. */
  #stampResponse(state: CallState, outcome: PromptOutcome, abandoned: boolean): void {
    const attrs: Record<string, AttributeValue> = {};
    if (outcome.refusal === true) attrs[ATTR_PROMPTPIN_OUTCOME_REFUSAL] = true;
    if (outcome.tool_call === true) attrs[ATTR_PROMPTPIN_OUTCOME_TOOL_CALL] = true;
    if (abandoned) attrs[ATTR_PROMPTPIN_STREAM_ABANDONED] = true;
    state.span.setAttributes(attrs);
  }

  #info(prompt: ResolvedPrompt): PromptInfo {
    let info = this.#infos.get(prompt);
    if (info === undefined) {
      info = buildPromptInfo(prompt, this.#compat);
      this.#infos.set(prompt, info);
    }
    return info;
  }

  #withBaggage(ctx: Context, prompt: ResolvedPrompt): Context {
    const bag = (propagation.getBaggage(ctx) ?? propagation.createBaggage())
      .setEntry(BAGGAGE_PROMPT_NAME, { value: prompt.name })
      .setEntry(BAGGAGE_PROMPT_VERSION, { value: String(prompt.version) });
    return propagation.setBaggage(ctx, bag);
  }

  /** Redacts one piece of content; a throwing hook drops the piece (fail closed). */
  #redacted(text: string, target: RedactTarget): string | undefined {
    if (this.#redact === undefined) return text;
    try {
      const out = this.#redact(text, target);
      return typeof out === 'string' ? out : undefined;
    } catch (err) {
      this.fault(err, undefined, `redacting ${target.kind} content of "${target.prompt}"`);
      return undefined;
    }
  }

  #captureInput(state: CallState, rendered: RenderedPrompt, vars: unknown): void {
    try {
      const name = state.prompt.name;
      const attrs: Attributes = {
        [ATTR_GEN_AI_INPUT_MESSAGES]: JSON.stringify(inputMessages(rendered, (text, role) => this.#redacted(text, { kind: 'input', prompt: name, key: role }))),
      };
      if (typeof vars === 'object' && vars !== null) {
        for (const [key, value] of Object.entries(vars)) {
          if (value === undefined) continue;
          // Messages variables are in the input messages already, each redacted as a message.
          if (Object.hasOwn(state.prompt.variables, key) && state.prompt.variables[key]!.type === 'messages') continue;
          const text = this.#redacted(variableText(value), { kind: 'variable', prompt: name, key });
          if (text !== undefined) attrs[`${ATTR_GEN_AI_PROMPT_VARIABLE_PREFIX}${key}`] = text;
        }
      }
      if (this.captureSpan) state.span.setAttributes(attrs);
      if (this.captureEvent) state.eventInput = attrs;
    } catch (err) {
      this.fault(err, state.prompt, 'capturing input content');
    }
  }

  #outputJson(prompt: ResolvedPrompt, output: readonly OutputMessage[]): string {
    const redactPart = (text: string): string | undefined => this.#redacted(text, { kind: 'output', prompt: prompt.name });
    const messages = output.map((m) => ({
      ...m,
      parts: m.parts.flatMap((p): OutputPart[] => {
        if (p.type === 'text') {
          const content = redactPart(p.content);
          return content === undefined ? [] : [{ ...p, content }];
        }
        if (p.arguments === undefined || this.#redact === undefined) return [p];
        const args = redactPart(typeof p.arguments === 'string' ? p.arguments : JSON.stringify(p.arguments));
        return [args === undefined ? { type: p.type, ...(p.id !== undefined ? { id: p.id } : {}), name: p.name } : { ...p, arguments: args }];
      }),
    }));
    return JSON.stringify(messages);
  }

  #responseAttributes(state: CallState, outcome: PromptOutcome, reading: ResultReading | undefined, streamEnd: 'abandoned' | 'unobserved' | undefined): void {
    const abandoned = streamEnd === 'abandoned';
    const attrs: Record<string, AttributeValue> = {};
    if (reading !== undefined) {
      if (reading.responseModel !== undefined) attrs[ATTR_GEN_AI_RESPONSE_MODEL] = reading.responseModel;
      if (reading.responseId !== undefined) attrs[ATTR_GEN_AI_RESPONSE_ID] = reading.responseId;
      if (reading.finishReasons.length > 0) attrs[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [...reading.finishReasons];
      if (reading.cacheReadTokens !== undefined) attrs[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = reading.cacheReadTokens;
      if (reading.cacheCreationTokens !== undefined) {
        attrs[this.conventions === 'latest' ? ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS : ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = reading.cacheCreationTokens;
      }
      if (abandoned) {
        // Tokens of a half-read stream are partial at best; still useful on the trace.
        if (reading.inputTokens !== undefined) attrs[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = reading.inputTokens;
        if (reading.outputTokens !== undefined) attrs[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = reading.outputTokens;
      }
    }
    if (typeof outcome.input_tokens === 'number') attrs[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = outcome.input_tokens;
    if (typeof outcome.output_tokens === 'number') attrs[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = outcome.output_tokens;
    // Only when true: each attribute costs the SDK time, and "= true" is the query people run.
    if (outcome.refusal === true) attrs[ATTR_PROMPTPIN_OUTCOME_REFUSAL] = true;
    if (outcome.tool_call === true) attrs[ATTR_PROMPTPIN_OUTCOME_TOOL_CALL] = true;
    if (abandoned) attrs[ATTR_PROMPTPIN_STREAM_ABANDONED] = true;
    if (streamEnd === 'unobserved') attrs[ATTR_PROMPTPIN_STREAM_OBSERVED] = false;
    const output = reading?.output;
    if (output !== undefined && this.captureOutput) {
      const json = this.#outputJson(state.prompt, output);
      if (this.captureSpan) attrs[ATTR_GEN_AI_OUTPUT_MESSAGES] = json;
      if (this.captureEvent) {
        state.span.addEvent(EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS, { ...state.eventInput, [ATTR_GEN_AI_OUTPUT_MESSAGES]: json });
        state.eventInput = undefined;
      }
    }
    if (state.eventInput !== undefined) state.span.addEvent(EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS, state.eventInput);
    state.span.setAttributes(attrs);
  }
}
