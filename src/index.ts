/**
 * promptpin's runtime: the client, resolved prompts, rendering, bucketing and resolution, errors,
 * in-memory and URL sources, telemetry. It imports no Node built-in, no YAML and no authoring
 * code, so it bundles for browsers, edge runtimes and workers (the `browser`/`worker`/`default`
 * export conditions). In Node, `import 'promptpin'` resolves to `promptpin/node` (the `node`
 * condition): the same names plus folder and file sources and the URL disk cache. The authoring
 * toolkit is `promptpin/authoring`; attribute and metric names are `promptpin/semconv`.
 * @packageDocumentation
 */
// Client
export { PromptClient, diffReleases } from './client.js';
export type {
  ClientStatus,
  FallbackPrompt,
  GetOptions,
  Unit,
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
export { armOf, armRanges, bucketOf, BUCKET_COUNT, candidateThreshold, createBucketer, HASH_VERSION, MAX_ARMS } from './resolve/bucket.js';
export type { ArmRange } from './resolve/bucket.js';
export { murmur3_32 } from './resolve/murmur3.js';
export { resolveRelease, resolveVersion } from './resolve/resolve.js';
export type { Resolution, ResolutionReason, ResolveOptions, UnitInput } from './resolve/resolve.js';

// Sources
export { createMemorySource } from './sources/memory-source.js';
export type { MemorySource, MemorySourceData } from './sources/memory-source.js';
export type { Source, SourceStatus } from './sources/source.js';
export { createUrlSource, isLoopbackHost } from './sources/url-source.js';
export type { UrlFetchResult, UrlSource, UrlSourceHeaders, UrlSourceOptions, UrlSourceStatus } from './sources/url-source.js';

// Telemetry
export { PromptSpanProcessor } from './telemetry/span-processor.js';
export type { PromptSpanProcessorOptions } from './telemetry/span-processor.js';
export type { CaptureContentMode, RedactContent, RedactTarget } from './telemetry/content.js';
export type { TelemetryCompatOptions } from './telemetry/prompt-info.js';
export type { BackendLinkOptions } from './telemetry/backend-links.js';
export type { GenAiConventions } from './telemetry/semconv.js';
export { optsIntoLatestGenAi } from './telemetry/semconv.js';

// Guards
export type { GuardBreachEvent, GuardStatus } from './guards/coordinator.js';
