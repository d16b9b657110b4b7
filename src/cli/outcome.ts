/** `promptpin outcome <name> "…"`: records the observed outcome on the latest change of a prompt. */
import { setChangelogOutcome } from '../registry/changelog.js';
import { COMMON_OPTIONS, command, emit, loadFolder, paths, show, writeFolderChange } from '../edit/context.js';
import { defineVerb } from './verb.js';

/** Usage of `outcome`. */
export const OUTCOME_USAGE = `promptpin outcome <name> "what was observed" [--env ENV] [--dir DIR] [--json]

Records the observed outcome on the latest changelog line of <name> (with --env: the latest in that
environment). Replaces an outcome recorded before.`;

/** Runs `outcome`. */
export const runOutcome = defineVerb({ name: 'outcome', usage: OUTCOME_USAGE, options: COMMON_OPTIONS, positionals: ['name', 'outcome'] }, async ({ ctx, args: [name, observed] }) => {
  const state = await loadFolder(ctx);
  const result = setChangelogOutcome(state.changelogText, name, observed, ctx.envGiven ? ctx.env : undefined);
  const p = paths(ctx);
  await writeFolderChange(ctx, [{ path: p.changelog, text: result.text, expected: state.changelogText }]);
  const e = result.entry;
  emit(
    ctx,
    [
      `Recorded the outcome of ${name}'s latest change (${e.date}, ${e.change}${e.environment ? `, ${e.environment}` : ''}):`,
      `  observed: ${e.observed}`,
      ...(result.previous ? [`  (replaces: ${result.previous})`] : []),
      `Wrote ${show(ctx, p.changelog)}. See it with ${command(ctx, `log ${name}`)}`,
    ].join('\n'),
    { ok: true, entry: (({ line: _l, ...rest }) => rest)(e), previous: result.previous || null, file: show(ctx, p.changelog) },
  );
  return 0;
});
