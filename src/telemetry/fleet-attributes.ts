/**
 * Names of the guard-evidence metrics every client exports for the fleet judge, and of their
 * attributes. Prometheus spells them with `_` for `.` (the OpenTelemetry Prometheus exporter and
 * the collector's `prometheus`/`prometheusremotewrite` exporters do this), and appends `_total` to
 * counters: {@link PROM_GUARD_EVIDENCE}.
 */

/**
 * Asynchronous (observable) counter, cumulative and monotonic: one additive sum of a rollout's
 * guard evidence. One point per (rollout, signal, segment, arm, phase, cluster, stat, instance).
 * Every value is a sum of non-negative numbers (counts, 0/1, `log1p(x ≥ 0)` and its square, raw
 * `x ≥ 0`), so a counter is exact: nothing exported can be negative.
 */
export const METRIC_PROMPTPIN_GUARD_EVIDENCE = 'promptpin.guard.evidence' as const;
/** Asynchronous gauge, value 1, with {@link ATTR_PROMPTPIN_REGISTRY_REVISION}: the revision this instance serves. */
export const METRIC_PROMPTPIN_REGISTRY_INFO = 'promptpin.registry.info' as const;

/** The evidence counter as Prometheus names it. */
export const PROM_GUARD_EVIDENCE = 'promptpin_guard_evidence_total' as const;
/** The revision gauge as Prometheus names it. */
export const PROM_REGISTRY_INFO = 'promptpin_registry_info' as const;

/**
 * The rollout the evidence belongs to: `<prompt>@<candidate>:<12 hex>`, the hex a hash of the
 * environment, stable, candidate, salt, start and what is judged (guards, min_samples, window).
 * A new rollout of the same versions, or a change of its guards, is a new id (a new judgement);
 * a ramp keeps it (phases keep the splits apart).
 */
export const ATTR_PROMPTPIN_GUARD_ROLLOUT = 'promptpin.guard.rollout' as const;
/** The guarded signal (`refusal`, `output_tokens`, …). */
export const ATTR_PROMPTPIN_GUARD_SIGNAL = 'promptpin.guard.signal' as const;
/** Segment label of a `bySegment` guard's segment evidence; absent on the pooled evidence. */
export const ATTR_PROMPTPIN_GUARD_SEGMENT = 'promptpin.guard.segment' as const;
/** Arm: `0` stable (the control), `1` the candidate. */
export const ATTR_PROMPTPIN_GUARD_ARM = 'promptpin.guard.arm' as const;
/** Phase: the candidate share in basis points (percent × 100) when the unit was assigned. */
export const ATTR_PROMPTPIN_GUARD_PHASE = 'promptpin.guard.phase' as const;
/** Pseudo-cluster `0 … 63` of the units (for `n` and `sum`), or `all` (for `sum_squares` and `raw`). */
export const ATTR_PROMPTPIN_GUARD_CLUSTER = 'promptpin.guard.cluster' as const;
/** Which sum: `n`, `sum` (Σy), `sum_squares` (Σy², means only) or `raw` (Σx, means only). */
export const ATTR_PROMPTPIN_GUARD_STAT = 'promptpin.guard.stat' as const;
/**
 * The exporting client's incarnation: random per `PromptClient`. A restarted instance is a new
 * series, so its counters starting from zero are never read as a reset of the old ones: the judge
 * sums each incarnation's last value (`last_over_time`).
 */
export const ATTR_PROMPTPIN_INSTANCE_ID = 'promptpin.instance.id' as const;
/** The registry revision an instance serves (`sha256:…`). */
export const ATTR_PROMPTPIN_REGISTRY_REVISION = 'promptpin.registry.revision' as const;
