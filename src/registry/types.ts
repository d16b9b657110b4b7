/** The in-memory model of a prompt registry. Every object here is frozen once built. */

/** The type of a declared template variable. */
export type VariableType = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'messages';

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
  /**
   * With `type: messages`: the most messages a value may hold (at most
   * {@link MESSAGES_MAX_ITEMS}, the default). In the hash only when declared.
   */
  readonly max?: number;
}

/** The most messages a `type: messages` variable accepts (its `max:` may lower it). */
export const MESSAGES_MAX_ITEMS = 1000;
/** The most characters of content, all messages together, a `type: messages` value may hold. */
export const MESSAGES_MAX_CHARS = 1_000_000;

/** A function the model may call, from the `.prompt` file's `tools:` (JSON Schema parameters). */
export interface ToolSpec {
  /** `^[A-Za-z0-9_-]{1,64}$`, unique within the version (every provider's rule). */
  readonly name: string;
  readonly description?: string;
  /** A JSON Schema of the arguments (an object schema). */
  readonly parameters?: Readonly<Record<string, unknown>>;
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
  /**
   * The template that runs (line endings normalized to `\n`): the body as written, with each
   * `{{> snippet}}` replaced by the pinned snippet version's text. The hash covers this text.
   */
  readonly template: string;
  /** Function definitions sent with the request (`tools:`), in the hash only when declared. */
  readonly tools?: readonly ToolSpec[];
  /** The response's JSON Schema (`output_schema:`), in the hash only when declared. */
  readonly outputSchema?: Readonly<Record<string, unknown>>;
  /** Snippet name → pinned snippet version, when the template includes snippets (`{{> name}}`). */
  readonly snippets?: Readonly<Record<string, number>>;
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
  /**
   * The n-arm form (`candidates:`), present only then: each candidate with its percent, in file
   * order (arm 1 … k; arm 0 is the stable control). `candidate` is then arm 1's version and
   * `percent` the total. Bucketing: `armRanges` in docs/bucketing.md.
   */
  readonly arms?: readonly RolloutArm[];
  /** Scope (`when:`): only units matching it enter the rollout; the others get stable. */
  readonly when?: TargetingWhen;
}

/** One candidate of an n-arm experiment. */
export interface RolloutArm {
  readonly version: number;
  /** 0–100 with at most two decimals; at most `100 / k` (the arm's lane). */
  readonly percent: number;
  /** Reserved by the cross-branch contract; the n-arm form shares the rollout's one salt. */
  readonly salt?: string;
}

/** A value a unit attribute may hold (`{ id, attributes: { plan: 'pro' } }`). */
export type AttributeValue = string | number | boolean;

/** Operators of a targeting condition (docs/targeting.md). */
export type TargetingOperator = 'eq' | 'ne' | 'in' | 'not_in' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists';

/** One condition on one attribute. */
export interface TargetingCondition {
  readonly attribute: string;
  readonly op: TargetingOperator;
  /** The operand(s): one value for eq/ne/gt/…/exists, the list for in/not_in. */
  readonly values: readonly AttributeValue[];
  /** `typeof v + ":" + v` of each value, for O(1) in/not_in/eq/ne. @internal */
  readonly keys: ReadonlySet<string>;
}

/** A `when:` block: every condition must hold (AND). `source` is the block as written (hashed). */
export interface TargetingWhen {
  readonly source: Readonly<Record<string, unknown>>;
  readonly conditions: readonly TargetingCondition[];
}

/** A targeting rule (`rules:`): units matching `when` get `version`; first match wins. */
export interface TargetingRule {
  readonly name?: string;
  /** What `prompt.slice` says when this rule served: `rule:<name>`, or `rule:<index>` when unnamed. */
  readonly slice: `rule:${string}`;
  readonly when: TargetingWhen;
  readonly version: number;
}

/** What is live for one prompt in one environment. */
export interface Release {
  readonly stable: number;
  readonly rollout?: Rollout;
  /** Unit id → version, for QA and internal users. */
  readonly overrides: ReadonlyMap<string, number>;
  /** Targeting rules, in order (present only when the release file has `rules:`). */
  readonly rules?: readonly TargetingRule[];
}

/** All versions of one prompt. */
export interface PromptEntry {
  readonly name: string;
  /**
   * Version number → version, for the versions loaded. With {@link PromptEntry.archived} absent,
   * every version 1..N (no gaps); otherwise the live ones, and archived ones are listed there.
   */
  readonly versions: ReadonlyMap<number, PromptVersion>;
  /**
   * Versions known but not loaded (archived: live in no release), version → locked content hash.
   * Sources that start from what is live (a prompts folder with a lock, a compiled index) list them
   * here; `client.preload(name, versions)` loads and verifies them. Absent when every version is
   * loaded.
   */
  readonly archived?: ReadonlyMap<number, string>;
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
