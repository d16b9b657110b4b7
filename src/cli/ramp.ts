/** `promptpin ramp <name> P`: changes the running rollout's percent. */
import { rampRollout, readRelease } from '../registry/edit.js';
import { CHANGE_OPTIONS, command, emit, loadFolder, percentArg, requireAuthor } from './context.js';
import { defineVerb } from './verb.js';
import { writeReleaseChange } from './release-change.js';

/** Usage of `ramp`. */
export const RAMP_USAGE = `promptpin ramp <name> <percent> [--reason "…"] [--author NAME] [--env ENV] [--dir DIR] [--json]

Changes the running rollout's percent (0 pauses it). Units already on the candidate stay on it
when ramping up: the salt does not change.`;

const OPTIONS = { ...CHANGE_OPTIONS, reason: { type: 'string' } } as const;

/** Runs `ramp`. */
export const runRamp = defineVerb({ name: 'ramp', usage: RAMP_USAGE, options: OPTIONS, positionals: ['name', 'percent'] }, async ({ ctx, values, args: [name, percentText] }) => {
  const percent = percentArg(percentText, RAMP_USAGE);
  const author = requireAuthor(ctx, values.author);
  const state = await loadFolder(ctx);
  const releaseText = rampRollout(state.files.releaseText, ctx.env, name, percent);
  const before = readRelease(state.files.releaseText, ctx.env, name)!;
  const rollout = before.rollout!;
  const { files } = await writeReleaseChange(
    ctx,
    state,
    releaseText,
    { author, prompt: name, change: `ramp v${rollout.candidate} ${rollout.percent}% → ${percent}%`, why: values.reason ?? '', expected: '' },
    `the ramp of ${name}`,
  );
  const verb = percent === 0 ? 'Paused' : percent > rollout.percent ? 'Ramped up' : 'Ramped down';
  const next = percent === 100 ? [command(ctx, `promote ${name}`)] : [command(ctx, `status ${name}`), command(ctx, `promote ${name}`), command(ctx, `rollback ${name} --reason "…"`)];
  emit(
    ctx,
    [
      `${verb} the rollout of ${name} in ${ctx.env}: v${rollout.candidate} now serves ${percent}% of units (was ${rollout.percent}%), v${before.stable} the rest.`,
      `Wrote ${files.join(', ')}.`,
      `Next: ${next.join('  ·  ')}`,
    ].join('\n'),
    { ok: true, prompt: name, environment: ctx.env, candidate: rollout.candidate, stable: before.stable, from: rollout.percent, to: percent, files, next },
  );
  return 0;
});
