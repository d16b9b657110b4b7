import { installNodeHooks } from '../sources/node-hooks.js';
import { LOCK_FILE } from '../registry/lock.js';
import { parsePromptFile } from '../registry/prompt-file.js';
import { compileFolder } from '../registry/registry.js';
import { RELEASE_FILE } from '../registry/release.js';
import { diskCacheStore } from '../sources/disk-cache.js';
import { createFileSource } from '../sources/file-source.js';
import { createFolderSource } from '../sources/folder-source.js';

/** Plugs the Node features (paths, `{ files }`, `.prompt` text, the disk cache) into the runtime. */
export function installNode(): void {
  installNodeHooks({
    sourceFromPath: (path, { watch }) => (path.endsWith('.json') ? createFileSource(path, { watch }) : createFolderSource(path, { watch })),
    registryFromFiles(files) {
      const promptFiles: { path: string; text: string }[] = [];
      let releaseText: string | undefined;
      let lockText: string | undefined;
      for (const [path, text] of Object.entries(files)) {
        if (path === RELEASE_FILE) releaseText = text;
        else if (path === LOCK_FILE) lockText = text;
        else if (path.endsWith('.prompt')) promptFiles.push({ path, text });
      }
      return compileFolder({ promptFiles, ...(releaseText !== undefined ? { releaseText } : {}), ...(lockText !== undefined ? { lockText } : {}) });
    },
    parsePromptText: parsePromptFile,
    diskCache: diskCacheStore,
  });
}
