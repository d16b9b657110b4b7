import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/registry/changelog.js';
import { buildReport } from '../../src/report/write-report.js';
import { fridayEvidence } from '../support/evidence-fixture.js';
import { run, tempProject } from '../cli/helpers.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
if (!CHROMIUM) console.log('report-browser.test.ts skipped: no Chromium found; install it (apt-get install -y chromium) or set CHROMIUM_PATH.');

describe.skipIf(!CHROMIUM)('promptpin report in headless Chromium', () => {
  let browser: import('playwright-core').Browser;
  let html = '';
  let lines = 0;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
    const p = await tempProject();
    const now = new Date('2026-12-04T10:00:00Z');
    const ev = fridayEvidence({ start: now });
    await mkdir(join(p.dir, '.promptpin'), { recursive: true });
    await writeFile(join(p.dir, '.promptpin', 'evidence.jsonl'), ev.lines);
    const changelog = ['| Date | Author | Prompt | Env | Change | Why | Expected | Observed |', '| --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${ev.trippedAt.replace(/\.\d{3}Z$/, 'Z')} | promptpin-judge | support-agent | production | rollback v2 → v1 (rollout of v2 at 10% ended) | guard refusal tripped | | |`,
      '| 2026-12-04T10:00:00Z | <script>alert(1)</script> | support-agent | production | rollout v2 at 10% (stable v1; guards refusal:+0.5pp) | </script><img src=x onerror=alert(2)> | Output length falls <b>10-20%</b> | |',
      '| 2026-11-19T09:00:00Z | ana | support-agent | | publish v2 | Shorter answers | | |'].join('\n');
    await writeFile(join(p.dir, 'CHANGELOG.md'), `${changelog}\n`);
    lines = parseChangelog(changelog).length;
    html = (await buildReport({ dir: p.dir, now: () => new Date('2026-12-04T12:00:00Z') })).html;
    void run;
    void readFile;
    void mkdtemp;
    void tmpdir;
  });
  afterAll(async () => browser?.close());

  it('should load with no network request and no console error, list every changelog line, chart the threshold and the trip, fit a phone', async () => {
    for (const width of [1024, 375]) {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (err) => errors.push(err.message));
      await page.route('**/*', (route) => {
        requests.push(route.request().url());
        return route.abort();
      });
      await page.setContent(html, { waitUntil: 'load' });
      expect(await page.locator('li.change[data-line]').count()).toBe(lines);
      expect(await page.locator('svg[data-chart="guard"] [data-threshold]').count()).toBeGreaterThan(0);
      expect(await page.locator('svg[data-chart="guard"] [data-verdict="tripped"]').count()).toBe(1);
      expect(await page.evaluate('window.alerted')).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
      await page.locator('button.show-diff').first().click();
      expect(await page.locator('pre.diff').count()).toBeGreaterThan(0);
      expect(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
      await mkdir('.tmp/report', { recursive: true });
      await page.screenshot({ path: `.tmp/report/report-${width}.png`, fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    }
  });
});
