import { ServiceError } from "../kernel/errors.ts";

// Text that reaches a verb is bounded and free of control characters, whatever the route's own schema
// says: a NUL byte makes PostgreSQL fail the statement (a 500 instead of a 400), and other control
// characters end up in invoices, logs and SolusIO. Checked once for every admin route, before validation.

/** A UTF-16 surrogate without its partner: not text, and PostgreSQL would store U+FFFD instead. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** C0 controls (tab and newlines included: no admin field is multi-line), DEL and C1 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job.
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

export const MAX_BODY_TEXT = 10_000;
export const MAX_QUERY_TEXT = 1_000;

function problemOf(value: string, max: number): string | undefined {
  if (CONTROL.test(value)) return "must not contain control characters";
  if (LONE_SURROGATE.test(value)) return "must be valid Unicode text";
  if (value.length > max) return `must be at most ${max} characters`;
  return undefined;
}

/**
 * Walks a parsed body, query or path object and throws a VALIDATION error naming the first bad field
 * (`prefix.path.to.field`); keys are checked like values.
 */
export function assertCleanText(value: unknown, prefix: string | undefined, max: number): void {
  const walk = (v: unknown, path: string): void => {
    if (typeof v === "string") {
      const problem = problemOf(v, max);
      if (problem) throw ServiceError.validation(path || "(body)", problem);
    } else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) walk(item, path ? `${path}.${i}` : String(i));
    } else if (typeof v === "object" && v !== null) {
      for (const [key, item] of Object.entries(v)) {
        const field = path ? `${path}.${key}` : key;
        const keyProblem = problemOf(key, 200);
        if (keyProblem) throw ServiceError.validation(path || "(body)", `field names ${keyProblem}`);
        walk(item, field);
      }
    }
  };
  walk(value, prefix ?? "");
}
