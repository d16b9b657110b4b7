/**
 * Progressive ramps (issue 13): the pure decision the fleet judge takes for a ramped rollout, and
 * the folder edit that carries it out.
 *
 * A step advances only when EVERY guard of the rollout has excluded a regression beyond its
 * threshold with the evidence gathered at that step (verdict `excluded`, not merely "not tripped
 * yet") and with at least `min_samples_per_step` candidate samples; after the last step below 100%
 * the candidate is promoted (at 100% no control is left to compare with). A tripped guard rolls
 * back.
 *
 * @module
 */
import { applyRamp, type RampResult } from '../edit/ramp.js';
import type { GuardVerdict } from '../guards/verdict.js';
import { ChangeRefused, loadFolder } from '../edit/context.js';
import { writeReleaseChange } from '../edit/release-change.js';
import { promoteRollout, readRelease } from '../registry/edit.js';
import { nextRampStep } from '../registry/ramp-model.js';
import type { Rollout } from '../registry/types.js';
import { folderCtx, type FolderEditOptions } from './folder-ctx.js';

/** One guard's verdict at the current step (an evidence-log record reduced to what the decision reads). */
export interface StepVerdict {
  readonly signal: string;
  readonly verdict: GuardVerdict;
  /** Candidate-arm samples behind the verdict, at this step. */
  readonly nArm: number;
}

/** What the judge should do with a ramped rollout now. */
export interface RampDecision {
  readonly action: 'hold' | 'advance' | 'promote' | 'rollback';
  /** With `advance`: the next step's percent. */
  readonly toPercent?: number;
  /** Why, for people and the changelog. */
  readonly reason: string;
}

function fmt(n: number): string {
  return n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k` : String(Math.round(n));
}

/**
 * Decides, from the guards' verdicts at the current step, whether a ramped rollout holds, advances
 * one step, is promoted (after its last step) or is rolled back (a guard tripped). Pure.
 *
 * A guard may have several rows (one per arm or segment): all of them must exclude. A guard of the
 * rollout with no row holds the ramp. A rollout without `steps`, or paused at 0, only ever rolls
 * back or holds.
 *
 * @example
 * ```ts
 * const d = rampDecision(release.rollout, [{ signal: 'refusal', verdict: 'excluded', nArm: 2400 }]);
 * if (d.action === 'advance') await advanceRamp('prompts', 'production', 'support-agent', d.toPercent!, { author: 'promptpin-judge', reason: d.reason });
 * ```
 */
export function rampDecision(rollout: Rollout, verdicts: readonly StepVerdict[]): RampDecision {
  const tripped = verdicts.filter((v) => v.verdict === 'tripped');
  if (tripped.length > 0) {
    return Object.freeze({ action: 'rollback', reason: `guard${tripped.length === 1 ? '' : 's'} ${[...new Set(tripped.map((v) => v.signal))].join(', ')} tripped at ${rollout.percent}%` });
  }
  const steps = rollout.steps;
  if (steps === undefined || steps.length === 0) return Object.freeze({ action: 'hold', reason: 'the rollout has no ramp steps: a person ramps or promotes it' });
  if (rollout.percent === 0) return Object.freeze({ action: 'hold', reason: 'the ramp is paused at 0%' });
  if (!steps.includes(rollout.percent)) return Object.freeze({ action: 'hold', reason: `percent ${rollout.percent} is not one of the steps [${steps.join(', ')}]` });
  const min = rollout.minSamplesPerStep ?? rollout.minSamples;
  const waiting: string[] = [];
  for (const signal of [...new Set(rollout.guards.map((g) => g.signal))]) {
    const rows = verdicts.filter((v) => v.signal === signal);
    if (rows.length === 0) {
      waiting.push(`${signal} (no verdict yet)`);
      continue;
    }
    const n = Math.min(...rows.map((r) => (Number.isFinite(r.nArm) ? r.nArm : 0)));
    if (!rows.every((r) => r.verdict === 'excluded')) waiting.push(`${signal} (not excluded yet, n=${fmt(n)})`);
    else if (n < min) waiting.push(`${signal} (excluded, but n=${fmt(n)} < ${fmt(min)} per step)`);
  }
  if (waiting.length > 0) return Object.freeze({ action: 'hold', reason: `at ${rollout.percent}%, waiting for ${waiting.join(', ')}` });
  const excluded = `every guard excluded a regression beyond its threshold at ${rollout.percent}%`;
  const next = nextRampStep(steps, rollout.percent);
  if (next === null) return Object.freeze({ action: 'promote', reason: `${excluded}, the last step` });
  return Object.freeze({ action: 'advance', toPercent: next, reason: `${excluded} (step ${steps.indexOf(rollout.percent) + 1} of ${steps.length})` });
}

/**
 * Moves the rollout of `prompt` in `env` to `toPercent` (normally the next step), with the same edit
 * and changelog line as `promptpin ramp`: the folder lock held, promptpin.yaml and CHANGELOG.md
 * compared-and-swapped against what was read, one line `ramp v2 5% → 25% (step 3 of 4)`.
 *
 * @throws {PromptError} CHANGE_REFUSED (no rollout, not a step, …), REGISTRY_FROZEN, EDIT_CONFLICT
 * (another edit, e.g. a second judge, changed the folder first: nothing written; re-judge).
 */
export function advanceRamp(folder: string, env: string, prompt: string, toPercent: number, options: FolderEditOptions): Promise<RampResult> {
  return applyRamp(folderCtx(folder, env, options), prompt, toPercent, { author: options.author, reason: options.reason });
}

export type { RampResult } from '../edit/ramp.js';

/**
 * Promotes the candidate of `prompt` in `env` after the last step of its ramp, with the same edit
 * and changelog line as `promptpin promote` (the folder lock held, compare-and-swap), the measured
 * `observed` cell beside the expected note.
 *
 * @throws {PromptError} CHANGE_REFUSED (no rollout), REGISTRY_FROZEN, EDIT_CONFLICT
 */
export async function promoteRamp(folder: string, env: string, prompt: string, options: FolderEditOptions & { readonly observed?: string }): Promise<{ readonly files: readonly string[] }> {
  const ctx = folderCtx(folder, env, options);
  const state = await loadFolder(ctx);
  const before = readRelease(state.files.releaseText, env, prompt);
  const r = before?.rollout;
  if (!r) throw new ChangeRefused(`"${prompt}" in ${env} has no rollout to promote.`);
  const releaseText = promoteRollout(state.files.releaseText, env, prompt);
  const { files } = await writeReleaseChange(
    ctx,
    state,
    releaseText,
    { author: options.author, prompt, change: `promote v${r.candidate} (was v${before.stable}; rollout ended at ${r.percent}%)`, why: options.reason, expected: r.expected ?? '', observed: options.observed ?? '' },
    `the promotion of ${prompt}`,
  );
  return { files };
}
