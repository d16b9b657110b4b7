/** `promptpin diff <name> A B`: template diff plus model/params/variables changes, breaking ones flagged. */
import { checkFolder } from '../registry/registry.js';
import { ChangeRefused, COMMON_OPTIONS, emit, knownList, loadFolder, versionArg } from '../edit/context.js';
import { defineVerb } from './verb.js';
import { compareVersions, formatDiff } from './version-diff.js';

/** Usage of `diff`. */
export const DIFF_USAGE = `promptpin diff <name> <A> <B> [--dir DIR] [--json]

Shows what changes from version A to version B: model, provider, params, variables and a unified
diff of the templates. Flags breaking changes (a new required variable, a removed variable, a
changed variable type, a changed model, …). Exits 0 either way.`;

/** Runs `diff`. */
export const runDiff = defineVerb({ name: 'diff', usage: DIFF_USAGE, options: COMMON_OPTIONS, positionals: ['name', 'A', 'B'] }, async ({ ctx, args: [name, aText, bText] }) => {
  const a = versionArg(aText, 'A', DIFF_USAGE);
  const b = versionArg(bText, 'B', DIFF_USAGE);
  const state = await loadFolder(ctx);
  const check = checkFolder(state.files);
  const versions = check.versions.filter((v) => v.name === name);
  const find = (n: number) => {
    const v = versions.find((x) => x.version === n);
    if (v) return v;
    const broken = check.issues.find((i) => i.prompt === name && i.version === n);
    throw new ChangeRefused(
      broken ? `${name} v${n} cannot be read (run promptpin check).` : `"${name}" has no v${n} (versions: ${knownList(versions.map((x) => x.version).sort((x, y) => x - y))}).`,
      broken ? check.issues.filter((i) => i.prompt === name && i.version === n) : [],
    );
  };
  const d = compareVersions(find(a), find(b));
  emit(ctx, formatDiff(d), d);
  return 0;
});
