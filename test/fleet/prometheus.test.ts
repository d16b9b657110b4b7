/**
 * Real parts: a real Prometheus (Debian package) scraping three app processes on 127.0.0.1 every
 * second; `judgeFleet` reads the fleet's sums, trips and rolls back; every instance then serves stable.
 * Skipped, with one line saying so, when `prometheus` is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeFleet, JUDGE_EXIT } from '../../src/fleet/judge.js';
import { ROOT, tempProject } from '../cli/helpers.js';

const PROMETHEUS = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim();
if (!PROMETHEUS) {
  console.warn('SKIPPED test/fleet/prometheus.test.ts (real Prometheus fleet): `prometheus` is not installed. Run: sudo apt-get install -y prometheus && npx vitest run test/fleet/prometheus.test.ts');
}

const freePort = (): Promise<number> =>
  new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });

function waitLine(child: ChildProcess, text: string): Promise<void> {
  return new Promise((ok, fail) => {
    let buf = '';
    child.stdout?.on('data', (d) => {
      buf += String(d);
      if (buf.includes(text)) ok();
    });
    child.once('exit', (code) => fail(new Error(`child exited ${code} before "${text}"`)));
  });
}

const until = async <T>(f: () => Promise<T | undefined>, tries = 80): Promise<T> => {
  for (let i = 0; i < tries; i++) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('condition not met');
};

describe.skipIf(!PROMETHEUS)('fleet guards through a real Prometheus', () => {
  const children: ChildProcess[] = [];
  let p: Awaited<ReturnType<typeof tempProject>>;
  let tsdb = '';
  let prom = '';
  const appPorts: number[] = [];

  beforeAll(async () => {
    p = await tempProject();
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace(/\n\s*window: [^\n]*/g, ''));
    for (let i = 0; i < 3; i++) appPorts.push(await freePort());
    for (const [i, port] of appPorts.entries()) {
      const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fleet/app-process.ts'), p.dir, String(port), String(11 + i)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(c);
    }
    tsdb = await mkdtemp(join(tmpdir(), 'promptpin-prom-'));
    const promPort = await freePort();
    await writeFile(join(tsdb, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: [${appPorts.map((x) => `'127.0.0.1:${x}'`).join(', ')}]\n`);
    const pr = spawn(PROMETHEUS, [`--config.file=${join(tsdb, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tsdb, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' });
    children.push(pr);
    prom = `http://127.0.0.1:${promPort}`;
    await Promise.all(children.slice(0, 3).map((c) => waitLine(c, 'ready')));
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await rm(tsdb, { recursive: true, force: true });
    await p?.cleanup();
  });

  it('should trip on the fleet sums, roll back once, and every instance then serves stable', async () => {
    // Fleet clock: the judge asks Prometheus at the real time.
    const result = await until(async () => {
      const r = await judgeFleet({ dir: p.dir, prometheus: prom, environment: 'production' });
      return r.exitCode === JUDGE_EXIT.acted ? r : undefined;
    });
    const sa = result.rollouts.find((x) => x.prompt === 'support-agent')!;
    expect(sa.applied).toBe(true);
    expect(sa.records.find((r) => r.signal === 'refusal' && r.action === 'rollback')?.n_arm).toBeGreaterThan(0);
    // Every instance picks the rollback up (folder watch) and serves stable.
    for (const port of appPorts) {
      await until(async () => {
        const s = (await (await fetch(`http://127.0.0.1:${port}/serving`)).json()) as { candidate: number };
        return s.candidate === 0 ? true : undefined;
      });
    }
    expect((await p.read('CHANGELOG.md')).split('\n').filter((l) => l.includes('promptpin-judge'))).toHaveLength(1);
  });
});
