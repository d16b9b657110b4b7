/**
 * The `CHANGELOG.md` format of a prompts folder: one Markdown table row per change, newest first.
 *
 * ```md
 * | Date | Author | Prompt | Env | Change | Why | Expected | Observed |
 * | --- | --- | --- | --- | --- | --- | --- | --- |
 * | 2026-11-20T15:00:00Z | ana | support-agent | production | rollout v4 at 10% (stable v3) | Shorter answers | Output length falls 10–20%. | |
 * ```
 *
 * The rules (a stable contract; `promptpin log --json` and any script may rely on them):
 *
 * - A change is one line that starts and ends with `|` and has exactly eight cells, in this order:
 *   date (ISO-8601 UTC with seconds, `2026-11-20T15:00:00Z`), author, prompt name, environment
 *   (empty for a `publish`, which is not tied to one), change, why, expected effect, observed outcome.
 * - The change cell starts with its action word: `publish`, `rollout`, `ramp`, `promote`,
 *   `rollback` (other words are kept as written).
 * - Inside a cell, `\` is written `\\` and `|` is written `\|` (GitHub renders both as the plain
 *   character); line breaks become spaces, so a change is always one line. Empty cells mean "none".
 * - New rows are inserted right below the table's separator row (newest first). Every other line
 *   (title, prose, a header row) is kept as is and ignored by the parser.
 *
 * Everything here is pure: text in, text out.
 */
import { ErrorCode, PromptError } from '../errors.js';
import { collapseLineBreaks, isCrOrLf } from '../internal/text.js';

/** The changelog's file name inside a prompts folder. */
export const CHANGELOG_FILE = 'CHANGELOG.md';

/** The table's column titles, in order. */
export const CHANGELOG_COLUMNS = ['Date', 'Author', 'Prompt', 'Env', 'Change', 'Why', 'Expected', 'Observed'] as const;

/** One change, as written in the changelog. */
export interface ChangelogEntry {
  /** ISO-8601 UTC time with seconds: `2026-11-20T15:00:00Z`. */
  readonly date: string;
  /** Who made the change. */
  readonly author: string;
  /** Prompt name. */
  readonly prompt: string;
  /** Environment the change applies to; empty for `publish`. */
  readonly environment: string;
  /** What changed, starting with the action word: `rollout v4 at 10% (stable v3)`. */
  readonly change: string;
  /** Why: the version's message, the rollback reason, … */
  readonly why: string;
  /** The expected effect (a rollout's `expected` note and guards). */
  readonly expected: string;
  /** The observed outcome, recorded later with `promptpin outcome`. */
  readonly observed: string;
}

/** A parsed changelog row: the entry, its action word and its 1-based line in the file. */
export interface ParsedChangelogEntry extends ChangelogEntry {
  /** The first word of `change`: `publish`, `rollout`, `ramp`, `promote`, `rollback`, … */
  readonly action: string;
  /** 1-based line number in `CHANGELOG.md`. */
  readonly line: number;
}

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const SEPARATOR_CELL = /^:?-{3,}:?$/;

const HEADER = [
  '# Prompt changelog',
  '',
  'One line per change, newest first, written by `promptpin` (publish, rollout, ramp, promote, rollback).',
  'Record what happened after a change with `promptpin outcome <prompt> "…"`. Do not reorder the columns.',
  '',
].join('\n');

/** Formats a time as the changelog's date: ISO-8601 UTC, whole seconds. */
export function changelogDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function escapeCell(text: string): string {
  // One pass, not /\s*[\r\n]+\s*/g: that expression backtracked quadratically on long runs of spaces.
  return collapseLineBreaks(text, isCrOrLf)
    .trim()
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|');
}

function row(cells: readonly string[]): string {
  return `|${cells
    .map((c) => {
      const e = escapeCell(c);
      return e === '' ? ' ' : ` ${e} `;
    })
    .join('|')}|`;
}

/** The table's header and separator rows. */
export function changelogTableHeader(): string {
  return `${row(CHANGELOG_COLUMNS)}\n${row(CHANGELOG_COLUMNS.map(() => '---'))}`;
}

/**
 * Formats one change as a changelog row.
 *
 * @throws {PromptError} CHANGE_REFUSED when the date is not ISO-8601 UTC with seconds, or author,
 * prompt or change is empty.
 */
export function formatChangelogEntry(entry: ChangelogEntry): string {
  if (!ISO_SECONDS.test(entry.date)) {
    throw new PromptError(ErrorCode.CHANGE_REFUSED, `Changelog date "${entry.date}" is not ISO-8601 UTC with seconds (2026-11-20T15:00:00Z). Format it with changelogDate().`);
  }
  for (const key of ['author', 'prompt', 'change'] as const) {
    if (entry[key].trim() === '') throw new PromptError(ErrorCode.CHANGE_REFUSED, `A changelog entry needs a ${key}. Say who changed what.`);
  }
  return row([entry.date, entry.author, entry.prompt, entry.environment, entry.change, entry.why, entry.expected, entry.observed]);
}

/** Splits a table row into unescaped, trimmed cells; null when the line is not a table row. */
function splitRow(line: string): string[] | null {
  const t = line.trim();
  if (!t.startsWith('|') || !t.endsWith('|') || t.length < 2) return null;
  const cells: string[] = [];
  let cur = '';
  for (let i = 1; i < t.length; i++) {
    const ch = t[i]!;
    if (ch === '\\' && i + 1 < t.length) {
      cur += t[i + 1];
      i++;
    } else if (ch === '|') {
      cells.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  // A row ends with an unescaped `|`; anything after it means the line was not a complete row.
  return cur.trim() === '' ? cells : null;
}

/** Parses one line; null when it is not a change row (title, prose, header, separator). */
export function parseChangelogLine(line: string, lineNumber = 0): ParsedChangelogEntry | null {
  const cells = splitRow(line);
  if (!cells || cells.length !== CHANGELOG_COLUMNS.length) return null;
  const [date, author, prompt, environment, change, why, expected, observed] = cells as [string, string, string, string, string, string, string, string];
  if (!ISO_SECONDS.test(date) || Number.isNaN(Date.parse(date))) return null;
  return { date, author, prompt, environment, change, why, expected, observed, action: change.split(/\s+/)[0] ?? '', line: lineNumber };
}

/** Parses every change row of a changelog, in file order (newest first when written by promptpin). */
export function parseChangelog(text: string | undefined): ParsedChangelogEntry[] {
  if (!text) return [];
  const out: ParsedChangelogEntry[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const e = parseChangelogLine(line, i + 1);
    if (e) out.push(e);
  });
  return out;
}

function isSeparatorRow(line: string): boolean {
  const cells = splitRow(line);
  return cells !== null && cells.length === CHANGELOG_COLUMNS.length && cells.every((c) => SEPARATOR_CELL.test(c));
}

/**
 * Returns the changelog text with `entry` added as the newest row (right below the separator row).
 * Creates the file's title and table when `text` is empty or has no changelog table.
 */
export function addChangelogEntry(text: string | undefined, entry: ChangelogEntry): string {
  const newRow = formatChangelogEntry(entry);
  if (text === undefined || text.trim() === '') return `${HEADER}\n${changelogTableHeader()}\n${newRow}\n`;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const sep = lines.findIndex(isSeparatorRow);
  if (sep === -1) {
    const body = text.endsWith('\n') ? text : `${text}${eol}`;
    return `${body}${eol}${changelogTableHeader().replace(/\n/g, eol)}${eol}${newRow}${eol}`;
  }
  lines.splice(sep + 1, 0, newRow);
  return lines.join(eol);
}

/** Which entry is the latest change of a prompt: the newest date; on a tie, the one higher in the file. */
export function latestChangelogEntry(
  entries: readonly ParsedChangelogEntry[],
  prompt: string,
  environment?: string,
): ParsedChangelogEntry | undefined {
  let best: ParsedChangelogEntry | undefined;
  for (const e of entries) {
    if (e.prompt !== prompt) continue;
    if (environment !== undefined && e.environment !== '' && e.environment !== environment) continue;
    if (!best || Date.parse(e.date) > Date.parse(best.date)) best = e;
  }
  return best;
}

/**
 * Records the observed outcome on the latest change of `prompt` (optionally, the latest in
 * `environment`; publish rows, which have no environment, always count). Replaces an outcome
 * recorded before.
 *
 * @throws {PromptError} CHANGE_REFUSED when the changelog has no change of that prompt, or the
 * outcome is empty.
 */
export function setChangelogOutcome(
  text: string | undefined,
  prompt: string,
  observed: string,
  environment?: string,
): { readonly text: string; readonly entry: ParsedChangelogEntry; readonly previous: string } {
  if (observed.trim() === '') {
    throw new PromptError(ErrorCode.CHANGE_REFUSED, `The outcome for "${prompt}" is empty. Say what was observed, e.g. "Output tokens -14%, refusals flat after 3 days".`);
  }
  const entries = parseChangelog(text);
  const latest = latestChangelogEntry(entries, prompt, environment);
  if (!text || !latest) {
    throw new PromptError(ErrorCode.CHANGE_REFUSED, `The changelog has no change of "${prompt}"${environment ? ` in ${environment}` : ''} to record an outcome on. Changes are logged by promptpin publish, rollout, ramp, promote and rollback.`);
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const updated: ParsedChangelogEntry = { ...latest, observed: observed.trim() };
  lines[latest.line - 1] = formatChangelogEntry(updated);
  return { text: lines.join(eol), entry: updated, previous: latest.observed };
}
