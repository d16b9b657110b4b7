import type { Span } from '@opentelemetry/api';
import type { PromptOperation, PromptVersion, ToolSpec, VariableSpec } from './registry/types.js';
import { compiledTemplateFor, type CompiledTemplate, type PromptVariables, type RenderedPrompt } from './render/compile.js';

/**
 * Why a unit got the version it got:
 * `stable` (the release's stable version), `candidate` (in the rollout's slice), `override` (the
 * unit is pinned in the release file), `pinned` (the caller asked for a version), `fallback` (the
 * source could not be read at start; a built-in version is served), `external` (another system, e.g.
 * a feature-flag service, chose the version: see `PromptClient.external`; {@link ResolvedPrompt.selector} names it).
 */
export type PromptSlice = 'stable' | 'candidate' | 'override' | 'pinned' | 'fallback' | 'external' | `rule:${string}`;

/**
 * Variable types per prompt name, filled by the declarations `promptpin types` generates
 * (declaration merging). Unknown names accept any variables.
 *
 * @example
 * declare module 'promptpin' {
 *   interface PromptVariablesByName { 'support-agent': { customer_name: string; plan: 'free' | 'pro' } }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PromptVariablesByName {}

/**
 * The prompt names `promptpin types` declared (the keys of {@link PromptVariablesByName}); `string`
 * when no declarations are included.
 */
export type PromptName = [keyof PromptVariablesByName] extends [never] ? string : Extract<keyof PromptVariablesByName, string>;

/**
 * What `client.get(name)` accepts: with generated declarations, a literal name must be one of
 * {@link PromptName} (a misspelled name is a compile error); a name typed `string` (read at run
 * time) still passes and is checked when called (PROMPT_NOT_FOUND).
 */
export type KnownPromptName<N extends string> = string extends N ? N : N extends PromptName ? N : PromptName;

/** The variables type of prompt `N`. */
export type VariablesOf<N extends string> = N extends keyof PromptVariablesByName ? PromptVariablesByName[N] : PromptVariables;

/**
 * What a call produced, as guards and metrics count it. Built-in signals: `refusal`, `tool_call`,
 * `error` (booleans), `output_tokens`, `input_tokens`, `latency_ms`, `cost` (numbers); any other
 * key is a custom signal. `segment` (e.g. an intent) lets a guard judge per segment.
 */
export interface PromptOutcome {
  readonly refusal?: boolean;
  readonly tool_call?: boolean;
  readonly error?: boolean;
  readonly output_tokens?: number;
  readonly input_tokens?: number;
  readonly latency_ms?: number;
  readonly cost?: number;
  readonly segment?: string;
  readonly [signal: string]: boolean | number | string | undefined;
}

/** Options of {@link ResolvedPrompt.call}. */
export interface CallOptions<V = PromptVariables, R = unknown> {
  /** Variables to render the template with. */
  readonly vars?: V;
  /**
   * Reads (or overrides) the outcome of a result: e.g. a refusal classifier. Its fields win over
   * those read structurally from the result.
   */
  readonly outcome?: (result: R, read: PromptOutcome) => PromptOutcome | undefined;
  /** Extra span attributes (low-cardinality, no private data). */
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
  /**
   * `full`: promptpin's span is the LLM span (usage, finish reasons, GenAI metrics). `stamp`: for
   * apps whose GenAI auto-instrumentation already makes the LLM span; promptpin's span becomes a
   * wrapper named `prompt {name}` without GenAI attributes, and {@link PromptSpanProcessor} stamps
   * the prompt attributes on the instrumented LLM span, so usage and cost are counted once.
   * @defaultValue the client's `telemetry` option (`full`)
   */
  readonly mode?: TelemetryMode;
}

/** How a call is traced: see {@link CallOptions.mode}. */
export type TelemetryMode = 'full' | 'stamp';

/** The collaborator that runs calls and records outcomes (telemetry and guards). @internal */
export interface PromptRuntime {
  call<R>(prompt: ResolvedPrompt, rendered: RenderedPrompt, fn: (rendered: RenderedPrompt, span: Span) => R, opts: CallOptions<unknown, Awaited<R>> | undefined): R;
  record(prompt: ResolvedPrompt, outcome: PromptOutcome): void;
}

/**
 * A prompt resolved for one unit: an immutable snapshot of the version to use. Keep it for the
 * duration of a request; `get` again for the next one (a reload or rollback never changes a
 * `ResolvedPrompt` you already hold).
 */
export interface ResolvedPrompt<V = PromptVariables> {
  readonly name: string;
  readonly version: number;
  /** `sha256:…` content hash of the version. */
  readonly hash: string;
  readonly slice: PromptSlice;
  readonly environment: string;
  readonly model: string;
  readonly provider: string | undefined;
  readonly operation: PromptOperation;
  readonly params: Readonly<Record<string, unknown>>;
  readonly variables: Readonly<Record<string, VariableSpec>>;
  /** The version's function definitions (`tools:`); the request builders send them. */
  readonly tools: readonly ToolSpec[] | undefined;
  /** The version's response JSON Schema (`output_schema:`); the request builders send it. */
  readonly outputSchema: Readonly<Record<string, unknown>> | undefined;
  /** The rollout's percent while a rollout of this prompt is active (any slice), else undefined. */
  readonly rolloutPercent: number | undefined;
  /** The revision (`sha256:…`) of the registry this was resolved from; undefined for a fallback. */
  readonly revision?: string | undefined;
  /** With slice `external`: the system that chose the version (`launchdarkly`, …), stamped as `prompt.selector`. */
  readonly selector?: string | undefined;
  /** n-arm experiments: the unit's arm (0 = the stable control, k = `candidates[k − 1]`), stamped as `prompt.arm`. */
  readonly arm?: number | undefined;
  /** Unit attributes declared safe (`safeAttributes`), stamped as `prompt.unit.<name>`. */
  readonly unitAttributes?: Readonly<Record<string, string | number | boolean>> | undefined;
  /**
   * Renders the template: a string for a text template, `{ role, content }[]` for role blocks.
   *
   * @throws {PromptRenderError} INVALID_VARIABLES naming each missing, unknown or mistyped variable.
   */
  render(vars?: V): RenderedPrompt;
  /**
   * Renders, then runs `fn(rendered, span)` inside one OpenTelemetry span stamped with
   * `prompt.version` and friends; returns `fn`'s result unchanged (errors are rethrown as is).
   *
   * @throws {PromptRenderError} before any span starts or `fn` runs, when variables are invalid.
   */
  call<R>(fn: (rendered: RenderedPrompt, span: Span) => R, opts?: CallOptions<V, Awaited<R>>): R;
  /** Records an outcome known later (e.g. the user reformulated) for guards and metrics. */
  record(outcome: PromptOutcome): void;
}

/** Builds frozen {@link ResolvedPrompt}s. @internal */
export class ResolvedPromptImpl implements ResolvedPrompt {
  readonly name: string;
  readonly version: number;
  readonly hash: string;
  readonly model: string;
  readonly provider: string | undefined;
  readonly operation: PromptOperation;
  readonly params: Readonly<Record<string, unknown>>;
  readonly variables: Readonly<Record<string, VariableSpec>>;
  readonly tools: readonly ToolSpec[] | undefined;
  readonly outputSchema: Readonly<Record<string, unknown>> | undefined;
  readonly #source: PromptVersion;
  readonly #runtime: PromptRuntime;
  #compiled: CompiledTemplate | undefined;
  readonly #guardUnit: { readonly phase: number; readonly cluster: number } | undefined;

  constructor(
    source: PromptVersion,
    readonly slice: PromptSlice,
    readonly environment: string,
    readonly rolloutPercent: number | undefined,
    runtime: PromptRuntime,
    readonly revision?: string,
    guardUnit?: { readonly phase: number; readonly cluster: number },
    readonly selector?: string,
    extras?: { readonly arm?: number; readonly unitAttributes?: Readonly<Record<string, string | number | boolean>> },
  ) {
    if (extras?.arm !== undefined) this.arm = extras.arm;
    if (extras?.unitAttributes !== undefined) this.unitAttributes = extras.unitAttributes;
    this.name = source.name;
    this.version = source.version;
    this.hash = source.hash;
    this.model = source.model;
    this.provider = source.provider;
    this.operation = source.operation;
    this.params = source.params;
    this.variables = source.variables;
    this.tools = source.tools;
    this.outputSchema = source.outputSchema;
    this.#source = source;
    this.#runtime = runtime;
    this.#guardUnit = guardUnit;
    Object.freeze(this);
  }

  declare readonly arm?: number;
  declare readonly unitAttributes?: Readonly<Record<string, string | number | boolean>>;

  /** A copy stamped with `unitAttributes` (same guard unit and arm). @internal */
  withUnitAttributes(unitAttributes: Readonly<Record<string, string | number | boolean>>): ResolvedPromptImpl {
    return new ResolvedPromptImpl(this.#source, this.slice, this.environment, this.rolloutPercent, this.#runtime, this.revision, this.#guardUnit, this.selector, { ...(this.arm !== undefined ? { arm: this.arm } : {}), unitAttributes });
  }

  /**
   * The ramp phase and pseudo-cluster of the unit `get` resolved this for (guarded rollouts only),
   * so that `record` and `call` attribute outcomes to it without an extra argument. @internal
   */
  get guardUnit(): { readonly phase: number; readonly cluster: number } | undefined {
    return this.#guardUnit;
  }

  /** The version this was resolved from. @internal */
  get definition(): PromptVersion {
    return this.#source;
  }

  render(vars?: PromptVariables): RenderedPrompt {
    // Private fields stay writable on a frozen object: the compiled template is cached lazily.
    const compiled = (this.#compiled ??= compiledTemplateFor(this.#source));
    return compiled.render(vars);
  }

  call<R>(fn: (rendered: RenderedPrompt, span: Span) => R, opts?: CallOptions<PromptVariables, Awaited<R>>): R {
    const rendered = this.render(opts?.vars);
    return this.#runtime.call(this, rendered, fn, opts);
  }

  record(outcome: PromptOutcome): void {
    this.#runtime.record(this, outcome);
  }
}
