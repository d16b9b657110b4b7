#!/usr/bin/env node
/**
 * The `promptpin` executable (dist/cli.js): {@link runCli} wired to this process's stdio,
 * environment, working directory and clock. Everything else lives in cli.ts, which tests run in
 * process with a captured IO.
 */
import { installNode } from '../node/install.js';
import { runCli } from './cli.js';
import type { Io } from '../edit/context.js';

// The CLI is a Node program: paths, `{ files }` and the disk cache work in the clients it makes.
installNode();

function readStdin(): Promise<string> {
  return new Promise((resolveText, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolveText(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

const io: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  readStdin,
  env: process.env,
  cwd: process.cwd(),
  now: () => new Date(),
};

void runCli(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
