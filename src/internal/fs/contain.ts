/** Keeps reads and writes of a prompts folder inside it when symbolic links point elsewhere. */
import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ErrorCode, PromptError } from '../../errors.js';
import { readFileBounded } from './read-file.js';

/** True when `path` (real, absolute) is `root` (real, absolute) or below it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function unsafe(message: string): PromptError {
  return new PromptError(ErrorCode.UNSAFE_PATH, message);
}

/**
 * For reading `path` (inside the folder whose real path is `realRoot`): resolves a symbolic link
 * and refuses one that leaves the folder or points at nothing. A link inside the folder is
 * followed. The message names the link and never its target's content.
 *
 * @throws {PromptError} UNSAFE_PATH
 */
export async function assertReadableInside(realRoot: string, path: string, shown: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw unsafe(`${shown} is a symbolic link to nothing (its target is missing). Replace the link with the file, or remove it.`);
    }
    throw err;
  }
  if (!isInside(realRoot, real)) {
    throw unsafe(`${shown} is a symbolic link that leaves the prompts folder; promptpin reads nothing outside it. Replace the link with the file itself.`);
  }
}

/**
 * For writing `path` inside the folder `root`: refuses when any part of the path below the root is
 * a symbolic link (a write through a linked directory lands elsewhere, possibly outside the
 * folder; a rename over a linked file would replace the link), checked from the root down to the
 * target. Missing parts are fine: they are created as real directories.
 *
 * @throws {PromptError} UNSAFE_PATH
 */
export async function assertWritableInside(root: string, path: string): Promise<void> {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw unsafe(`${path} is outside the prompts folder ${root}; promptpin writes only inside it.`);
  }
  let at = root;
  for (const part of rel.split(sep)) {
    at = join(at, part);
    let info;
    try {
      info = await lstat(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (info.isSymbolicLink()) {
      throw unsafe(
        `${relative(dirname(root), at)} is a symbolic link; promptpin never writes through a link (the write could land outside the prompts folder). Replace the link with a real ${at === path ? 'file' : 'directory'}.`,
      );
    }
  }
}

/**
 * Reads `rel` (a `/`-separated path below `root`) as a regular file of at most `maxBytes`, or
 * undefined when it does not exist. A symbolic link is followed only when it stays inside the
 * folder.
 *
 * @throws {PromptError} UNSAFE_PATH, SPECIAL_FILE, or SOURCE_LOAD_FAILED (too large)
 */
export async function readInsideOptional(root: string, rel: string, maxBytes: number): Promise<string | undefined> {
  const path = join(root, ...rel.split('/'));
  try {
    const info = await lstat(path);
    if (info.isSymbolicLink()) await assertReadableInside(await realpath(root), path, rel);
    return await readFileBounded(path, { maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
