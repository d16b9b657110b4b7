import type { Span } from '@opentelemetry/api';
import { ErrorCode, PromptError } from '../errors.js';
import { formatGuard } from '../registry/release-model.js';
import type { BreachAction, GuardSpec, Rollout } from '../registry/types.js';
import type { PromptOutcome, ResolvedPrompt } from '../resolved-prompt.js';
import { rolloutEvidenceId } from './evidence-points.js';
import { DEFAULT_NO_DATA_AFTER, GuardMonitor, type GuardEvidenceExport, type GuardReport, type GuardTrip } from './monitor.js';

/** Emitted when a rollout guard trips (`onBreach`, `client.on('breach')`). */
export interface GuardBreachEvent {
  readonly prompt: string;
  readonly stable: number;
  readonly candidate: number;
  /** The guard that tripped, and its shorthand (`refusal:+0.5pp`). */
  readonly guard: GuardSpec;
  readonly guardText: string;
  /** Observed difference in the guard's unit (percentage points, or percent for means), rounded. */
  readonly observed: number;
  /** The threshold in the same unit. */
  readonly threshold: number;
  /** `pp` for rates, `%` for means. */
  readonly unit: 'pp' | '%';
  /** The confidence bounds of `observed`, same unit. */
  readonly interval: readonly [number, number];
  /** One line for people: `refusal +0.87pp [+0.31, +1.43] > 0.5pp; n = 5,210 candidate / 46,890 stable`. */
  readonly text: string;
  /** The statistical evidence: counts per arm and the confidence-sequence bounds. */
  readonly evidence: GuardTrip['evidence'];
  /** `rollback`: this client now serves stable for the prompt. `alert`: nothing changed. */
  readonly action: BreachAction;
  /** When it tripped (epoch ms). */
  readonly at: number;
  /** n-arm experiments only: the arm that tripped (1 … k); `candidate` is its version. Only that arm rolls back. */
  readonly arm?: number;
}

/** One rollout's guard state, as `client.status()` shows it. */
export interface GuardStatus {
  readonly prompt: string;
  readonly stable: number;
  readonly candidate: number;
  readonly percent: number;
  readonly action: BreachAction;
  /** `judging` (counting and testing), `window-closed` (past `window`), or `tripped`. */
  readonly state: 'judging' | 'window-closed' | 'tripped';
  /**
   * Past its `window` without a trip: no longer guarded. It stays stale until someone promotes or
   * rolls back.
   */
  readonly stale: boolean;
  readonly guards: readonly string[];
  /** Each guard's current verdict in people's units (same order as `guards`). */
  readonly reports: readonly (GuardReport & { readonly guard: string; readonly reason: string; readonly noData: boolean })[];
  /** Guards whose signal no outcome carried after the first 1,000 outcomes (e.g. streams without usage). */
  readonly noData: readonly string[];
  /** Outcomes attributed to each arm (units `get` resolved with an id). */
  readonly samples: { readonly stable: number; readonly candidate: number };
  readonly breach: GuardBreachEvent | null;
  /**
   * n-arm experiments only: per candidate arm, its version, percent, samples, each guard's
   * measured difference against the control (`reports`, same order as `guards`) and its breach.
   */
  readonly arms?: readonly {
    readonly arm: number;
    readonly version: number;
    readonly percent: number;
    readonly samples: number;
    readonly reports: readonly (GuardReport & { readonly guard: string })[];
    readonly breach: GuardBreachEvent | null;
  }[];
}

/** The key under which an n-arm experiment's arm is rolled back (the client checks it per arm). @internal */
export function armKey(key: string, arm: number): string {
  return `${key}\u0000arm${arm}`;
}

/** One live rollout's evidence, for the metrics export. @internal */
export interface RolloutEvidenceExport {
  readonly rolloutId: string;
  readonly prompt: string;
  readonly items: readonly GuardEvidenceExport[];
}

interface Entry {
  readonly rolloutId: string;
  readonly prompt: string;
  readonly stable: number;
  rollout: Rollout;
  /** What the monitor judges (guards, min_samples, window): a change starts a fresh monitor. */
  readonly judged: string;
  readonly monitor: GuardMonitor;
  readonly startedAt: number | undefined;
  breach: GuardBreachEvent | null;
  samples: { stable: number; candidate: number };
  /** n-arm: samples and breach per arm (index = arm). */
  armSamples: number[];
  armBreaches: (GuardBreachEvent | null)[];
  outcomes: number;
  noDataReported: boolean;
  /** A guard judges `latency_ms`: calls must be timed. */
  readonly latency: boolean;
}

/** Per-client guard bookkeeping: one monitor per live rollout, kept across reloads of the same rollout. @internal */
export class GuardCoordinator {
  readonly #entries = new Map<string, Entry>();
  readonly #rolledBack = new Set<string>();
  readonly #now: () => number;
  readonly #onBreach: (e: GuardBreachEvent) => void;
  readonly #onError: (err: unknown) => void;
  readonly #environment: string;
  readonly #fleet: boolean;

  /**
   * @param opts.fleet - rollouts are judged fleet-wide (`promptpin judge`): monitors keep counting
   * after a local trip, and a local trip only alerts (`action: 'alert'`), whatever `on_breach` says.
   */
  constructor(opts: { now: () => number; onBreach: (e: GuardBreachEvent) => void; onError: (err: unknown) => void; environment?: string; fleet?: boolean }) {
    this.#environment = opts.environment ?? 'production';
    this.#fleet = opts.fleet === true;
    this.#now = opts.now;
    this.#onBreach = opts.onBreach;
    this.#onError = opts.onError;
  }

  /**
   * Starts tracking a rollout, or updates one already tracked (same key: same stable, candidate,
   * salt and start). A ramp or an `on_breach` edit keeps the counts; a change of the guards,
   * `min_samples` or `window` starts a fresh judgement, since the old one answered another question.
   *
   * @throws {PromptError} INVALID_OPTIONS when the guards cannot be judged (the caller reports it).
   */
  ensure(key: string, prompt: string, stable: number, rollout: Rollout): void {
    const existing = this.#entries.get(key);
    if (rollout.guards.length === 0) {
      this.#entries.delete(key);
      this.#rolledBack.delete(key);
      return;
    }
    const judged = JSON.stringify([rollout.guards, rollout.minSamples, rollout.windowMs ?? null, rollout.arms?.map((a) => a.version) ?? null]);
    if (existing && existing.judged === judged) {
      existing.rollout = rollout;
      if (rollout.arms) {
        existing.armBreaches.forEach((b, arm) => (b && rollout.onBreach === 'rollback' && !this.#fleet ? this.#rolledBack.add(armKey(key, arm)) : this.#rolledBack.delete(armKey(key, arm))));
      } else if (existing.breach && rollout.onBreach === 'rollback' && !this.#fleet) this.#rolledBack.add(key);
      else this.#rolledBack.delete(key);
      return;
    }
    const startedAt = rollout.started !== undefined ? Date.parse(rollout.started) : undefined;
    const monitor = new GuardMonitor({
      guards: rollout.guards,
      minSamples: rollout.minSamples,
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(rollout.windowMs !== undefined ? { windowMs: rollout.windowMs } : {}),
      keepCounting: this.#fleet,
      ...(rollout.arms ? { arms: rollout.arms.length } : {}),
    });
    this.#rolledBack.delete(key);
    for (let arm = 1; arm <= 8; arm++) this.#rolledBack.delete(armKey(key, arm));
    const k = rollout.arms?.length ?? 1;
    const rolloutId = rolloutEvidenceId(this.#environment, prompt, stable, rollout);
    this.#entries.set(key, { rolloutId, prompt, stable, rollout, judged, monitor, startedAt, breach: null, samples: { stable: 0, candidate: 0 }, armSamples: new Array<number>(k + 1).fill(0), armBreaches: new Array<GuardBreachEvent | null>(k + 1).fill(null), outcomes: 0, noDataReported: false, latency: rollout.guards.some((g) => g.signal === 'latency_ms') });
  }

  /** Forgets rollouts that are no longer live. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of [...this.#entries.keys()]) {
      if (!keys.has(key)) {
        this.#entries.delete(key);
        this.#rolledBack.delete(key);
        for (let arm = 1; arm <= 8; arm++) this.#rolledBack.delete(armKey(key, arm));
      }
    }
  }

  /** True when this rollout's guard tripped with `on_breach: rollback`. Hot path. */
  isRolledBack(key: string | undefined): boolean {
    return this.#rolledBack.size !== 0 && key !== undefined && this.#rolledBack.has(key);
  }

  /** True when a guard of this rollout judges `latency_ms` (so its calls must be timed). Hot path. */
  wantsLatency(key: string): boolean {
    return this.#entries.get(key)?.latency === true;
  }

  /** Counts one outcome for the prompt's arm; trips and reports a breach. Never throws. */
  record(key: string, prompt: ResolvedPrompt, outcome: PromptOutcome, span: Span | undefined): void {
    try {
      const entry = this.#entries.get(key);
      if (!entry || (entry.breach && !entry.rollout.arms && !this.#fleet)) return;
      const arms = entry.rollout.arms;
      let a: number;
      if (prompt.slice === 'stable' && prompt.version === entry.stable) a = 0;
      else if (prompt.slice === 'candidate') a = arms ? arms.findIndex((x) => x.version === prompt.version) + 1 : prompt.version === entry.rollout.candidate ? 1 : 0;
      else return;
      if (prompt.slice === 'candidate' && a === 0) return;
      if (arms && a > 0 && entry.armBreaches[a] && !this.#fleet) return;
      const arm = a === 0 ? 'stable' : 'candidate';
      // Only outcomes of units `get` resolved with an id are randomized: the others are not compared.
      const unit = (prompt as { readonly guardUnit?: { readonly phase: number; readonly cluster: number } }).guardUnit;
      if (unit === undefined) return;
      entry.samples[arm]++;
      entry.armSamples[a] = (entry.armSamples[a] ?? 0) + 1;
      const now = this.#now();
      const trip = entry.monitor.record(arms ? a : arm, outcome, now, unit);
      if (!entry.noDataReported && ++entry.outcomes >= DEFAULT_NO_DATA_AFTER) this.#checkNoData(entry);
      if (!trip || (arms ? entry.armBreaches[trip.arm] : entry.breach)) return;
      const action: BreachAction = this.#fleet ? 'alert' : entry.rollout.onBreach;
      const event: GuardBreachEvent = Object.freeze({
        prompt: entry.prompt,
        stable: entry.stable,
        candidate: arms ? arms[trip.arm - 1]!.version : entry.rollout.candidate,
        ...(arms ? { arm: trip.arm } : {}),
        guard: trip.guard,
        guardText: formatGuard(trip.guard),
        observed: trip.observed,
        threshold: trip.threshold,
        unit: trip.unit,
        interval: trip.interval,
        text: trip.text,
        evidence: trip.evidence,
        action,
        at: now,
      });
      entry.breach ??= event;
      entry.armBreaches[trip.arm] = event;
      if (action === 'rollback') this.#rolledBack.add(arms ? armKey(key, trip.arm) : key);
      span?.addEvent('promptpin.guard.breach', {
        'prompt.name': event.prompt,
        'prompt.guard': event.guardText,
        'prompt.guard.observed': event.observed,
        'prompt.guard.threshold': event.threshold,
        'prompt.guard.action': event.action,
        'prompt.rollout.candidate': event.candidate,
        'prompt.rollout.stable': event.stable,
      });
      this.#onBreach(event);
    } catch (err) {
      // Our own fault (or the onBreach handler's): reported with its own code, not as a source failure.
      this.#onError(
        new PromptError(
          ErrorCode.GUARD_FAILED,
          `Guard accounting for "${prompt.name}" v${prompt.version} failed: ${err instanceof Error ? err.message : String(err)}. The call itself was not affected; check the rollout's guards in promptpin.yaml and the onBreach handler.`,
          { cause: err },
        ),
      );
    }
  }

  #checkNoData(entry: Entry): void {
    entry.noDataReported = true;
    const silent = entry.monitor.state().guards.filter((g) => g.noData).map((g) => formatGuard(g.guard));
    if (silent.length === 0) return;
    this.#onError(
      new PromptError(
        ErrorCode.TELEMETRY_FAILED,
        `Guard ${silent.join(', ')} of the rollout of "${entry.prompt}" got no data in ${entry.outcomes} outcomes: the signal is never recorded (a misspelled key, or streams without usage), so the guard cannot trip. Record the signal in the outcome (prompt.record / the call's outcome reader) or change the guard.`,
      ),
    );
  }

  /** Each live rollout's evidence (live objects: read, never mutate). */
  evidence(): RolloutEvidenceExport[] {
    return [...this.#entries.values()].map((e) => ({ rolloutId: e.rolloutId, prompt: e.prompt, items: e.monitor.evidence() }));
  }

  /** Each live rollout's guard state. */
  status(): GuardStatus[] {
    const now = this.#now();
    return [...this.#entries.values()].map((e) => {
      const state = e.monitor.state();
      const stale = !e.breach && e.startedAt !== undefined && e.rollout.windowMs !== undefined && now > e.startedAt + e.rollout.windowMs;
      return Object.freeze({
        prompt: e.prompt,
        stable: e.stable,
        candidate: e.rollout.candidate,
        percent: e.rollout.percent,
        action: e.rollout.onBreach,
        state: e.breach
          ? ('tripped' as const)
          : e.startedAt !== undefined && e.rollout.windowMs !== undefined && now > e.startedAt + e.rollout.windowMs
            ? ('window-closed' as const)
            : ('judging' as const),
        stale,
        guards: e.rollout.guards.map(formatGuard),
        reports: Object.freeze(
          state.guards.map((g) => Object.freeze({ guard: formatGuard(g.guard), reason: g.judgement.reason, noData: g.noData, ...g.report })),
        ),
        noData: Object.freeze(state.guards.filter((g) => g.noData).map((g) => formatGuard(g.guard))),
        samples: { ...e.samples },
        breach: e.breach,
        ...(e.rollout.arms
          ? {
              arms: Object.freeze(
                e.rollout.arms.map((a, i) =>
                  Object.freeze({
                    arm: i + 1,
                    version: a.version,
                    percent: a.percent,
                    samples: e.armSamples[i + 1] ?? 0,
                    reports: Object.freeze(state.guards.map((g) => Object.freeze({ guard: formatGuard(g.guard), ...(g.arms?.[i]?.report ?? g.report) }))),
                    breach: e.armBreaches[i + 1] ?? null,
                  }),
                ),
              ),
            }
          : {}),
      });
    });
  }
}
