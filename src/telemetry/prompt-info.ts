import type { Attributes } from '@opentelemetry/api';
import type { ResolvedPrompt } from '../resolved-prompt.js';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_PROMPT_VERSION,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_TOKEN_MODALITY,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_PROMPT_ENVIRONMENT,
  ATTR_PROMPT_HASH,
  ATTR_PROMPT_NAME,
  ATTR_PROMPT_ROLLOUT_PERCENT,
  ATTR_PROMPT_SLICE,
  ATTR_PROMPT_ARM,
  ATTR_PROMPT_UNIT_PREFIX,
  ATTR_PROMPT_VERSION,
  ATTR_PROMPT_SELECTOR,
  ATTR_PROMPT_TOOLS,
  ATTR_PROMPT_OUTPUT_SCHEMA,
  GEN_AI_TOKEN_MODALITY_VALUE_UNKNOWN,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
} from './attributes.js';
import { backendLinkAttributes, featureFlagEvaluation, type BackendLinkOptions } from './backend-links.js';

/**
 * Optional attributes of other conventions and backends (all off by default): OpenFeature,
 * OpenInference (Arize Phoenix), Langfuse, OpenLLMetry (Traceloop), Datadog LLM Observability.
 * See {@link BackendLinkOptions} for each.
 */
export type TelemetryCompatOptions = BackendLinkOptions;

/** Everything about a resolved prompt that telemetry needs, computed once per prompt. @internal */
export interface PromptInfo {
  readonly spanName: string;
  /** Attributes set at span start (samplers see them). Frozen. */
  readonly startAttributes: Attributes;
  /** The `prompt.*` set that {@link PromptSpanProcessor} stamps on child spans. Frozen. */
  readonly contextAttributes: Attributes;
  /** Metric attribute sets: base, and with `gen_ai.token.type`. Frozen. */
  readonly metricBase: Attributes;
  readonly metricInput: Attributes;
  readonly metricOutput: Attributes;
  /** Latest conventions: the base set with `gen_ai.token.modality` (for the usage counters). */
  readonly metricUsage: Attributes;
  /** True when `gen_ai.provider.name` is known at start (declared or guessed from the model). */
  readonly providerKnown: boolean;
  /** Stamp mode: the wrapper span's name and start attributes (no `gen_ai.*`). Frozen. */
  readonly stampSpanName: string;
  readonly stampStartAttributes: Attributes;
  /** Stamp mode: what {@link PromptSpanProcessor} stamps on the GenAI span of an auto-instrumentation. Frozen. */
  readonly llmAttributes: Attributes;
  /** The `feature_flag.evaluation` event's attributes, with `compat.openFeature`. Frozen. */
  readonly featureFlagEvent: Attributes | undefined;
}

// Ordered: the first matching prefix wins. Values are semconv gen_ai.provider.name values.
const PROVIDER_BY_PREFIX: readonly (readonly [RegExp, string])[] = [
  [/^(gpt-|o[1-9]\b|o[1-9]-|chatgpt|text-davinci|davinci|babbage|text-embedding|dall-e|whisper|tts-|omni-moderation|computer-use)/, 'openai'],
  [/^claude/, 'anthropic'],
  [/^gemini|^gemma/, 'gcp.gemini'],
  [/^(mistral|mixtral|codestral|ministral|pixtral|magistral|devstral|open-mistral)/, 'mistral_ai'],
  [/^command|^embed-(english|multilingual)/, 'cohere'],
  [/^deepseek/, 'deepseek'],
  [/^grok/, 'x_ai'],
  [/^sonar/, 'perplexity'],
];
const PROVIDER_ALIASES: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'gcp.gemini',
  gemini: 'gcp.gemini',
  vertex: 'gcp.vertex_ai',
  vertex_ai: 'gcp.vertex_ai',
  mistral: 'mistral_ai',
  mistralai: 'mistral_ai',
  mistral_ai: 'mistral_ai',
  cohere: 'cohere',
  deepseek: 'deepseek',
  groq: 'groq',
  xai: 'x_ai',
  x_ai: 'x_ai',
  perplexity: 'perplexity',
  bedrock: 'aws.bedrock',
  azure: 'azure.ai.openai',
};

/**
 * The `gen_ai.provider.name` for a model id when the `.prompt` file does not declare `provider:`:
 * a `provider/model` prefix (`openai/gpt-4o`, `anthropic/claude-…`) or a well-known model family.
 * `undefined` when unsure (e.g. `llama-3` is served by many providers).
 */
export function guessProvider(model: string): string | undefined {
  const id = model.trim().toLowerCase();
  const slash = id.indexOf('/');
  if (slash > 0) {
    const alias = PROVIDER_ALIASES[id.slice(0, slash)];
    if (alias !== undefined) return alias;
  }
  const bare = slash > 0 ? id.slice(slash + 1) : id;
  for (const [re, provider] of PROVIDER_BY_PREFIX) if (re.test(bare)) return provider;
  return undefined;
}

function finite(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

/** GenAI request attributes from a version's (or a sent request's) params. @internal */
export function requestAttributes(params: Readonly<Record<string, unknown>>, out: Record<string, string | number | string[]>): void {
  const set = (key: string, value: number | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  set(ATTR_GEN_AI_REQUEST_TEMPERATURE, finite(params.temperature));
  set(ATTR_GEN_AI_REQUEST_MAX_TOKENS, finite(params.max_tokens) ?? finite(params.max_completion_tokens) ?? finite(params.max_output_tokens));
  set(ATTR_GEN_AI_REQUEST_TOP_P, finite(params.top_p));
  set(ATTR_GEN_AI_REQUEST_TOP_K, finite(params.top_k));
  set(ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY, finite(params.frequency_penalty));
  set(ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY, finite(params.presence_penalty));
  set(ATTR_GEN_AI_REQUEST_SEED, finite(params.seed));
  const stop = params.stop ?? params.stop_sequences;
  if (typeof stop === 'string') out[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = [stop];
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) out[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = [...stop];
}

/** The name an output schema goes by: its `title` when it is a valid name, else `output`. */
export function outputSchemaName(schema: Readonly<Record<string, unknown>>): string {
  const title = schema.title;
  return typeof title === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(title) ? title : 'output';
}

/** Builds the {@link PromptInfo} of a resolved prompt. */
export function buildPromptInfo(prompt: ResolvedPrompt, compat: TelemetryCompatOptions): PromptInfo {
  const context: Record<string, string | number | string[]> = {
    [ATTR_PROMPT_NAME]: prompt.name,
    [ATTR_PROMPT_VERSION]: prompt.version,
    [ATTR_PROMPT_HASH]: prompt.hash,
    [ATTR_PROMPT_SLICE]: prompt.slice,
    [ATTR_PROMPT_ENVIRONMENT]: prompt.environment,
  };
  if (prompt.rolloutPercent !== undefined) context[ATTR_PROMPT_ROLLOUT_PERCENT] = prompt.rolloutPercent;
  if (prompt.selector !== undefined) context[ATTR_PROMPT_SELECTOR] = prompt.selector;
  if (prompt.tools !== undefined && prompt.tools.length > 0) context[ATTR_PROMPT_TOOLS] = prompt.tools.map((t) => t.name);
  if (prompt.outputSchema !== undefined) context[ATTR_PROMPT_OUTPUT_SCHEMA] = outputSchemaName(prompt.outputSchema);
  if (prompt.arm !== undefined) context[ATTR_PROMPT_ARM] = prompt.arm;
  if (prompt.unitAttributes !== undefined) for (const [k, v] of Object.entries(prompt.unitAttributes)) context[`${ATTR_PROMPT_UNIT_PREFIX}${k}`] = typeof v === 'boolean' ? String(v) : v;
  const operation = prompt.operation;
  const provider = prompt.provider ?? guessProvider(prompt.model);
  const start: Record<string, string | number | string[]> = {
    ...context,
    [ATTR_GEN_AI_PROMPT_NAME]: prompt.name,
    [ATTR_GEN_AI_PROMPT_VERSION]: String(prompt.version),
    [ATTR_GEN_AI_OPERATION_NAME]: operation,
    [ATTR_GEN_AI_REQUEST_MODEL]: prompt.model,
  };
  if (provider !== undefined) start[ATTR_GEN_AI_PROVIDER_NAME] = provider;
  requestAttributes(prompt.params, start);
  const links = backendLinkAttributes(prompt, compat);
  Object.assign(start, links);

  const metricBase: Record<string, string | number> = {
    [ATTR_PROMPT_NAME]: prompt.name,
    [ATTR_PROMPT_VERSION]: prompt.version,
    [ATTR_PROMPT_SLICE]: prompt.slice,
    [ATTR_GEN_AI_OPERATION_NAME]: operation,
    [ATTR_GEN_AI_REQUEST_MODEL]: prompt.model,
  };
  if (provider !== undefined) metricBase[ATTR_GEN_AI_PROVIDER_NAME] = provider;
  return Object.freeze({
    spanName: `${operation} ${prompt.model}`,
    startAttributes: Object.freeze(start),
    contextAttributes: Object.freeze(context),
    metricBase: Object.freeze(metricBase),
    metricInput: Object.freeze({ ...metricBase, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT }),
    metricOutput: Object.freeze({ ...metricBase, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT }),
    // NB: providers report usage per call, not per modality: the conventions say `unknown` then.
    metricUsage: Object.freeze({ ...metricBase, [ATTR_GEN_AI_TOKEN_MODALITY]: GEN_AI_TOKEN_MODALITY_VALUE_UNKNOWN }),
    providerKnown: provider !== undefined,
    stampSpanName: `prompt ${prompt.name}`,
    stampStartAttributes: Object.freeze({ ...context }),
    llmAttributes: Object.freeze({
      ...context,
      [ATTR_GEN_AI_PROMPT_NAME]: prompt.name,
      [ATTR_GEN_AI_PROMPT_VERSION]: String(prompt.version),
      ...links,
    }),
    featureFlagEvent: compat.openFeature ? featureFlagEvaluation(prompt) : undefined,
  });
}
