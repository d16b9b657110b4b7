/** Prompt-name rules. Names become folder paths, so they are checked before any file is touched. */

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Longest accepted prompt name, in characters. */
export const MAX_NAME_LENGTH = 200;

/**
 * Returns why `name` is not a valid prompt name, or `null` when it is valid.
 *
 * A name is one or more `/`-separated segments; each segment starts with a letter or digit and
 * continues with letters, digits, `_`, `.` or `-`. So `..`, absolute paths, backslashes, empty
 * segments, whitespace and control characters are all refused.
 */
export function nameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'a prompt name must be a non-empty string';
  if (name.length > MAX_NAME_LENGTH) return `a prompt name is at most ${MAX_NAME_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a prompt name must not contain control characters';
  if (name.includes('\\')) return 'a prompt name must not contain a backslash (use / between segments)';
  if (name.startsWith('/')) return 'a prompt name must not be an absolute path';
  for (const segment of name.split('/')) {
    if (segment === '..' || segment === '.') return 'a prompt name must not contain "." or ".." segments';
    if (!SEGMENT.test(segment)) {
      return `segment "${segment}" is not allowed: use letters, digits, "_", "." and "-", starting with a letter or digit`;
    }
  }
  return null;
}

/** True when `name` is a valid prompt name (see {@link nameProblem}). */
export function isValidName(name: unknown): name is string {
  return nameProblem(name) === null;
}
