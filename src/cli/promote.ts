/** `promptpin promote <name> [--to N]`: the candidate becomes stable (or a version is released directly). */
import { promoteRollout, readRelease, releaseVersion } from '../registry/edit.js';
import { CHANGE_OPTIONS, ChangeRefused, command, emit, loadFolder, requireAuthor, versionArg } from '../edit/context.js';
import { defineVerb } from './verb.js';
import { requireReleased, writeReleaseChange } from '../edit/release-change.js';
import { observedFromLog } from '../fleet/observed-log.js';
import { resolve } from 'node:path';

/** Usage of `promote`. */
export const PROMOTE_USAGE = `promptpin promote <name> [--to N] [--reason "…"] [--evidence-log FILE] [--author NAME] [--env ENV] [--dir DIR] [--json]

With a rollout running: its candidate becomes stable for everyone and the rollout ends.
With no rollout and --to N: version N becomes stable directly, unguarded (a new prompt's first
release, or an environment like staging).
Ending a rollout writes each signal's measured change into the changelog's Observed cell, from the
evidence log (default DIR/.promptpin/evidence.jsonl, written by \`promptpin judge\`).`;

const OPTIONS = { ...CHANGE_OPTIONS, to: { type: 'string' }, reason: { type: 'string' }, 'evidence-log': { type: 'string' } } as const;

/** Runs `promote`. */
export const runPromote = defineVerb({ name: 'promote', usage: PROMOTE_USAGE, options: OPTIONS, positionals: ['name'] }, async ({ io, ctx, values, args: [name] }) => {
  const to = values.to !== undefined ? versionArg(values.to, '--to', PROMOTE_USAGE) : undefined;
  const author = requireAuthor(ctx, values.author);
  const state = await loadFolder(ctx);
  const before = readRelease(state.files.releaseText, ctx.env, name);
  let releaseText: string;
  let version: number;
  let change: string;
  let expected = '';
  let observed = '';
  if (before?.rollout) {
    // n-arm experiments: --to N picks the winner among the candidates (promoteRollout refuses otherwise).
    const arms = before.rollout.candidates?.map((a) => a.version);
    version = arms && to !== undefined && arms.includes(to) ? to : before.rollout.candidate;
    if (arms && (to === undefined ? arms.length > 1 : !arms.includes(to))) promoteRollout(state.files.releaseText, ctx.env, name, to);
    if (to !== undefined && to !== version) {
      throw new ChangeRefused(`the running rollout of "${name}" in ${ctx.env} is of v${version}, not v${to}. Promote it without --to, or roll it back first.`);
    }
    releaseText = promoteRollout(state.files.releaseText, ctx.env, name, arms ? version : undefined);
    change = `promote v${version} (was v${before.stable}; rollout ended at ${before.rollout.percent}%)`;
    expected = before.rollout.expected ?? '';
    observed = await observedFromLog(ctx.dir, values['evidence-log'] !== undefined ? resolve(io.cwd, values['evidence-log']) : undefined, { env: ctx.env, prompt: name, candidate: version, ...(before.stable !== undefined ? { stable: before.stable } : {}), ...(before.rollout.started !== undefined ? { started: before.rollout.started } : {}) }, expected);
  } else {
    if (to === undefined) {
      throw new ChangeRefused(
        `"${name}" has no rollout in ${ctx.env} to promote. Start one (${command(ctx, `rollout ${name} --to N --percent 10 --expect "…" --guard "…"`)}) or release a version directly with --to N.`,
      );
    }
    version = to;
    releaseText = releaseVersion(state.files.releaseText, ctx.env, name, to);
    change = before?.stable !== undefined ? `promote v${to} (was v${before.stable}; no rollout)` : `promote v${to} (first release)`;
  }
  const v = requireReleased(ctx, state, name, version);
  const { files } = await writeReleaseChange(
    ctx,
    state,
    releaseText,
    { author, prompt: name, change, why: values.reason ?? v.message ?? '', expected, observed },
    `promoting ${name} v${version}`,
  );
  const back = before?.stable !== undefined ? command(ctx, `rollback ${name} --to ${before.stable} --reason "…"`) : null;
  const next = [command(ctx, `outcome ${name} "…"`), ...(back ? [back] : [])];
  emit(
    ctx,
    [
      `Promoted ${name} v${version} to stable in ${ctx.env}: it serves everyone${before?.stable !== undefined ? ` (was v${before.stable})` : ''}.`,
      `Wrote ${files.join(', ')}.`,
      ...(back ? [`To reverse: ${back}`] : []),
      `Next: record what you observed: ${command(ctx, `outcome ${name} "…"`)}`,
    ].join('\n'),
    { ok: true, prompt: name, environment: ctx.env, stable: version, previous: before?.stable ?? null, files, next },
  );
  return 0;
});
