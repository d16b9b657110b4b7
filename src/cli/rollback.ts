/** `promptpin rollback <name> [--to N] --reason "…"`: one edit every running client picks up. */
import { readRelease, rollbackRelease } from '../registry/edit.js';
import { CHANGE_OPTIONS, ChangeRefused, command, emit, loadFolder, requireAuthor, versionArg } from '../edit/context.js';
import { defineVerb } from './verb.js';
import { requireReleased, writeReleaseChange } from '../edit/release-change.js';
import { observedFromLog } from '../fleet/observed-log.js';
import { resolve } from 'node:path';

/** Usage of `rollback`. */
export const ROLLBACK_USAGE = `promptpin rollback <name> [--to N] --reason "…" [--evidence-log FILE] [--author NAME] [--env ENV] [--dir DIR] [--json]

Without --to: ends the running rollout; the stable version serves everyone.
With --to N:  version N becomes stable and any rollout ends.
Overrides (QA units pinned to a version) are kept. Watching clients reload within a second.
Ending a rollout writes each signal's measured change into the changelog's Observed cell, from the
evidence log (default DIR/.promptpin/evidence.jsonl, written by \`promptpin judge\`).`;

const OPTIONS = { ...CHANGE_OPTIONS, to: { type: 'string' }, reason: { type: 'string' }, 'evidence-log': { type: 'string' } } as const;

/** Runs `rollback`. */
export const runRollback = defineVerb({ name: 'rollback', usage: ROLLBACK_USAGE, options: OPTIONS, positionals: ['name'] }, async ({ io, ctx, values, args: [name] }) => {
  const to = values.to !== undefined ? versionArg(values.to, '--to', ROLLBACK_USAGE) : undefined;
  const author = requireAuthor(ctx, values.author);
  const reason = values.reason?.trim() ?? '';
  if (reason === '') throw new ChangeRefused('a rollback needs a reason for the changelog: --reason "refusals up 2pp on v4".');
  const state = await loadFolder(ctx);
  const before = readRelease(state.files.releaseText, ctx.env, name);
  const releaseText = rollbackRelease(state.files.releaseText, ctx.env, name, to !== undefined ? { to } : {});
  const stable = to ?? before!.stable!;
  // The current stable already serves; only a version made stable by this rollback must be released.
  if (to !== undefined) requireReleased(ctx, state, name, to);
  const ended = before?.rollout ? `rollout of v${before.rollout.candidate} at ${before.rollout.percent}% ended` : '';
  const change = to === undefined ? `rollback v${before!.rollout!.candidate} → v${stable} (${ended})` : `rollback to v${to} (was v${before!.stable}${ended ? `; ${ended}` : ''})`;
  const ro = before?.rollout;
  const observed = ro
    ? await observedFromLog(ctx.dir, values['evidence-log'] !== undefined ? resolve(io.cwd, values['evidence-log']) : undefined, { env: ctx.env, prompt: name, candidate: ro.candidate, ...(before.stable !== undefined ? { stable: before.stable } : {}), ...(ro.started !== undefined ? { started: ro.started } : {}) }, ro.expected ?? '')
    : '';
  const { files } = await writeReleaseChange(ctx, state, releaseText, { author, prompt: name, change, why: reason, expected: '', observed }, `the rollback of ${name}`);
  const pinned = Object.entries(before?.overrides ?? {}).filter(([, v]) => v !== stable);
  const lines = [
    `Rolled back ${name} in ${ctx.env}: v${stable} serves everyone${ended ? ` (${ended})` : ` (was v${before!.stable})`}.`,
    `Wrote ${files.join(', ')}. Clients watching this folder reload within a second (URL sources: run \`${command(ctx, 'build')} -o …\` and upload).`,
  ];
  if (pinned.length) lines.push(`Note: overrides still pin ${pinned.map(([u, v]) => `${u} → v${v}`).join(', ')} (edit promptpin.yaml to remove them).`);
  const next = [command(ctx, `outcome ${name} "…"`), command(ctx, `log ${name}`)];
  lines.push(`Next: record what happened: ${next.join('  ·  ')}`);
  emit(ctx, lines.join('\n'), { ok: true, prompt: name, environment: ctx.env, stable, endedRollout: before?.rollout ?? null, reason, files, next });
  return 0;
});
