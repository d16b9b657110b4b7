import type { MeterProvider, Span, TracerProvider } from '@opentelemetry/api';
import { ErrorCode, PromptError, PromptNotFoundError, toPromptError } from './errors.js';

import type { PromptEntry, PromptVersion, Registry, Release } from './registry/types.js';
import { describeVersions } from './registry/version-numbers.js';
import { registryError, releaseRegressionProblem } from './registry/compiled.js';
import { RELEASE_FILE } from './registry/release-model.js';
import { nodeHook } from './sources/node-hooks.js';
import { armOf, armRanges, candidateThreshold, createBucketer, type ArmRange } from './resolve/bucket.js';
import { firstMatchingRule, whenMatches } from './resolve/match.js';
import { unitParts, type UnitInput } from './resolve/resolve.js';
import type { TargetingRule, TargetingWhen } from './registry/types.js';
import { armKey } from './guards/coordinator.js';
import type { KnownPromptName, PromptOutcome, PromptRuntime, ResolvedPrompt, TelemetryMode, VariablesOf } from './resolved-prompt.js';
import { ResolvedPromptImpl } from './resolved-prompt.js';
import { createMemorySource, type MemorySourceData } from './sources/memory-source.js';
import { isSource, type Source } from './sources/source.js';
import { createUrlSource, type UrlSourceOptions } from './sources/url-source.js';
import { INSTRUMENTATION_VERSION, PromptTelemetry } from './telemetry/prompt-telemetry.js';
import type { CaptureContentMode, RedactContent } from './telemetry/content.js';
import type { TelemetryCompatOptions } from './telemetry/prompt-info.js';
import type { GenAiConventions } from './telemetry/semconv.js';
import { externalVersion, type ExternalSelection } from './resolve/external.js';
import { exportGuardEvidence } from './telemetry/guard-export.js';
import { GuardCoordinator, type GuardBreachEvent, type GuardStatus } from './guards/coordinator.js';
import { clusterOf, DEFAULT_CLUSTERS } from './guards/evidence.js';
import { murmur3_32 } from './resolve/murmur3.js';

/** A built-in prompt served while the source cannot be read at start (`slice: 'fallback'`). */
export type FallbackPrompt =
  /** The text of a `.prompt` file. */
  | string
  | {
      readonly model: string;
      readonly template: string;
      readonly variables?: Readonly<Record<string, unknown>>;
      readonly params?: Readonly<Record<string, unknown>>;
      readonly provider?: string;
      /** Version number reported for the fallback. @defaultValue 0 */
      readonly version?: number;
    };

/** Options of {@link PromptClient.create}. */
export interface PromptClientOptions {
  /**
   * Where prompts come from: a prompts folder path, a compiled registry `.json` path, an
   * `http(s)://` URL of a compiled registry, in-memory data (`{ files }` or a compiled registry
   * object), or a custom {@link Source}.
   */
  readonly source: string | Source | MemorySourceData;
  /** The environment whose releases this client serves. @defaultValue 'production' */
  readonly environment?: string;
  /** Called with every failed load or reload and every telemetry fault. Never throws into `get`. */
  readonly onError?: (err: PromptError) => void;
  /** Called when a rollout guard trips. */
  readonly onBreach?: (event: GuardBreachEvent) => void;
  /**
   * Unit attributes (`get(name, { id, attributes })`) whose values may go on spans, as
   * `prompt.unit.<name>` (strings cut at 256 characters). Attribute values are personal data as
   * often as not (tenant, email domain, region), so none is stamped unless named here; which rule
   * served is always on the span, as `prompt.slice=rule:<name|index>`.
   * @defaultValue [] (no attribute value leaves the process)
   */
  readonly safeAttributes?: readonly string[];
  /** Built-in versions served when the source cannot be read at start, by prompt name. */
  readonly fallbacks?: Readonly<Record<string, FallbackPrompt>>;
  /** Tracer provider for spans. @defaultValue the global provider */
  readonly tracerProvider?: TracerProvider;
  /** Meter provider for metrics. @defaultValue the global provider */
  readonly meterProvider?: MeterProvider;
  /**
   * Record prompt text, variable values and outputs: `true` (= `'SPAN_ONLY'`), `'SPAN_ONLY'`,
   * `'EVENT_ONLY'`, `'SPAN_AND_EVENT'`, or `false` / `'NO_CONTENT'`.
   * @defaultValue from `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, else off
   */
  readonly captureContent?: boolean | CaptureContentMode;
  /**
   * Rewrites each piece of captured content (only when capture is on); return undefined to drop
   * it. A throwing hook drops the piece and reports TELEMETRY_FAILED.
   */
  readonly redact?: RedactContent;
  /**
   * Links to other backends (all opt-in): `{ langfuse, traceloop, openInference, datadog,
   * openFeature }`. See docs/telemetry.md for each attribute and its source. @defaultValue {}
   */
  readonly compat?: TelemetryCompatOptions;
  /**
   * `full`: promptpin's call span is the LLM span. `stamp`: the app's GenAI auto-instrumentation
   * makes the LLM span; promptpin's span is a wrapper without GenAI usage and
   * {@link PromptSpanProcessor} stamps the prompt attributes on the instrumented span (register
   * it). Overridden per call by `call(fn, { mode })`. @defaultValue 'full'
   */
  readonly telemetry?: TelemetryMode;
  /**
   * GenAI semantic-convention names: `default` (`gen_ai.client.token.usage`,
   * `gen_ai.client.operation.duration`, …) or `latest` (`gen_ai.client.inference.*` metrics,
   * `gen_ai.usage.cache_write.input_tokens`), as the OpenTelemetry GenAI instrumentations switch
   * with `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`. Read once, at `create`.
   * @defaultValue `latest` when `OTEL_SEMCONV_STABILITY_OPT_IN` lists `gen_ai_latest_experimental`, else `default`
   */
  readonly semconv?: GenAiConventions;
  /**
   * Who judges guarded rollouts. `local`: this client judges the traffic it sees and, on a breach
   * with `on_breach: rollback`, serves stable. `fleet`: `promptpin judge` judges the fleet's sums
   * (docs/fleet.md §7); this client keeps counting and exporting after a local trip, and its local
   * verdicts only alert (`breach` events with `action: 'alert'`); the rollback comes as a release
   * edit every instance picks up.
   * @defaultValue 'local'
   */
  readonly guardJudge?: 'local' | 'fleet';
  /**
   * Export guard evidence (`promptpin.guard.evidence`) and the served revision
   * (`promptpin.registry.info`) as asynchronous instruments on {@link PromptClientOptions.meterProvider}
   * (or the global provider at `create`). Costs nothing until a reader collects.
   * @defaultValue true
   */
  readonly exportGuardEvidence?: boolean;
  /**
   * Put prompt.name / prompt.version in W3C baggage during a call (read downstream by
   * `new PromptSpanProcessor({ fromBaggage: true })`). @defaultValue false
   */
  readonly baggage?: boolean;
  /** Reload on source changes (folder/file watch, URL polling). @defaultValue true */
  readonly watch?: boolean;
  /**
   * How long `create` waits for the first registry before using fallbacks. A URL source with a
   * {@link cacheDir} serves its disk cache after half of it. @defaultValue 5000
   */
  readonly initTimeoutMs?: number;
  /** URL sources: delay between polls, jittered ±10%. @defaultValue 30000 */
  readonly pollIntervalMs?: number;
  /** URL sources: directory keeping the last good registry for cold starts. @defaultValue undefined (off) */
  readonly cacheDir?: string;
  /** URL sources: further options (headers, requestTimeoutMs, maxBytes, allowInsecureHttp, onFetch, …). */
  readonly http?: Omit<UrlSourceOptions, 'pollIntervalMs' | 'cacheDir' | 'onError'>;
  /** Clock for guards and status, in epoch ms. @defaultValue Date.now */
  readonly now?: () => number;
}

/** What changed for one prompt in the client's environment after a reload. */
export interface PromptReleaseChange {
  readonly prompt: string;
  readonly before: ReleaseSummary | null;
  readonly after: ReleaseSummary | null;
}

/** The live state of one prompt's release. */
export interface ReleaseSummary {
  readonly stable: number;
  readonly candidate: number | null;
  readonly percent: number | null;
}

/** Emitted on `change`: the new registry is serving. */
export interface RegistryChangeEvent {
  readonly previousRevision: string | null;
  readonly revision: string;
  /** Prompts whose release (stable, candidate or percent) changed in this client's environment. */
  readonly changes: readonly PromptReleaseChange[];
}

/** Result of {@link PromptClient.reload}. */
export type ReloadResult = { readonly success: true; readonly changed: boolean; readonly revision: string } | { readonly success: false; readonly error: PromptError };

/** What {@link PromptClient.status} reports. */
export interface ClientStatus {
  readonly environment: string;
  readonly source: string;
  /** Revision of the registry in use (content hash), or null while serving fallbacks. */
  readonly revision: string | null;
  /** When the registry in use was loaded (epoch ms), or null. */
  readonly loadedAt: number | null;
  /** Milliseconds since `loadedAt`, or null. */
  readonly ageMs: number | null;
  /** True while fallbacks are served because no registry could be loaded. */
  readonly servingFallbacks: boolean;
  /** The last load error, cleared by the next successful load. */
  readonly lastError: PromptError | null;
  /** When the registry in use was downloaded (URL sources; the disk cache's record when served from it), else `loadedAt`. */
  readonly fetchedAt: number | null;
  /** Milliseconds since `fetchedAt`, or null. */
  readonly fetchAgeMs: number | null;
  /** True while the registry came from the disk cache and the host has not confirmed it yet. */
  readonly fromCache: boolean;
  /** Failed polls since the last success (URL sources), else 0. */
  readonly consecutiveFailures: number;
  readonly guards: readonly GuardStatus[];
}

/**
 * A unit with attributes, for targeting rules (`rules:`) and scoped rollouts (`when:`):
 * `client.get('support-agent', { id: 'user-1', attributes: { plan: 'pro', seats: 12 } })`.
 * Attribute values are strings, finite numbers or booleans (others count as absent). They are
 * never stamped on spans unless named in {@link PromptClientOptions.safeAttributes}.
 */
export interface Unit {
  /** The unit id (bucketing, overrides); without it, rollouts serve stable (rules still apply). */
  readonly id?: string | number;
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

/** Options of {@link PromptClient.get}. */
export interface GetOptions {
  /** Serve exactly this version (slice `pinned`), bypassing releases. */
  readonly version?: number;
  /**
   * Serve the version another system chose (slice `external`): see {@link PromptClient.external}.
   * Wins over `version`.
   */
  readonly external?: ExternalSelection;
}

interface Plan {
  readonly name: string;
  readonly release: Release | undefined;
  readonly entry: PromptEntry | undefined;
  readonly stable: ResolvedPrompt | undefined;
  readonly candidate: ResolvedPrompt | undefined;
  readonly threshold: number;
  readonly bucket: ((unitId: string) => number) | undefined;
  readonly overrides: ReadonlyMap<string, ResolvedPrompt> | undefined;
  readonly pinned: Map<number, ResolvedPrompt>;
  /** Guard state for the current rollout (mutable: a trip flips it). */
  readonly guardKey: string | undefined;
  /** Guarded rollouts: the arm's version carrying the unit's phase and pseudo-cluster (cached per cluster). */
  readonly unitPrompt?: (candidate: boolean, unitId: string) => ResolvedPrompt;
  /** Targeting (issue 15): the release's rules and one prompt per rule (slice `rule:…`). */
  readonly rules?: readonly TargetingRule[];
  readonly rulePrompts?: readonly ResolvedPrompt[];
  /** The rollout's `when:` scope. */
  readonly when?: TargetingWhen;
  /** n-arm experiments: the arm ranges, and the prompt of (arm, unit) (arm 0 = control). */
  readonly armRanges?: readonly ArmRange[];
  readonly armPrompt?: (arm: number, unitId: string) => ResolvedPrompt;
  readonly armKeys?: readonly string[];
}

interface State {
  readonly registry: Registry | null;
  readonly plans: ReadonlyMap<string, Plan>;
  readonly loadedAt: number | null;
}

type Events = {
  change: RegistryChangeEvent;
  error: PromptError;
  breach: GuardBreachEvent;
};

/** Turns the `source` option into a {@link Source}. */
function sourceFrom(options: PromptClientOptions, watch: boolean, onError: (err: PromptError) => void): Source {
  const source = options.source;
  if (isSource(source)) return source;
  if (typeof source === 'string') {
    if (/^https?:\/\//i.test(source)) {
      return createUrlSource(source, {
        ...options.http,
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
        // Serve the disk cache well before create() gives up on the first load.
        cacheFallbackAfterMs: options.http?.cacheFallbackAfterMs ?? Math.floor((options.initTimeoutMs ?? 5000) / 2),
        onError,
      });
    }
    return nodeHook(`A path source ("${source}")`).sourceFromPath(source, { watch });
  }
  if (typeof source === 'object' && source !== null && ('files' in source || 'schemaVersion' in source)) {
    return createMemorySource(source);
  }
  throw new PromptError(
    ErrorCode.INVALID_OPTIONS,
    'Option "source" must be a folder path, a registry .json path, an http(s) URL, { files } or a compiled registry object, or a Source with a load() method.',
  );
}

/**
 * Serves prompt versions to app code: resolves each request to a pinned, immutable version
 * (override → rollout bucket → stable), reloads releases without a deploy, and runs calls in
 * spans stamped with `prompt.version`.
 *
 * @example
 * const client = await PromptClient.create({ source: './prompts', environment: 'production' });
 * const prompt = client.get('support-agent', userId);
 * const messages = prompt.render({ customer_name: 'Ann', plan: 'pro' });
 */
export class PromptClient {
  readonly #source: Source;
  readonly #environment: string;
  readonly #options: PromptClientOptions;
  readonly #now: () => number;
  readonly #telemetry: PromptTelemetry;
  readonly #guards: GuardCoordinator;
  readonly #runtime: PromptRuntime;
  readonly #listeners = new Map<keyof Events, Set<(e: never) => void>>();
  #state: State = { registry: null, plans: new Map(), loadedAt: null };
  #lastError: PromptError | null = null;
  #closed = false;
  #unwatch: (() => void) | undefined;
  #unexport: (() => void) | undefined;
  #reloading: Promise<ReloadResult> | undefined;
  #reloadAgain = false;
  #warned = new Set<string>();
  /** Archived versions loaded by `preload`, by `name@version@hash` (immutable: they survive reloads). */
  readonly #preloaded = new Map<string, PromptVersion>();
  /** Resolved prompts served by `external`, per plan (a reload builds new plans). */
  readonly #externals = new WeakMap<Plan, Map<string, ResolvedPrompt>>();

  private constructor(options: PromptClientOptions, source: Source) {
    this.#options = options;
    this.#source = source;
    this.#environment = options.environment ?? 'production';
    this.#now = options.now ?? Date.now;
    const onError = (err: unknown): void => this.#reportError(toPromptError(err));
    this.#telemetry = new PromptTelemetry({
      ...(options.tracerProvider ? { tracerProvider: options.tracerProvider } : {}),
      ...(options.meterProvider ? { meterProvider: options.meterProvider } : {}),
      ...(options.captureContent !== undefined ? { captureContent: options.captureContent } : {}),
      ...(options.redact ? { redact: options.redact } : {}),
      ...(options.compat ? { compat: options.compat } : {}),
      ...(options.baggage !== undefined ? { baggage: options.baggage } : {}),
      ...(options.telemetry !== undefined ? { mode: options.telemetry } : {}),
      ...(options.semconv !== undefined ? { semconv: options.semconv } : {}),
      // Guards judge a rollout's outcomes; only a guard on latency_ms needs calls timed.
      wantsLatency: (prompt) => {
        const key = this.#state.plans.get(prompt.name)?.guardKey;
        return key !== undefined && this.#guards.wantsLatency(key);
      },
      onError,
    });
    this.#guards = new GuardCoordinator({
      now: this.#now,
      environment: this.#environment,
      fleet: options.guardJudge === 'fleet',
      onBreach: (event) => {
        this.#emit('breach', event);
        try {
          options.onBreach?.(event);
        } catch (err) {
          onError(new PromptError(ErrorCode.GUARD_FAILED, `The onBreach handler threw for "${event.prompt}" (${event.guardText}): ${err instanceof Error ? err.message : String(err)}. Fix the handler; the breach itself was applied.`, { cause: err }));
        }
      },
      onError,
    });
    const guards = this.#guards;
    if (options.exportGuardEvidence !== false) {
      this.#unexport = exportGuardEvidence(options.meterProvider, INSTRUMENTATION_VERSION, {
        evidence: () => guards.evidence(),
        revision: () => this.#state.registry?.revision ?? null,
        environment: this.#environment,
        instanceId: newInstanceId(),
        onError: (err) => onError(err),
      });
    }
    const telemetry = this.#telemetry;
    const planOf = (name: string): Plan | undefined => this.#state.plans.get(name);
    const onOutcome = (prompt: ResolvedPrompt, outcome: PromptOutcome, span: Span | undefined): void => {
      const plan = planOf(prompt.name);
      if (plan?.guardKey !== undefined) guards.record(plan.guardKey, prompt, outcome, span);
    };
    this.#runtime = {
      call: (prompt, rendered, fn, opts) => telemetry.call(prompt, rendered, fn, opts, (outcome, span) => onOutcome(prompt, outcome, span)),
      record: (prompt, outcome) => {
        telemetry.record(prompt, outcome);
        onOutcome(prompt, outcome, undefined);
      },
    };
  }

  /**
   * Creates a client and loads its first registry.
   *
   * @throws {PromptError} INVALID_OPTIONS for bad options; the load error (RegistryError,
   * SOURCE_LOAD_FAILED) when the first registry cannot be loaded and no `fallbacks` are given.
   */
  static async create(options: PromptClientOptions): Promise<PromptClient> {
    validateOptions(options);
    const watch = options.watch !== false;
    // eslint-disable-next-line prefer-const -- read by the closure below before it is assigned
    let client: PromptClient | undefined;
    // The source reports failures its load() does not reject with (a network error masked by the disk cache).
    const source = sourceFrom(options, watch, (err) => {
      if (client !== undefined) client.#reportError(err);
    });
    client = new PromptClient(options, source);
    await client.#start(watch);
    return client;
  }

  async #start(watch: boolean): Promise<void> {
    const timeoutMs = this.#options.initTimeoutMs ?? 5000;
    // Watch before the first load, so an edit made while it runs is not missed; such an edit
    // triggers one reload once the first registry is in place.
    let starting = true;
    let changedWhileStarting = false;
    if (watch && this.#source.watch) {
      this.#unwatch = this.#source.watch(() => {
        if (starting) changedWhileStarting = true;
        else if (!this.#closed) void this.reload().catch(() => {});
      });
    }
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const first = this.#source.load();
    try {
      const registry = await Promise.race([
        first,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `No registry from ${this.#source.description} within ${timeoutMs} ms (initTimeoutMs).`));
          }, timeoutMs);
        }),
      ]);
      this.#swap(registry, false);
      this.#warnIfUnreleased(registry);
    } catch (err) {
      const error = toPromptError(err);
      if (!this.#options.fallbacks || Object.keys(this.#options.fallbacks).length === 0) {
        this.#unwatch?.();
        first.catch(() => {});
        await this.#source.close?.();
        throw error;
      }
      this.#lastError = error;
      this.#reportError(error);
      this.#state = { registry: null, plans: this.#fallbackPlans(), loadedAt: null };
      if (timedOut) {
        // The first load is still running: serve its registry as soon as it arrives.
        first.then(
          (registry) => {
            if (!this.#closed && this.#state.registry === null) {
              this.#swap(registry, true);
              this.#warnIfUnreleased(registry);
            }
          },
          (err: unknown) => {
            if (!this.#closed) this.#reportError(toPromptError(err));
          },
        );
      }
    } finally {
      clearTimeout(timer);
      starting = false;
    }
    if (changedWhileStarting) void this.reload().catch(() => {});
  }

  /**
   * Resolves `name` for a unit: explicit `version` → the unit's override → the rollout slice (by
   * the unit's bucket, unless a guard tripped) → stable. Synchronous and allocation-free; without a
   * `unitId` (or with `null`) a rollout serves stable. A non-string unit id is bucketed as
   * `String(unitId)`.
   *
   * @throws {PromptNotFoundError} PROMPT_NOT_FOUND (no such prompt), PROMPT_NOT_RELEASED (no release
   * in this environment), VERSION_NOT_FOUND (pinned version missing).
   * @throws {PromptError} CLIENT_CLOSED after `close()`.
   */
  get<N extends string>(name: KnownPromptName<N>, unit?: string | Unit, options?: GetOptions): ResolvedPrompt<VariablesOf<N>> {
    if (this.#closed) throw this.#closedError('get');
    const plan = this.#state.plans.get(name);
    if (plan === undefined) throw this.#notFound(name);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a reference for stack traces and messages, never called unbound
    if (options?.external !== undefined) return this.#external(plan, options.external, this.get);
    if (options?.version !== undefined) return this.#pinned(plan, options.version);
    if (plan.stable === undefined) throw this.#notReleased(plan);
    if (typeof unit === 'object' && unit !== null) return this.#targeted(plan, unit);
    const unitId: string | undefined = unit;
    if (plan.when !== undefined || plan.armRanges !== undefined || plan.rules !== undefined) return this.#targeted(plan, unitId);
    if (unitId !== undefined && unitId !== null) {
      // Untyped callers may pass numbers: they bucket as String(id), as in every other language.
      const id = typeof unitId === 'string' ? unitId : String(unitId);
      if (plan.overrides !== undefined) {
        const o = plan.overrides.get(id);
        if (o !== undefined) return o;
      }
      if (plan.bucket !== undefined) {
        const candidate = plan.bucket(id) < plan.threshold && !this.#guards.isRolledBack(plan.guardKey);
        if (plan.unitPrompt !== undefined) return plan.unitPrompt(candidate, id);
        if (candidate) return plan.candidate as ResolvedPrompt<VariablesOf<N>>;
      }
    }
    return plan.stable;
  }

  /**
   * `get` for a unit with attributes, rules, a scoped rollout or n arms: the order of
   * `resolveRelease` (override → rule → scope → arm / bucket → stable).
   */
  #targeted(plan: Plan, unit: UnitInput): ResolvedPrompt {
    const { id, attributes } = unitParts(unit);
    if (id !== undefined && plan.overrides !== undefined) {
      const o = plan.overrides.get(id);
      if (o !== undefined) return this.#withAttributes(o, attributes);
    }
    if (plan.rules !== undefined) {
      const i = firstMatchingRule(plan.rules, attributes);
      if (i >= 0) return this.#withAttributes(plan.rulePrompts![i]!, attributes);
    }
    let p = plan.stable!;
    if (id !== undefined && plan.bucket !== undefined && (plan.when === undefined || whenMatches(plan.when, attributes))) {
      if (plan.armRanges !== undefined) {
        let arm = armOf(plan.armRanges, plan.bucket(id));
        if (arm > 0 && this.#guards.isRolledBack(plan.armKeys![arm])) arm = 0;
        p = plan.armPrompt!(arm, id);
      } else {
        const candidate = plan.bucket(id) < plan.threshold && !this.#guards.isRolledBack(plan.guardKey);
        p = plan.unitPrompt !== undefined ? plan.unitPrompt(candidate, id) : candidate ? plan.candidate! : plan.stable!;
      }
    }
    return this.#withAttributes(p, attributes);
  }

  /** Stamps the attributes declared safe (`safeAttributes`) on a copy of `p`; no copy otherwise. */
  #withAttributes(p: ResolvedPrompt, attributes: Readonly<Record<string, unknown>> | undefined): ResolvedPrompt {
    const safe = this.#options.safeAttributes;
    if (safe === undefined || safe.length === 0 || attributes === undefined) return p;
    let stamped: Record<string, string | number | boolean> | undefined;
    for (const k of safe) {
      if (!Object.prototype.hasOwnProperty.call(attributes, k)) continue;
      const v = attributes[k];
      if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) (stamped ??= {})[k] = typeof v === 'string' && v.length > 256 ? v.slice(0, 256) : v;
    }
    return stamped === undefined ? p : (p as ResolvedPromptImpl).withUnitAttributes(Object.freeze(stamped));
  }

  /**
   * Serves the version another system chose (LaunchDarkly, GrowthBook, Statsig, an OpenFeature
   * flag, …) with slice `external`: promptpin still serves only versions of the registry (the
   * locked ones), renders them, and stamps the trace with `prompt.slice=external` and
   * `prompt.selector=<source>`. Releases, rollouts and overrides are not consulted, and guards do
   * not count these calls (the other system owns that experiment).
   *
   * @param version the version number, or what a flag returned: `3`, `"3"`, `"v3"` or `"name@3"`.
   * @param meta `{ source }`: the selecting system, low-cardinality (`launchdarkly`).
   * @throws {PromptNotFoundError} PROMPT_NOT_FOUND (no such prompt), VERSION_NOT_FOUND (the value is
   * not a version of this prompt in the registry: never served, whatever the other system says).
   * @throws {PromptError} INVALID_OPTIONS for a missing or malformed `source`; CLIENT_CLOSED after `close()`.
   *
   * @example
   * const version = ldClient.variation('prompt-support-agent', ldContext, 0); // 3
   * const prompt = client.external('support-agent', version, { source: 'launchdarkly' });
   */
  external<N extends string>(name: KnownPromptName<N>, version: number | string, meta: Omit<ExternalSelection, 'version'>): ResolvedPrompt<VariablesOf<N>> {
    if (this.#closed) throw this.#closedError('external');
    const plan = this.#state.plans.get(name);
    if (plan === undefined) throw this.#notFound(name);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a reference for stack traces and messages, never called unbound
    return this.#external(plan, { ...meta, version }, this.external);
  }

  #external(plan: Plan, selection: ExternalSelection, caller: (...args: never[]) => unknown): ResolvedPrompt {
    const { version, source } = externalVersion(plan.name, selection, this.#state.registry !== null && plan.entry ? knownNumbers(plan.entry) : null, caller);
    let bySource = this.#externals.get(plan);
    if (bySource === undefined) this.#externals.set(plan, (bySource = new Map<string, ResolvedPrompt>()));
    const key = `${version}\u0000${source}`;
    let p = bySource.get(key);
    if (p === undefined) {
      const release = plan.release;
      p = new ResolvedPromptImpl(this.#versionOf(plan, version, caller)!, 'external', this.#environment, release?.rollout ? release.rollout.percent : undefined, this.#runtime, this.#state.registry?.revision, undefined, source);
      // Bounded: versions × sources; a caller minting sources per request gets no cache, not a leak.
      if (bySource.size < 256) bySource.set(key, p);
    }
    return p;
  }

  /**
   * Re-reads the source now. A bad registry is reported and the last good one keeps serving; so is
   * one that releases none of the prompts released now in this environment (RELEASES_REMOVED: an
   * empty, comment-only or missing `promptpin.yaml` caught mid-write). Guard state is untouched by
   * a refused reload.
   */
  reload(): Promise<ReloadResult> {
    if (this.#closed) return Promise.reject(this.#closedError('reload'));
    if (this.#reloading) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    const run = async (): Promise<ReloadResult> => {
      let result: ReloadResult;
      do {
        this.#reloadAgain = false;
        try {
          const registry = await this.#source.load();
          if (this.#closed) return { success: true, changed: false, revision: registry.revision };
          // A reload never empties the serving registry: guard state and plans stay as they are.
          const prev = this.#state.registry;
          const removed = prev === null ? null : releaseRegressionProblem(prev, registry, this.#environment);
          if (removed) throw registryError([{ ...removed, message: `${this.#source.description}: ${removed.message}` }]);
          const changed = this.#swap(registry, true);
          result = { success: true, changed, revision: registry.revision };
        } catch (err) {
          const error = toPromptError(err);
          // A load abandoned by close() is not worth reporting.
          if (this.#closed) return { success: false, error };
          this.#lastError = error;
          this.#reportError(error);
          result = { success: false, error };
        }
      } while (this.#reloadAgain && !this.#closed);
      return result;
    };
    this.#reloading = run().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  /** Subscribes to `change` (a new registry serves), `error` (a failed load, a telemetry fault) or `breach` (a guard tripped). Returns the unsubscribe function. */
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** The registry in use, when it loaded, the last error and each guard's state. */
  status(): ClientStatus {
    const { registry, loadedAt } = this.#state;
    const fetch = this.#source.status?.();
    const fetchedAt = registry === null ? null : (fetch?.fetchedAt ?? loadedAt);
    return Object.freeze({
      environment: this.#environment,
      source: this.#source.description,
      revision: registry?.revision ?? null,
      loadedAt,
      ageMs: loadedAt === null ? null : this.#now() - loadedAt,
      servingFallbacks: registry === null,
      lastError: this.#lastError,
      fetchedAt,
      fetchAgeMs: fetchedAt === null ? null : this.#now() - fetchedAt,
      fromCache: registry !== null && (fetch?.fromCache ?? false),
      consecutiveFailures: fetch?.consecutiveFailures ?? 0,
      guards: this.#guards.status(),
    });
  }

  /** Stops watching and polling. Idempotent; any later `get` throws CLIENT_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch?.();
    this.#unexport?.();
    await this.#source.close?.();
  }

  /**
   * A first registry with prompts but no release in this environment (a locked folder before its
   * first promote, an environment name with a typo) serves only pinned versions: say so once.
   */
  #warnIfUnreleased(registry: Registry): void {
    if (registry.prompts.size === 0 || (registry.environments.get(this.#environment)?.size ?? 0) > 0) return;
    const others = [...registry.environments.keys()].filter((e) => (registry.environments.get(e)?.size ?? 0) > 0).sort();
    this.#reportError(
      new PromptError(
        ErrorCode.PROMPT_NOT_RELEASED,
        `Registry from ${this.#source.description} has ${registry.prompts.size} prompt${registry.prompts.size === 1 ? '' : 's'} but no release in environment "${this.#environment}"${others.length ? ` (releases exist in: ${others.slice(0, 5).join(', ')})` : ''}: get() without { version } throws PROMPT_NOT_RELEASED until ${RELEASE_FILE} releases one (promptpin promote <name> --to N). Serving pinned versions only.`,
      ),
    );
  }

  #swap(registry: Registry, notify: boolean): boolean {
    const before = this.#state;
    if (before.registry !== null && before.registry.revision === registry.revision) {
      this.#lastError = null;
      return false;
    }
    const plans = this.#buildPlans(registry);
    this.#state = { registry, plans, loadedAt: this.#now() };
    this.#lastError = null;
    this.#guards.retain(new Set([...plans.values()].map((p) => p.guardKey).filter((k): k is string => k !== undefined)));
    if (notify) {
      const changes = diffReleases(before.registry, registry, this.#environment);
      this.#emit('change', { previousRevision: before.registry?.revision ?? null, revision: registry.revision, changes });
    }
    return true;
  }

  #buildPlans(registry: Registry): Map<string, Plan> {
    const env = this.#environment;
    const releases = registry.environments.get(env);
    const plans = new Map<string, Plan>();
    for (const [name, entry] of registry.prompts) {
      const release = releases?.get(name);
      const make = (v: number, slice: 'stable' | 'candidate' | 'override' | 'pinned'): ResolvedPrompt =>
        new ResolvedPromptImpl(entry.versions.get(v)!, slice, env, release?.rollout ? release.rollout.percent : undefined, this.#runtime, registry.revision);
      let candidate: ResolvedPrompt | undefined;
      let bucket: ((id: string) => number) | undefined;
      let guardKey: string | undefined;
      const rollout = release?.rollout;
      if (rollout && rollout.percent > 0) {
        candidate = make(rollout.candidate, 'candidate');
        bucket = createBucketer(rollout.salt);
      }
      if (rollout) {
        guardKey = `${env}\u0000${name}\u0000${release.stable}\u0000${rollout.arms ? rollout.arms.map((a) => a.version).join('+') : rollout.candidate}\u0000${rollout.salt}\u0000${rollout.started ?? ''}`;
        try {
          this.#guards.ensure(guardKey, name, release.stable, rollout);
        } catch (err) {
          // A guard that cannot be judged must not stop the registry from serving.
          this.#reportError(toPromptError(err));
        }
      }
      let unitPrompt: Plan['unitPrompt'];
      if (guardKey !== undefined && rollout && rollout.percent > 0 && rollout.guards.length > 0) {
        // Each unit's outcomes go to its pseudo-cluster and the phase (split) in force now: one
        // cached ResolvedPrompt per arm and cluster keeps get() allocation-free after warm-up.
        const phase = Math.round(rollout.percent * 100);
        const cache = new Array<ResolvedPrompt | undefined>(2 * DEFAULT_CLUSTERS);
        const stableVersion = release.stable;
        unitPrompt = (isCandidate, id) => {
          const c = clusterOf(id);
          const i = isCandidate ? DEFAULT_CLUSTERS + c : c;
          return (cache[i] ??= new ResolvedPromptImpl(
            entry.versions.get(isCandidate ? rollout.candidate : stableVersion)!,
            isCandidate ? 'candidate' : 'stable',
            env,
            rollout.percent,
            this.#runtime,
            registry.revision,
            { phase, cluster: c },
          ));
        };
      }
      let overrides: Map<string, ResolvedPrompt> | undefined;
      if (release && release.overrides.size > 0) {
        overrides = new Map([...release.overrides].map(([unit, v]) => [unit, make(v, 'override')]));
      }
      // Targeting and n-arm experiments (issue 15): only when the release has them.
      const targeting: { -readonly [K in keyof Plan]?: Plan[K] } = {};
      if (release?.rules) {
        targeting.rules = release.rules;
        targeting.rulePrompts = release.rules.map((r) => new ResolvedPromptImpl(entry.versions.get(r.version)!, r.slice, env, rollout?.percent, this.#runtime, registry.revision));
      }
      if (rollout?.when) targeting.when = rollout.when;
      if (rollout?.arms && rollout.percent > 0 && guardKey !== undefined) {
        const arms = rollout.arms;
        const ranges = armRanges(arms.map((a) => a.percent));
        const key = guardKey;
        const stableOf = release!.stable;
        const phase = murmur3_32(ranges.map((r) => r.end - r.start).join(','), 0);
        const guarded = rollout.guards.length > 0;
        const cache = new Array<ResolvedPrompt | undefined>((arms.length + 1) * DEFAULT_CLUSTERS);
        targeting.armRanges = ranges;
        targeting.armKeys = [key, ...arms.map((_, i) => armKey(key, i + 1))];
        targeting.armPrompt = (arm: number, id: string) => {
          const c = guarded ? clusterOf(id) : 0;
          return (cache[arm * DEFAULT_CLUSTERS + c] ??= new ResolvedPromptImpl(
            entry.versions.get(arm === 0 ? stableOf : arms[arm - 1]!.version)!,
            arm === 0 ? 'stable' : 'candidate',
            env,
            rollout.percent,
            this.#runtime,
            registry.revision,
            guarded ? { phase, cluster: c } : undefined,
            undefined,
            { arm },
          ));
        };
      }
      plans.set(name, {
        ...targeting,
        name,
        release,
        entry,
        stable: release ? make(release.stable, 'stable') : undefined,
        candidate,
        threshold: rollout ? candidateThreshold(rollout.percent) : 0,
        bucket,
        overrides,
        pinned: new Map(),
        guardKey,
        ...(unitPrompt !== undefined ? { unitPrompt } : {}),
      });
    }
    return plans;
  }

  #fallbackPlans(): Map<string, Plan> {
    const plans = new Map<string, Plan>();
    for (const [name, fb] of Object.entries(this.#options.fallbacks ?? {})) {
      const version = typeof fb === 'string' ? 0 : (fb.version ?? 0);
      const text =
        typeof fb === 'string'
          ? fb
          : `---\n${JSON.stringify({ model: fb.model, ...(fb.provider ? { provider: fb.provider } : {}), params: fb.params ?? {}, variables: fb.variables ?? {} })}\n---\n${fb.template}`;
      const parsed = nodeHook(`A fallback given as .prompt text ("${name}")`).parsePromptText(text, name, version, `fallbacks.${name}`);
      if (!parsed.ok) {
        this.#reportError(new PromptError(ErrorCode.INVALID_OPTIONS, `Fallback "${name}" is invalid: ${parsed.issues.map((i) => i.message).join('; ')}`));
        continue;
      }
      const stable = new ResolvedPromptImpl(parsed.version, 'fallback', this.#environment, undefined, this.#runtime);
      plans.set(name, {
        name,
        release: undefined,
        entry: { name, versions: new Map([[version, parsed.version]]) },
        stable,
        candidate: undefined,
        threshold: 0,
        bucket: undefined,
        overrides: undefined,
        pinned: new Map(),
        guardKey: undefined,
      });
    }
    return plans;
  }

  #pinned(plan: Plan, version: number): ResolvedPrompt {
    let p = plan.pinned.get(version);
    if (p) return p;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a reference for stack traces and messages, never called unbound
    const v: PromptVersion | undefined = this.#versionOf(plan, version, PromptClient.prototype.get);
    if (!v) {
      const known = plan.entry ? describeVersions(knownNumbers(plan.entry)) : 'none';
      throw new PromptNotFoundError(
        ErrorCode.VERSION_NOT_FOUND,
        plan.name,
        `Prompt "${plan.name}" has no version ${version} (known: ${known}). Pin an existing version or publish version ${version} first.`,
        version,
      );
    }
    p = new ResolvedPromptImpl(v, this.#state.registry ? 'pinned' : 'fallback', this.#environment, plan.release?.rollout?.percent, this.#runtime, this.#state.registry?.revision);
    plan.pinned.set(version, p);
    return p;
  }

  /**
   * A loaded version of the plan's prompt (at start or by `preload`), undefined when it does not
   * exist; throws VERSION_NOT_LOADED for an archived version not preloaded.
   */
  #versionOf(plan: Plan, version: number, caller: (...args: never[]) => unknown): PromptVersion | undefined {
    const entry = plan.entry;
    const v = entry?.versions.get(version);
    if (v !== undefined || entry?.archived === undefined) return v;
    const hash = entry.archived.get(version);
    if (hash === undefined) return undefined;
    const loaded = this.#preloaded.get(`${plan.name}@${version}@${hash}`);
    if (loaded !== undefined) return loaded;
    const err = new PromptNotFoundError(
      ErrorCode.VERSION_NOT_LOADED,
      plan.name,
      `Prompt "${plan.name}" v${version} is archived (live in no release) and not loaded: a client loads only live versions at start. Call await client.preload(${JSON.stringify(plan.name)}, [${version}]) before serving it (it loads and verifies the version against the lock).`,
      version,
    );
    Error.captureStackTrace?.(err, caller);
    throw err;
  }

  /**
   * Loads archived versions of `name` (released once, live in no release now, so not loaded at
   * start) and verifies each against its locked hash; afterwards `get(name, id, { version })` and
   * `external` serve them synchronously. Versions already loaded cost nothing; loaded versions stay
   * loaded across reloads (they are immutable).
   *
   * @throws {PromptNotFoundError} PROMPT_NOT_FOUND, VERSION_NOT_FOUND (no such version).
   * @throws {RegistryError} VERSION_IMMUTABLE when an archived file is missing or no longer matches
   * its locked hash; {PromptError} SOURCE_LOAD_FAILED when it cannot be read or fetched;
   * CLIENT_CLOSED after `close()`.
   *
   * @example
   * await client.preload('support-agent', [3, 4]);
   * const prompt = client.get('support-agent', userId, { version: 3 });
   */
  async preload(name: string, versions: readonly number[]): Promise<void> {
    if (this.#closed) throw this.#closedError('preload');
    if (!Array.isArray(versions) || versions.some((v) => !Number.isSafeInteger(v) || v < 0)) {
      throw new PromptError(ErrorCode.INVALID_OPTIONS, `client.preload("${String(name)}", versions) needs an array of version numbers, e.g. [3, 4].`);
    }
    const plan = this.#state.plans.get(name);
    if (plan === undefined) throw this.#notFound(name);
    const wanted: { version: number; hash: string }[] = [];
    for (const version of new Set<number>(versions)) {
      const entry = plan.entry;
      if (entry?.versions.has(version)) continue;
      const hash = entry?.archived?.get(version);
      if (hash === undefined) {
        const known = entry ? describeVersions(knownNumbers(entry)) : 'none';
        throw new PromptNotFoundError(ErrorCode.VERSION_NOT_FOUND, name, `Prompt "${name}" has no version ${version} (known: ${known}). Preload an existing version.`, version);
      }
      if (!this.#preloaded.has(`${name}@${version}@${hash}`)) wanted.push({ version, hash });
    }
    if (wanted.length === 0) return;
    if (this.#source.loadVersions === undefined) {
      throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Source ${this.#source.description} lists archived versions of "${name}" but cannot load them (no loadVersions()). Implement Source.loadVersions.`);
    }
    const loaded = await this.#source.loadVersions(name, wanted);
    for (const { version, hash } of wanted) {
      const v = loaded.find((x) => x.version === version);
      // A source must verify; checked again here because the client is what serves it.
      if (v === undefined || v.hash !== hash || v.name !== name) {
        throw new PromptError(ErrorCode.VERSION_IMMUTABLE, `Source ${this.#source.description} returned no verified ${name} v${version} (locked ${hash.slice(0, 19)}). Restore the version's file, or rebuild the registry.`);
      }
      this.#preloaded.set(`${name}@${version}@${hash}`, v);
    }
  }

  #notFound(name: string): PromptError {
    const known = [...this.#state.plans.keys()];
    const hint = known.length > 8 ? `${known.slice(0, 8).join(', ')}, …` : known.join(', ') || 'none';
    const err = new PromptNotFoundError(
      ErrorCode.PROMPT_NOT_FOUND,
      String(name),
      `Prompt "${String(name)}" does not exist in ${this.#state.registry ? `registry ${this.#state.registry.revision.slice(0, 15)}` : 'the fallbacks'} (known: ${hint}). Check the name or publish it first.`,
    );
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a reference for stack traces and messages, never called unbound
    Error.captureStackTrace?.(err, PromptClient.prototype.get);
    return err;
  }

  #notReleased(plan: Plan): PromptError {
    const err = new PromptNotFoundError(
      ErrorCode.PROMPT_NOT_RELEASED,
      plan.name,
      `Prompt "${plan.name}" has no release in environment "${this.#environment}". Add one under environments.${this.#environment}.${plan.name} in promptpin.yaml (stable: N), or pin a version with { version }.`,
    );
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a reference for stack traces and messages, never called unbound
    Error.captureStackTrace?.(err, PromptClient.prototype.get);
    return err;
  }

  #closedError(method: string): PromptError {
    return new PromptError(ErrorCode.CLIENT_CLOSED, `PromptClient.${method}() was called after close(). Create a new client.`);
  }

  #emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as (p: Events[E]) => void)(payload);
      } catch (err) {
        if (event !== 'error') this.#reportError(toPromptError(err));
      }
    }
  }

  #reportError(error: PromptError): void {
    let handled = false;
    if (this.#options.onError) {
      handled = true;
      try {
        this.#options.onError(error);
      } catch {
        // An error handler that throws must not break reloads.
      }
    }
    if ((this.#listeners.get('error')?.size ?? 0) > 0) handled = true;
    this.#emit('error', error);
    if (!handled && !this.#warned.has(error.code)) {
      this.#warned.add(error.code);
      emitWarning(`${error.message} (further ${error.code} warnings are suppressed; pass onError to see them all)`, `PROMPTPIN_${error.code}`);
    }
  }
}

/** Every version number of an entry: loaded and archived. */
function knownNumbers(entry: PromptEntry): number[] {
  const nums = [...entry.versions.keys()];
  if (entry.archived) for (const n of entry.archived.keys()) if (!entry.versions.has(n)) nums.push(n);
  return nums;
}

function summary(release: Release | undefined): ReleaseSummary | null {
  if (!release) return null;
  return { stable: release.stable, candidate: release.rollout?.candidate ?? null, percent: release.rollout?.percent ?? null };
}

/** The release changes between two registries, for one environment. */
export function diffReleases(before: Registry | null, after: Registry, env: string): PromptReleaseChange[] {
  const a = before?.environments.get(env);
  const b = after.environments.get(env);
  const names = new Set([...(a?.keys() ?? []), ...(b?.keys() ?? [])]);
  const changes: PromptReleaseChange[] = [];
  for (const name of [...names].sort()) {
    const x = summary(a?.get(name));
    const y = summary(b?.get(name));
    if (JSON.stringify(x) !== JSON.stringify(y)) changes.push(Object.freeze({ prompt: name, before: x, after: y }));
  }
  return changes;
}

/** A random id per client incarnation (`promptpin.instance.id`). */
function newInstanceId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

function validateOptions(options: PromptClientOptions): void {
  const fail = (message: string): never => {
    const err = new PromptError(ErrorCode.INVALID_OPTIONS, message);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a reference for stack traces and messages, never called unbound
    Error.captureStackTrace?.(err, PromptClient.create);
    throw err;
  };
  if (typeof options !== 'object' || options === null) fail('PromptClient.create needs an options object: { source, environment }.');
  if (options.source === undefined || options.source === null || options.source === '') fail('Option "source" is required: a prompts folder path, a registry .json path or URL, or a Source.');
  if (options.environment !== undefined && (typeof options.environment !== 'string' || options.environment === '')) fail('Option "environment" must be a non-empty string such as "production".');
  for (const key of ['onError', 'onBreach', 'now', 'redact'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') fail(`Option "${key}" must be a function.`);
  }
  if (options.captureContent !== undefined && typeof options.captureContent !== 'boolean' && !['NO_CONTENT', 'SPAN_ONLY', 'EVENT_ONLY', 'SPAN_AND_EVENT'].includes(options.captureContent)) {
    fail('Option "captureContent" must be a boolean or one of NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT.');
  }
  if (options.baggage !== undefined && typeof options.baggage !== 'boolean') fail('Option "baggage" must be a boolean.');
  if (options.compat !== undefined && (typeof options.compat !== 'object' || options.compat === null)) fail('Option "compat" must be an object: { openFeature?: boolean; openInference?: boolean; langfuse?: boolean; traceloop?: boolean; datadog?: boolean }.');
  if (options.telemetry !== undefined && options.telemetry !== 'full' && options.telemetry !== 'stamp') fail('Option "telemetry" must be "full" or "stamp".');
  if (options.semconv !== undefined && options.semconv !== 'default' && options.semconv !== 'latest') fail('Option "semconv" must be "default" or "latest" (or unset: OTEL_SEMCONV_STABILITY_OPT_IN decides).');
  if (options.safeAttributes !== undefined && !(Array.isArray(options.safeAttributes) && options.safeAttributes.length <= 64 && options.safeAttributes.every((k) => typeof k === 'string' && /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(k)))) {
    fail('Option "safeAttributes" must be a list of at most 64 attribute names (letters, digits, _ . -), e.g. ["plan", "region"]: the unit attributes whose values may go on spans.');
  }
  if (options.initTimeoutMs !== undefined && !(Number.isFinite(options.initTimeoutMs) && options.initTimeoutMs > 0)) fail('Option "initTimeoutMs" must be a positive number of milliseconds.');
  if (options.tracerProvider !== undefined && typeof (options.tracerProvider as { getTracer?: unknown }).getTracer !== 'function') fail('Option "tracerProvider" must have a getTracer() method (an OpenTelemetry TracerProvider).');
  if (options.meterProvider !== undefined && typeof (options.meterProvider as { getMeter?: unknown }).getMeter !== 'function') fail('Option "meterProvider" must have a getMeter() method (an OpenTelemetry MeterProvider).');
}


/** `process.emitWarning` where there is one (Node, Bun, Deno), else `console.warn` (browsers, workers). */
function emitWarning(message: string, code: string): void {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: { code: string }) => void } }).process;
  if (typeof proc?.emitWarning === 'function') proc.emitWarning(message, { code });
  // eslint-disable-next-line no-console -- the one place a warning can go outside Node
  else console.warn(`[${code}] ${message}`);
}
