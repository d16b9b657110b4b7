import type { PromptVersion, Registry } from '../registry/types.js';

/**
 * Where a client reads its registry from. Built-in sources: a prompts folder, a compiled registry
 * JSON file, an `http(s)://` URL, and in-memory data. Implement this to read from anywhere else.
 */
export interface Source {
  /** Human-readable location, shown in `client.status()` and error messages. */
  readonly description: string;
  /**
   * Reads and validates the whole registry. Return the same `Registry` object (or one with the
   * same `revision`) when nothing changed.
   *
   * @throws {RegistryError} when the content is invalid; {PromptError} SOURCE_LOAD_FAILED when it cannot be read.
   */
  load(): Promise<Registry>;
  /**
   * Loads archived versions (see `PromptEntry.archived`) and verifies each against its
   * locked hash. Sources whose registries list no archived versions omit it.
   *
   * @throws {RegistryError} VERSION_IMMUTABLE when a file is missing or does not match its hash;
   * {PromptError} SOURCE_LOAD_FAILED when it cannot be read.
   */
  loadVersions?(name: string, versions: readonly { readonly version: number; readonly hash: string }[]): Promise<readonly PromptVersion[]>;
  /** Calls `onChange` whenever the content may have changed; returns a function that stops watching. */
  watch?(onChange: () => void): () => void;
  /** Fetch state shown in `client.status()`; sources that read local files omit it. */
  status?(): SourceStatus;
  /** Releases resources (timers, watchers). */
  close?(): Promise<void>;
}

/** What a polling source reports about its fetching (see {@link Source.status}). */
export interface SourceStatus {
  /** When the registry held was downloaded (the cache's record when served from it). */
  readonly fetchedAt: number | null;
  /** The registry came from the disk cache and is not yet confirmed by the origin. */
  readonly fromCache: boolean;
  /** Failed fetches since the last success. */
  readonly consecutiveFailures: number;
}

/** True when `value` looks like a {@link Source} (duck-typed: it has a `load` function). */
export function isSource(value: unknown): value is Source {
  return typeof value === 'object' && value !== null && typeof (value as { load?: unknown }).load === 'function';
}
