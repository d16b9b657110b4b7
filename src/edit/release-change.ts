/** The shared tail of rollout, ramp, promote and rollback: validate, write the release file, log. */
import { addChangelogEntry, changelogDate, type ChangelogEntry } from '../registry/changelog.js';
import { parseLock } from '../registry/lock.js';
import type { PromptVersion } from '../registry/types.js';
import { checkFolder } from '../registry/registry.js';
import { ChangeRefused, command, knownList, paths, show, validateAfter, versionNumbersOf, writeFolderChange, type Ctx, type FolderState, type WriteChangeHooks } from './context.js';

/**
 * Refuses a version that is missing from the folder or not released (not in the lock): only a
 * locked version may go live, so what is served is what was reviewed.
 */
export function requireReleased(ctx: Ctx, state: FolderState, name: string, version: number): PromptVersion {
  const nums = versionNumbersOf(state.files, name);
  if (!nums.includes(version)) {
    throw new ChangeRefused(
      nums.length === 0
        ? `there is no prompt "${name}" in ${show(ctx, ctx.dir)}.`
        : `"${name}" has no v${version} (versions: ${knownList(nums)}). Publish it first: ${command(ctx, `publish ${name} --from FILE --message "…"`)}`,
    );
  }
  const lock = state.files.lockText !== undefined ? parseLock(state.files.lockText).lock : new Map<string, ReadonlyMap<number, string>>();
  if (!lock.get(name)?.has(version)) {
    throw new ChangeRefused(
      `${name} v${version} is not released (not in promptpin.lock), so it could still change after review. Publish it (${command(ctx, `publish ${name} --message "…"`)}) or lock it (${command(ctx, 'lock')}) first.`,
    );
  }
  const v = checkFolder(state.files).versions.find((x) => x.name === name && x.version === version);
  if (!v) throw new ChangeRefused(`${name} v${version} is not a valid prompt; run ${command(ctx, 'check')}.`);
  return v;
}

/**
 * Validates the folder with the new release text, then writes the changelog line and the release
 * file (both checked unchanged since they were read before either is written; see
 * {@link writeFolderChange}).
 */
export async function writeReleaseChange(
  ctx: Ctx,
  state: FolderState,
  releaseText: string,
  entry: Omit<ChangelogEntry, 'date' | 'environment' | 'observed'> & { readonly observed?: string },
  what: string,
  hooks: WriteChangeHooks = {},
): Promise<{ files: string[]; date: string }> {
  validateAfter(state.files, { ...state.files, releaseText }, what);
  const p = paths(ctx);
  const date = changelogDate(ctx.io.now());
  // Order: CHANGELOG.md first, promptpin.yaml (the write that makes the change live) last. Should
  // promptpin.yaml then fail and the changelog not be put back, the log over-reports a change that
  // did not happen (visible, and re-running the command applies it) instead of a live change that
  // nobody logged and that a re-run refuses ("already has a rollout").
  await writeFolderChange(
    ctx,
    [
      { path: p.changelog, text: addChangelogEntry(state.changelogText, { ...entry, date, environment: ctx.env, observed: entry.observed ?? '' }), expected: state.changelogText },
      { path: p.release, text: releaseText, expected: state.files.releaseText },
    ],
    hooks,
  );
  return { files: [show(ctx, p.release), show(ctx, p.changelog)], date };
}
