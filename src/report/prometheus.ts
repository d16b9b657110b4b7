/**
 * Evidence history from a Prometheus-compatible HTTP API (`GET /api/v1/query_range`): one range
 * query per judgement gauge, joined by labels and timestamp into {@link EvidenceRecord}s.
 *
 * The gauges (names configurable with `prefix`) carry the labels `env, prompt, signal, arm,
 * stable, candidate, kind, unit, direction`: `<prefix>estimate`, `<prefix>lower`, `<prefix>upper`,
 * `<prefix>threshold`, `<prefix>n_control`, `<prefix>n_arm`, `<prefix>percent` and
 * `<prefix>verdict` (0 continue, 1 tripped, -1 excluded).
 */
import { ErrorCode, PromptError } from '../errors.js';
import type { EvidenceRecord, EvidenceVerdict } from './evidence-log.js';

/** Options of {@link evidenceFromPrometheus}. */
export interface PrometheusEvidenceOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:9090`. */
  readonly url: string;
  readonly start: Date;
  readonly end: Date;
  /** Resolution step in seconds. @defaultValue 30 */
  readonly stepSeconds?: number;
  /** Metric name prefix. @defaultValue `promptpin_guard_` */
  readonly prefix?: string;
  /** Budget of one request. @defaultValue 10000 */
  readonly timeoutMs?: number;
}

/** One series of a range query. */
export interface RangeSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [number, number])[];
}

const MAX_BODY = 32 * 1024 * 1024;

/**
 * Runs one range query.
 *
 * @throws {PromptError} SOURCE_LOAD_FAILED when the API cannot be reached, answers an error or a
 * body that is not a matrix.
 */
export async function queryRange(url: string, query: string, start: Date, end: Date, stepSeconds: number, timeoutMs = 10_000): Promise<RangeSeries[]> {
  const u = new URL('api/v1/query_range', url.endsWith('/') ? url : `${url}/`);
  u.searchParams.set('query', query);
  u.searchParams.set('start', String(start.getTime() / 1000));
  u.searchParams.set('end', String(end.getTime() / 1000));
  u.searchParams.set('step', String(stepSeconds));
  const fail = (why: string): PromptError =>
    new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Prometheus range query "${query}" at ${u.origin} failed: ${why}. Check --prometheus URL and that the judge exports its guard gauges.`);
  let text: string;
  try {
    const res = await fetch(u, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (Number(res.headers.get('content-length') ?? 0) > MAX_BODY) throw fail('the answer is larger than 32 MiB');
    text = await res.text();
    if (text.length > MAX_BODY) throw fail('the answer is larger than 32 MiB');
    if (!res.ok && !text.startsWith('{')) throw fail(`HTTP ${res.status}`);
  } catch (err) {
    if (err instanceof PromptError) throw err;
    throw fail(`cannot reach the API (${err instanceof Error ? err.message : String(err)})`);
  }
  let body: { status?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw fail('the answer is not JSON');
  }
  if (body.status !== 'success') throw fail(`status ${String(body.status)}: ${typeof body.error === 'string' ? body.error : 'no error text'}`);
  if (body.data?.resultType !== 'matrix' || !Array.isArray(body.data.result)) throw fail('the answer is not a matrix');
  return body.data.result.map((s: { metric?: Record<string, string>; values?: [number, string][] }) => ({
    metric: s.metric ?? {},
    // Prometheus sends sample values as strings ("NaN", "+Inf" included).
    values: (s.values ?? []).map(([t, v]) => [Number(t), v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v)] as const),
  }));
}

const FIELDS = ['estimate', 'lower', 'upper', 'threshold', 'n_control', 'n_arm', 'percent', 'verdict'] as const;
const LABELS = ['env', 'prompt', 'signal', 'arm', 'stable', 'candidate'] as const;

/** Reads the evidence history of every guard from Prometheus (see the module comment). */
export async function evidenceFromPrometheus(options: PrometheusEvidenceOptions): Promise<EvidenceRecord[]> {
  const prefix = options.prefix ?? 'promptpin_guard_';
  const step = options.stepSeconds ?? 30;
  const series = await Promise.all(FIELDS.map((f) => queryRange(options.url, `${prefix}${f}`, options.start, options.end, step, options.timeoutMs)));
  const byKey = new Map<string, { labels: Readonly<Record<string, string>>; points: Map<number, Partial<Record<(typeof FIELDS)[number], number>>> }>();
  series.forEach((list, fi) => {
    for (const s of list) {
      const key = LABELS.map((l) => s.metric[l] ?? '').join('\u0000');
      let g = byKey.get(key);
      if (!g) byKey.set(key, (g = { labels: s.metric, points: new Map() }));
      for (const [t, v] of s.values) {
        const p = g.points.get(t) ?? {};
        p[FIELDS[fi]!] = v;
        g.points.set(t, p);
      }
    }
  });
  const out: EvidenceRecord[] = [];
  for (const { labels, points } of byKey.values()) {
    for (const [t, p] of [...points].sort((a, b) => a[0] - b[0])) {
      if (p.estimate === undefined || p.threshold === undefined || !Number.isFinite(p.estimate)) continue;
      const verdict: EvidenceVerdict = p.verdict === 1 ? 'tripped' : p.verdict === -1 ? 'excluded' : 'continue';
      const kind = labels.kind === 'mean' ? 'mean' : 'rate';
      const direction = labels.direction === 'decrease' || labels.direction === 'change' ? labels.direction : 'increase';
      out.push(
        Object.freeze({
          v: 1,
          t: new Date(t * 1000).toISOString(),
          env: labels.env ?? '',
          prompt: labels.prompt ?? '',
          stable: Number(labels.stable ?? 0),
          candidate: Number(labels.candidate ?? 0),
          arm: Number(labels.arm ?? 1),
          percent: p.percent ?? 0,
          step: 0,
          signal: labels.signal ?? '',
          kind,
          unit: labels.unit ?? (kind === 'rate' ? 'pp' : '%'),
          direction,
          threshold: p.threshold,
          n_control: p.n_control ?? 0,
          n_arm: p.n_arm ?? 0,
          control: 0,
          treatment: 0,
          estimate: p.estimate,
          lower: Number.isNaN(p.lower ?? NaN) ? -Infinity : p.lower!,
          upper: Number.isNaN(p.upper ?? NaN) ? Infinity : p.upper!,
          alpha: 0.05,
          verdict,
          action: null,
        }),
      );
    }
  }
  return out;
}
