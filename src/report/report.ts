/**
 * `promptpin report`: one self-contained HTML page per prompts folder. Per prompt: a timeline of
 * changes (changelog lines and guard trips/exclusions from the evidence), per rollout the version
 * share over time and each guard's confidence bounds against its threshold as samples arrive
 * (inline SVG, with a data table as text alternative), and each change's diff embedded in a
 * `<template>` that a click copies into the page. No network: a Content-Security-Policy allows
 * only the page's own inline script and styles.
 */
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { parseChangelog, type ParsedChangelogEntry } from '../registry/changelog.js';
import type { FolderFiles } from '../registry/registry.js';
import type { EvidenceRecord } from './evidence-log.js';

/** Input of {@link renderReport}. */
export interface ReportInput {
  readonly files: FolderFiles;
  readonly changelogText: string | undefined;
  readonly evidence: readonly EvidenceRecord[];
  /** Page title. @defaultValue `promptpin report` */
  readonly title?: string;
  /** When the report was made (shown in the header). */
  readonly now: Date;
  /** Timeline entries shown per prompt before the rest collapse. @defaultValue 12 */
  readonly visibleChanges?: number;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const e = escapeHtml;

const when = (iso: string): string => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
};
const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? String(Number(x.toFixed(digits))) : x > 0 ? '+∞' : '−∞');

interface Rollout {
  readonly env: string;
  readonly candidate: number;
  readonly stable: number;
  readonly start: string;
  end: string | undefined;
  readonly share: { t: string; percent: number }[];
  readonly evidence: EvidenceRecord[];
}

function rolloutsOf(prompt: string, entries: readonly ParsedChangelogEntry[], evidence: readonly EvidenceRecord[]): Rollout[] {
  const out: Rollout[] = [];
  const open = new Map<string, Rollout>();
  for (const en of [...entries].sort((a, b) => Date.parse(a.date) - Date.parse(b.date) || b.line - a.line)) {
    if (en.prompt !== prompt) continue;
    const r = open.get(en.environment);
    const start = /^rollout v(\d+) at (\d+(?:\.\d+)?)% \(stable v(\d+)/.exec(en.change);
    if (start) {
      if (r) r.end = en.date;
      const n: Rollout = { env: en.environment, candidate: Number(start[1]), stable: Number(start[3]), start: en.date, end: undefined, share: [{ t: en.date, percent: Number(start[2]) }], evidence: [] };
      out.push(n);
      open.set(en.environment, n);
      continue;
    }
    if (!r) continue;
    const ramp = /^ramp v\d+ \S+ → (\d+(?:\.\d+)?)%/.exec(en.change);
    if (ramp) r.share.push({ t: en.date, percent: Number(ramp[1]) });
    else if (en.action === 'promote') {
      r.share.push({ t: en.date, percent: 100 });
      r.end = en.date;
      open.delete(en.environment);
    } else if (en.action === 'rollback') {
      r.share.push({ t: en.date, percent: 0 });
      r.end = en.date;
      open.delete(en.environment);
    }
  }
  for (const rec of evidence) {
    if (rec.prompt !== prompt) continue;
    const t = Date.parse(rec.t);
    let r = out.find((x) => x.env === rec.env && x.candidate === rec.candidate && x.stable === rec.stable && Date.parse(x.start) <= t && (x.end === undefined || t <= Date.parse(x.end) + 60_000));
    if (!r) {
      // Evidence with no rollout line in the changelog still gets its charts.
      r = out.find((x) => x.env === rec.env && x.candidate === rec.candidate && x.stable === rec.stable && x.share.length === 0);
      if (!r) out.push((r = { env: rec.env, candidate: rec.candidate, stable: rec.stable, start: rec.t, end: undefined, share: [], evidence: [] }));
    }
    r.evidence.push(rec);
  }
  return out;
}

// ---- SVG charts --------------------------------------------------------------------------------
const W = 640;
const H = 220;
const PAD = { l: 52, r: 12, t: 14, b: 30 };

function guardChart(id: string, recs: readonly EvidenceRecord[]): { svg: string; table: string; summary: string } {
  const r0 = recs[0]!;
  const sign = r0.direction === 'decrease' && r0.threshold > 0 ? -1 : 1;
  const thresholds = r0.direction === 'change' ? [Math.abs(r0.threshold), -Math.abs(r0.threshold)] : [sign * r0.threshold];
  const decisive = recs.find((r) => r.verdict !== 'continue');
  const xs = recs.map((r) => r.n_arm);
  const finite = recs.flatMap((r) => [r.estimate, r.lower, r.upper]).filter(Number.isFinite);
  const spread = Math.max(...finite.map(Math.abs), ...thresholds.map(Math.abs)) || 1;
  const yMin = Math.min(0, ...thresholds, ...finite.filter((v) => Math.abs(v) <= 3 * spread)) * 1.1;
  const yMax = Math.max(0, ...thresholds, ...finite.filter((v) => Math.abs(v) <= 3 * spread)) * 1.1 || 1;
  const xMax = Math.max(...xs, 1);
  const X = (n: number): number => PAD.l + (n / xMax) * (W - PAD.l - PAD.r);
  const Y = (v: number): number => {
    const c = Math.min(yMax, Math.max(yMin, Number.isFinite(v) ? v : v > 0 ? yMax : yMin));
    return PAD.t + ((yMax - c) / (yMax - yMin)) * (H - PAD.t - PAD.b);
  };
  const band = `${recs.map((r) => `${X(r.n_arm).toFixed(1)},${Y(r.upper).toFixed(1)}`).join(' ')} ${[...recs].reverse().map((r) => `${X(r.n_arm).toFixed(1)},${Y(r.lower).toFixed(1)}`).join(' ')}`;
  const est = recs.map((r) => `${X(r.n_arm).toFixed(1)},${Y(r.estimate).toFixed(1)}`).join(' ');
  const label = `${r0.signal} ${r0.unit}`;
  const parts = [
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d" class="chart" data-chart="guard">`,
    `<title id="${id}-t">${e(`Guard ${r0.signal}: difference v${r0.candidate} − v${r0.stable} (${r0.unit}) with confidence bounds, against the threshold`)}</title>`,
    `<desc id="${id}-d">${e(summaryText(recs, decisive))}</desc>`,
    `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${Y(0).toFixed(1)}" y2="${Y(0).toFixed(1)}" class="axis"/>`,
    `<polygon points="${band}" class="band"/>`,
    `<polyline points="${est}" class="est" fill="none"/>`,
    ...thresholds.map(
      (th) =>
        `<g data-threshold="${fmt(th)}"><line x1="${PAD.l}" x2="${W - PAD.r}" y1="${Y(th).toFixed(1)}" y2="${Y(th).toFixed(1)}" class="threshold"/><text x="${W - PAD.r - 4}" y="${(Y(th) - 4).toFixed(1)}" text-anchor="end" class="lbl">threshold ${e(fmt(th))}${e(r0.unit)}</text></g>`,
    ),
    `<text x="${PAD.l - 6}" y="${PAD.t + 8}" text-anchor="end" class="lbl">${e(fmt(yMax, 1))}</text>`,
    `<text x="${PAD.l - 6}" y="${H - PAD.b}" text-anchor="end" class="lbl">${e(fmt(yMin, 1))}</text>`,
    `<text x="${PAD.l}" y="${H - 8}" class="lbl">0</text><text x="${W - PAD.r}" y="${H - 8}" text-anchor="end" class="lbl">n = ${xMax} on v${r0.candidate}</text>`,
    `<text x="${(W / 2).toFixed(0)}" y="${H - 8}" text-anchor="middle" class="lbl">${e(label)}: samples on the candidate →</text>`,
  ];
  if (decisive) {
    const x = X(decisive.n_arm).toFixed(1);
    parts.push(
      `<g data-verdict="${decisive.verdict}" class="${decisive.verdict}"><line x1="${x}" x2="${x}" y1="${PAD.t}" y2="${H - PAD.b}" class="mark"/><circle cx="${x}" cy="${Y(decisive.estimate).toFixed(1)}" r="5"/><text x="${x}" y="${PAD.t + 10}" text-anchor="${X(decisive.n_arm) > W / 2 ? 'end' : 'start'}" dx="${X(decisive.n_arm) > W / 2 ? -4 : 4}" class="lbl">${e(`${decisive.verdict} at n=${decisive.n_arm}, ${when(decisive.t)}`)}</text></g>`,
    );
  }
  parts.push('</svg>');
  const rows = recs
    .map(
      (r) =>
        `<tr${r === decisive ? ' class="decisive"' : ''}><td>${e(when(r.t))}</td><td>${r.percent}%</td><td>${r.n_control}</td><td>${r.n_arm}</td><td>${e(fmt(r.estimate))}</td><td>${e(fmt(r.lower))}</td><td>${e(fmt(r.upper))}</td><td>${e(fmt(r.threshold))}</td><td>${e(r.verdict)}${r.action ? ` → ${e(r.action)}` : ''}</td></tr>`,
    )
    .join('');
  const table = `<details class="data"><summary>Data table (${recs.length} judgements)</summary><div class="scroll"><table><caption>${e(`Guard ${r0.signal} (${r0.unit}), v${r0.candidate} vs v${r0.stable}`)}</caption><thead><tr><th>time</th><th>percent</th><th>n control</th><th>n arm</th><th>estimate</th><th>lower</th><th>upper</th><th>threshold</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table></div></details>`;
  return { svg: parts.join(''), table, summary: summaryText(recs, decisive) };
}

function summaryText(recs: readonly EvidenceRecord[], decisive: EvidenceRecord | undefined): string {
  const r0 = recs[0]!;
  const last = recs[recs.length - 1]!;
  const head = `${r0.signal}: threshold ${fmt(r0.threshold)}${r0.unit} (${r0.direction}); ${recs.length} judgements.`;
  if (!decisive) return `${head} Not decided: last estimate ${fmt(last.estimate)}${last.unit} [${fmt(last.lower)}, ${fmt(last.upper)}] at n=${last.n_arm}.`;
  return `${head} ${decisive.verdict === 'tripped' ? 'Tripped' : 'Excluded a regression beyond the threshold'} at ${when(decisive.t)}, n=${decisive.n_arm}: estimate ${fmt(decisive.estimate)}${decisive.unit} [${fmt(decisive.lower)}, ${fmt(decisive.upper)}]${decisive.action ? `; action: ${decisive.action}` : ''}.`;
}

function shareChart(id: string, r: Rollout, endIso: string): { svg: string; table: string } {
  const pts = r.share.length ? r.share : [{ t: r.start, percent: r.evidence[0]?.percent ?? 0 }];
  const t0 = Date.parse(pts[0]!.t);
  const t1 = Math.max(Date.parse(r.end ?? endIso), t0 + 60_000, ...pts.map((p) => Date.parse(p.t)));
  const X = (t: number): number => PAD.l + ((t - t0) / (t1 - t0)) * (W - PAD.l - PAD.r);
  const Y = (p: number): number => PAD.t + ((100 - p) / 100) * (H - PAD.t - PAD.b);
  let d = `M${X(t0).toFixed(1)},${Y(0)}`;
  pts.forEach((p, i) => {
    const x = X(Date.parse(p.t)).toFixed(1);
    d += ` L${x},${Y(i === 0 ? 0 : pts[i - 1]!.percent).toFixed(1)} L${x},${Y(p.percent).toFixed(1)}`;
  });
  d += ` L${X(t1).toFixed(1)},${Y(pts[pts.length - 1]!.percent).toFixed(1)} L${X(t1).toFixed(1)},${Y(0)} Z`;
  const desc = `Share of v${r.candidate} (rest on v${r.stable}): ${pts.map((p) => `${p.percent}% from ${when(p.t)}`).join(', ')}.`;
  const svg = [
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d" class="chart" data-chart="share">`,
    `<title id="${id}-t">${e(`Version share over time, ${r.env}`)}</title><desc id="${id}-d">${e(desc)}</desc>`,
    `<rect x="${PAD.l}" y="${PAD.t}" width="${W - PAD.l - PAD.r}" height="${H - PAD.t - PAD.b}" class="stable"/>`,
    `<path d="${d}" class="cand"/>`,
    `<text x="${PAD.l - 6}" y="${PAD.t + 8}" text-anchor="end" class="lbl">100%</text><text x="${PAD.l - 6}" y="${H - PAD.b}" text-anchor="end" class="lbl">0%</text>`,
    `<text x="${PAD.l}" y="${H - 8}" class="lbl">${e(when(pts[0]!.t))}</text><text x="${W - PAD.r}" y="${H - 8}" text-anchor="end" class="lbl">${e(when(new Date(t1).toISOString()))}</text>`,
    `<text x="${PAD.l + 6}" y="${PAD.t + 16}" class="lbl">v${r.stable} (stable)</text><text x="${PAD.l + 6}" y="${H - PAD.b - 6}" class="lbl inv">v${r.candidate} (candidate)</text>`,
    '</svg>',
  ].join('');
  const table = `<details class="data"><summary>Data table</summary><div class="scroll"><table><thead><tr><th>from</th><th>v${r.candidate}</th><th>v${r.stable}</th></tr></thead><tbody>${pts.map((p) => `<tr><td>${e(when(p.t))}</td><td>${p.percent}%</td><td>${100 - p.percent}%</td></tr>`).join('')}</tbody></table></div></details>`;
  return { svg, table };
}

// ---- diffs -------------------------------------------------------------------------------------
function versionPair(en: ParsedChangelogEntry): [number | undefined, number] | undefined {
  let m = /^publish v(\d+)/.exec(en.change);
  if (m) return [Number(m[1]) > 1 ? Number(m[1]) - 1 : undefined, Number(m[1])];
  m = /^rollout v(\d+) at \S+ \(stable v(\d+)/.exec(en.change);
  if (m) return [Number(m[2]), Number(m[1])];
  m = /^rollback v(\d+) → v(\d+)/.exec(en.change);
  if (m) return [Number(m[1]), Number(m[2])];
  m = /^rollback to v(\d+) \(was v(\d+)/.exec(en.change);
  if (m) return [Number(m[2]), Number(m[1])];
  m = /^promote v(\d+) \(was v(\d+)/.exec(en.change);
  if (m) return [Number(m[2]), Number(m[1])];
  m = /^(?:ramp|promote) v(\d+)/.exec(en.change);
  if (m) return [undefined, Number(m[1])];
  return undefined;
}

/** Renders the report (pure but for hashing): see the module comment. */
export function renderReport(input: ReportInput): string {
  const entries = parseChangelog(input.changelogText);
  const promptNames = new Set<string>();
  for (const f of input.files.promptFiles) promptNames.add(f.path.replace(/\/[^/]+\.prompt$/, ''));
  for (const en of entries) promptNames.add(en.prompt);
  for (const r of input.evidence) promptNames.add(r.prompt);
  const text = (name: string, v: number): string | undefined => input.files.promptFiles.find((f) => f.path === `${name}/${v}.prompt`)?.text;
  const templates = new Map<string, { id: string; html: string }>();
  const diffId = (name: string, pair: [number | undefined, number]): string | undefined => {
    const [a, b] = pair;
    const bt = text(name, b);
    if (bt === undefined) return undefined;
    const key = `${name}\u0000${a ?? 0}\u0000${b}`;
    const known = templates.get(key);
    if (known) return known.id;
    const id = `diff-${templates.size}`;
    const patch = createTwoFilesPatch(a === undefined ? '/dev/null' : `${name}/${a}.prompt`, `${name}/${b}.prompt`, a === undefined ? '' : (text(name, a) ?? ''), bt, '', '', { context: 3 });
    const lines = patch
      .split('\n')
      .slice(2)
      .map((l) => `<span class="${l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : l.startsWith('@@') ? 'hunk' : ''}">${e(l)}</span>`)
      .join('\n');
    templates.set(key, { id, html: `<template id="${id}"><pre class="diff" aria-label="${e(`diff ${a === undefined ? '(none)' : `v${a}`} → v${b} of ${name}`)}">${lines}</pre></template>` });
    return id;
  };
  const visible = input.visibleChanges ?? 12;
  let chartN = 0;
  const sections: string[] = [];
  for (const name of [...promptNames].sort()) {
    const mine = entries.filter((x) => x.prompt === name);
    const rollouts = rolloutsOf(name, entries, input.evidence);
    const items: { t: number; html: string }[] = mine.map((en) => {
      const pair = versionPair(en);
      const id = pair ? diffId(name, pair) : undefined;
      const html = `<li class="change ${e(en.action)}" data-line="${en.line}"><div class="head"><time datetime="${e(en.date)}">${e(when(en.date))}</time> <span class="action">${e(en.action)}</span> <strong class="what">${e(en.change)}</strong>${en.environment ? ` <span class="env">${e(en.environment)}</span>` : ''}</div><dl><dt>author</dt><dd>${e(en.author)}</dd>${en.why ? `<dt>why</dt><dd>${e(en.why)}</dd>` : ''}${en.expected ? `<dt>expected</dt><dd>${e(en.expected)}</dd>` : ''}${en.action !== 'publish' || en.observed ? `<dt>observed</dt><dd>${en.observed ? e(en.observed) : '<em>not recorded</em>'}</dd>` : ''}</dl>${id ? `<button type="button" class="show-diff" data-diff="${id}" aria-expanded="false">Show diff</button><div class="diff-slot" hidden></div>` : ''}</li>`;
      return { t: Date.parse(en.date), html };
    });
    // Guard decisions from the evidence belong in the timeline too.
    for (const r of rollouts) {
      const seen = new Set<string>();
      for (const rec of r.evidence) {
        const k = `${rec.signal}/${rec.arm}/${rec.verdict}`;
        if (rec.verdict === 'continue' || seen.has(k)) continue;
        seen.add(k);
        items.push({
          t: Date.parse(rec.t),
          html: `<li class="guard ${rec.verdict}" data-guard="${e(rec.signal)}"><div class="head"><time datetime="${e(rec.t)}">${e(when(rec.t))}</time> <span class="action">guard ${e(rec.verdict)}</span> <strong class="what">${e(`${rec.signal} ${fmt(rec.estimate)}${rec.unit} [${fmt(rec.lower)}, ${fmt(rec.upper)}] vs threshold ${fmt(rec.threshold)}${rec.unit}, n=${rec.n_arm}`)}</strong> <span class="env">${e(rec.env)}</span></div>${rec.action ? `<dl><dt>action</dt><dd>${e(rec.action)}</dd></dl>` : ''}</li>`,
        });
      }
    }
    items.sort((a, b) => b.t - a.t);
    const shown = items.slice(0, visible).map((i) => i.html).join('');
    const rest = items.slice(visible);
    const older = rest.length ? `<li class="older"><details><summary>${rest.length} older change${rest.length === 1 ? '' : 's'}</summary><ol class="timeline">${rest.map((i) => i.html).join('')}</ol></details></li>` : '';
    const rolloutHtml = rollouts
      .map((r, ri) => {
        const share = shareChart(`c${chartN++}`, r, input.now.toISOString());
        const groups = new Map<string, EvidenceRecord[]>();
        for (const rec of r.evidence) {
          const k = `${rec.signal}\u0000${rec.arm}`;
          groups.set(k, [...(groups.get(k) ?? []), rec]);
        }
        const guards = [...groups.values()].map((recs) => {
          recs.sort((a, b) => a.n_arm - b.n_arm || Date.parse(a.t) - Date.parse(b.t));
          const c = guardChart(`c${chartN++}`, recs);
          return `<figure class="guard-chart" data-signal="${e(recs[0]!.signal)}">${c.svg}<figcaption>${e(c.summary)}</figcaption>${c.table}</figure>`;
        });
        const body = `<h3>${e(`Rollout of v${r.candidate} over v${r.stable} in ${r.env}`)}, ${e(when(r.start))}${r.end ? ` – ${e(when(r.end))}` : ' (live)'}</h3><figure class="share-chart">${share.svg}<figcaption>Version share over time</figcaption>${share.table}</figure>${guards.length ? guards.join('') : '<p class="none">No guard evidence recorded for this rollout.</p>'}`;
        // The latest rollout is open; older ones collapse.
        return ri === rollouts.length - 1 ? `<section class="rollout">${body}</section>` : `<details class="rollout"><summary>${e(`Rollout of v${r.candidate} in ${r.env}, ${when(r.start)}`)}</summary>${body}</details>`;
      })
      .join('');
    sections.push(`<section class="prompt" id="p-${e(name)}"><h2>${e(name)}</h2><h3 class="sr">Timeline</h3><ol class="timeline">${shown}${older}</ol>${rolloutHtml}</section>`);
  }
  const script = SCRIPT;
  const hash = createHash('sha256').update(script).digest('base64');
  const title = input.title ?? 'promptpin report';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title><style>${CSS}</style></head>
<body><header><h1>${e(title)}</h1><p>Generated ${e(when(input.now.toISOString()))} from the prompts folder${input.evidence.length ? ` and ${input.evidence.length} guard judgements` : ''}. ${entries.length} changelog line${entries.length === 1 ? '' : 's'}.</p><nav><ul>${[...promptNames].sort().map((n) => `<li><a href="#p-${e(n)}">${e(n)}</a></li>`).join('')}</ul></nav></header>
<main>${sections.join('\n')}</main>
${[...templates.values()].map((v) => v.html).join('\n')}
<script>${script}</script></body></html>
`;
}

const SCRIPT = `document.addEventListener('click',function(ev){var b=ev.target.closest&&ev.target.closest('button.show-diff');if(!b)return;var slot=b.nextElementSibling;if(!slot.firstChild){var t=document.getElementById(b.getAttribute('data-diff'));if(t)slot.appendChild(t.content.cloneNode(true));}var open=slot.hidden;slot.hidden=!open;b.setAttribute('aria-expanded',String(open));b.textContent=open?'Hide diff':'Show diff';});window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});`;

const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--cand:#0969da;--stable:#eef2f6;--bad:#cf222e;--good:#1a7f37}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);overflow-wrap:anywhere}
header,main{max-width:960px;margin:0 auto;padding:0 16px}h1{font-size:1.6em;margin:.8em 0 .2em}h2{border-bottom:1px solid var(--line);padding-bottom:.2em;margin-top:1.6em}
nav ul{display:flex;flex-wrap:wrap;gap:.3em 1em;padding:0;list-style:none}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid var(--line)}ol.timeline>li{margin:0 0 .8em;padding:.2em 0 .2em 1em;position:relative}
ol.timeline>li::before{content:"";position:absolute;left:-8px;top:.7em;width:13px;height:13px;border-radius:50%;background:var(--line)}
li.rollout::before,li.ramp::before{background:var(--cand)!important}li.rollback::before,li.tripped::before{background:var(--bad)!important}li.promote::before,li.excluded::before{background:var(--good)!important}
.head time{color:var(--muted);font-variant-numeric:tabular-nums}.action{font-size:.8em;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}.env{font-size:.8em;border:1px solid var(--line);border-radius:4px;padding:0 .3em}
dl{display:grid;grid-template-columns:max-content 1fr;gap:0 .8em;margin:.3em 0}dt{color:var(--muted)}dd{margin:0}
li.guard.tripped .what{color:var(--bad)}li.guard.excluded .what{color:var(--good)}
button{font:inherit;padding:.2em .7em;border:1px solid var(--line);border-radius:6px;background:#f6f8fa;cursor:pointer}
pre.diff{overflow-x:auto;background:#f6f8fa;padding:.6em;border-radius:6px;font-size:13px;white-space:pre-wrap}pre.diff .add{color:var(--good)}pre.diff .del{color:var(--bad)}pre.diff .hunk{color:var(--muted)}
figure{margin:1em 0}svg.chart{width:100%;height:auto;display:block;border:1px solid var(--line);border-radius:6px}
.band{fill:var(--cand);opacity:.18}.est{stroke:var(--cand);stroke-width:2}.axis{stroke:var(--muted);stroke-width:1}.threshold{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:6 4}
.tripped circle{fill:var(--bad)}.tripped .mark{stroke:var(--bad)}.excluded circle{fill:var(--good)}.excluded .mark{stroke:var(--good)}.mark{stroke-width:1.5}
.lbl{font-size:12px;fill:var(--muted)}.lbl.inv{fill:#fff}.stable{fill:var(--stable)}.cand{fill:var(--cand);opacity:.85}
figcaption{color:var(--muted);font-size:.9em}.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}td,th{border-bottom:1px solid var(--line);padding:.2em .5em;text-align:right}
tr.decisive{font-weight:600}details.rollout{margin:1em 0}details>summary{cursor:pointer}
@media (max-width:600px){body{font-size:14px}dl{grid-template-columns:1fr}dt{font-weight:600}}
@media print{button,nav{display:none}body{font-size:11pt}section.prompt{break-before:page}figure,li{break-inside:avoid}.diff-slot[hidden]{display:none}}
`;
