import { ErrorCode, PromptError } from '../errors.js';
import { nodeHook } from './node-hooks.js';
import { parseCompiledRegistry, type CompiledRegistry } from '../registry/compiled.js';
import type { Registry } from '../registry/types.js';
import type { Source } from './source.js';

/** In-memory registry data: the files of a prompts folder by relative path, or a compiled registry. */
export type MemorySourceData = { readonly files: Readonly<Record<string, string>> } | CompiledRegistry;

/** A {@link Source} over in-memory data; `set` replaces it and notifies watching clients. */
export interface MemorySource extends Source {
  /** Replaces the data; clients reload it (and keep the last good registry if it is invalid). */
  set(data: MemorySourceData): void;
}

/** Compiles in-memory data to a registry. @throws {RegistryError} */
export function registryFromData(data: MemorySourceData): Registry {
  if ('files' in data) return nodeHook('In-memory folder files ({ files })').registryFromFiles(data.files);
  return parseCompiledRegistry(data, 'memory');
}

/**
 * Creates an in-memory source (tests, embedded registries).
 *
 * @example
 * const source = createMemorySource({ files: { 'greet/1.prompt': '---\nmodel: m\n---\nHi', 'promptpin.yaml': 'environments: { production: { greet: { stable: 1 } } }' } });
 */
export function createMemorySource(data: MemorySourceData): MemorySource {
  let current = data;
  const listeners = new Set<() => void>();
  return {
    description: 'memory',
    load() {
      try {
        return Promise.resolve(registryFromData(current));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new PromptError(ErrorCode.SOURCE_LOAD_FAILED, String(err)));
      }
    },
    watch(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    set(next) {
      current = next;
      for (const l of [...listeners]) l();
    },
  };
}
