/**
 * Every error promptpin throws or reports has a stable `code`. Branch on `err.code` (or
 * {@link isPromptError}) rather than `instanceof`: an app that loads both the ESM and the CJS copy
 * of the package has two copies of each class.
 */
export const ErrorCode = {
  /** No prompt of that name exists in the registry. */
  PROMPT_NOT_FOUND: 'PROMPT_NOT_FOUND',
  /** The prompt exists but has no release in the client's environment. */
  PROMPT_NOT_RELEASED: 'PROMPT_NOT_RELEASED',
  /** A pinned or referenced version does not exist. */
  VERSION_NOT_FOUND: 'VERSION_NOT_FOUND',
  /**
   * The version exists (archived: released once, live nowhere now) but was not loaded at start:
   * `await client.preload(name, [version])` loads and verifies it against the lock first.
   */
  VERSION_NOT_LOADED: 'VERSION_NOT_LOADED',
  /** A released version's content no longer matches its locked hash (edited in place). */
  VERSION_IMMUTABLE: 'VERSION_IMMUTABLE',
  /** `render` was given missing, unknown or wrongly typed variables. */
  INVALID_VARIABLES: 'INVALID_VARIABLES',
  /** A template cannot be parsed, or its placeholders disagree with its declared variables. */
  INVALID_TEMPLATE: 'INVALID_TEMPLATE',
  /** A `{{> snippet}}` names a snippet (or a pinned snippet version) the folder does not have. */
  SNIPPET_NOT_FOUND: 'SNIPPET_NOT_FOUND',
  /** Snippets include each other in a cycle, or nest deeper than the limit, or expand past the size limit. */
  SNIPPET_CYCLE: 'SNIPPET_CYCLE',
  /** A `tools:` or `output_schema:` entry is not a valid JSON Schema (authoring checks). */
  INVALID_SCHEMA: 'INVALID_SCHEMA',
  /** Client options are invalid. */
  INVALID_OPTIONS: 'INVALID_OPTIONS',
  /** A prompt file, release file, lock file or compiled registry is invalid. */
  INVALID_CONFIG: 'INVALID_CONFIG',
  /** A name is not a safe prompt name (path traversal, control characters, …). */
  INVALID_NAME: 'INVALID_NAME',
  /** The source could not be read (missing folder, HTTP failure, timeout, oversized body, …). */
  SOURCE_LOAD_FAILED: 'SOURCE_LOAD_FAILED',
  /** The client was used after `close()`. */
  CLIENT_CLOSED: 'CLIENT_CLOSED',
  /** A telemetry component failed; reported through `onError`, never thrown to the caller. */
  TELEMETRY_FAILED: 'TELEMETRY_FAILED',
  /** A change to the prompts folder was refused (CLI and release-file edits). */
  CHANGE_REFUSED: 'CHANGE_REFUSED',
  /** A file of the prompts folder changed between the read and the write of an edit (a concurrent edit); nothing was written. */
  EDIT_CONFLICT: 'EDIT_CONFLICT',
  /**
   * The prompts folder is frozen (`promptpin freeze`, an incident): rollouts, ramps and promotions
   * are refused until `promptpin freeze --lift`. Rollbacks still work.
   */
  REGISTRY_FROZEN: 'REGISTRY_FROZEN',
  /** Another edit holds the prompts folder's edit lock for longer than the wait allows. */
  FOLDER_LOCKED: 'FOLDER_LOCKED',
  /** A path goes through a symbolic link that leaves the prompts folder (reads), or through any link (writes). */
  UNSAFE_PATH: 'UNSAFE_PATH',
  /** A path that must be a regular file is a FIFO, a device, a socket or a directory. */
  SPECIAL_FILE: 'SPECIAL_FILE',
  /**
   * A reload was refused because the new registry has none of the releases the serving one has in
   * the client's environment (an empty, comment-only or missing `promptpin.yaml` mid-write); the
   * last good registry keeps serving.
   */
  RELEASES_REMOVED: 'RELEASES_REMOVED',
  /**
   * Guard accounting failed (counting an outcome, judging a rollout, or the `onBreach` handler
   * threw); reported through `onError`, never thrown to the caller.
   */
  GUARD_FAILED: 'GUARD_FAILED',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const BRAND = Symbol.for('promptpin.error');

/** Base class of every promptpin error: a `code` plus a message that says what to do. */
export class PromptError extends Error {
  override name = 'PromptError';
  /** Stable machine-readable code; see {@link ErrorCode}. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** Where in the configuration a {@link RegistryError} was found. */
export interface RegistryErrorLocation {
  /** File (relative to the source root) or URL the problem is in. */
  readonly file?: string;
  /** 1-based line in that file, when known. */
  readonly line?: number;
  /** Prompt name. */
  readonly prompt?: string;
  /** Prompt version. */
  readonly version?: number;
  /** Field path, e.g. `environments.production.support-agent.rollout.expected`. */
  readonly field?: string;
}

/** One problem found while validating a registry. */
export interface RegistryIssue extends RegistryErrorLocation {
  /** What is wrong and how to fix it. */
  readonly message: string;
  /** The code this issue would carry alone (`INVALID_CONFIG`, `VERSION_IMMUTABLE`, …). */
  readonly code: ErrorCode;
}

/**
 * A prompts folder, release file, lock file or compiled registry is invalid, or could not be read.
 * `issues` lists every problem found (a load reports all of them, not just the first); the
 * top-level `file`/`prompt`/`version`/`field` are those of the first issue.
 */
export class RegistryError extends PromptError {
  override name = 'RegistryError';
  readonly issues: readonly RegistryIssue[];
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly prompt: string | undefined;
  readonly version: number | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode, issues: readonly RegistryIssue[], options?: { cause?: unknown }) {
    const first = issues[0];
    const message =
      issues.length === 1 && first
        ? formatIssue(first)
        : `${issues.length} problems in the prompt registry:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`;
    super(code, message, options);
    this.issues = Object.freeze(issues.map((i) => Object.freeze({ ...i })));
    this.file = first?.file;
    this.line = first?.line;
    this.prompt = first?.prompt;
    this.version = first?.version;
    this.field = first?.field;
  }
}

/** Formats one issue as `file:line (prompt vN, field): message`. */
export function formatIssue(issue: RegistryIssue): string {
  const where: string[] = [];
  if (issue.file) where.push(issue.line ? `${issue.file}:${issue.line}` : issue.file);
  const what: string[] = [];
  if (issue.prompt) what.push(issue.version !== undefined ? `${issue.prompt} v${issue.version}` : issue.prompt);
  if (issue.field) what.push(`field ${issue.field}`);
  const prefix = [where.join(''), what.length ? `(${what.join(', ')})` : ''].filter(Boolean).join(' ');
  return prefix ? `${prefix}: ${issue.message}` : issue.message;
}

/** One variable problem reported by {@link PromptRenderError}. */
export interface VariableIssue {
  /** The variable's name. */
  readonly variable: string;
  /** What is wrong, e.g. `missing (declared as string)`. */
  readonly message: string;
}

/** `render` (or `call`) was given variables that do not match the version's declaration. */
export class PromptRenderError extends PromptError {
  override name = 'PromptRenderError';
  readonly prompt: string;
  readonly version: number;
  readonly issues: readonly VariableIssue[];

  constructor(prompt: string, version: number, issues: readonly VariableIssue[], options?: { cause?: unknown }) {
    super(
      ErrorCode.INVALID_VARIABLES,
      `Invalid variables for "${prompt}" v${version}:\n${issues.map((i) => `  ✖ ${i.variable}: ${i.message}`).join('\n')}\nPass every required variable with its declared type; see the variables: block of the .prompt file.`,
      options,
    );
    this.prompt = prompt;
    this.version = version;
    this.issues = Object.freeze(issues.map((i) => Object.freeze({ ...i })));
  }
}

/** The requested prompt, release or version cannot be served. */
export class PromptNotFoundError extends PromptError {
  override name = 'PromptNotFoundError';
  readonly prompt: string;
  readonly version: number | undefined;

  constructor(
    code: typeof ErrorCode.PROMPT_NOT_FOUND | typeof ErrorCode.PROMPT_NOT_RELEASED | typeof ErrorCode.VERSION_NOT_FOUND | typeof ErrorCode.VERSION_NOT_LOADED,
    prompt: string,
    message: string,
    version?: number,
  ) {
    super(code, message);
    this.prompt = prompt;
    this.version = version;
  }
}

/** True for any error created by promptpin (works across ESM/CJS copies of the package). */
export function isPromptError(err: unknown): err is PromptError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * `err` itself when it is a {@link PromptError}; else a PromptError with `code` (default
 * SOURCE_LOAD_FAILED: the loads and fetches that can fail with anything), keeping `err` as cause.
 * @internal
 */
export function toPromptError(err: unknown, code: ErrorCode = ErrorCode.SOURCE_LOAD_FAILED): PromptError {
  if (isPromptError(err)) return err;
  return new PromptError(code, err instanceof Error ? err.message : String(err), { cause: err });
}
