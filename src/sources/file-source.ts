import { basename, dirname, join } from 'node:path';
import { missingArchived, parseVersionFile, versionFilePath } from '../registry/live.js';
import type { PromptVersion } from '../registry/types.js';
import { ErrorCode, PromptError, RegistryError } from '../errors.js';
import { watchDebounced } from '../internal/fs/watch.js';
import { LIMITS } from '../internal/safe-data.js';
import { parseRegistryText } from '../registry/compiled.js';
import { readBounded } from './folder-source.js';
import type { Source } from './source.js';

export { parseRegistryText } from '../registry/compiled.js';

/** A source reading a compiled registry JSON file (`promptpin build`), watched for changes. */
export function createFileSource(path: string, options: { readonly watch?: boolean; readonly debounceMs?: number } = {}): Source {
  const debounceMs = options.debounceMs ?? 50;
  return {
    description: `file ${path}`,
    async load() {
      let text: string;
      try {
        text = await readBounded(path, LIMITS.registryChars);
      } catch (err) {
        throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Cannot read registry file ${path}: ${(err as Error).message}. Build it with \`promptpin build -o ${path}\`.`, { cause: err });
      }
      if (text.trim() === '') {
        // What a non-atomic writer (truncate, then write) exposes for a moment: never "no registry".
        throw new RegistryError(ErrorCode.INVALID_CONFIG, [{ code: ErrorCode.INVALID_CONFIG, file: path, message: `the registry file is empty (${text.length} bytes): a writer may be replacing it. The last good registry keeps serving; write the new file beside it and rename it over (promptpin build -o does), then reload` }]);
      }
      return parseRegistryText(text, path);
    },
    async loadVersions(name, versions): Promise<readonly PromptVersion[]> {
      // A compiled index (promptpin build -o dir/) keeps archived versions in versions/<hex>.json.
      const out: PromptVersion[] = [];
      for (const { version, hash } of versions) {
        const file = join(dirname(path), versionFilePath(hash));
        let text: string;
        try {
          text = await readBounded(file, LIMITS.promptFileChars * 2);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missingArchived(name, version, file);
          throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Cannot read ${file}: ${(err as Error).message}. Check the compiled index folder.`, { cause: err });
        }
        out.push(parseVersionFile(text, name, version, hash, file));
      }
      return out;
    },
    watch(onChange) {
      if (options.watch === false) return () => {};
      const name = basename(path);
      // Watch the directory: writers usually replace the file (temp file + rename).
      return watchDebounced(dirname(path), { debounceMs, filter: (file) => file === null || file === name }, onChange);
    },
  };
}
