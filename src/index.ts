// Client
export { PromptClient, diffReleases } from './client.js';
export type {
  ClientStatus,
  FallbackPrompt,
  GetOptions,
  PromptClientOptions,
  PromptReleaseChange,
  RegistryChangeEvent,
  ReleaseSummary,
  ReloadResult,
} from './client.js';

// Resolved prompts
export type {
  CallOptions,
  KnownPromptName,
  PromptName,
  PromptOutcome,
  PromptSlice,
  PromptVariablesByName,
  ResolvedPrompt,
  TelemetryMode,
  VariablesOf,
} from './resolved-prompt.js';

export type { ExternalSelection } from './resolve/external.js';
export { parseExternalVersion } from './resolve/external.js';

// Rendering
export type { ChatMessage, PromptVariables, RenderedPrompt } from './render/compile.js';

// Errors
export { ErrorCode, isPromptError, PromptError, PromptNotFoundError, PromptRenderError, RegistryError } from './errors.js';
export type { RegistryErrorLocation, RegistryIssue, VariableIssue } from './errors.js';

// Registry
export { parseCompiledRegistry, registryToJson, REGISTRY_SCHEMA_VERSION } from './registry/compiled.js';
export type { CompiledRegistry } from './registry/compiled.js';
export { contentHash, CONTENT_HASH_VERSION } from './registry/version.js';
export type {
  BreachAction,
  GuardSpec,
  PromptEntry,
  PromptOperation,
  PromptVersion,
  Registry,
  Release,
  Rollout,
  VariableSpec,
  VariableType,
} from './registry/types.js';

// Bucketing
export { bucketOf, BUCKET_COUNT, candidateThreshold, createBucketer, HASH_VERSION } from './resolve/bucket.js';
export { murmur3_32 } from './resolve/murmur3.js';
export { resolveRelease, resolveVersion } from './resolve/resolve.js';
export type { Resolution, ResolutionReason, ResolveOptions } from './resolve/resolve.js';

// Sources
export { createMemorySource } from './sources/memory-source.js';
export type { MemorySource, MemorySourceData } from './sources/memory-source.js';
export type { Source, SourceStatus } from './sources/source.js';
export { createUrlSource, isLoopbackHost } from './sources/url-source.js';
export type { UrlFetchResult, UrlSource, UrlSourceHeaders, UrlSourceOptions, UrlSourceStatus } from './sources/url-source.js';

// Telemetry
export { PromptSpanProcessor } from './telemetry/span-processor.js';
export type { PromptSpanProcessorOptions } from './telemetry/span-processor.js';
export { CAPTURE_CONTENT_ENV } from './telemetry/content.js';
export type { CaptureContentMode, RedactContent, RedactTarget } from './telemetry/content.js';
export type { TelemetryCompatOptions } from './telemetry/prompt-info.js';
export type { BackendLinkOptions } from './telemetry/backend-links.js';
export type { GenAiConventions } from './telemetry/semconv.js';
export { optsIntoLatestGenAi } from './telemetry/semconv.js';
export {
  ATTR_LANGFUSE_OBSERVATION_PROMPT_NAME, ATTR_LANGFUSE_OBSERVATION_PROMPT_VERSION, ATTR_TRACELOOP_PROMPT_KEY, ATTR_TRACELOOP_PROMPT_VERSION,
  ATTR_TRACELOOP_PROMPT_VERSION_HASH, ATTR_TRACELOOP_ASSOCIATION_PROPERTIES_PREFIX, ATTR_DD_LLMOBS_PROMPT_TRACKING, EVENT_FEATURE_FLAG_EVALUATION,
  ATTR_FEATURE_FLAG_PROVIDER_NAME, ATTR_FEATURE_FLAG_RESULT_REASON, ATTR_FEATURE_FLAG_VERSION, ATTR_FEATURE_FLAG_SET_ID,
} from './telemetry/backend-links.js';
export {
  ATTR_PROMPT_NAME, ATTR_PROMPT_VERSION, ATTR_PROMPT_HASH, ATTR_PROMPT_SLICE, ATTR_PROMPT_SELECTOR, ATTR_PROMPT_ENVIRONMENT, ATTR_PROMPT_ROLLOUT_PERCENT,
  ATTR_PROMPTPIN_STREAM_ABANDONED, ATTR_PROMPTPIN_STREAM_OBSERVED, ATTR_PROMPTPIN_OUTCOME_REFUSAL, ATTR_PROMPTPIN_OUTCOME_TOOL_CALL,
  ATTR_GEN_AI_PROMPT_NAME, ATTR_GEN_AI_PROMPT_VERSION, ATTR_GEN_AI_PROMPT_VARIABLE_PREFIX, ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL, ATTR_GEN_AI_REQUEST_TEMPERATURE, ATTR_GEN_AI_REQUEST_MAX_TOKENS, ATTR_GEN_AI_REQUEST_TOP_P, ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY, ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY, ATTR_GEN_AI_REQUEST_SEED, ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_RESPONSE_MODEL, ATTR_GEN_AI_RESPONSE_ID, ATTR_GEN_AI_RESPONSE_FINISH_REASONS, ATTR_GEN_AI_USAGE_INPUT_TOKENS, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, ATTR_GEN_AI_INPUT_MESSAGES, ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, ATTR_GEN_AI_REQUEST_STREAM, ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT,
  ATTR_GEN_AI_TOKEN_TYPE, ATTR_GEN_AI_TOKEN_MODALITY, GEN_AI_TOKEN_MODALITY_VALUE_UNKNOWN, ATTR_ERROR_TYPE, GEN_AI_TOKEN_TYPE_VALUE_INPUT, GEN_AI_TOKEN_TYPE_VALUE_OUTPUT, ERROR_TYPE_VALUE_OTHER,
  ATTR_FEATURE_FLAG_KEY, ATTR_FEATURE_FLAG_RESULT_VARIANT, ATTR_LLM_PROMPT_TEMPLATE_VERSION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE, METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_INFERENCE_DURATION, METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS, METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS, METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS, METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS,
  SEMCONV_STABILITY_OPT_IN_ENV, SEMCONV_GEN_AI_LATEST_EXPERIMENTAL,
  METRIC_PROMPTPIN_CALLS, METRIC_PROMPTPIN_ERRORS,
  METRIC_PROMPTPIN_REFUSALS, METRIC_PROMPTPIN_TOOL_CALLS, EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS, EVENT_PROMPTPIN_OUTCOME,
  BAGGAGE_PROMPT_NAME, BAGGAGE_PROMPT_VERSION, INSTRUMENTATION_SCOPE,
} from './telemetry/attributes.js';

// Guards
export type { GuardBreachEvent, GuardStatus } from './guards/coordinator.js';
