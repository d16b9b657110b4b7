/** The ramp edit: what `promptpin ramp` and the fleet judge's `advanceRamp` both make. */
import { rampRollout, readRelease } from '../registry/edit.js';
import { nextRampStep } from '../registry/ramp-model.js';
import { ChangeRefused, command, loadFolder, type Ctx } from './context.js';
import { writeReleaseChange } from './release-change.js';

/** What {@link applyRamp} changed. */
export interface RampResult {
  readonly candidate: number;
  readonly stable: number | undefined;
  readonly from: number;
  readonly to: number;
  /** 1-based step of `to` in the rollout's steps, when it has some. */
  readonly step?: number;
  readonly steps?: readonly number[];
  readonly files: string[];
}

/**
 * Ramps `name` in `ctx.env` to `percent` (or, with `'next'`, to the rollout's next step) and logs
 * one changelog line: the edit `promptpin ramp` and the fleet judge (`advanceRamp`) both make.
 *
 * @throws {PromptError} CHANGE_REFUSED (no rollout, bad percent, no next step), REGISTRY_FROZEN,
 * EDIT_CONFLICT (a concurrent edit; nothing written).
 */
export async function applyRamp(ctx: Ctx, name: string, percent: number | 'next', options: { readonly author: string; readonly reason: string }): Promise<RampResult> {
  const state = await loadFolder(ctx);
  const before = readRelease(state.files.releaseText, ctx.env, name);
  let to: number;
  if (percent === 'next') {
    const r = before?.rollout;
    if (!r) throw new ChangeRefused(`"${name}" in ${ctx.env} has no rollout to ramp. Start one with ${command(ctx, `rollout ${name} --to N --percent P --steps 1,5,25,50 --expect "…" --guard "…"`)}.`);
    if (!r.steps) throw new ChangeRefused(`the rollout of "${name}" in ${ctx.env} has no steps: ramp it to a percent (${command(ctx, `ramp ${name} P`)}) or add steps: [1, 5, 25, 50] to it in promptpin.yaml.`);
    const next = nextRampStep(r.steps, r.percent);
    if (next === null) throw new ChangeRefused(`the rollout of v${r.candidate} for "${name}" in ${ctx.env} is at its last step (${r.percent}%): promote it (${command(ctx, `promote ${name}`)}) or roll it back.`);
    to = next;
  } else to = percent;
  const releaseText = rampRollout(state.files.releaseText, ctx.env, name, to);
  const rollout = before!.rollout!;
  const steps = rollout.steps;
  const stepIndex = steps ? steps.indexOf(to) : -1;
  const stepNote = steps && stepIndex >= 0 ? ` (step ${stepIndex + 1} of ${steps.length})` : '';
  const { files } = await writeReleaseChange(
    ctx,
    state,
    releaseText,
    { author: options.author, prompt: name, change: `ramp v${rollout.candidate} ${rollout.percent}% → ${to}%${stepNote}`, why: options.reason, expected: '' },
    `the ramp of ${name}`,
  );
  return {
    candidate: rollout.candidate,
    stable: before!.stable,
    from: rollout.percent,
    to,
    ...(steps ? { steps, ...(stepIndex >= 0 ? { step: stepIndex + 1 } : {}) } : {}),
    files,
  };
}
