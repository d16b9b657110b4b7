/**
 * Authoring-side JSON Schema checks of `tools:` parameters and `output_schema:` (`check`,
 * `publish`, `build`). Uses ajv (strict mode: an unknown keyword such as a misspelt `requried` is
 * an error), which compiles schemas to code: it never enters the runtime entry (see
 * .dependency-cruiser.cjs, rule runtime-no-authoring-libs).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ErrorCode, type RegistryIssue } from '../errors.js';
import type { PromptVersion } from './types.js';

let ajv: Ajv2020 | undefined;

function validator(): Ajv2020 {
  // ajv also knows draft-07's `definitions`, which providers' docs still use.
  ajv ??= new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
  return ajv;
}

/** Why `schema` is not a valid JSON Schema (draft 2020-12, strict), or null. */
export function jsonSchemaProblem(schema: unknown): string | null {
  const a = validator();
  try {
    if (!a.validateSchema(schema as object)) return a.errorsText(a.errors, { dataVar: 'schema' });
    a.compile(schema as object);
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    a.removeSchema();
  }
}

/** JSON Schema problems of every version's tools and output schema, as issues (code INVALID_SCHEMA). */
export function schemaIssues(versions: readonly PromptVersion[]): RegistryIssue[] {
  const issues: RegistryIssue[] = [];
  for (const v of versions) {
    const file = `${v.name}/${v.version}.prompt`;
    const check = (schema: Readonly<Record<string, unknown>>, field: string, what: string): void => {
      const problem = jsonSchemaProblem(schema);
      if (problem !== null) issues.push({ code: ErrorCode.INVALID_SCHEMA, file, prompt: v.name, version: v.version, field, message: `${what} is not a valid JSON Schema: ${problem}. Fix the schema (draft 2020-12)` });
      else if (schema.type !== 'object') issues.push({ code: ErrorCode.INVALID_SCHEMA, file, prompt: v.name, version: v.version, field, message: `${what} must describe an object (type: object): providers take object schemas only` });
    };
    v.tools?.forEach((t, i) => {
      if (t.parameters !== undefined) check(t.parameters, `tools.${i}.parameters`, `tool "${t.name}" parameters`);
    });
    if (v.outputSchema !== undefined) check(v.outputSchema, 'output_schema', 'output_schema');
  }
  return issues;
}
