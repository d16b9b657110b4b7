/** The one lock that serializes edits of a prompts folder across processes and machines. */
import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { lstat, unlink } from 'node:fs/promises';
import { ErrorCode, PromptError } from '../../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { readFileBounded } from './read-file.js';

/** The lock file inside the prompts folder (hidden: never read as part of the folder). */
export const FOLDER_LOCK_FILE = '.promptpin-edit.lock';

/** What a lock file holds. */
export interface FolderLockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** When the lock was taken, epoch ms (the owner's clock). */
  readonly startedAt: number;
  /** Random, so a release removes only its own lock. */
  readonly token: string;
}

/** Options of {@link withFolderLock}. */
export interface FolderLockOptions {
  /** How long to wait for a lock another edit holds before failing. @defaultValue 10_000 ms */
  readonly waitMs?: number;
  /**
   * A lock older than this is stale and taken over, whoever holds it (edits hold the lock for the
   * few milliseconds of their writes). @defaultValue 30_000 ms
   */
  readonly staleMs?: number;
  /** Clock, epoch ms. @defaultValue Date.now */
  readonly now?: () => number;
  /** Waits between attempts. @defaultValue a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called once when the lock is held by someone else and this edit starts waiting. */
  readonly onWait?: (owner: FolderLockOwner | undefined) => void;
  /** Whether `pid` runs on this host. @defaultValue process.kill(pid, 0) */
  readonly isAlive?: (pid: number) => boolean;
  /** This host's name. @defaultValue os.hostname() */
  readonly hostname?: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): FolderLockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<FolderLockOwner>;
    if (typeof v.pid === 'number' && typeof v.hostname === 'string' && typeof v.startedAt === 'number' && typeof v.token === 'string') {
      return { pid: v.pid, hostname: v.hostname, startedAt: v.startedAt, token: v.token };
    }
  } catch {
    // Unreadable: judged by the file's age below.
  }
  return undefined;
}

/** The lock's owner and the file's own age stamp, or undefined when there is no lock. */
async function inspect(file: string): Promise<{ owner: FolderLockOwner | undefined; mtimeMs: number } | undefined> {
  try {
    const info = await lstat(file);
    let owner: FolderLockOwner | undefined;
    try {
      owner = parseOwner(await readFileBounded(file, { maxBytes: 4096 }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    }
    return { owner, mtimeMs: info.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function describeOwner(owner: FolderLockOwner | undefined, now: number): string {
  if (!owner) return 'an unreadable lock';
  return `pid ${owner.pid} on ${owner.hostname}, for ${Math.max(0, Math.round((now - owner.startedAt) / 1000))} s`;
}

/**
 * Runs `fn` while holding the edit lock of the prompts folder `dir`: the file
 * {@link FOLDER_LOCK_FILE}, created atomically with its owner (pid, host, start time, token). A
 * lock held by another edit is waited for up to `waitMs`. A lock is stale, and taken over, when its
 * owner is a process of this host that no longer runs, or when it is older than `staleMs`. Taking
 * over goes through a second lock (`<lock>.break`) so two processes never both break and retake.
 * The lock is released (only if it is still this edit's) when `fn` settles.
 *
 * @throws {PromptError} FOLDER_LOCKED when the lock stays held past `waitMs`.
 */
export async function withFolderLock<T>(dir: string, fn: () => Promise<T>, options: FolderLockOptions = {}): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const waitMs = options.waitMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const isAlive = options.isAlive ?? pidAlive;
  const host = options.hostname ?? osHostname();
  const file = join(dir, FOLDER_LOCK_FILE);
  const mine: FolderLockOwner = { pid: process.pid, hostname: host, startedAt: now(), token: randomBytes(8).toString('hex') };
  const start = now();
  let waited = false;
  let delay = 5;
  for (;;) {
    if (await tryCreate(file, { ...mine, startedAt: now() })) break;
    const seen = await inspect(file);
    if (seen === undefined) continue; // released meanwhile: try again at once
    const t = now();
    const age = t - (seen.owner?.startedAt ?? seen.mtimeMs);
    const dead = seen.owner !== undefined && seen.owner.hostname === host && seen.owner.pid !== process.pid && !isAlive(seen.owner.pid);
    if (dead || age > staleMs) {
      await breakStale(file, seen.owner, t, staleMs);
      continue;
    }
    if (t - start >= waitMs) {
      throw new PromptError(
        ErrorCode.FOLDER_LOCKED,
        `The prompts folder ${dir} is being edited by another promptpin (${describeOwner(seen.owner, t)}); waited ${waitMs} ms. Re-run the command when it is done; if no edit is running, delete ${file}.`,
      );
    }
    if (!waited) {
      waited = true;
      options.onWait?.(seen.owner);
    }
    await sleep(delay + Math.floor(Math.random() * delay));
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await fn();
  } finally {
    await release(file, mine.token);
  }
}

/** Creates the lock file with `owner`, atomically; false when a lock exists. */
async function tryCreate(file: string, owner: FolderLockOwner): Promise<boolean> {
  try {
    // exclusive: link(2) of a complete temp file, so a lock file is never seen half-written.
    await writeFileAtomic(file, JSON.stringify(owner), { exclusive: true, durable: false });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new PromptError(ErrorCode.CHANGE_REFUSED, `Cannot create the edit lock ${file}: ${(err as Error).message}. Check that the prompts folder exists and is writable.`, { cause: err });
  }
}

/**
 * Removes a stale lock, under `<lock>.break` so that only one process judges and removes it (two
 * processes removing "the stale lock" could otherwise remove a fresh one the other just took).
 */
async function breakStale(file: string, judged: FolderLockOwner | undefined, t: number, staleMs: number): Promise<void> {
  const breaker = `${file}.break`;
  const token = randomBytes(8).toString('hex');
  if (!(await tryCreate(breaker, { pid: process.pid, hostname: osHostname(), startedAt: t, token }))) {
    // Another process is breaking it; a breaker itself left behind by a crash is removed once old.
    const b = await inspect(breaker);
    if (b && t - (b.owner?.startedAt ?? b.mtimeMs) > staleMs) await unlink(breaker).catch(() => {});
    return;
  }
  try {
    const again = await inspect(file);
    // Remove only the lock that was judged stale, not one taken since.
    if (again && again.owner?.token === judged?.token) await unlink(file).catch(() => {});
  } finally {
    await release(breaker, token);
  }
}

async function release(file: string, token: string): Promise<void> {
  const seen = await inspect(file).catch(() => undefined);
  if (seen?.owner?.token === token) await unlink(file).catch(() => {});
}
