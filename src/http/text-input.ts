import { ServiceError } from "../kernel/errors.ts";

// Text that reaches a verb is bounded and free of control characters, whatever the route's own schema
// says: a NUL byte makes PostgreSQL fail the statement (a 500 instead of a 400), and other control
// characters end up in invoices, logs and SolusIO. Checked once for every admin route, before validation,
// and for every console and portal page (src/web/page-text-input.ts).

/** A UTF-16 surrogate without its partner: not text, and PostgreSQL would store U+FFFD instead. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** C0 controls (tab and newlines included: no admin field is multi-line), DEL and C1 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job.
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

export const MAX_BODY_TEXT = 10_000;
export const MAX_QUERY_TEXT = 1_000;

/**
 * Objects and arrays inside one another, the outermost counted. The deepest real input is 3 (a tax rule's
 * `rates.0.label`: the body, the list, a rate); ten times that leaves room for any field to come, and
 * JSON.parse takes any depth, so without a limit the depth of a body is whatever its sender chose.
 */
export const MAX_NESTING = 32;

function problemOf(value: string, max: number): string | undefined {
  if (CONTROL.test(value)) return "must not contain control characters";
  if (LONE_SURROGATE.test(value)) return "must be valid Unicode text";
  if (value.length > max) return `must be at most ${max} characters`;
  return undefined;
}

/** A value still to check: `key` is its name in the object holding it (checked when it is reached). */
interface Pending {
  value: unknown;
  path: string;
  /** How many objects and arrays hold it. */
  depth: number;
  key?: string;
  parent?: string;
}

/**
 * Walks a parsed body, query or path object and throws a VALIDATION error naming the first bad field
 * (`prefix.path.to.field`); keys are checked like values, and nesting deeper than MAX_NESTING is refused.
 * The walk keeps its own stack rather than recursing: 20,000 nested arrays (a 40 KB body) overflowed the
 * call stack, a 500 where a 400 belongs. It visits fields in the body's order, as the recursion did.
 */
export function assertCleanText(value: unknown, prefix: string | undefined, max: number): void {
  const pending: Pending[] = [{ value, path: prefix ?? "", depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: v, path, depth } = next;
    if (next.key !== undefined) {
      const keyProblem = problemOf(next.key, 200);
      if (keyProblem) throw ServiceError.validation(next.parent || "(body)", `field names ${keyProblem}`);
    }
    if (typeof v === "string") {
      const problem = problemOf(v, max);
      if (problem) throw ServiceError.validation(path || "(body)", problem);
    } else if (typeof v === "object" && v !== null) {
      if (depth >= MAX_NESTING)
        throw ServiceError.validation(
          path || "(body)",
          `nested too deeply (more than ${MAX_NESTING} levels)`,
        );
      const field = (name: string) => (path ? `${path}.${name}` : name);
      // Pushed last to first, so the first field is checked first.
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--)
          pending.push({ value: v[i], path: field(String(i)), depth: depth + 1 });
      } else {
        const entries = Object.entries(v);
        for (let i = entries.length - 1; i >= 0; i--) {
          const [key, item] = entries[i]!;
          pending.push({ value: item, path: field(key), depth: depth + 1, key, parent: path });
        }
      }
    }
  }
}
