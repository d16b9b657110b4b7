/**
 * Attribute, metric and event names promptpin emits.
 *
 * The `gen_ai.*` names come from the OpenTelemetry GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/, now maintained in
 * open-telemetry/semantic-conventions-genai). They are still experimental upstream, so they are
 * copied here rather than imported from `@opentelemetry/semantic-conventions/incubating`: a rename
 * upstream is a one-line change in this file. Checked against semantic-conventions 1.45 and the
 * GenAI spans page (`gen_ai.provider.name` replaced `gen_ai.system`).
 *
 * @packageDocumentation
 */

// promptpin's own attributes: what a backend groups or filters by.

/** Prompt name, e.g. `support-agent`. Stamped on the call span and, with {@link PromptSpanProcessor}, on every span inside it. */
export const ATTR_PROMPT_NAME = 'prompt.name' as const;
/** Prompt version, an integer, e.g. `4`. */
export const ATTR_PROMPT_VERSION = 'prompt.version' as const;
/** Content hash of the version, `sha256:…`. */
export const ATTR_PROMPT_HASH = 'prompt.hash' as const;
/** Why the unit got this version: `stable`, `candidate`, `override`, `pinned`, `fallback` or `external`. */
export const ATTR_PROMPT_SLICE = 'prompt.slice' as const;
/** n-arm experiments: the unit's arm, an integer (0 = the stable control, k = the k-th candidate of `candidates:`). */
export const ATTR_PROMPT_ARM = 'prompt.arm' as const;
/** Prefix of the unit attributes declared safe (`safeAttributes`): `prompt.unit.plan`. No other attribute value is stamped. */
export const ATTR_PROMPT_UNIT_PREFIX = 'prompt.unit.' as const;
/** With slice `external`: the system that chose the version (`launchdarkly`, `growthbook`, `statsig`, `openfeature`, …). */
export const ATTR_PROMPT_SELECTOR = 'prompt.selector' as const;
/** Names of the tools the version declares (`tools:`), a string array; absent without tools. Names only, never schemas. */
export const ATTR_PROMPT_TOOLS = 'prompt.tools' as const;
/** The version's output schema's name (its `title`, else `output`); absent without `output_schema:`. */
export const ATTR_PROMPT_OUTPUT_SCHEMA = 'prompt.output_schema' as const;
/** The client's environment, e.g. `production`. */
export const ATTR_PROMPT_ENVIRONMENT = 'prompt.environment' as const;
/** The rollout's percent (0–100), only while a rollout of the prompt is live. */
export const ATTR_PROMPT_ROLLOUT_PERCENT = 'prompt.rollout.percent' as const;
/** Set to `true` on a streaming call whose stream was abandoned (`break`, `return()`) before its end. */
export const ATTR_PROMPTPIN_STREAM_ABANDONED = 'promptpin.stream.abandoned' as const;
/**
 * Set to `false` on a streaming call whose stream could not be followed without changing how it
 * behaves (a frozen stream, a non-configurable `[Symbol.asyncIterator]`): it was returned as is and
 * the span ended at once; its outcome is `{ error: false, unobserved: true }`.
 */
export const ATTR_PROMPTPIN_STREAM_OBSERVED = 'promptpin.stream.observed' as const;
/** `true` when the model refused, as read from the result (or set by the `outcome` hook); absent otherwise. */
export const ATTR_PROMPTPIN_OUTCOME_REFUSAL = 'promptpin.outcome.refusal' as const;
/** `true` when the model asked for a tool, as read from the result (or set by the `outcome` hook); absent otherwise. */
export const ATTR_PROMPTPIN_OUTCOME_TOOL_CALL = 'promptpin.outcome.tool_call' as const;

// GenAI semantic conventions (experimental upstream).

/** The prompt's name under the GenAI conventions' own name (same value as {@link ATTR_PROMPT_NAME}). */
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name' as const;
/** The prompt's version under the GenAI conventions' name: a string (`"4"`), as other producers send it. */
export const ATTR_GEN_AI_PROMPT_VERSION = 'gen_ai.prompt.version' as const;
/** Prefix of the captured template variables (`gen_ai.prompt.variable.<key>`), only with content capture on. */
export const ATTR_GEN_AI_PROMPT_VARIABLE_PREFIX = 'gen_ai.prompt.variable.' as const;
/** `chat` or `text_completion`. */
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name' as const;
/** `openai`, `anthropic`, … (replaced `gen_ai.system`). */
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name' as const;
/** The model requested, from the version's `model`. */
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model' as const;
/** From the version's `params.temperature`. */
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature' as const;
/** From the version's `params.max_tokens` (or `max_completion_tokens` / `max_output_tokens`). */
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens' as const;
/** From the version's `params.top_p`. */
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p' as const;
/** From the version's `params.top_k`. */
export const ATTR_GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k' as const;
/** From the version's `params.frequency_penalty`. */
export const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty' as const;
/** From the version's `params.presence_penalty`. */
export const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty' as const;
/** From the version's `params.seed`. */
export const ATTR_GEN_AI_REQUEST_SEED = 'gen_ai.request.seed' as const;
/** From the version's `params.stop` / `params.stop_sequences`. */
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences' as const;
/** The model that answered, read from the result. */
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model' as const;
/** The provider's response id, read from the result. */
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id' as const;
/** Finish reasons as the provider reports them (`stop`, `tool_calls`, `end_turn`, `refusal`, …). */
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons' as const;
/** Input tokens, including cached ones (Anthropic's cache read/creation tokens are added in). */
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens' as const;
/** Output tokens. */
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens' as const;
/** Input tokens served from a provider cache (included in {@link ATTR_GEN_AI_USAGE_INPUT_TOKENS}). */
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens' as const;
/** Input tokens written to a provider cache (included in {@link ATTR_GEN_AI_USAGE_INPUT_TOKENS}). Default conventions. */
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens' as const;
/** The latest conventions' name of {@link ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS} (with `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`). */
export const ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = 'gen_ai.usage.cache_write.input_tokens' as const;
/** Rendered prompt as GenAI message JSON, only with content capture on. */
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages' as const;
/** System instructions as GenAI parts JSON (`[{"type":"text","content":…}]`), only with content capture on, where the API takes them apart from the messages. */
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions' as const;
/** `true` when the request asked for a stream (from what a request builder sent). */
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream' as const;
/** `text`, `json`, `image` or `speech`: the output type requested (from what a request builder sent). */
export const ATTR_GEN_AI_OUTPUT_TYPE = 'gen_ai.output.type' as const;
/** The GenAI server's host name (stable OpenTelemetry attribute). */
export const ATTR_SERVER_ADDRESS = 'server.address' as const;
/** The GenAI server's port (stable OpenTelemetry attribute). */
export const ATTR_SERVER_PORT = 'server.port' as const;
/** Model output as GenAI message JSON, only with content capture on. */
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages' as const;
/** `input` or `output`, on {@link METRIC_GEN_AI_CLIENT_TOKEN_USAGE}. */
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type' as const;
/** Latest conventions: the modality of the tokens a `gen_ai.client.inference.usage.*` counter counts. */
export const ATTR_GEN_AI_TOKEN_MODALITY = 'gen_ai.token.modality' as const;
/** Value of {@link ATTR_GEN_AI_TOKEN_MODALITY} when the provider does not break usage down by modality. */
export const GEN_AI_TOKEN_MODALITY_VALUE_UNKNOWN = 'unknown' as const;
/** The class of error a call failed with (stable OpenTelemetry attribute). */
export const ATTR_ERROR_TYPE = 'error.type' as const;

/** Value of {@link ATTR_GEN_AI_TOKEN_TYPE} for input tokens. */
export const GEN_AI_TOKEN_TYPE_VALUE_INPUT = 'input' as const;
/** Value of {@link ATTR_GEN_AI_TOKEN_TYPE} for output tokens. */
export const GEN_AI_TOKEN_TYPE_VALUE_OUTPUT = 'output' as const;
/** Fallback value of {@link ATTR_ERROR_TYPE} when nothing better is known. */
export const ERROR_TYPE_VALUE_OTHER = '_OTHER' as const;

// Optional compatibility attributes (off by default).

/** OpenFeature: the flag key, `prompt:<name>`. */
export const ATTR_FEATURE_FLAG_KEY = 'feature_flag.key' as const;
/** OpenFeature: the variant served, the version as a string. */
export const ATTR_FEATURE_FLAG_RESULT_VARIANT = 'feature_flag.result.variant' as const;
/** OpenInference (Arize Phoenix): the prompt template's version, as a string. */
export const ATTR_LLM_PROMPT_TEMPLATE_VERSION = 'llm.prompt_template.version' as const;

// Metrics.

/** GenAI histogram of input and output tokens per call (`{token}`), by {@link ATTR_GEN_AI_TOKEN_TYPE}. */
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage' as const;
/** GenAI histogram of call duration in seconds. */
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration' as const;
// Metrics of the latest GenAI conventions (OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental):
// open-telemetry/semantic-conventions-genai docs/gen-ai/client-inference.md and non-normative/migration.md.

/** Latest conventions: histogram of inference call duration in seconds (replaces {@link METRIC_GEN_AI_CLIENT_OPERATION_DURATION} for inference). */
export const METRIC_GEN_AI_CLIENT_INFERENCE_DURATION = 'gen_ai.client.inference.duration' as const;
/** Latest conventions: counter of input tokens spent, including cached ones, by {@link ATTR_GEN_AI_TOKEN_MODALITY}. */
export const METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS = 'gen_ai.client.inference.usage.input_tokens' as const;
/** Latest conventions: counter of output tokens spent, by {@link ATTR_GEN_AI_TOKEN_MODALITY}. */
export const METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS = 'gen_ai.client.inference.usage.output_tokens' as const;
/** Latest conventions: counter of input tokens served from a provider cache (a subset of the input counter). */
export const METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.client.inference.usage.cache_read.input_tokens' as const;
/** Latest conventions: counter of input tokens written to a provider cache (a subset of the input counter). */
export const METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS = 'gen_ai.client.inference.usage.cache_write.input_tokens' as const;
/** Latest conventions: histogram of input tokens per call, for percentiles (no modality). */
export const METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS = 'gen_ai.client.inference.operation.input_tokens' as const;
/** Latest conventions: histogram of output tokens per call, for percentiles (no modality). */
export const METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS = 'gen_ai.client.inference.operation.output_tokens' as const;
/** Counter of `prompt.call`s. */
export const METRIC_PROMPTPIN_CALLS = 'promptpin.calls' as const;
/** Counter of calls that failed (threw, or an outcome with `error: true`). */
export const METRIC_PROMPTPIN_ERRORS = 'promptpin.errors' as const;
/** Counter of refusals (read from the result, or recorded). */
export const METRIC_PROMPTPIN_REFUSALS = 'promptpin.refusals' as const;
/** Counter of calls that asked for a tool. */
export const METRIC_PROMPTPIN_TOOL_CALLS = 'promptpin.tool_calls' as const;

// Events.

/** Span event carrying the captured content when capture mode is `EVENT_ONLY` or `SPAN_AND_EVENT`. */
export const EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS = 'gen_ai.client.inference.operation.details' as const;
/** Span event added by `prompt.record(outcome)` on the active span. */
export const EVENT_PROMPTPIN_OUTCOME = 'promptpin.outcome' as const;

// Baggage keys (with the `baggage` option).

/** W3C baggage key carrying the prompt name to downstream services. */
export const BAGGAGE_PROMPT_NAME = 'prompt.name' as const;
/** W3C baggage key carrying the prompt version to downstream services. */
export const BAGGAGE_PROMPT_VERSION = 'prompt.version' as const;

// The conventions switch.

/** The environment variable OpenTelemetry instrumentations read to opt into newer semantic conventions (a comma-separated list). */
export const SEMCONV_STABILITY_OPT_IN_ENV = 'OTEL_SEMCONV_STABILITY_OPT_IN' as const;
/** The {@link SEMCONV_STABILITY_OPT_IN_ENV} entry that selects the latest experimental GenAI conventions. */
export const SEMCONV_GEN_AI_LATEST_EXPERIMENTAL = 'gen_ai_latest_experimental' as const;

/** Instrumentation scope name of promptpin's tracer and meter. */
export const INSTRUMENTATION_SCOPE = 'promptpin' as const;
