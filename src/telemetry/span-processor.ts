import { propagation, type AttributeValue, type Attributes, type Context } from '@opentelemetry/api';
import { ATTR_PROMPT_NAME, ATTR_PROMPT_VERSION, BAGGAGE_PROMPT_NAME, BAGGAGE_PROMPT_VERSION } from './attributes.js';
import { promptAttributesIn } from './prompt-context.js';
import { isGenAiSpan } from './backend-links.js';
import { llmAttributesIn } from './call-handle.js';

/** Options of {@link PromptSpanProcessor}. */
export interface PromptSpanProcessorOptions {
  /**
   * In a service downstream of the one that called the prompt: when no `prompt.call` is active in
   * this process, stamp `prompt.name` / `prompt.version` from incoming W3C baggage (sent by a
   * client created with `baggage: true`). Baggage is set by the caller and readable by anyone on
   * the path: treat these values as hints, not as authenticated data.
   *
   * @defaultValue false
   */
  readonly fromBaggage?: boolean;
}

/**
 * The part of an SDK span (`Span` of `@opentelemetry/sdk-trace-base` 1.x and 2.x) that
 * {@link PromptSpanProcessor} reads and writes. Declared here, structurally, so that promptpin's
 * types never import the optional peer `@opentelemetry/sdk-trace-base`: a TypeScript user without
 * it gets no TS2307, and one with it passes the SDK's spans as they are.
 */
export interface StampableSpan {
  readonly attributes: Attributes;
  setAttribute(key: string, value: AttributeValue): unknown;
  setAttributes(attributes: Attributes): unknown;
  /** sdk-trace-base 2.x. */
  readonly instrumentationScope?: { readonly name: string };
  /** sdk-trace-base 1.x. */
  readonly instrumentationLibrary?: { readonly name: string };
}

/** The instrumentation scope's name (sdk-trace-base 2: `instrumentationScope`; 1.x: `instrumentationLibrary`). */
function scopeOf(span: StampableSpan): string | undefined {
  const name: unknown = (span.instrumentationScope ?? span.instrumentationLibrary)?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Stamps the `prompt.*` attributes (`prompt.name`, `prompt.version`, `prompt.hash`,
 * `prompt.slice`, `prompt.environment`, `prompt.rollout.percent`) of the innermost active
 * `prompt.call` on every span started inside it: HTTP client spans from auto-instrumentation, tool
 * spans, database spans. Any backend can then group a whole trace by version.
 *
 * "Inside" follows the OpenTelemetry Context, so across `await`, `setTimeout` and promise chains
 * register a context manager that propagates (the SDK's default in Node is
 * `AsyncLocalStorageContextManager`). Spans started while no call is active are left alone.
 *
 * It has the shape of the SDK's `SpanProcessor` (sdk-trace-base 1.x and 2.x) without importing its
 * types: pass it wherever the SDK takes a span processor.
 *
 * @example
 * import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
 * import { PromptSpanProcessor } from 'promptpin';
 *
 * const provider = new BasicTracerProvider({
 *   spanProcessors: [new PromptSpanProcessor(), new BatchSpanProcessor(exporter)],
 * });
 */
export class PromptSpanProcessor {
  readonly #fromBaggage: boolean;

  constructor(options: PromptSpanProcessorOptions = {}) {
    this.#fromBaggage = options.fromBaggage === true;
  }

  /** Stamps the span with the prompt attributes found in `parentContext`. Never throws. */
  onStart(span: StampableSpan, parentContext: Context): void {
    try {
      // A prompt call span carries its own stamps (the context still holds an outer call's).
      if (span.attributes[ATTR_PROMPT_NAME] !== undefined) return;
      const attrs = promptAttributesIn(parentContext);
      if (attrs !== undefined) {
        // Stamp mode: the GenAI span of an auto-instrumentation is the LLM span; it gets the
        // prompt's GenAI and backend-link attributes too.
        const llm = llmAttributesIn(parentContext);
        if (llm !== undefined && isGenAiSpan(scopeOf(span), span.attributes)) span.setAttributes(llm);
        else span.setAttributes(attrs);
        return;
      }
      if (!this.#fromBaggage) return;
      const bag = propagation.getBaggage(parentContext);
      const name = bag?.getEntry(BAGGAGE_PROMPT_NAME)?.value;
      if (name === undefined) return;
      span.setAttribute(ATTR_PROMPT_NAME, name);
      const version = Number(bag?.getEntry(BAGGAGE_PROMPT_VERSION)?.value);
      if (Number.isSafeInteger(version)) span.setAttribute(ATTR_PROMPT_VERSION, version);
    } catch {
      // A span processor must never break the span it is stamping.
    }
  }

  /** No-op (the SDK passes its `ReadableSpan`). */
  onEnd(_span: unknown): void {}

  /** Nothing is buffered. */
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to release. */
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
