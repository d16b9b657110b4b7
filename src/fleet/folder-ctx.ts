/** A CLI context for library callers (the fleet judge): the same edits, locks and changelog lines as the verbs. */
import { dirname, resolve } from 'node:path';
import { makeCtx, type Ctx } from '../edit/context.js';

/** Options every folder edit of the fleet module accepts. */
export interface FolderEditOptions {
  /** Who makes the change (the judge passes `promptpin-judge`). */
  readonly author: string;
  /** Why: the changelog's Why cell. */
  readonly reason: string;
  /** The clock of the changelog date. @defaultValue `() => new Date()` */
  readonly now?: () => Date;
  /** Told when the edit waits for another edit's folder lock. @defaultValue silent */
  readonly onWait?: (text: string) => void;
}

/** @internal */
export function folderCtx(folder: string, env: string, options: Pick<FolderEditOptions, 'now' | 'onWait'>): Ctx {
  const dir = resolve(folder);
  return makeCtx(
    {
      out: () => {},
      err: (t) => options.onWait?.(t),
      readStdin: () => Promise.resolve(''),
      env: {},
      cwd: dirname(dir),
      now: options.now ?? (() => new Date()),
    },
    { dir, env },
  );
}
