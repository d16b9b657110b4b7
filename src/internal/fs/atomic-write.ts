/** The one atomic, durable file write of promptpin (CLI edits, build outputs, the URL disk cache). */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /**
   * The target must not exist; it is created with link(2), which fails with EEXIST rather than
   * replace a file (a released version is never overwritten, even by a racing writer).
   * @defaultValue false
   */
  readonly exclusive?: boolean;
  /** Mode of a new file. @defaultValue 0o666 (less the umask) */
  readonly mode?: number;
  /** fsync the file before the rename and the directory after it. @defaultValue true */
  readonly durable?: boolean;
  /** Test seam: runs after the temp file is written, before it is renamed or linked. */
  readonly beforeCommit?: (tmp: string) => void | Promise<void>;
}

/** The hidden temp file names {@link writeFileAtomic} uses next to `path`: `.<name>.<pid>.<hex>.tmp`. */
export function isAtomicTempName(name: string): boolean {
  return /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/.test(name);
}

/**
 * Writes `data` to `path` so that readers see the old file or the new one, never part of one, and
 * the new one survives a power cut once this resolves: a temp file in the same directory created
 * with O_EXCL (never follows a link planted at its name), written, fsynced, then renamed over
 * `path` (or linked, with `exclusive`), then the directory fsynced. On any failure the temp file is
 * removed and the error of the failing step is thrown as it is (EEXIST with `exclusive`).
 * The directory must exist.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const durable = options.durable ?? true;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await open(tmp, 'wx', options.mode ?? 0o666);
    created = true;
    try {
      await handle.writeFile(data);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeCommit?.(tmp);
    if (options.exclusive) {
      await link(tmp, path);
      await unlink(tmp);
    } else {
      await rename(tmp, path);
    }
    created = false;
  } catch (err) {
    if (created) await unlink(tmp).catch(() => {});
    throw err;
  }
  if (durable) await syncDirectory(dir);
}

/**
 * fsyncs a directory so a rename or unlink in it is on disk. Platforms that cannot open or sync a
 * directory (Windows) are skipped: there the rename is as durable as the OS makes it.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF' && code !== 'ENOTSUP') throw err;
  } finally {
    await handle?.close().catch(() => {});
  }
}
