/** The CLI's argument parser (node:util parseArgs, strict). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../edit/context.js';

/** Parses a verb's arguments; a malformed line becomes a {@link UsageError}. */
export function parseVerbArgs<const O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O, usage: string) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, '.'), usage);
  }
}
