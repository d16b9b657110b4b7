import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A minimal valid .prompt file. */
export function promptFile(opts: { model?: string; variables?: string; body?: string; extra?: string } = {}): string {
  return `---\nmodel: ${opts.model ?? 'gpt-4o-mini'}\n${opts.variables !== undefined ? `variables:\n${opts.variables}\n` : ''}${opts.extra ?? ''}---\n${opts.body ?? 'Hello.\n'}`;
}

export const GREET_V1 = promptFile({ variables: '  who: string', body: '{{#system}}\nBe brief.\n{{/system}}\n{{#user}}\nSay hi to {{who}}.\n{{/user}}\n' });
export const GREET_V2 = promptFile({ variables: '  who: string\n  tone: { enum: [warm, cold], default: warm }', body: '{{#system}}\nBe brief and {{tone}}.\n{{/system}}\n{{#user}}\nSay hi to {{who}}.\n{{/user}}\n' });

export function releaseYaml(body: string): string {
  return `environments:\n${body}`;
}

export const GREET_ROLLOUT = releaseYaml(`  production:
    greet:
      stable: 1
      rollout:
        candidate: 2
        percent: 10
        expected: Output length falls 10-20%; refusal rate unchanged.
        guards:
          - { signal: refusal, max_increase: 0.5pp }
`);

/** The files of a small valid folder: greet v1 stable, v2 candidate at 10%. */
export function greetFiles(): Record<string, string> {
  return { 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': GREET_ROLLOUT };
}

/** Writes files into a fresh temp dir and returns its path. */
export async function writeFolder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'promptpin-test-'));
  await writeFiles(dir, files);
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}
