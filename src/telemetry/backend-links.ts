/**
 * The attributes other backends read to link a span to the prompt version that produced it
 * (opt-in, client option `compat`), and the OpenFeature `feature_flag.evaluation` event. Each name
 * is copied from the backend's own source; docs/telemetry.md cites where.
 */
import type { Attributes } from '@opentelemetry/api';
import type { PromptVersion } from '../registry/types.js';
import { parseTemplate } from '../render/template.js';
import type { ResolvedPrompt } from '../resolved-prompt.js';
import { ATTR_FEATURE_FLAG_KEY, ATTR_FEATURE_FLAG_RESULT_VARIANT, ATTR_LLM_PROMPT_TEMPLATE_VERSION } from './attributes.js';

// Langfuse: web/src/features/otel/server/attributes.ts (LangfuseOtelSpanAttributes).
/** Langfuse: the prompt's name, as registered in Langfuse prompt management. */
export const ATTR_LANGFUSE_OBSERVATION_PROMPT_NAME = 'langfuse.observation.prompt.name' as const;
/** Langfuse: the prompt's version (an integer). */
export const ATTR_LANGFUSE_OBSERVATION_PROMPT_VERSION = 'langfuse.observation.prompt.version' as const;

// OpenLLMetry / Traceloop: opentelemetry-semantic-conventions-ai SpanAttributes, and the JS SDK's
// managedPromptTracingAttributes.
/** OpenLLMetry: the prompt key. */
export const ATTR_TRACELOOP_PROMPT_KEY = 'traceloop.prompt.key' as const;
/** OpenLLMetry: the prompt version (an integer). */
export const ATTR_TRACELOOP_PROMPT_VERSION = 'traceloop.prompt.version' as const;
/** OpenLLMetry: the version's hash. */
export const ATTR_TRACELOOP_PROMPT_VERSION_HASH = 'traceloop.prompt.version_hash' as const;
/** OpenLLMetry: prefix of association properties (`traceloop.association.properties.<key>`). */
export const ATTR_TRACELOOP_ASSOCIATION_PROPERTIES_PREFIX = 'traceloop.association.properties.' as const;

// Datadog LLM Observability, Prompt Tracking with OpenTelemetry instrumentation.
/** Datadog: a JSON string `{ id, name, version, template | chat_template }`. */
export const ATTR_DD_LLMOBS_PROMPT_TRACKING = '_dd.ml_obs.prompt_tracking' as const;

// OpenFeature / OpenTelemetry feature-flag semantic conventions (feature-flags-events).
/** Name of the OpenFeature evaluation event. */
export const EVENT_FEATURE_FLAG_EVALUATION = 'feature_flag.evaluation' as const;
/** OpenFeature: who evaluated the flag (`promptpin`). */
export const ATTR_FEATURE_FLAG_PROVIDER_NAME = 'feature_flag.provider.name' as const;
/** OpenFeature: why this variant (`static`, `split`, `targeting_match`, `default`). */
export const ATTR_FEATURE_FLAG_RESULT_REASON = 'feature_flag.result.reason' as const;
/** OpenFeature: the version of the flag configuration (the registry revision). */
export const ATTR_FEATURE_FLAG_VERSION = 'feature_flag.version' as const;
/** OpenFeature: the flag set (the environment). */
export const ATTR_FEATURE_FLAG_SET_ID = 'feature_flag.set.id' as const;

/** Which backends to link to (all off by default). */
export interface BackendLinkOptions {
  /** Langfuse: `langfuse.observation.prompt.name` / `.version`. @defaultValue false */
  readonly langfuse?: boolean;
  /** OpenLLMetry (Traceloop): `traceloop.prompt.key` / `.version` / `.version_hash`, `traceloop.association.properties.prompt_*`. @defaultValue false */
  readonly traceloop?: boolean;
  /** OpenInference (Arize Phoenix): `llm.prompt_template.version`. @defaultValue false */
  readonly openInference?: boolean;
  /**
   * Datadog LLM Observability Prompt Tracking: `_dd.ml_obs.prompt_tracking`. Datadog requires the
   * template, so this sends the version's template text (with its `{{placeholders}}`, never the
   * variable values or the rendered prompt).
   * @defaultValue false
   */
  readonly datadog?: boolean;
  /**
   * OpenFeature: `feature_flag.key` / `feature_flag.result.variant` on the call span, and a
   * `feature_flag.evaluation` span event per call.
   * @defaultValue false
   */
  readonly openFeature?: boolean;
}

/** The OpenFeature reason for a slice (semconv `feature_flag.result.reason` values). */
export function featureFlagReason(prompt: Pick<ResolvedPrompt, 'slice' | 'rolloutPercent'>): string {
  switch (prompt.slice) {
    case 'override':
      return 'targeting_match';
    case 'fallback':
      return 'default';
    case 'pinned':
      return 'static';
    case 'external':
      // Another system chose the version; its own reason is in its own telemetry.
      return 'unknown';
    default:
      return prompt.rolloutPercent !== undefined ? 'split' : 'static';
  }
}

function datadogPayload(prompt: ResolvedPrompt): string | undefined {
  const definition = (prompt as { readonly definition?: PromptVersion }).definition;
  const payload: Record<string, unknown> = { id: prompt.name, name: prompt.name, version: String(prompt.version) };
  if (definition !== undefined) {
    const parsed = parseTemplate(definition.template);
    const text = (m: (typeof parsed.messages)[number]): string => m.statics.map((s, i) => (i < m.vars.length ? `${s}{{${m.vars[i]}}}` : s)).join('');
    if (parsed.kind === 'chat') payload.chat_template = parsed.messages.map((m) => m.spread !== undefined ? { role: 'placeholder', content: `{{...${m.spread}}}` } : ({ role: m.role, content: text(m).replace(/^(?:[ \t]*\r?\n)+/, '').replace(/(?:\r?\n[ \t]*)+$/, '') }));
    else payload.template = parsed.messages.map(text).join('');
  }
  return JSON.stringify(payload);
}

/** The link attributes for `prompt` under `options`, frozen; `{}` when none is on. */
export function backendLinkAttributes(prompt: ResolvedPrompt, options: BackendLinkOptions): Attributes {
  const out: Attributes = {};
  if (options.langfuse) {
    out[ATTR_LANGFUSE_OBSERVATION_PROMPT_NAME] = prompt.name;
    out[ATTR_LANGFUSE_OBSERVATION_PROMPT_VERSION] = prompt.version;
  }
  if (options.traceloop) {
    out[ATTR_TRACELOOP_PROMPT_KEY] = prompt.name;
    out[ATTR_TRACELOOP_PROMPT_VERSION] = prompt.version;
    out[ATTR_TRACELOOP_PROMPT_VERSION_HASH] = prompt.hash;
    out[`${ATTR_TRACELOOP_ASSOCIATION_PROPERTIES_PREFIX}prompt_slice`] = prompt.slice;
    out[`${ATTR_TRACELOOP_ASSOCIATION_PROPERTIES_PREFIX}prompt_environment`] = prompt.environment;
  }
  if (options.openInference) out[ATTR_LLM_PROMPT_TEMPLATE_VERSION] = String(prompt.version);
  if (options.openFeature) {
    out[ATTR_FEATURE_FLAG_KEY] = `prompt:${prompt.name}`;
    out[ATTR_FEATURE_FLAG_RESULT_VARIANT] = String(prompt.version);
  }
  if (options.datadog) {
    try {
      const json = datadogPayload(prompt);
      if (json !== undefined) out[ATTR_DD_LLMOBS_PROMPT_TRACKING] = json;
    } catch {
      // A template that fails to parse was refused at load; nothing to link then.
    }
  }
  return Object.freeze(out);
}

/** The attributes of the `feature_flag.evaluation` event of a call of `prompt`, frozen. */
export function featureFlagEvaluation(prompt: ResolvedPrompt): Attributes {
  const out: Attributes = {
    [ATTR_FEATURE_FLAG_KEY]: `prompt:${prompt.name}`,
    [ATTR_FEATURE_FLAG_RESULT_VARIANT]: String(prompt.version),
    [ATTR_FEATURE_FLAG_PROVIDER_NAME]: 'promptpin',
    [ATTR_FEATURE_FLAG_RESULT_REASON]: featureFlagReason(prompt),
    [ATTR_FEATURE_FLAG_SET_ID]: prompt.environment,
  };
  if (prompt.revision !== undefined) out[ATTR_FEATURE_FLAG_VERSION] = prompt.revision;
  return Object.freeze(out);
}

/** Instrumentation scopes known to create GenAI client spans (prefix match). */
const GENAI_SCOPES: readonly string[] = [
  '@opentelemetry/instrumentation-openai',
  '@elastic/opentelemetry-instrumentation-openai',
  '@traceloop/instrumentation-',
  '@arizeai/openinference-instrumentation-',
  '@langfuse/',
  'ai',
];

/**
 * True when a span just started by another instrumentation is a GenAI client span: its scope is a
 * known GenAI instrumentation, or it carries `gen_ai.operation.name` / `gen_ai.system` /
 * `gen_ai.provider.name` at start.
 */
export function isGenAiSpan(scopeName: string | undefined, attributes: Attributes): boolean {
  if (scopeName === 'promptpin') return false;
  if (attributes['gen_ai.operation.name'] !== undefined || attributes['gen_ai.system'] !== undefined || attributes['gen_ai.provider.name'] !== undefined) return true;
  if (scopeName === undefined) return false;
  return GENAI_SCOPES.some((s) => (s.endsWith('-') || s.endsWith('/') ? scopeName.startsWith(s) : scopeName === s));
}
