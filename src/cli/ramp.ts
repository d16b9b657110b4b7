/** `promptpin ramp <name> P | --next`: changes the running rollout's percent. */
import { CHANGE_OPTIONS, command, emit, percentArg, requireAuthor, UsageError } from '../edit/context.js';
import { applyRamp } from '../edit/ramp.js';
import { defineVerb } from './verb.js';

export { applyRamp, type RampResult } from '../edit/ramp.js';

/** Usage of `ramp`. */
export const RAMP_USAGE = `promptpin ramp <name> <percent> [--reason "…"] [--author NAME] [--env ENV] [--dir DIR] [--json]
promptpin ramp <name> --next [--reason "…"] …

Changes the running rollout's percent (0 pauses it). Units already on the candidate stay on it
when ramping up: the salt does not change. A rollout with steps: moves from step to step; --next
takes the next one (after the last step, promote).`;

const OPTIONS = { ...CHANGE_OPTIONS, reason: { type: 'string' }, next: { type: 'boolean' } } as const;

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
