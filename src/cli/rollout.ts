/** `promptpin rollout <name> --to N --percent P --expect "…" --guard G …`: starts a guarded rollout. */
import { changelogDate } from '../registry/changelog.js';
import { readRelease, startRollout } from '../registry/edit.js';
import { declaredSignals } from '../registry/release-diff.js';
import { DEFAULT_MIN_SAMPLES, formatGuard, guardSignalProblem, parseGuardShorthand } from '../registry/release.js';
import type { GuardSpec } from '../registry/types.js';
import { CHANGE_OPTIONS, ChangeRefused, command, emit, loadFolder, percentArg, requireAuthor, UsageError, versionArg } from '../edit/context.js';
import { defineVerb } from './verb.js';
import { requireReleased, writeReleaseChange } from '../edit/release-change.js';

/** Usage of `rollout`. */
export const ROLLOUT_USAGE = `promptpin rollout <name> --to N --percent P --expect "…" --guard G [--guard G …]
                  [--min-samples N] [--window 24h] [--on-breach rollback|alert] [--salt S]
                  [--steps 1,5,25,50 [--min-samples-per-step N]]
                  [--author NAME] [--env ENV] [--dir DIR] [--json]

Starts a rollout in promptpin.yaml: version N serves P% of units (bucketed by unit id), stable the rest.
  --expect   the expected effect: a sentence naming a signal and a direction
             ("Output length falls 10-20%; refusal rate unchanged"). Required.
  --guard    a regression threshold, decided now: refusal:+0.5pp (max increase),
             tool_call:-5pp (max decrease), output_tokens:25% (max relative change). At least one.
  --min-samples  per arm before a guard may judge (default ${DEFAULT_MIN_SAMPLES})
  --window       guards judge this long after the start (e.g. 24h; default: the whole rollout)
  --on-breach    rollback (default: the client serves stable) or alert
  --salt         bucketing salt (default <name>@<N>: a new candidate picks a fresh slice)
  --steps        a progressive ramp: ascending percents (0 < p < 100), --percent one of them;
                 \`promptpin judge\` advances a step once every guard excluded a regression there
  --min-samples-per-step  candidate samples each step needs before it advances (default --min-samples)`;

const OPTIONS = {
  ...CHANGE_OPTIONS,
  to: { type: 'string' },
  percent: { type: 'string' },
  expect: { type: 'string' },
  guard: { type: 'string', multiple: true },
  'min-samples': { type: 'string' },
  window: { type: 'string' },
  'on-breach': { type: 'string' },
  salt: { type: 'string' },
  steps: { type: 'string' },
  'min-samples-per-step': { type: 'string' },
} as const;

/** Runs `rollout`. */
export const runRollout = defineVerb({ name: 'rollout', usage: ROLLOUT_USAGE, options: OPTIONS, positionals: ['name'] }, async ({ io, ctx, values, args: [name] }) => {
  if (values.to === undefined) throw new UsageError('missing --to N (the candidate version).', ROLLOUT_USAGE);
  const candidate = versionArg(values.to, '--to', ROLLOUT_USAGE);
  if (values.percent === undefined) throw new UsageError('missing --percent P (0–100).', ROLLOUT_USAGE);
  const percent = percentArg(values.percent, ROLLOUT_USAGE);
  const onBreach = values['on-breach'];
  if (onBreach !== undefined && onBreach !== 'rollback' && onBreach !== 'alert') throw new UsageError(`--on-breach is rollback or alert, not "${onBreach}".`, ROLLOUT_USAGE);
  let minSamples: number | undefined;
  if (values['min-samples'] !== undefined) {
    if (!/^[1-9]\d*$/.test(values['min-samples'])) throw new UsageError(`--min-samples "${values['min-samples']}" is not a whole number ≥ 1.`, ROLLOUT_USAGE);
    minSamples = Number(values['min-samples']);
  }
  let steps: number[] | undefined;
  if (values.steps !== undefined) {
    steps = values.steps.split(',').map((t) => percentArg(t, ROLLOUT_USAGE));
  }
  let minSamplesPerStep: number | undefined;
  if (values['min-samples-per-step'] !== undefined) {
    if (!/^[1-9]\d*$/.test(values['min-samples-per-step'])) throw new UsageError(`--min-samples-per-step "${values['min-samples-per-step']}" is not a whole number ≥ 1.`, ROLLOUT_USAGE);
    minSamplesPerStep = Number(values['min-samples-per-step']);
  }
  const guards: GuardSpec[] = [];
  for (const g of values.guard ?? []) {
    const parsed = parseGuardShorthand(g);
    if (typeof parsed === 'string') throw new UsageError(`${parsed}.`, ROLLOUT_USAGE);
    guards.push(parsed);
  }
  const author = requireAuthor(ctx, values.author);
  const state = await loadFolder(ctx);
  // The loader's own rule (a guard's signal is built in or declared, its unit fits the signal's
  // kind), checked before anything is written.
  const signals = declaredSignals(state.files.releaseText);
  for (const g of guards) {
    const bad = guardSignalProblem(g, signals);
    if (bad) throw new ChangeRefused(`Cannot start a rollout of "${name}" in ${ctx.env}: ${bad}.`);
  }
  const expected = values.expect ?? '';
  const releaseText = startRollout(state.files.releaseText, ctx.env, name, {
    candidate,
    percent,
    expected,
    guards,
    author,
    started: changelogDate(io.now()),
    ...(values.salt !== undefined ? { salt: values.salt } : {}),
    ...(minSamples !== undefined ? { minSamples } : {}),
    ...(values.window !== undefined ? { window: values.window } : {}),
    ...(onBreach !== undefined ? { onBreach } : {}),
    ...(steps !== undefined ? { steps } : {}),
    ...(minSamplesPerStep !== undefined ? { minSamplesPerStep } : {}),
  });
  const v = requireReleased(ctx, state, name, candidate);
  const stable = readRelease(state.files.releaseText, ctx.env, name)?.stable;
  if (stable === undefined) throw new ChangeRefused(`"${name}" has no stable release in ${ctx.env}.`);
  const rollout = readRelease(releaseText, ctx.env, name)!.rollout!;
  const guardText = guards.map(formatGuard).join(', ');
  const { files } = await writeReleaseChange(
    ctx,
    state,
    releaseText,
    {
      author,
      prompt: name,
      change: `rollout v${candidate} at ${percent}% (stable v${stable}; guards ${guardText}${steps ? `; steps ${steps.join(' → ')}` : ''})`,
      why: v.message ?? '',
      expected: rollout.expected ?? expected,
    },
    `the rollout of ${name} v${candidate}`,
  );
  const judge = `judged after ${rollout.minSamples ?? DEFAULT_MIN_SAMPLES} samples per arm${rollout.window ? `, within ${rollout.window} of the start` : ''}; on breach: ${rollout.onBreach ?? 'rollback'}`;
  const next = [command(ctx, `status ${name}`), command(ctx, `ramp ${name} ${Math.min(100, Math.max(percent * 5, 50))}`), command(ctx, `rollback ${name} --reason "…"`)];
  emit(
    ctx,
    [
      `Started a rollout of ${name} in ${ctx.env}: v${candidate} serves ${percent}% of units, v${stable} the rest.`,
      `  expected: ${rollout.expected}`,
      `  guards:   ${guardText} (${judge})`,
      `  salt:     ${rollout.salt}`,
      `Wrote ${files.join(', ')}. Running clients pick it up on their next reload.`,
      `Next: ${next.join('  ·  ')}`,
    ].join('\n'),
    { ok: true, prompt: name, environment: ctx.env, stable, rollout, files, next },
  );
  return 0;
});
