/**
 * The process environment where there is one, read one variable at a time: `process.env` in Node
 * and Bun; in Deno without `--allow-env` a read throws, and browsers and workers have no `process`
 * at all. Either way a missing or unreadable variable is `undefined`, never an error.
 */
export const runtimeEnv: Readonly<Record<string, string | undefined>> = new Proxy(
  {},
  {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      try {
        return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
      } catch {
        return undefined;
      }
    },
  },
);
