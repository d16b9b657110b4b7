import { readdir, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ErrorCode, PromptError } from '../errors.js';
import { assertReadableInside, readInsideOptional } from '../internal/fs/contain.js';
import { readFileBounded } from '../internal/fs/read-file.js';
import { isHiddenPath, watchDebounced } from '../internal/fs/watch.js';
import { LIMITS } from '../internal/safe-data.js';
import { LOCK_FILE } from '../registry/lock.js';
import { compileFolder, type FolderFiles } from '../registry/registry.js';
import { RELEASE_FILE } from '../registry/release.js';
import type { Registry } from '../registry/types.js';
import type { Source } from './source.js';

const MAX_DEPTH = 16;
const MAX_FILES = 100_000;

/**
 * Reads a regular text file of at most `maxChars` characters (bounded in bytes, 4 per character,
 * while reading): a FIFO, a device or a socket is refused without blocking, and a file that is or
 * grows too large is never read into memory past the limit.
 *
 * @throws {PromptError} SPECIAL_FILE, or SOURCE_LOAD_FAILED when too large; errors of open (ENOENT,
 * EACCES, …) as they are.
 */
export async function readBounded(path: string, maxChars: number): Promise<string> {
  return readFileBounded(path, {
    maxBytes: maxChars * 4,
    tooLarge: (detail) =>
      new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `${path} ${detail}; the limit is ${maxChars} characters. A prompts folder holds small text files: check what this file is.`),
  });
}

/**
 * Reads every `.prompt` file, `promptpin.yaml` and `promptpin.lock` under `root`. Only regular
 * files are read (a FIFO, a device or a socket is refused with SPECIAL_FILE, without blocking), each
 * bounded while it is read. A symbolic link to a file is followed only when its target is inside
 * the folder; one that leaves it (or points at nothing) is refused with UNSAFE_PATH, naming the
 * link and nothing of its target. Linked directories are not walked (they could loop), as before.
 */
export async function readFolder(root: string): Promise<FolderFiles> {
  const promptFiles: { path: string; text: string }[] = [];
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (err) {
    throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Cannot read prompts folder ${root}: ${(err as Error).message}. Check the source path.`, { cause: err });
  }
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      // Hidden folders (.git) and node_modules never hold prompts; symlinked folders could loop.
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full, depth + 1);
      else if (entry.name.endsWith('.prompt')) {
        const rel = relative(root, full).split(sep).join('/');
        if (entry.isSymbolicLink()) await assertReadableInside(realRoot, full, rel);
        else if (!entry.isFile()) throw new PromptError(ErrorCode.SPECIAL_FILE, `${rel} is not a regular file (a FIFO, device or socket); a prompts folder holds text files only. Remove it or replace it with the file.`);
        if (promptFiles.length >= MAX_FILES) throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Folder ${root} has more than ${MAX_FILES} .prompt files.`);
        promptFiles.push({ path: rel, text: await readBounded(full, LIMITS.promptFileChars) });
      }
    }
  };
  try {
    await walk(root, 0);
  } catch (err) {
    if (err instanceof PromptError) throw err;
    throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Cannot read prompts folder ${root}: ${(err as Error).message}. Check the source path.`, { cause: err });
  }
  promptFiles.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const optional = async (name: string): Promise<string | undefined> => {
    try {
      return await readInsideOptional(root, name, LIMITS.configFileChars * 4);
    } catch (err) {
      if (err instanceof PromptError) throw err;
      throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Cannot read ${join(root, name)}: ${(err as Error).message}`, { cause: err });
    }
  };
  const releaseText = await optional(RELEASE_FILE);
  const lockText = await optional(LOCK_FILE);
  return { promptFiles, ...(releaseText !== undefined ? { releaseText } : {}), ...(lockText !== undefined ? { lockText } : {}) };
}

/** Options of {@link createFolderSource}. */
export interface FolderSourceOptions {
  /** Watch the folder and reload on change. @defaultValue true */
  readonly watch?: boolean;
  /** Quiet period after the last file event before reloading, in ms. @defaultValue 50 */
  readonly debounceMs?: number;
  /**
   * Reads of the folder per load, at most, until two in a row agree (see {@link readFolderSettled}).
   * @defaultValue 5
   */
  readonly settleAttempts?: number;
  /** Pause after two reads disagree, before reading again, in ms. @defaultValue 25 */
  readonly settleDelayMs?: number;
  /**
   * Reads the folder once (test seam; defaults to {@link readFolder}).
   * @internal
   */
  readonly read?: (root: string) => Promise<FolderFiles>;
}

/** Options of {@link readFolderSettled}. */
export interface ReadSettledOptions {
  /** Reads at most, at least 2. @defaultValue 5 */
  readonly attempts?: number;
  /** Pause after a disagreement, in ms. @defaultValue 25 */
  readonly delayMs?: number;
  /** Reads the folder once. @defaultValue {@link readFolder} */
  readonly read?: (root: string) => Promise<FolderFiles>;
}

type ReadOutcome = { readonly files: FolderFiles } | { readonly error: unknown };

function sameFiles(a: FolderFiles, b: FolderFiles): boolean {
  if (a.releaseText !== b.releaseText || a.lockText !== b.lockText || a.promptFiles.length !== b.promptFiles.length) return false;
  for (let i = 0; i < a.promptFiles.length; i++) {
    const x = a.promptFiles[i]!;
    const y = b.promptFiles[i]!;
    if (x.path !== y.path || x.text !== y.text) return false;
  }
  return true;
}

function sameOutcome(a: ReadOutcome, b: ReadOutcome): boolean {
  if ('files' in a) return 'files' in b && sameFiles(a.files, b.files);
  return 'error' in b && (a.error as Error)?.message === (b.error as Error)?.message;
}

/**
 * Reads a prompts folder until two consecutive reads agree (same files, same texts; or the same
 * read error), so a file caught half-written by an editor, `cp` or `git checkout` is never
 * compiled: the write changes the folder between the two reads. After `attempts` reads without
 * agreement it gives up with SOURCE_LOAD_FAILED (a reload keeps the last good registry; the next
 * change or `reload()` tries again). Costs one extra read per load; compiling happens once.
 *
 * @throws {PromptError} SOURCE_LOAD_FAILED when the folder cannot be read, or keeps changing.
 */
export async function readFolderSettled(root: string, options: ReadSettledOptions = {}): Promise<FolderFiles> {
  const attempts = Math.max(2, options.attempts ?? 5);
  const delayMs = options.delayMs ?? 25;
  const read = options.read ?? readFolder;
  const once = (): Promise<ReadOutcome> =>
    read(root).then(
      (files) => ({ files }),
      (error: unknown) => ({ error }),
    );
  let previous = await once();
  for (let n = 2; n <= attempts; n++) {
    const current = await once();
    if (sameOutcome(previous, current)) {
      if ('error' in current) throw current.error;
      return current.files;
    }
    previous = current;
    // Not unref'd: a first load must not let the process exit while it waits.
    if (n < attempts) await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
  }
  throw new PromptError(
    ErrorCode.SOURCE_LOAD_FAILED,
    `Prompts folder ${root} kept changing while it was read (${attempts} reads, no two in a row agreed): a write is in progress. Nothing was loaded; the last good registry keeps serving and the next change or reload() reads the folder again.`,
    'error' in previous ? { cause: previous.error } : undefined,
  );
}

/** A source reading a prompts folder (the authoring layout), watched for changes. */
export function createFolderSource(root: string, options: FolderSourceOptions = {}): Source {
  const debounceMs = options.debounceMs ?? 50;
  return {
    description: `folder ${root}`,
    async load(): Promise<Registry> {
      return compileFolder(
        await readFolderSettled(root, {
          ...(options.settleAttempts !== undefined ? { attempts: options.settleAttempts } : {}),
          ...(options.settleDelayMs !== undefined ? { delayMs: options.settleDelayMs } : {}),
          ...(options.read !== undefined ? { read: options.read } : {}),
        }),
      );
    },
    watch(onChange) {
      if (options.watch === false) return () => {};
      // Recursive watching is unavailable on some file systems: then nothing is watched and
      // reload() still works.
      return watchDebounced(root, { recursive: true, debounceMs, filter: (file) => !isHiddenPath(file) }, onChange);
    },
  };
}
