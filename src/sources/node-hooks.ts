import { ErrorCode, PromptError } from '../errors.js';
import type { Registry } from '../registry/types.js';
import type { ParsePromptFileResult } from '../registry/version.js';
import type { Source } from './source.js';
import type { UrlCacheStore } from './url-cache.js';

/**
 * What only Node can do, plugged into the runtime by the Node entry (`src/node.ts`, picked by the
 * `node` export condition) when it loads. The runtime entry stays free of `node:*`, YAML and the
 * authoring code, so it bundles for browsers and edge runtimes; in Node, `PromptClient.create({
 * source: './prompts' })` still works because the Node entry installed these.
 * @internal
 */
export interface NodeHooks {
  /** A folder or compiled-registry file source for a path. */
  sourceFromPath(path: string, options: { readonly watch: boolean }): Source;
  /** Compiles in-memory folder files (`{ files }`). */
  registryFromFiles(files: Readonly<Record<string, string>>): Registry;
  /** Parses the text of a `.prompt` file (fallbacks given as text). */
  parsePromptText(text: string, name: string, version: number, file: string): ParsePromptFileResult;
  /** The disk cache of a URL source with `cacheDir`. */
  diskCache(cacheDir: string, href: string): UrlCacheStore;
}

let installed: NodeHooks | undefined;

/** Installs the Node features (called once by the Node entry). @internal */
export function installNodeHooks(hooks: NodeHooks): void {
  installed = hooks;
}

/**
 * The Node features, or a clear error naming `feature` where they are not available.
 * @throws {PromptError} INVALID_OPTIONS outside Node.
 * @internal
 */
export function nodeHook(feature: string): NodeHooks {
  if (installed === undefined) {
    throw new PromptError(
      ErrorCode.INVALID_OPTIONS,
      `${feature} needs Node.js (file system, YAML): it is not available in this runtime (browser, edge, worker). Pass a compiled registry (promptpin build) as an object, an https:// URL, or a Source; or run in Node, where import 'promptpin' resolves to the Node entry.`,
    );
  }
  return installed;
}
