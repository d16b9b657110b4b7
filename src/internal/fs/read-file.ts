/** The one way promptpin reads a file from a prompts folder, a registry file or the disk cache. */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { ErrorCode, PromptError } from '../../errors.js';

/** Bytes asked for per read after the first one. */
const CHUNK_BYTES = 64 * 1024;

/** Options of {@link readFileBounded}. */
export interface ReadFileBoundedOptions {
  /** Largest accepted file, in bytes; one more byte and the read stops with an error. */
  readonly maxBytes: number;
  /**
   * The error for a file over the limit; `detail` is `is N bytes` or `grew past N bytes while being
   * read`. @defaultValue a SOURCE_LOAD_FAILED naming the path and the limit
   */
  readonly tooLarge?: (detail: string) => PromptError;
  /** The error for a path that is not a regular file; `kind` is `a FIFO`, `a directory`, …. */
  readonly notRegular?: (kind: string) => PromptError;
}

/** What a non-regular file is, for messages. */
export function fileKind(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads a regular file as UTF-8, at most `maxBytes`. The file is opened non-blocking (a FIFO never
 * waits for a writer), the open handle is checked to be a regular file (a FIFO, a device such as
 * /dev/urandom, a socket or a directory is refused), and the limit is enforced while reading: at
 * most `maxBytes + 1` bytes are ever read, whatever the size said (the file may grow meanwhile).
 *
 * @throws {PromptError} SPECIAL_FILE when the path is not a regular file; SOURCE_LOAD_FAILED (or
 * the `tooLarge` error) when it is over the limit. Errors of `open` itself (ENOENT, EACCES, …) are
 * thrown as they are, so callers can tell a missing file from a bad one.
 */
export async function readFileBounded(path: string, options: ReadFileBoundedOptions): Promise<string> {
  const { maxBytes } = options;
  const tooLarge = (detail: string): PromptError =>
    options.tooLarge?.(detail) ??
    new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `${path} ${detail}; the limit is ${maxBytes} bytes. A prompts folder holds small text files: check what this file is.`);
  // O_NONBLOCK changes nothing for regular files; it only keeps open() of a FIFO from waiting.
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      const kind = fileKind(info);
      throw (
        options.notRegular?.(kind) ??
        new PromptError(ErrorCode.SPECIAL_FILE, `${path} is ${kind}, not a regular file: promptpin reads only regular files. Replace it with the file itself.`)
      );
    }
    if (info.size > maxBytes) throw tooLarge(`is ${info.size} bytes`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // The first read asks for the whole file plus one byte (to see its end in one call).
      const want = Math.min(total === 0 ? info.size + 1 : CHUNK_BYTES, maxBytes + 1 - total);
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(`grew past ${maxBytes} bytes while being read`);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Like {@link readFileBounded}, but undefined when the file does not exist. */
export async function readOptionalBounded(path: string, options: ReadFileBoundedOptions): Promise<string | undefined> {
  try {
    return await readFileBounded(path, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
