/**
 * The GenAI conventions switch: `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` selects
 * the latest (development) names, as the OpenTelemetry GenAI instrumentations do; anything else
 * keeps the default names. Read once, when the client is created.
 */
import { SEMCONV_GEN_AI_LATEST_EXPERIMENTAL, SEMCONV_STABILITY_OPT_IN_ENV } from './attributes.js';

/**
 * Which GenAI semantic-convention names promptpin emits. `default`: the names every GenAI
 * backend reads today (`gen_ai.client.token.usage`, `gen_ai.client.operation.duration`,
 * `gen_ai.usage.cache_creation.input_tokens`). `latest`: the names of the latest development
 * conventions (`gen_ai.client.inference.*` metrics, `gen_ai.usage.cache_write.input_tokens`), and
 * not the default ones. See docs/telemetry.md for the full list and its sources.
 */
export type GenAiConventions = 'default' | 'latest';

/**
 * True when a comma-separated opt-in list holds `gen_ai_latest_experimental`. Parsed as
 * `@opentelemetry/instrumentation`'s `semconvStabilityFromStr` does: split on commas, trim,
 * skip empty entries, compare case-insensitively.
 */
export function optsIntoLatestGenAi(list: string | undefined): boolean {
  if (typeof list !== 'string' || list === '') return false;
  // NB: bounded by the variable's size; an env var is not a hot path (read once per client).
  for (const entry of list.split(',')) {
    if (entry.trim().toLowerCase() === SEMCONV_GEN_AI_LATEST_EXPERIMENTAL) return true;
  }
  return false;
}

/** The conventions in effect: the option when given, else from {@link SEMCONV_STABILITY_OPT_IN_ENV}. */
export function resolveConventions(option: GenAiConventions | undefined, env: Readonly<Record<string, string | undefined>>): GenAiConventions {
  if (option === 'default' || option === 'latest') return option;
  return optsIntoLatestGenAi(env[SEMCONV_STABILITY_OPT_IN_ENV]) ? 'latest' : 'default';
}
