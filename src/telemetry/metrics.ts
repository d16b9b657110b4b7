import { createNoopMeter, metrics, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';
import {
  INSTRUMENTATION_SCOPE,
  METRIC_GEN_AI_CLIENT_INFERENCE_DURATION,
  METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_PROMPTPIN_CALLS,
  METRIC_PROMPTPIN_ERRORS,
  METRIC_PROMPTPIN_REFUSALS,
  METRIC_PROMPTPIN_TOOL_CALLS,
} from './attributes.js';
import type { GenAiConventions } from './semconv.js';

/** The latest conventions' token instruments (OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental). @internal */
export interface LatestTokenInstruments {
  readonly usageInput: Counter;
  readonly usageOutput: Counter;
  readonly usageCacheRead: Counter;
  readonly usageCacheWrite: Counter;
  readonly operationInput: Histogram;
  readonly operationOutput: Histogram;
}

/** The instruments of one meter, created once. @internal */
export interface PromptInstruments {
  /** Default conventions: `gen_ai.client.token.usage` (by `gen_ai.token.type`); undefined with the latest ones. */
  readonly tokenUsage: Histogram | undefined;
  /** Latest conventions: the `gen_ai.client.inference.usage.*` counters and `.operation.*` histograms; undefined by default. */
  readonly latest: LatestTokenInstruments | undefined;
  /** `gen_ai.client.operation.duration`, or `gen_ai.client.inference.duration` with the latest conventions. */
  readonly duration: Histogram;
  readonly calls: Counter;
  readonly errors: Counter;
  readonly refusals: Counter;
  readonly toolCalls: Counter;
  /** True when these are the API's no-op instruments (no MeterProvider registered). */
  readonly noop: boolean;
}

// The API hands out singletons for no-op instruments: identity tells "no MeterProvider".
const NOOP_COUNTER = createNoopMeter().createCounter('promptpin.noop');

// Bucket boundaries advised by the GenAI metrics conventions.
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

function createInstruments(provider: MeterProvider, version: string, conventions: GenAiConventions): PromptInstruments {
  const meter = provider.getMeter(INSTRUMENTATION_SCOPE, version);
  const calls = meter.createCounter(METRIC_PROMPTPIN_CALLS, { description: 'prompt.call invocations.', unit: '{call}' });
  const latest = conventions === 'latest';
  const tokens = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { description, unit: '{token}', advice: { explicitBucketBoundaries: TOKEN_BUCKETS } });
  return {
    tokenUsage: latest ? undefined : tokens(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, 'Number of input and output tokens used per prompt call.'),
    latest: latest
      ? {
          usageInput: meter.createCounter(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS, { description: 'Input tokens used, including cached tokens.', unit: '{token}' }),
          usageOutput: meter.createCounter(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS, { description: 'Output tokens used, including reasoning tokens.', unit: '{token}' }),
          usageCacheRead: meter.createCounter(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS, { description: 'Input tokens served from a provider cache.', unit: '{token}' }),
          usageCacheWrite: meter.createCounter(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS, { description: 'Input tokens written to a provider cache.', unit: '{token}' }),
          operationInput: tokens(METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS, 'Input tokens per inference call.'),
          operationOutput: tokens(METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS, 'Output tokens per inference call.'),
        }
      : undefined,
    duration: meter.createHistogram(latest ? METRIC_GEN_AI_CLIENT_INFERENCE_DURATION : METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: 'Duration of prompt calls.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    calls,
    errors: meter.createCounter(METRIC_PROMPTPIN_ERRORS, { description: 'Prompt calls that failed.', unit: '{call}' }),
    refusals: meter.createCounter(METRIC_PROMPTPIN_REFUSALS, { description: 'Prompt calls the model refused.', unit: '{call}' }),
    toolCalls: meter.createCounter(METRIC_PROMPTPIN_TOOL_CALLS, { description: 'Prompt calls that asked for a tool.', unit: '{call}' }),
    noop: calls === NOOP_COUNTER,
  };
}

/**
 * Holds the instruments. With an explicit provider they are created once. With the global one they
 * are created once per global provider: the metrics API has no proxy, so a provider registered
 * after the client was created is picked up at the next call (one identity check per call).
 * @internal
 */
export class PromptMetrics {
  readonly #explicit: MeterProvider | undefined;
  readonly #version: string;
  readonly #conventions: GenAiConventions;
  #provider: MeterProvider | undefined;
  #instruments: PromptInstruments | undefined;

  constructor(provider: MeterProvider | undefined, version: string, conventions: GenAiConventions = 'default') {
    this.#explicit = provider;
    this.#version = version;
    this.#conventions = conventions;
  }

  /** The current instruments. May throw if the provider is faulty (the caller reports it). */
  get(): PromptInstruments {
    const provider = this.#explicit ?? metrics.getMeterProvider();
    if (provider !== this.#provider || this.#instruments === undefined) {
      this.#instruments = createInstruments(provider, this.#version, this.#conventions);
      this.#provider = provider;
    }
    return this.#instruments;
  }
}
