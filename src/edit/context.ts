/** What every verb shares: options, the folder's files, author, atomic writes, output. */
import { stripSuffixWithSpace } from '../internal/text.js';
import { spawnSync } from 'node:child_process';
import { mkdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { ErrorCode, formatIssue, PromptError, type RegistryIssue } from '../errors.js';
import { writeFileAtomic } from '../internal/fs/atomic-write.js';
import { assertWritableInside, readInsideOptional } from '../internal/fs/contain.js';
import { withFolderLock, type FolderLockOptions } from '../internal/fs/folder-lock.js';
import { readOptionalBounded } from '../internal/fs/read-file.js';
import { LIMITS } from '../internal/safe-data.js';
import { CHANGELOG_FILE } from '../registry/changelog.js';
import { LOCK_FILE } from '../registry/lock.js';
import { checkFolder, type FolderFiles } from '../registry/registry.js';
import { percentProblem } from '../internal/percent.js';
import { RELEASE_FILE } from '../registry/release.js';
import { versionNumberProblem } from '../registry/version-numbers.js';
import { readFolder } from '../sources/folder-source.js';

/** The process around the CLI (injected so verbs never touch globals directly). */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now: () => Date;
}

/** A malformed command line: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

/**
 * A change the CLI refuses (exit code 1), with the folder problems behind it when there are some.
 * The code is CHANGE_REFUSED, or EDIT_CONFLICT when a concurrent edit changed a file first.
 */
export class ChangeRefused extends PromptError {
  override name = 'ChangeRefused';
  constructor(
    message: string,
    readonly issues: readonly RegistryIssue[] = [],
    options?: { cause?: unknown; code?: typeof ErrorCode.CHANGE_REFUSED | typeof ErrorCode.EDIT_CONFLICT },
  ) {
    super(options?.code ?? ErrorCode.CHANGE_REFUSED, message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** A {@link ChangeRefused} with code EDIT_CONFLICT: a file changed between read and write. */
function conflict(message: string): ChangeRefused {
  return new ChangeRefused(message, [], { code: ErrorCode.EDIT_CONFLICT });
}

/** Options every verb accepts. */
export const COMMON_OPTIONS = {
  dir: { type: 'string' },
  env: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Options of the verbs that change something. */
export const CHANGE_OPTIONS = {
  ...COMMON_OPTIONS,
  author: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** The resolved context of one verb invocation. */
export interface Ctx {
  readonly io: Io;
  /** Absolute prompts folder. */
  readonly dir: string;
  /** The folder as the user wrote it (for suggested commands). */
  readonly dirArg: string | undefined;
  readonly env: string;
  /** True when `--env` was given (status and log then filter by it). */
  readonly envGiven: boolean;
  readonly json: boolean;
}

/** Default prompts folder, relative to the working directory. */
export const DEFAULT_DIR = 'prompts';
/** Default environment. */
export const DEFAULT_ENV = 'production';

/** Builds the context from the common options. */
export function makeCtx(io: Io, values: { dir?: string | undefined; env?: string | undefined; json?: boolean | undefined }): Ctx {
  if (values.env !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(values.env)) {
    throw new UsageError(`--env "${values.env}" is not an environment name (letters, digits, _ . -).`);
  }
  return {
    io,
    dir: resolve(io.cwd, values.dir ?? DEFAULT_DIR),
    dirArg: values.dir,
    env: values.env ?? DEFAULT_ENV,
    envGiven: values.env !== undefined,
    json: values.json === true,
  };
}

/** A path for humans: relative to the working directory. */
export function show(ctx: Ctx, path: string): string {
  return relative(ctx.io.cwd, path) || '.';
}

/** A suggested command, with `--dir`/`--env` when they are not the defaults. */
export function command(ctx: Ctx, rest: string): string {
  const dirFlag = ctx.dirArg !== undefined && ctx.dirArg !== DEFAULT_DIR ? ` --dir ${quoteArg(ctx.dirArg)}` : '';
  const envFlag = ctx.env !== DEFAULT_ENV ? ` --env ${ctx.env}` : '';
  return `promptpin ${rest}${envFlag}${dirFlag}`;
}

/** Quotes a shell argument when it needs it. */
export function quoteArg(s: string): string {
  return /^[A-Za-z0-9_./@:+=%,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Everything the CLI reads from a prompts folder. */
export interface FolderState {
  readonly files: FolderFiles;
  readonly changelogText: string | undefined;
}

/** Largest file an edit reads back to compare (the largest a prompts folder holds). */
const MAX_EDIT_READ_BYTES = LIMITS.configFileChars * 4;

/**
 * Reads the folder (prompt files, release file, lock, changelog): regular files only, bounded, and
 * never through a link that leaves the folder (see {@link readFolder}).
 */
export async function loadFolder(ctx: Ctx): Promise<FolderState> {
  const files = await readFolder(ctx.dir);
  const changelogText = await readInsideOptional(ctx.dir, CHANGELOG_FILE, MAX_EDIT_READ_BYTES);
  return { files, changelogText };
}

/** Reads a regular file (bounded), or undefined when it does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  return readOptionalBounded(path, { maxBytes: MAX_EDIT_READ_BYTES });
}

/**
 * Refuses a change that would leave the folder invalid. Every problem is listed; problems that were
 * there before the change are said to be so.
 */
export function validateAfter(before: FolderFiles, after: FolderFiles, what: string): void {
  const result = checkFolder(after);
  if (result.issues.length === 0) return;
  const old = new Set(checkFolder(before).issues.map(formatIssue));
  const preexisting = result.issues.every((i) => old.has(formatIssue(i)));
  throw new ChangeRefused(
    preexisting
      ? `${what} would leave the prompts folder invalid, as it already is (${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}); fix ${result.issues.length === 1 ? 'it' : 'them'} first (promptpin check lists them).`
      : `${what} would leave the prompts folder invalid:`,
    result.issues,
  );
}

/** Who makes a change: `--author`, else `PROMPTPIN_AUTHOR`, else `git config user.name`. */
export function resolveAuthor(ctx: Ctx, flag: string | undefined): string | undefined {
  if (flag !== undefined && flag.trim() !== '') return flag.trim();
  const fromEnv = ctx.io.env.PROMPTPIN_AUTHOR?.trim();
  if (fromEnv) return fromEnv;
  const git = spawnSync('git', ['config', 'user.name'], { cwd: ctx.io.cwd, encoding: 'utf8', timeout: 5000, env: { ...ctx.io.env } });
  const name = git.status === 0 ? git.stdout.trim() : '';
  return name === '' ? undefined : name;
}

/** Like {@link resolveAuthor}, but refuses a change with no author. */
export function requireAuthor(ctx: Ctx, flag: string | undefined): string {
  const author = resolveAuthor(ctx, flag);
  if (author === undefined) {
    throw new ChangeRefused('a change needs an author. Pass --author NAME, set PROMPTPIN_AUTHOR, or set `git config user.name`.');
  }
  return author;
}

/**
 * Writes a file atomically and durably (see {@link writeFileAtomic}), creating its folder. For
 * outputs the user names (`build -o`, `types -o`); edits of the prompts folder go through
 * {@link writeChange}.
 */
export async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, text);
}

/** One file a change writes (see {@link writeChange}). */
export interface PlannedWrite {
  readonly path: string;
  readonly text: string;
  /** The file's text when the change was planned (read); undefined when it did not exist. */
  readonly expected: string | undefined;
  /** The file must not exist and is never overwritten (a new version). */
  readonly create?: boolean;
}

/** Options and test seams of {@link writeChange}. */
export interface WriteChangeHooks {
  /** Called right before each file is written (tests simulate a concurrent edit here). */
  readonly beforeWrite?: (path: string) => void | Promise<void>;
  /**
   * The prompts folder the change edits: its edit lock is held while the change is checked and
   * written, and no write may go through a symbolic link below it.
   * @defaultValue the deepest folder holding every written path
   */
  readonly folder?: string;
  /** Options of the folder lock (tests inject a clock and a wait). */
  readonly lock?: FolderLockOptions;
}

/** The deepest directory that holds every path. */
function commonFolder(paths: readonly string[]): string {
  let common = dirname(paths[0] ?? '.');
  for (const p of paths) {
    while (common !== dirname(common) && !(p === common || p.startsWith(common.endsWith(sep) ? common : `${common}${sep}`))) common = dirname(common);
  }
  return common;
}

/**
 * Writes the files of one change, in the order given, as close to all-or-nothing as a file system
 * allows, with the folder's edit lock held (see {@link withFolderLock}), so promptpin edits of one
 * folder never interleave:
 * - every path is checked to go through no symbolic link below the folder;
 * - every file is checked to still hold the bytes the change was computed from (or, with `create`,
 *   to be still absent) — a compare-and-swap against any edit since the read, promptpin's or a
 *   person's — before anything is written;
 * - each write is atomic and durable (temp file, fsync, rename, fsync of the directory) and
 *   re-checks its own file first;
 * - when a later write fails, the files already written are put back (only if they still hold what
 *   this change wrote, so a concurrent edit is never undone).
 * Callers order the writes so that, should a restore itself fail, the state left is the least
 * harmful one (each caller says why its order is what it is).
 *
 * @throws {ChangeRefused} EDIT_CONFLICT when a file changed since it was read (nothing written);
 * CHANGE_REFUSED when a write failed and an earlier one could not be put back (the message names
 * the files to check). {PromptError} FOLDER_LOCKED when another edit holds the lock too long;
 * UNSAFE_PATH when a path goes through a link.
 */
export async function writeChange(writes: readonly PlannedWrite[], hooks: WriteChangeHooks = {}): Promise<void> {
  const folder = hooks.folder ?? commonFolder(writes.map((w) => w.path));
  await withFolderLock(folder, () => writeLocked(folder, writes, hooks), hooks.lock);
}

async function writeLocked(folder: string, writes: readonly PlannedWrite[], hooks: WriteChangeHooks): Promise<void> {
  for (const w of writes) await assertWritableInside(folder, w.path);
  for (const w of writes) {
    const now = await readOptional(w.path);
    if (now === w.expected) continue;
    throw conflict(
      w.create
        ? `${w.path} already exists (a concurrent publish?). A version file is never overwritten; nothing was written. Re-run the command.`
        : `${basename(w.path)} changed since promptpin read it (another edit ran at the same time); nothing was written. Re-run the command.`,
    );
  }
  const done: PlannedWrite[] = [];
  for (const w of writes) {
    try {
      await hooks.beforeWrite?.(w.path);
      await writeOne(folder, w);
    } catch (err) {
      const stuck = await restore(folder, done);
      if (stuck.length === 0) throw err;
      const why = stripSuffixWithSpace(err instanceof Error ? err.message : String(err), 'Re-run the command.');
      throw new ChangeRefused(
        `the change was only partly written: ${why} ${stuck.map((f) => basename(f)).join(', ')} ${stuck.length === 1 ? 'was' : 'were'} already written and could not be put back. Compare the folder with git (git status, git diff) and finish or undo the change by hand.`,
        err instanceof ChangeRefused ? err.issues : [],
        { cause: err },
      );
    }
    done.push(w);
  }
}

/** Writes one planned file: re-checked, then created exclusively or replaced atomically. */
async function writeOne(folder: string, w: { path: string; text: string; expected: string | undefined; create?: boolean }): Promise<void> {
  await assertWritableInside(folder, w.path);
  await mkdir(dirname(w.path), { recursive: true });
  if (w.create) {
    try {
      await writeFileAtomic(w.path, w.text, { exclusive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw conflict(`${w.path} already exists (a concurrent publish?). A version file is never overwritten; re-run the command.`);
      }
      throw err;
    }
    return;
  }
  // The lock keeps promptpin edits apart; this re-check catches an editor or git writing meanwhile.
  if ((await readOptional(w.path)) !== w.expected) {
    throw conflict(`${basename(w.path)} changed while promptpin was editing it (another edit ran at the same time). Re-run the command.`);
  }
  await writeFileAtomic(w.path, w.text);
}

/** Puts back files a failed change wrote, newest first; returns the paths it could not put back. */
async function restore(folder: string, done: readonly PlannedWrite[]): Promise<string[]> {
  const stuck: string[] = [];
  for (const w of [...done].reverse()) {
    try {
      // Someone edited the file after this change wrote it: theirs wins, and it is reported.
      if ((await readOptional(w.path)) !== w.text) throw new Error('changed since written');
      if (w.expected === undefined) await unlink(w.path);
      else await writeOne(folder, { path: w.path, text: w.expected, expected: w.text });
    } catch {
      stuck.push(w.path);
    }
  }
  return stuck;
}

/**
 * {@link writeChange} for a verb: the folder is `ctx.dir`, and waiting for another edit's lock is
 * said on stderr.
 */
export async function writeFolderChange(ctx: Ctx, writes: readonly PlannedWrite[], hooks: WriteChangeHooks = {}): Promise<void> {
  await writeChange(writes, {
    folder: ctx.dir,
    ...hooks,
    lock: {
      onWait: (owner) =>
        ctx.io.err(`promptpin: waiting for another edit of ${show(ctx, ctx.dir)} to finish${owner ? ` (pid ${owner.pid} on ${owner.hostname})` : ''}…\n`),
      ...hooks.lock,
    },
  });
}

/** Paths of the folder's own files. */
export function paths(ctx: Ctx): { release: string; lock: string; changelog: string } {
  return { release: join(ctx.dir, RELEASE_FILE), lock: join(ctx.dir, LOCK_FILE), changelog: join(ctx.dir, CHANGELOG_FILE) };
}

/** Prints human text, or the JSON value with `--json`. */
export function emit(ctx: Ctx, human: string, json: unknown): void {
  if (ctx.json) ctx.io.out(`${JSON.stringify(json, null, 2)}\n`);
  else ctx.io.out(human.endsWith('\n') ? human : `${human}\n`);
}

/** Parses a positive version number argument. */
export function versionArg(text: string | undefined, what: string, usage: string): number {
  if (text === undefined) throw new UsageError(`missing ${what}.`, usage);
  const m = /^v?([1-9]\d*)$/.exec(text.trim());
  if (!m) throw new UsageError(`${what} "${text}" is not a version number (1, 2, 3, … or v3).`, usage);
  const n = Number(m[1]);
  const bad = versionNumberProblem(n);
  if (bad) throw new UsageError(`${what}: ${bad}.`, usage);
  return n;
}

/** Parses a percent argument (`10`, `12.5`, `50%`). */
export function percentArg(text: string | undefined, usage: string): number {
  if (text === undefined) throw new UsageError('missing percent.', usage);
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  if (!m) throw new UsageError(`${percentProblem(text)}.`, usage);
  return Number(m[1]);
}

/** Requires exactly `n` positionals. */
export function positionals(list: readonly string[], names: readonly string[], usage: string, optional = 0): string[] {
  const required = names.length - optional;
  if (list.length < required) throw new UsageError(`missing ${names.slice(list.length, required).map((n) => `<${n}>`).join(' ')}.`, usage);
  if (list.length > names.length) throw new UsageError(`unexpected argument "${list[names.length]}".`, usage);
  return [...list];
}

/** The versions of `name` present as files in the folder. */
export function versionNumbersOf(files: FolderFiles, name: string): number[] {
  const prefix = `${name}/`;
  const out: number[] = [];
  for (const f of files.promptFiles) {
    if (!f.path.startsWith(prefix)) continue;
    const m = /^([1-9]\d*)\.prompt$/.exec(f.path.slice(prefix.length));
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/** The text of `name/N.prompt`, if present. */
export function promptText(files: FolderFiles, name: string, version: number): string | undefined {
  return files.promptFiles.find((f) => f.path === `${name}/${version}.prompt`)?.text;
}

/** Lists the known versions for a message: `1, 2, 3` or `none`. */
export function knownList(nums: readonly number[]): string {
  return nums.length ? nums.join(', ') : 'none';
}
