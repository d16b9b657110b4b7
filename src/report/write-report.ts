/** Reads a prompts folder and its evidence history and writes the report (Node: file system, HTTP). */
import { join } from 'node:path';
import { readInsideOptional } from '../internal/fs/contain.js';
import { readOptionalBounded } from '../internal/fs/read-file.js';
import { CHANGELOG_FILE } from '../registry/changelog.js';
import { readFolder } from '../sources/folder-source.js';
import { EVIDENCE_LOG_FILE, parseEvidenceLog, type EvidenceRecord } from './evidence-log.js';
import { evidenceFromPrometheus, type PrometheusEvidenceOptions } from './prometheus.js';
import { renderReport } from './report.js';

/** Options of {@link buildReport}. */
export interface BuildReportOptions {
  /** The prompts folder. */
  readonly dir: string;
  /** The evidence log. @defaultValue `<dir>/.promptpin/evidence.jsonl` (absent: no evidence) */
  readonly evidenceLog?: string;
  /** Read the evidence from Prometheus range queries instead of the log. */
  readonly prometheus?: Omit<PrometheusEvidenceOptions, 'end'> & { readonly end?: Date };
  readonly title?: string;
  /** @defaultValue `() => new Date()` */
  readonly now?: () => Date;
}

/** What {@link buildReport} made. */
export interface BuildReportResult {
  readonly html: string;
  readonly evidence: number;
  /** Evidence log lines that were not valid records (1-based). */
  readonly skippedLines: readonly number[];
}

const MAX_LOG_BYTES = 256 * 1024 * 1024;

/**
 * Builds the HTML report of a prompts folder (see {@link renderReport}).
 *
 * @throws {PromptError} SOURCE_LOAD_FAILED when Prometheus cannot be queried; the folder's own
 * read errors (UNSAFE_PATH, SPECIAL_FILE, …).
 * @example
 * ```ts
 * const { html } = await buildReport({ dir: 'prompts' });
 * ```
 */
export async function buildReport(options: BuildReportOptions): Promise<BuildReportResult> {
  const now = (options.now ?? (() => new Date()))();
  const files = await readFolder(options.dir);
  const changelogText = await readInsideOptional(options.dir, CHANGELOG_FILE, 16 * 1024 * 1024);
  let evidence: readonly EvidenceRecord[];
  let skippedLines: readonly number[] = [];
  if (options.prometheus) {
    evidence = await evidenceFromPrometheus({ ...options.prometheus, end: options.prometheus.end ?? now });
  } else {
    const text = await readOptionalBounded(options.evidenceLog ?? join(options.dir, EVIDENCE_LOG_FILE), { maxBytes: MAX_LOG_BYTES });
    const parsed = parseEvidenceLog(text);
    evidence = parsed.records;
    skippedLines = parsed.skipped;
  }
  const html = renderReport({ files, changelogText, evidence, now, ...(options.title !== undefined ? { title: options.title } : {}) });
  return { html, evidence: evidence.length, skippedLines };
}
