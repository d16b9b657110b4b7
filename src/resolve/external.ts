/** Checks a version chosen by another system (slice `external`). Pure. */
import { ErrorCode, PromptError, PromptNotFoundError } from '../errors.js';

/** A version chosen by another system (a feature-flag service, an experiment platform). */
export interface ExternalSelection {
  /** The version: a number, or what a flag returned (`"3"`, `"v3"`, `"support-agent@3"`). */
  readonly version: number | string;
  /**
   * The system that chose it, stamped as `prompt.selector`: low-cardinality, 1–64 characters of
   * letters, digits, `.`, `_`, `-` (e.g. `launchdarkly`, `growthbook`, `statsig`, `openfeature`).
   */
  readonly source: string;
}

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_SHOWN = 80;

/** Quoted, cut to a readable length (a flag may return anything). */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text);
}

/** The version number a flag value names for prompt `name`, or undefined when it names none. */
export function parseExternalVersion(name: string, value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || value.length > name.length + 32) return undefined;
  let text = value.trim();
  const at = text.lastIndexOf('@');
  if (at >= 0) {
    if (text.slice(0, at) !== name) return undefined;
    text = text.slice(at + 1);
  }
  if (text.startsWith('v') || text.startsWith('V')) text = text.slice(1);
  if (!/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Checks a selection against the versions the registry holds for `name` (`null`: no registry is
 * loaded, only fallbacks, which are never served as `external`).
 *
 * @throws {PromptError} INVALID_OPTIONS for a bad `source`.
 * @throws {PromptNotFoundError} VERSION_NOT_FOUND when the value names no version of the registry.
 */
export function externalVersion(
  name: string,
  selection: ExternalSelection,
  known: readonly number[] | null,
  caller: (...args: never[]) => unknown,
): { version: number; source: string } {
  const fail = (err: PromptError): never => {
    Error.captureStackTrace?.(err, caller);
    throw err;
  };
  if (typeof selection !== 'object' || selection === null) {
    return fail(new PromptError(ErrorCode.INVALID_OPTIONS, `External selection for "${name}" must be { version, source }. Pass the version your flag returned and the system's name.`));
  }
  const source = selection.source;
  if (typeof source !== 'string' || !SOURCE.test(source)) {
    return fail(
      new PromptError(
        ErrorCode.INVALID_OPTIONS,
        `External selection for "${name}" has source ${shown(source)}: it must be 1-64 letters, digits, ".", "_" or "-". Name the selecting system, e.g. "launchdarkly".`,
      ),
    );
  }
  const version = parseExternalVersion(name, selection.version);
  if (known === null) {
    return fail(
      new PromptNotFoundError(
        ErrorCode.VERSION_NOT_FOUND,
        name,
        `Prompt "${name}" cannot serve ${source}'s version ${shown(selection.version)}: no registry is loaded (only fallbacks). Serve client.get("${name}") until the registry loads.`,
        version,
      ),
    );
  }
  if (version === undefined || !known.includes(version)) {
    const list = [...known].sort((a, b) => a - b);
    const hint = list.length > 12 ? `${list.slice(0, 12).join(', ')}, …` : list.join(', ') || 'none';
    return fail(
      new PromptNotFoundError(
        ErrorCode.VERSION_NOT_FOUND,
        name,
        `Prompt "${name}" has no locked version ${shown(selection.version)} chosen by ${source} (known: ${hint}). Make the flag return a published version (a number, "v3" or "${name}@3"), or publish it first.`,
        version,
      ),
    );
  }
  return { version, source };
}
