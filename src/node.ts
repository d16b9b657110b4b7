/**
 * promptpin for Node (the `node` export condition of `promptpin`, also `promptpin/node`): the
 * runtime plus prompts-folder and compiled-file sources, `{ files }` data, fallbacks as `.prompt`
 * text and the URL source's disk cache (`cacheDir`).
 * @packageDocumentation
 */
import { installNode } from './node/install.js';

installNode();

export * from './index.js';
export { createFileSource } from './sources/file-source.js';
export { createFolderSource } from './sources/folder-source.js';
export type { FolderSourceOptions } from './sources/folder-source.js';
