/** `promptpin ramp <name> P | --next`: changes the running rollout's percent. */
import { rampRollout, readRelease } from '../registry/edit.js';
import { nextRampStep } from '../registry/ramp-model.js';
import { ChangeRefused, CHANGE_OPTIONS, command, emit, loadFolder, percentArg, requireAuthor, UsageError, type Ctx } from './context.js';
import { defineVerb } from './verb.js';
import { writeReleaseChange } from './release-change.js';

/** Usage of `ramp`. */
export const RAMP_USAGE = `promptpin ramp <name> <percent> [--reason "…"] [--author NAME] [--env ENV] [--dir DIR] [--json]
promptpin ramp <name> --next [--reason "…"] …

Changes the running rollout's percent (0 pauses it). Units already on the candidate stay on it
when ramping up: the salt does not change. A rollout with steps: moves from step to step; --next
takes the next one (after the last step, promote).`;

const OPTIONS = { ...CHANGE_OPTIONS, reason: { type: 'string' }, next: { type: 'boolean' } } as const;

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

/** Runs `ramp`. */
export const runRamp = defineVerb({ name: 'ramp', usage: RAMP_USAGE, options: OPTIONS, positionals: ['name', 'percent?'] }, async ({ ctx, values, args: [name, percentText] }) => {
  let percent: number | 'next';
  if (values.next) {
    if (percentText !== undefined) throw new UsageError('give <percent> or --next, not both.', RAMP_USAGE);
    percent = 'next';
  } else {
    if (percentText === undefined) throw new UsageError('missing <percent> (or --next for the next step of the ramp).', RAMP_USAGE);
    percent = percentArg(percentText, RAMP_USAGE);
  }
  const author = requireAuthor(ctx, values.author);
  const r = await applyRamp(ctx, name, percent, { author, reason: values.reason ?? '' });
  const verb = r.to === 0 ? 'Paused' : r.to > r.from ? 'Ramped up' : 'Ramped down';
  const last = r.steps !== undefined && r.step === r.steps.length;
  const next =
    r.to === 100 || last
      ? [command(ctx, `promote ${name}`)]
      : [command(ctx, `status ${name}`), ...(r.steps ? [command(ctx, `ramp ${name} --next`)] : []), command(ctx, `promote ${name}`), command(ctx, `rollback ${name} --reason "…"`)];
  emit(
    ctx,
    [
      `${verb} the rollout of ${name} in ${ctx.env}: v${r.candidate} now serves ${r.to}% of units (was ${r.from}%)${r.step !== undefined ? `, step ${r.step} of ${r.steps!.length}` : ''}, v${r.stable} the rest.`,
      `Wrote ${r.files.join(', ')}.`,
      `Next: ${next.join('  ·  ')}`,
    ].join('\n'),
    { ok: true, prompt: name, environment: ctx.env, candidate: r.candidate, stable: r.stable, from: r.from, to: r.to, ...(r.steps ? { steps: r.steps, step: r.step ?? null } : {}), files: r.files, next },
  );
  return 0;
});
