/** The one debounced file watcher of promptpin (folder and file sources). */
import { watch as fsWatch, type FSWatcher } from 'node:fs';

/** Options of {@link watchDebounced}. */
export interface WatchDebouncedOptions {
  /** Quiet period after the last event before `onChange` runs, in ms. */
  readonly debounceMs: number;
  /** Watch the whole tree under the path. @defaultValue false */
  readonly recursive?: boolean;
  /**
   * Which events count, by the file name the event names (relative to the watched path; null when
   * the platform does not say). @defaultValue every event
   */
  readonly filter?: (file: string | null) => boolean;
}

/**
 * Calls `onChange` once the path has been quiet for `debounceMs` after an event. The watcher never
 * keeps the process alive, its errors are ignored (a reload can always be asked for), and a path
 * that cannot be watched (recursive watching unsupported, missing folder) watches nothing.
 * Returns the function that stops watching.
 */
export function watchDebounced(path: string, options: WatchDebouncedOptions, onChange: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let stopped = false;
  const fire = (_event: string, file: string | Buffer | null): void => {
    if (stopped) return;
    const name = file === null ? null : file.toString();
    if (options.filter && !options.filter(name)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!stopped) onChange();
    }, options.debounceMs);
    timer.unref?.();
  };
  try {
    watcher = fsWatch(path, { recursive: options.recursive ?? false, persistent: false }, fire);
    watcher.on('error', () => {});
  } catch {
    // Not watchable here: reload() still works.
  }
  return () => {
    stopped = true;
    clearTimeout(timer);
    watcher?.close();
  };
}

/**
 * True when a watch event names a hidden entry (promptpin's temp files and edit lock, `.git`): a
 * change there is never a prompt change by itself.
 */
export function isHiddenPath(file: string | null): boolean {
  return file !== null && file.split(/[\\/]/).some((part) => part.startsWith('.'));
}
