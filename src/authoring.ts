/**
 * The authoring toolkit: what the `promptpin` CLI does, as functions (compile and check a folder,
 * the lock, release-file edits, the changelog), for `onBreach` handlers, CI scripts and the fleet
 * judge. Node only (YAML, the file system).
 * @packageDocumentation
 */
export { checkFolder, compileFolder, folderFilesOf, releaseRegressionProblem } from './registry/registry.js';
export type { FolderCheck, FolderFiles } from './registry/registry.js';
export { parsePromptFile, formatPromptFile } from './registry/prompt-file.js';
export { parseLock } from './registry/lock.js';
export { readFolder, readFolderSettled } from './sources/folder-source.js';
export { addToLock, listReleases, preparePublishText, promoteRollout, rampRollout, readRelease, releaseVersion, rollbackRelease, startRollout } from './registry/edit.js';
export type { PreparePublishInput, ReleaseListing, ReleaseSnapshot, RollbackOptions, RolloutSnapshot, StartRolloutOptions } from './registry/edit.js';
export { percentProblem } from './internal/percent.js';
export { addChangelogEntry, CHANGELOG_FILE, changelogDate, formatChangelogEntry, latestChangelogEntry, parseChangelog, parseChangelogLine, setChangelogOutcome } from './registry/changelog.js';
export type { ChangelogEntry, ParsedChangelogEntry } from './registry/changelog.js';
export { RELEASE_FILE, parseGuardShorthand, formatGuard } from './registry/release.js';
export { LOCK_FILE } from './registry/lock.js';

export { declaredSignals, diffReleases, liveChangeProblems, rolloutStaleness } from './registry/release-diff.js';
export type { LiveChange, LiveChangeCheckInput, LiveChangeKind, LiveChangeProblem, RolloutTiming } from './registry/release-diff.js';
export { jsonSchemaProblem, schemaIssues } from './registry/schema-check.js';
export { judgeFleet, JUDGE_EXIT } from './fleet/judge.js';
export type { EvidenceRecord, JudgeFleetOptions, JudgeFleetResult, RolloutJudgement } from './fleet/judge.js';

export { buildReport } from './report/write-report.js';
export type { BuildReportOptions, BuildReportResult } from './report/write-report.js';
export { renderReport, escapeHtml } from './report/report.js';
export type { ReportInput } from './report/report.js';
export { EVIDENCE_LOG_FILE, formatEvidenceLine, parseEvidenceLog, toEvidenceRecord } from './report/evidence-log.js';
export type { EvidenceAction, EvidenceLogResult, EvidenceVerdict } from './report/evidence-log.js';
export { evidenceFromPrometheus, queryRange } from './report/prometheus.js';
export type { PrometheusEvidenceOptions, RangeSeries } from './report/prometheus.js';
