/** `promptpin ramp <name> P`: changes the running rollout's percent. */
import { rampRollout, readRelease } from '../registry/edit.js';
import { CHANGE_OPTIONS, command, emit, loadFolder, makeCtx, parseVerbArgs, percentArg, positionals, requireAuthor, type Io } from './context.js';
import { writeReleaseChange } from './release-change.js';

/** Usage of `ramp`. */
export const RAMP_USAGE = `promptpin ramp <name> <percent> [--reason "…"] [--author NAME] [--env ENV] [--dir DIR] [--json]

Changes the running rollout's percent (0 pauses it). Units already on the candidate stay on it
when ramping up: the salt does not change.`;

const OPTIONS = { ...CHANGE_OPTIONS, reason: { type: 'string' } } as const;

/** Runs `ramp`. */
export async function runRamp(io: Io, args: readonly string[]): Promise<number> {
  const { values, positionals: pos } = parseVerbArgs(args, OPTIONS, RAMP_USAGE);
  if (values.help) {
    io.out(`${RAMP_USAGE}\n`);
    return 0;
  }
  const ctx = makeCtx(io, values);
  const [name, percentText] = positionals(pos, ['name', 'percent'], RAMP_USAGE) as [string, string];
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
}
