import { ServiceError } from "./errors.ts";

// Text that reaches a verb is bounded and free of control characters, whatever the verb's own schema
// says: a NUL byte makes PostgreSQL fail the statement (a 500 instead of a 400), and other control
// characters end up in invoices, logs and SolusIO. Checked once at each edge, before validation: every
// admin route (src/http/route.ts), every console and portal page (src/web/page-text-input.ts), and every
// command's options and arguments (src/cli/cli-text-input.ts). Joiners and other invisible characters stay
// allowed here, as names and free text need them (Persian, emoji); identifiers, which are compared as written,
// refuse them in their schemas (src/kernel/identifier-text.ts).

/** A UTF-16 surrogate without its partner: not text, and PostgreSQL would store U+FFFD instead. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** C0 controls (tab and newlines included: no admin field is multi-line), DEL and C1 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job.
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * Unicode's line and paragraph separators: line breaks to whatever lays text out (a PDF, a mail client, a
 * terminal), in fields that are all single-line.
 */
const LINE_SEPARATOR = /[\u2028\u2029]/;

/**
 * Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). They reorder what
 * follows them on display: a name holding U+202E shows its characters right to left, so text stored as one
 * thing reads as another on an invoice or in the console ("Trojan Source"). The bidirectional algorithm
 * lays out right-to-left scripts without them; the marks U+200E and U+200F, which reorder nothing but
 * neutral characters beside them, stay allowed, as do joiners (emoji, Persian, Indic scripts).
 */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

/**
 * A bidirectional control found in `text`, named as a person can understand it, or undefined: the one
 * source of these words for the API's refusal, the pages' (src/web/page-text-input.ts) and the commands'.
 * Until 2026-12-07 the pages called it "a control character (such as a tab or a line break)", which
 * nobody who pasted a right-to-left name could find in it.
 */
export function textDirectionControlIn(text: string): string | undefined {
  const found = BIDI_CONTROL.exec(text)?.[0];
  if (found === undefined) return undefined;
  const code = found.charCodeAt(0).toString(16).toUpperCase();
  return `a text-direction control character (U+${code}), which changes the order text is shown in`;
}

/** Every character the checks above refuse, to replace in text tokenbill receives but cannot refuse. */
const UNSHOWABLE = new RegExp(
  [CONTROL, LINE_SEPARATOR, BIDI_CONTROL, LONE_SURROGATE].map((r) => r.source).join("|"),
  "g",
);

/**
 * `text` with each character the checks refuse replaced by U+FFFD, for text from elsewhere that is stored
 * and shown but is no one's input to refuse (src/solusio/upstream-text.ts): the rest of it is kept, so what
 * was meant stays readable. The same string when there is nothing to replace.
 */
export function replaceUnshowable(text: string): string {
  UNSHOWABLE.lastIndex = 0;
  if (!UNSHOWABLE.test(text)) return text;
  return text.replace(UNSHOWABLE, "\uFFFD");
}

/** What stands in a copy made by replaceUnshowableIn for a value nested deeper than MAX_NESTING. */
export const NESTED_TOO_DEEPLY = "(nested too deeply)";

/**
 * A copy of parsed JSON from elsewhere (SolusIO's activity data, a provider's webhook event) with every string
 * and key passed through replaceUnshowable, for keeping in jsonb: PostgreSQL refuses a NUL anywhere in it.
 * An array or object nested deeper than MAX_NESTING becomes NESTED_TOO_DEEPLY: JSON.parse takes any depth,
 * but this copy, JSON.stringify and PostgreSQL's jsonb overflow their stacks a few thousand levels down, and
 * the entry would fail every time it is read.
 */
export function replaceUnshowableIn(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return replaceUnshowable(value);
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_NESTING) return NESTED_TOO_DEEPLY;
  if (Array.isArray(value)) return value.map((item) => replaceUnshowableIn(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    copy[replaceUnshowable(key)] = replaceUnshowableIn(item, depth + 1);
  return copy;
}

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
  if (LINE_SEPARATOR.test(value)) return "must not contain line or paragraph separators (U+2028, U+2029)";
  const direction = textDirectionControlIn(value);
  if (direction) return `must not contain ${direction}`;
  if (LONE_SURROGATE.test(value)) return "must be valid Unicode text";
  if (value.length > max) return tooLong(max);
  return undefined;
}

const tooLong = (max: number) => `must be at most ${max} characters`;

/**
 * Whether `error` is assertCleanText's refusal of a text over its cap, which a caller may replace with a field's
 * own, lower limit (src/http/route.ts).
 */
export function isTextTooLong(error: unknown): boolean {
  const issue = error instanceof ServiceError ? error.issues[0] : undefined;
  return (
    issue !== undefined &&
    (issue.message === tooLong(MAX_BODY_TEXT) || issue.message === tooLong(MAX_QUERY_TEXT))
  );
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
