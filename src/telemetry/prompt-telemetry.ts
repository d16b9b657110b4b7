import { INVALID_SPAN_CONTEXT, trace, type MeterProvider, type Span, type TracerProvider } from '@opentelemetry/api';
import type { RenderedPrompt } from '../render/compile.js';
import type { CallOptions, PromptOutcome, ResolvedPrompt } from '../resolved-prompt.js';

/** Options the client passes to telemetry. */
export interface PromptTelemetryOptions {
  readonly tracerProvider?: TracerProvider;
  readonly meterProvider?: MeterProvider;
  readonly captureContent?: boolean;
  /** Every telemetry fault is reported here; telemetry never throws into the caller. */
  readonly onError: (err: unknown) => void;
}

/**
 * Runs calls inside spans and reports outcomes. (Placeholder until the telemetry issue lands:
 * runs `fn` with a non-recording span and reports no outcome.)
 */
export class PromptTelemetry {
  constructor(_options: PromptTelemetryOptions) {}

  call<R>(
    _prompt: ResolvedPrompt,
    rendered: RenderedPrompt,
    fn: (rendered: RenderedPrompt, span: Span) => R,
    _opts: CallOptions<unknown, Awaited<R>> | undefined,
    _onOutcome: (outcome: PromptOutcome, span: Span) => void,
  ): R {
    return fn(rendered, trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  }

  /** Records an outcome reported later through `prompt.record`. */
  record(_prompt: ResolvedPrompt, _outcome: PromptOutcome): void {}
}
