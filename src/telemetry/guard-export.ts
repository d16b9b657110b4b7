/**
 * Exports each live rollout's guard evidence as one cumulative observable counter, and the registry
 * revision as an observable gauge, so a PromQL sum over instances is the fleet's evidence
 * (docs/fleet.md §7). Telemetry code: never throws into the app; a failing callback is reported.
 */
import { metrics, type Attributes, type MeterProvider, type ObservableResult } from '@opentelemetry/api';
import { evidencePoints } from '../guards/evidence-points.js';
import type { RolloutEvidenceExport } from '../guards/coordinator.js';
import { INSTRUMENTATION_SCOPE } from './attributes.js';
import {
  ATTR_PROMPTPIN_GUARD_ARM,
  ATTR_PROMPTPIN_GUARD_CLUSTER,
  ATTR_PROMPTPIN_GUARD_PHASE,
  ATTR_PROMPTPIN_GUARD_ROLLOUT,
  ATTR_PROMPTPIN_GUARD_SEGMENT,
  ATTR_PROMPTPIN_GUARD_SIGNAL,
  ATTR_PROMPTPIN_GUARD_STAT,
  ATTR_PROMPTPIN_INSTANCE_ID,
  ATTR_PROMPTPIN_REGISTRY_REVISION,
  METRIC_PROMPTPIN_GUARD_EVIDENCE,
  METRIC_PROMPTPIN_REGISTRY_INFO,
} from './fleet-attributes.js';

/** What the exporter reads at each collection. @internal */
export interface GuardExportSource {
  readonly evidence: () => readonly RolloutEvidenceExport[];
  readonly revision: () => string | null;
  readonly environment: string;
  readonly instanceId: string;
  readonly onError: (err: unknown) => void;
}

/** Observes every evidence sum of `src` into `result`. @internal */
export function observeEvidence(src: GuardExportSource, result: ObservableResult): void {
  for (const r of src.evidence()) {
    for (const item of r.items) {
      const base: Attributes = {
        'prompt.name': r.prompt,
        'prompt.environment': src.environment,
        [ATTR_PROMPTPIN_GUARD_ROLLOUT]: r.rolloutId,
        [ATTR_PROMPTPIN_GUARD_SIGNAL]: item.signal,
        [ATTR_PROMPTPIN_INSTANCE_ID]: src.instanceId,
        ...(item.segment !== undefined ? { [ATTR_PROMPTPIN_GUARD_SEGMENT]: item.segment } : {}),
      };
      for (const p of evidencePoints(item.evidence, item.kind)) {
        result.observe(p.value, {
          ...base,
          [ATTR_PROMPTPIN_GUARD_ARM]: String(p.arm),
          [ATTR_PROMPTPIN_GUARD_PHASE]: String(p.phase),
          [ATTR_PROMPTPIN_GUARD_CLUSTER]: String(p.cluster),
          [ATTR_PROMPTPIN_GUARD_STAT]: p.stat,
        });
      }
    }
  }
}

/**
 * Registers the two asynchronous instruments on `provider` (default: the global one at the time
 * of the call). Returns the function that removes the callbacks (on `close`).
 * @internal
 */
export function exportGuardEvidence(provider: MeterProvider | undefined, version: string, src: GuardExportSource): () => void {
  try {
    const meter = (provider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE, version);
    const evidence = meter.createObservableCounter(METRIC_PROMPTPIN_GUARD_EVIDENCE, {
      description: 'Additive sums of guarded rollouts\u2019 evidence (per arm, phase, pseudo-cluster); sum over instances for the fleet.',
    });
    const info = meter.createObservableGauge(METRIC_PROMPTPIN_REGISTRY_INFO, { description: 'The registry revision this instance serves (value 1).' });
    const onEvidence = (result: ObservableResult): void => {
      try {
        observeEvidence(src, result);
      } catch (err) {
        src.onError(err);
      }
    };
    const onInfo = (result: ObservableResult): void => {
      const revision = src.revision();
      if (revision !== null) result.observe(1, { [ATTR_PROMPTPIN_REGISTRY_REVISION]: revision, 'prompt.environment': src.environment, [ATTR_PROMPTPIN_INSTANCE_ID]: src.instanceId });
    };
    evidence.addCallback(onEvidence);
    info.addCallback(onInfo);
    return () => {
      evidence.removeCallback(onEvidence);
      info.removeCallback(onInfo);
    };
  } catch (err) {
    src.onError(err);
    return () => {};
  }
}
