/** `promptpin log [name] [--since 48h|7d|DATE]`: the changelog, newest first. */
import { oneLine } from '../internal/terminal.js';
import { parseChangelog, type ParsedChangelogEntry } from '../registry/changelog.js';
import { parseDuration } from '../registry/release.js';
import { COMMON_OPTIONS, command, emit, loadFolder, UsageError, type Ctx } from '../edit/context.js';
import { defineVerb } from './verb.js';

/** Usage of `log`. */
export const LOG_USAGE = `promptpin log [name] [--since 48h|7d|2026-11-20] [--env ENV] [--dir DIR] [--json]

The changelog, newest first: date, author, prompt, change, why, expected effect, observed outcome.
--env shows only that environment's changes (and publishes, which belong to none).`;

const OPTIONS = { ...COMMON_OPTIONS, since: { type: 'string' } } as const;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Parses `--since`: a duration back from now (`48h`, `7d`, `2w`) or a strict ISO date
 * (`2026-11-20`, `2026-11-20T15:00:00Z`). Anything else (`5`, `last week`, `2026-02-30`) is a usage
 * error, never a silently different filter.
 */
export function sinceArg(text: string, now: Date): Date {
  const t = text.trim();
  const usage = (): UsageError => new UsageError(`--since "${text}" is neither a duration (48h, 7d, 2w) nor a date (2026-11-20, 2026-11-20T15:00:00Z).`, LOG_USAGE);
  const weeks = /^(\d+(?:\.\d+)?)\s*w$/.exec(t);
  const ms = weeks ? Number(weeks[1]) * 7 * 86_400_000 : /^\d+(?:\.\d+)?\s*(ms|s|m|h|d)$/.test(t) ? parseDuration(t) : null;
  if (ms !== null) {
    const d = new Date(now.getTime() - ms);
    if (Number.isNaN(d.getTime())) throw usage();
    return d;
  }
  const m = ISO_DATE.exec(t);
  if (!m) throw usage();
  const d = new Date(m[4] === undefined ? `${t}T00:00:00Z` : m[7] === undefined ? `${t}Z` : t);
  // Reject dates the parser would roll over (2026-02-30 → March 2).
  if (Number.isNaN(d.getTime()) || (m[7] === undefined && d.toISOString().slice(0, 10) !== `${m[1]}-${m[2]}-${m[3]}`)) throw usage();
  return d;
}

/** Formats one entry for humans. */
export function formatEntry(e: ParsedChangelogEntry, ctx?: Ctx): string {
  // Every field is user text: escape sequences and newlines in it are shown, never acted on.
  const lines = [`${oneLine(e.date)}  ${oneLine(e.author)}  ${oneLine(e.prompt)}${e.environment ? ` (${oneLine(e.environment)})` : ''}`, `  ${oneLine(e.change)}`];
  if (e.why) lines.push(`  why:      ${oneLine(e.why)}`);
  if (e.expected) lines.push(`  expected: ${oneLine(e.expected)}`);
  if (e.observed || e.action !== 'publish') lines.push(`  observed: ${e.observed ? oneLine(e.observed) : ctx ? `(not recorded: ${command(ctx, `outcome ${e.prompt} "…"`)})` : '(not recorded)'}`);
  return lines.join('\n');
}

/** Entries newest first (by date; the file's order breaks ties). */
export function newestFirst(entries: readonly ParsedChangelogEntry[]): ParsedChangelogEntry[] {
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => Date.parse(b.e.date) - Date.parse(a.e.date) || a.i - b.i)
    .map((x) => x.e);
}

/** Runs `log`. */
export const runLog = defineVerb({ name: 'log', usage: LOG_USAGE, options: OPTIONS, positionals: ['name?'] }, async ({ io, ctx, values, args: [name] }) => {
  const since = values.since !== undefined ? sinceArg(values.since, io.now()) : undefined;
  const state = await loadFolder(ctx);
  const entries = newestFirst(parseChangelog(state.changelogText)).filter(
    (e) =>
      (name === undefined || e.prompt === name) &&
      (!ctx.envGiven || e.environment === '' || e.environment === ctx.env) &&
      (since === undefined || Date.parse(e.date) >= since.getTime()),
  );
  const human = entries.length
    ? entries.map((e) => formatEntry(e, ctx)).join('\n\n')
    : `No changes${name ? ` of ${name}` : ''}${since ? ` since ${since.toISOString()}` : ''}${state.changelogText === undefined ? ' (no CHANGELOG.md yet)' : ''}.`;
  emit(ctx, human, entries.map(({ line: _line, ...e }) => e));
  return 0;
});
