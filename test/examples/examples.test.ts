/** The examples run as a user runs them (`npx tsx examples/<file>.ts`): they must exit 0. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const run = (file: string) => promisify(execFile)(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 60_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });

describe('examples', () => {
  it('should run the demo: the per-version split during the 10% rollout, then the rollback by reload', async () => {
    const { stdout } = await run('examples/demo.ts');
    const split = /v1 \(stable\)\s+(\d+) users.*\n\s+v2 \(candidate\)\s+(\d+) users/.exec(stdout);
    expect(split).not.toBeNull();
    const candidate = Number(split![2]);
    expect(candidate / 20_000).toBeGreaterThan(0.09);
    expect(candidate / 20_000).toBeLessThan(0.11);
    expect(stdout).toMatch(/change seen by the running client: support-agent stable v1 \+ candidate v2 at 10% → stable v1, no candidate/);
    expect(stdout).toMatch(/after the reload, with no restart:\n\s+v1 \(stable\)\s+20000 users\s+100\.00%/);
    // The Friday scenario: a guard trips, the client serves stable, a changelog line is written.
    expect(stdout).toMatch(/guard tripped after \d+ requests \(\d+ on the candidate\): (tool_call:-5pp|refusal:\+0\.5pp|output_tokens:25%)/);
    expect(stdout).toMatch(/this client now serves stable to everyone \(0 of 5000 users on the candidate\)/);
    expect(stdout).toMatch(/with only the refusal guard, it trips after \d+ requests/);
    expect(stdout).toMatch(/\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \| ana \| support-agent \| production \| rollback v2 \(stable v1\) \|/);
  });

  it('should run the quickstart, and the README should show it verbatim', async () => {
    const { stdout } = await run('examples/quickstart.ts');
    expect(stdout).toMatch(/^support-agent v[12] \((stable|candidate)\)\necho: \d+ chars\n$/);
    const readme = await readFile(`${root}/README.md`, 'utf8');
    const source = await readFile(`${root}/examples/quickstart.ts`, 'utf8');
    expect(readme).toContain(source.trim());
  });
});
