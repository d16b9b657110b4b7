/** The in-memory model of a prompt registry. Every object here is frozen once built. */

/** The type of a declared template variable. */
export type VariableType = 'string' | 'number' | 'integer' | 'boolean' | 'enum';

/** A declared template variable, normalized from the `.prompt` front matter. */
export interface VariableSpec {
  readonly type: VariableType;
  /** Allowed values when `type` is `enum`. */
  readonly values?: readonly string[];
  /** True when the variable may be omitted (also true whenever a default is given). */
  readonly optional: boolean;
  /** Value used when the variable is omitted. */
  readonly default?: string | number | boolean;
  /** Free-text description for humans and generated types. */
  readonly description?: string;
}

/** The GenAI operation a prompt performs (`gen_ai.operation.name`). */
export type PromptOperation = 'chat' | 'text_completion';

/** One immutable version of a prompt. */
export interface PromptVersion {
  readonly name: string;
  readonly version: number;
  /** `sha256:<64 hex>` of the canonical form (template, variables, model, params, provider, operation). */
  readonly hash: string;
  readonly model: string;
  /** `gen_ai.provider.name`, when the `.prompt` file declares `provider:`. */
  readonly provider?: string;
  readonly operation: PromptOperation;
  readonly params: Readonly<Record<string, unknown>>;
  readonly variables: Readonly<Record<string, VariableSpec>>;
  /** The template body as written (line endings normalized to `\n`). */
  readonly template: string;
  readonly author?: string;
  /** Why this version exists. */
  readonly message?: string;
  /** Sample variable sets that `promptpin check` renders. */
  readonly examples?: readonly Readonly<Record<string, unknown>>[];
}

/** A regression threshold decided before a rollout. Exactly one threshold is set. */
export interface GuardSpec {
  /** Outcome signal: `refusal`, `tool_call`, `error`, `output_tokens`, `input_tokens`, `latency_ms`, `cost` or a custom name. */
  readonly signal: string;
  /**
   * Largest tolerated increase: of a rate in percentage points (`refusal: +0.5pp`), or of a mean in
   * percent when {@link GuardSpec.unit} is `'%'` (`latency_ms: +20%`).
   */
  readonly maxIncrease?: number;
  /** Largest tolerated decrease: of a rate in pp (`tool_call: -5pp`), or of a mean in % with `unit: '%'`. */
  readonly maxDecrease?: number;
  /** Largest tolerated relative change of a mean, in percent, either way (`output_tokens: 25%`). */
  readonly maxChange?: number;
  /**
   * Unit of `maxIncrease` / `maxDecrease`: `'pp'` (a rate; the default) or `'%'` (a relative change
   * of a mean). `maxChange` is always in %.
   */
  readonly unit?: 'pp' | '%';
  /**
   * Judge each value of `outcome.segment` (e.g. an intent) separately and trip if any segment
   * breaches. The guard's α is split evenly over at most `maxSegments` segment tests
   * (Bonferroni), so the guard as a whole keeps its false-trip probability. Outcomes without a
   * segment go to segment `(none)`.
   */
  readonly bySegment?: boolean;
}

/** What a guard does when it trips. */
export type BreachAction = 'rollback' | 'alert';

/** A candidate version served to a deterministic slice of units. */
export interface Rollout {
  readonly candidate: number;
  /** 0–100 with at most two decimals. `0` pauses the rollout. */
  readonly percent: number;
  /** Bucketing salt; defaults to `<name>@<candidate>`. */
  readonly salt: string;
  /** ISO-8601 start time. */
  readonly started?: string;
  readonly author?: string;
  /** The expected effect: a sentence that names a signal and a direction. */
  readonly expected: string;
  readonly guards: readonly GuardSpec[];
  /** Samples per arm before a guard may judge. */
  readonly minSamples: number;
  /** Guards judge only within this many milliseconds after `started`. */
  readonly windowMs?: number;
  readonly onBreach: BreachAction;
  /**
   * Progressive ramp: ascending percents (each 0 < p < 100); `percent` is one of them (or 0,
   * paused). The judge advances one step when every guard has excluded a regression at the current
   * step, and promotes after the last one.
   */
  readonly steps?: readonly number[];
  /** Candidate samples required at each step before it may advance. @defaultValue `minSamples` */
  readonly minSamplesPerStep?: number;
}

/** What is live for one prompt in one environment. */
export interface Release {
  readonly stable: number;
  readonly rollout?: Rollout;
  /** Unit id → version, for QA and internal users. */
  readonly overrides: ReadonlyMap<string, number>;
}

/** All versions of one prompt. */
export interface PromptEntry {
  readonly name: string;
  /** Version number → version, 1..N without gaps. */
  readonly versions: ReadonlyMap<number, PromptVersion>;
}

/** A whole validated registry: every prompt, version and release. */
export interface Registry {
  readonly schemaVersion: 1;
  /** `sha256:<hex>` of the registry's canonical content; equal content gives an equal revision. */
  readonly revision: string;
  readonly prompts: ReadonlyMap<string, PromptEntry>;
  /** Environment → prompt name → release. */
  readonly environments: ReadonlyMap<string, ReadonlyMap<string, Release>>;
}
