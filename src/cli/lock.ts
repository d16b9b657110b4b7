/** `promptpin lock [name]`: records the hash of every version not yet in promptpin.lock. */
import { addToLock } from '../registry/edit.js';
import { checkFolder } from '../registry/registry.js';
import { ChangeRefused, COMMON_OPTIONS, command, emit, loadFolder, paths, show, validateAfter, writeFolderChange } from '../edit/context.js';
import { defineVerb } from './verb.js';

/** Usage of `lock`. */
export const LOCK_USAGE = `promptpin lock [name] [--dir DIR] [--json]

Records the content hash of every version not yet in promptpin.lock (of one prompt, when named).
A locked version is released: immutable, and \`promptpin check\` fails if its file changes.`;

/** Runs `lock`. */
export const runLock = defineVerb({ name: 'lock', usage: LOCK_USAGE, options: COMMON_OPTIONS, positionals: ['name?'] }, async ({ ctx, args: [name] }) => {
  const state = await loadFolder(ctx);
  const check = checkFolder(state.files);
  if (check.issues.length) throw new ChangeRefused('the prompts folder has problems; fix them first (nothing was locked):', check.issues);
  const todo = check.unlocked.filter((u) => name === undefined || u.name === name);
  if (name !== undefined && !check.versions.some((v) => v.name === name)) throw new ChangeRefused(`there is no prompt "${name}" in ${show(ctx, ctx.dir)}.`);
  const p = paths(ctx);
  if (todo.length === 0) {
    emit(ctx, `Nothing to lock: every version${name ? ` of ${name}` : ''} is in ${show(ctx, p.lock)}.`, { ok: true, locked: [] });
    return 0;
  }
  const lockText = addToLock(state.files.lockText, todo);
  validateAfter(state.files, { ...state.files, lockText }, 'locking');
  await writeFolderChange(ctx, [{ path: p.lock, text: lockText, expected: state.files.lockText }]);
  emit(
    ctx,
    [
      `Locked ${todo.length} version${todo.length === 1 ? '' : 's'} in ${show(ctx, p.lock)} (released: immutable from now on):`,
      ...todo.map((u) => `  ${u.name} v${u.version}  ${u.hash.slice(0, 19)}…`),
      `Next: ${command(ctx, 'check')}`,
    ].join('\n'),
    { ok: true, locked: todo, file: show(ctx, p.lock) },
  );
  return 0;
});
