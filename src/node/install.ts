import { installNodeHooks } from '../sources/node-hooks.js';
import { parsePromptFile } from '../registry/prompt-file.js';
import { compileFolder, folderFilesOf } from '../registry/registry.js';
import { diskCacheStore } from '../sources/disk-cache.js';
import { createFileSource } from '../sources/file-source.js';
import { createFolderSource } from '../sources/folder-source.js';

/** Plugs the Node features (paths, `{ files }`, `.prompt` text, the disk cache) into the runtime. */
export function installNode(): void {
  installNodeHooks({
    sourceFromPath: (path, { watch }) => (path.endsWith('.json') ? createFileSource(path, { watch }) : createFolderSource(path, { watch })),
    registryFromFiles: (files) => compileFolder(folderFilesOf(files)),
    parsePromptText: parsePromptFile,
    diskCache: diskCacheStore,
  });
}
