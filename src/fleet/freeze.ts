/**
 * The incident switch (issue 13): `freezeFolder` rolls back every live rollout in every environment
 * at once (one changelog line each, the measured outcome in its Observed cell) and records
 * `freeze:` in promptpin.yaml, in ONE change of the folder (lock held, compare-and-swap). While it
 * is frozen, rollout, ramp and promote refuse with REGISTRY_FROZEN, and a rollout left in the file
 * is never served (the registry drops it). `liftFreeze` removes it.
 *
 * @module
 */
import { addChangelogEntry, changelogDate } from '../registry/changelog.js';
import { listReleases, rollbackRelease } from '../registry/edit.js';
import { liftFreeze as liftFreezeText, readFreeze, setFreeze } from '../registry/freeze-edit.js';
import { ChangeRefused, loadFolder, paths, show, validateAfter, writeFolderChange, type Ctx } from '../edit/context.js';
import { observedFromLog } from './observed-log.js';
import { folderCtx, type FolderEditOptions } from './folder-ctx.js';

/** One rollout a freeze ended. */
export interface FrozenRollback {
  readonly environment: string;
  readonly prompt: string;
  readonly candidate: number;
  readonly percent: number;
  readonly stable: number | undefined;
  readonly observed: string;
}

/** What {@link freezeFolder} did. */
export interface FreezeResult {
  readonly since: string;
  readonly rolledBack: readonly FrozenRollback[];
  readonly files: readonly string[];
}

/** @internal the shared body of `promptpin freeze` and {@link freezeFolder}. */
export async function applyFreeze(ctx: Ctx, options: { readonly author: string; readonly reason: string; readonly evidenceLog?: string }): Promise<FreezeResult> {
  const reason = options.reason.trim();
  if (reason === '') throw new ChangeRefused('a freeze needs a reason for the changelog: --reason "incident 42: refusals spiking".');
  const state = await loadFolder(ctx);
  const since = changelogDate(ctx.io.now());
  let text = state.files.releaseText;
  let changelog = state.changelogText;
  const rolledBack: FrozenRollback[] = [];
  for (const { environment, prompt, release } of listReleases(text)) {
    const r = release.rollout;
    if (!r) continue;
    text = rollbackRelease(text, environment, prompt, { candidate: r.candidate });
    const observed = await observedFromLog(
      ctx.dir,
      options.evidenceLog,
      { env: environment, prompt, candidate: r.candidate, ...(release.stable !== undefined ? { stable: release.stable } : {}), ...(r.started !== undefined ? { started: r.started } : {}) },
      r.expected ?? '',
    );
    changelog = addChangelogEntry(changelog, {
      date: since,
      author: options.author,
      prompt,
      environment,
      change: `rollback v${r.candidate} → v${release.stable ?? '?'} (freeze; rollout of v${r.candidate} at ${r.percent}% ended)`,
      why: `freeze: ${reason}`,
      expected: '',
      observed,
    });
    rolledBack.push({ environment, prompt, candidate: r.candidate, percent: r.percent, stable: release.stable, observed });
  }
  const releaseText = setFreeze(text, { since, author: options.author, reason });
  validateAfter(state.files, { ...state.files, releaseText }, 'the freeze');
  const p = paths(ctx);
  // Changelog first, promptpin.yaml (which makes it live) last: see writeReleaseChange.
  await writeFolderChange(ctx, [
    ...(changelog !== state.changelogText ? [{ path: p.changelog, text: changelog!, expected: state.changelogText }] : []),
    { path: p.release, text: releaseText, expected: state.files.releaseText },
  ]);
  return { since, rolledBack, files: [show(ctx, p.release), ...(rolledBack.length ? [show(ctx, p.changelog)] : [])] };
}

/** @internal the shared body of `promptpin freeze --lift` and {@link liftFolderFreeze}. */
export async function applyLift(ctx: Ctx): Promise<{ readonly files: readonly string[]; readonly was: ReturnType<typeof readFreeze> }> {
  const state = await loadFolder(ctx);
  const was = readFreeze(state.files.releaseText);
  const releaseText = liftFreezeText(state.files.releaseText);
  validateAfter(state.files, { ...state.files, releaseText }, 'lifting the freeze');
  const p = paths(ctx);
  await writeFolderChange(ctx, [{ path: p.release, text: releaseText, expected: state.files.releaseText }]);
  return { files: [show(ctx, p.release)], was };
}

/**
 * Freezes a prompts folder: rolls back every live rollout of every environment (one changelog line
 * each) and records `freeze:`; the judge calls it with author `promptpin-judge`.
 *
 * @throws {PromptError} CHANGE_REFUSED (no reason), EDIT_CONFLICT (a concurrent edit; nothing written).
 */
export function freezeFolder(folder: string, options: FolderEditOptions & { readonly evidenceLog?: string }): Promise<FreezeResult> {
  return applyFreeze(folderCtx(folder, 'production', options), options);
}

/** Lifts the freeze of a prompts folder. @throws {PromptError} CHANGE_REFUSED when it is not frozen. */
export async function liftFolderFreeze(folder: string, options: Pick<FolderEditOptions, 'now' | 'onWait'> = {}): Promise<void> {
  await applyLift(folderCtx(folder, 'production', options));
}
