import { createScanner } from "jsonc-parser";
import { replaceUnshowable } from "../kernel/clean-text.ts";
import type { FieldIssue } from "../kernel/errors.ts";

// What JSON.parse takes from a valid body without a word, and a billing system must not: a key given twice
// (the last one wins, so `{"amount":1,…,"amount":100000}` recorded 100000), a number's spelling (`10.00`
// reads as 10, so an amount meant as ten dollars was taken as ten cents; 12345678901.123456789 as
// 12345678901.123457), and the keys of prototype poisoning (refused before by Fastify's parser, but as "not
// valid JSON" and without naming them). JSON.parse shows no key twice and no number's text, so the body's text
// is read again with jsonc-parser's scanner, which decodes each key ("\u0061" is "a") and gives each number as
// written. The scanner, not its recursive `visit`: 20,000 nested arrays overflowed visit's stack; this loop
// keeps its own.

/** jsonc-parser's SyntaxKind values (a const enum, which isolatedModules cannot read from its .d.ts). */
const OPEN_BRACE = 1;
const CLOSE_BRACE = 2;
const OPEN_BRACKET = 3;
const CLOSE_BRACKET = 4;
const COMMA = 5;
const COLON = 6;
const STRING = 10;
const NUMBER = 11;
const EOF = 17;

export const REPEATED_KEY = "given more than once; give it once";
export const RESERVED_KEY = "is a reserved name (prototype poisoning) and not allowed as a field name";

interface ObjectFrame {
  object: true;
  /** The keys given so far, decoded; the last one is the key of the value being read. */
  keys: Set<string>;
  key: string | undefined;
  /** True between a `{` or `,` and the next key. */
  atKey: boolean;
}
interface ArrayFrame {
  object: false;
  index: number;
}
type Frame = ObjectFrame | ArrayFrame;

/** A number written with a fraction or an exponent, where it stands in the body and as it was written. */
export interface WrittenNumber {
  path: (string | number)[];
  text: string;
}

/**
 * What the second reading of a body `text` that JSON.parse has taken (so it is valid JSON) finds: the
 * issues — each repeated key, each `__proto__` key and `prototype` key of a `constructor` object, named by
 * path as the schemas name fields (`rates.0.rate`, `(body)` for the body itself) — and every number written
 * with a fraction or an exponent, which the parser hands to the schemas as its text (withNumbersAsWritten).
 */
export function scanJsonBody(text: string): { issues: FieldIssue[]; numbers: WrittenNumber[] } {
  const issues: FieldIssue[] = [];
  const numbers: WrittenNumber[] = [];
  const frames: Frame[] = [];
  const scanner = createScanner(text, true);
  for (let token = scanner.scan(); token !== EOF; token = scanner.scan()) {
    const top = frames[frames.length - 1];
    switch (token) {
      case OPEN_BRACE:
        frames.push({ object: true, keys: new Set(), key: undefined, atKey: true });
        break;
      case OPEN_BRACKET:
        frames.push({ object: false, index: 0 });
        break;
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        frames.pop();
        break;
      case COMMA:
        if (top?.object) top.atKey = true;
        else if (top) top.index++;
        break;
      case COLON:
        if (top?.object) top.atKey = false;
        break;
      case STRING:
        if (top?.object && top.atKey) {
          const key = scanner.getTokenValue();
          top.key = key;
          if (top.keys.has(key)) issues.push({ field: pathOf(frames), message: REPEATED_KEY });
          else if (isReserved(key, frames)) issues.push({ field: pathOf(frames), message: RESERVED_KEY });
          top.keys.add(key);
        }
        break;
      case NUMBER: {
        const literal = scanner.getTokenValue();
        if (/[.eE]/.test(literal)) numbers.push({ path: partsOf(frames), text: literal });
        break;
      }
    }
  }
  return { issues, numbers };
}

/**
 * `value` (JSON.parse's reading of the body) with each number of `numbers` replaced by its text, so that a
 * schema sees what the client wrote: a decimal field takes `12345678901.123456789` exactly, and a field of
 * whole numbers (an amount in minor units, an id, a token count) refuses `10.00` and `1e3` as it refuses
 * "10.00", instead of taking 10 and 1000. Paths are unambiguous: a body with a repeated or reserved key is
 * refused before this.
 */
export function withNumbersAsWritten(value: unknown, numbers: readonly WrittenNumber[]): unknown {
  let body = value;
  for (const { path, text } of numbers) {
    if (path.length === 0) {
      body = text;
      continue;
    }
    let holder = body as Record<string | number, unknown>;
    for (const part of path.slice(0, -1)) holder = holder[part] as Record<string | number, unknown>;
    holder[path[path.length - 1] as string | number] = text;
  }
  return body;
}

/** `__proto__` anywhere, and `prototype` in the value of a `constructor` key: what secure-json-parse refuses. */
function isReserved(key: string, frames: readonly Frame[]): boolean {
  if (key === "__proto__") return true;
  if (key !== "prototype") return false;
  const parent = frames[frames.length - 2];
  return parent?.object === true && parent.key === "constructor";
}

/** Where the value at the top of `frames` stands: keys and array indexes, outermost first. */
function partsOf(frames: readonly Frame[]): (string | number)[] {
  return frames.map((f) => (f.object ? (f.key ?? "") : f.index));
}

/** The field a value at the top of `frames` is, worded as the schemas word paths. */
function pathOf(frames: readonly Frame[]): string {
  const parts = partsOf(frames);
  // A key is echoed to the client: unshowable characters in it (a control, an override) become U+FFFD.
  return parts.length === 0 ? "(body)" : replaceUnshowable(parts.join("."));
}
