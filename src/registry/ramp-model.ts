/**
 * The release-file additions of progressive ramps and the incident freeze (issue 13), kept apart
 * from `release-model.ts` so the rollout schema there only gains two optional keys:
 *
 * ```yaml
 * freeze: { since: 2026-12-04T10:00:00Z, author: ana, reason: "incident 42: refusals spiking" }
 * environments:
 *   production:
 *     support-agent:
 *       stable: 1
 *       rollout: { candidate: 2, percent: 5, steps: [1, 5, 25, 50], min_samples_per_step: 2000, … }
 * ```
 *
 * Pure: no I/O, no clock.
 */
import * as z from 'zod/mini';

/** `steps:` and `min_samples_per_step:` of a rollout (merged into its YAML schema). */
export const RampYamlFields = {
  steps: z.optional(z.array(z.number({ error: 'a ramp step is a percent, e.g. steps: [1, 5, 25, 50]' }), { error: 'steps is a list of percents, e.g. steps: [1, 5, 25, 50]' })),
  min_samples_per_step: z.optional(z.number().check(z.int(), z.gte(1, 'min_samples_per_step is a whole number ≥ 1'))),
};

/** Top-level `freeze:` of promptpin.yaml: set by `promptpin freeze`, removed by `promptpin freeze --lift`. */
export const FreezeYamlSchema = z.strictObject({
  since: z.string({ error: 'freeze.since is the ISO-8601 time the freeze began' }),
  author: z.string({ error: 'freeze.author names who froze the registry' }),
  reason: z.string({ error: 'freeze.reason says why the registry is frozen (the incident)' }),
});

/** The incident freeze recorded in promptpin.yaml. */
export interface Freeze {
  /** ISO-8601 time the freeze began. */
  readonly since: string;
  readonly author: string;
  readonly reason: string;
}

/** Most steps a ramp may declare (the evidence keeps at most 32 phases; see `MAX_PHASES`). */
export const MAX_RAMP_STEPS = 16;

/**
 * Why a rollout's ramp is invalid, or null: `steps` strictly ascending, each 0 < p < 100 with at
 * most two decimals, at most {@link MAX_RAMP_STEPS}, and the current `percent` one of them (or 0:
 * a paused ramp).
 */
export function rampStepsProblem(steps: readonly number[], percent: number): string | null {
  if (steps.length === 0) return 'steps is empty: list the percents of the ramp, e.g. steps: [1, 5, 25, 50], or remove steps:';
  if (steps.length > MAX_RAMP_STEPS) return `steps has ${steps.length} entries: a ramp has at most ${MAX_RAMP_STEPS} steps`;
  for (let i = 0; i < steps.length; i++) {
    const p = steps[i]!;
    if (!(Number.isFinite(p) && p > 0 && p < 100)) {
      return `step ${p} is out of range: each step is a percent with 0 < p < 100 (the ramp promotes after its last step; at 100% no control is left to compare with)`;
    }
    if (Math.abs(p * 100 - Math.round(p * 100)) > 1e-9) return `step ${p} has more than two decimals (the bucket grain is 0.01%)`;
    if (i > 0 && !(p > steps[i - 1]!)) return `steps [${steps.join(', ')}] are not ascending: each step is larger than the one before, e.g. [1, 5, 25, 50]`;
  }
  if (percent !== 0 && !steps.includes(percent)) {
    return `percent ${percent} is not one of the steps [${steps.join(', ')}]: a ramped rollout sits on a step (or at 0, paused). Set percent to ${steps[0]} or add ${percent} to the steps`;
  }
  return null;
}

/** The step after `percent` in `steps` (the first step from a pause at 0), or null after the last one. */
export function nextRampStep(steps: readonly number[], percent: number): number | null {
  for (const s of steps) if (s > percent) return s;
  return null;
}
