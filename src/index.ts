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
  PromptOutcome,
  PromptSlice,
  PromptVariablesByName,
  ResolvedPrompt,
  VariablesOf,
} from './resolved-prompt.js';

// Rendering
export type { ChatMessage, PromptVariables, RenderedPrompt } from './render/compile.js';

// Errors
export { ErrorCode, isPromptError, PromptError, PromptNotFoundError, PromptRenderError, RegistryError } from './errors.js';
export type { RegistryErrorLocation, RegistryIssue, VariableIssue } from './errors.js';

// Registry
export { checkFolder, compileFolder, parseCompiledRegistry, registryToJson, REGISTRY_SCHEMA_VERSION } from './registry/registry.js';
export type { CompiledRegistry, FolderCheck, FolderFiles } from './registry/registry.js';
export { contentHash, CONTENT_HASH_VERSION } from './registry/prompt-file.js';
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

// Sources
export { createFileSource } from './sources/file-source.js';
export { createFolderSource, readFolder } from './sources/folder-source.js';
export type { FolderSourceOptions } from './sources/folder-source.js';
export { createMemorySource } from './sources/memory-source.js';
export type { MemorySource, MemorySourceData } from './sources/memory-source.js';
export type { Source, SourceStatus } from './sources/source.js';
export { createUrlSource, isLoopbackHost } from './sources/url-source.js';
export type { UrlFetchResult, UrlSource, UrlSourceHeaders, UrlSourceOptions, UrlSourceStatus } from './sources/url-source.js';

// Guards
export type { GuardBreachEvent, GuardStatus } from './guards/coordinator.js';
