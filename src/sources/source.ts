import type { Registry } from '../registry/types.js';

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
  /** Calls `onChange` whenever the content may have changed; returns a function that stops watching. */
  watch?(onChange: () => void): () => void;
  /** Releases resources (timers, watchers). */
  close?(): Promise<void>;
}

/** True when `value` looks like a {@link Source} (duck-typed: it has a `load` function). */
export function isSource(value: unknown): value is Source {
  return typeof value === 'object' && value !== null && typeof (value as { load?: unknown }).load === 'function';
}
