import { createScanner } from "jsonc-parser";
import { replaceUnshowable } from "../kernel/clean-text.ts";
import type { FieldIssue } from "../kernel/errors.ts";

// What JSON.parse takes from a valid body without a word, and a billing system must not: a key given twice
// (the last one wins, so `{"amount":1,…,"amount":100000}` recorded 100000), a number with more digits than a
// double holds (12345678901.123456789 was stored as 12345678901.123457), and the keys of prototype poisoning
// (refused before by Fastify's parser, but as "not valid JSON" and without naming them). JSON.parse shows no
// key twice and no number's text, so the body's text is read again with jsonc-parser's scanner, which
// decodes each key ("\u0061" is "a") and gives each number as written. The scanner, not its recursive
// `visit`: 20,000 nested arrays overflowed visit's stack; this loop keeps its own.

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
export const INEXACT_NUMBER = (read: string) =>
  `cannot be represented exactly as a JSON number (it reads as ${read}); send it as a string`;

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

/**
 * The issues of a body `text` that JSON.parse has taken (so it is valid JSON): each repeated key, each
 * `__proto__` key and `prototype` key of a `constructor` object, and each number with a fraction or an
 * exponent whose exact decimal value is not the one JSON.parse gives. Named by path as the schemas name
 * fields (`rates.0.rate`, `(body)` for the body itself). Whole numbers are left to the schemas, which refuse
 * unsafe integers with their own words.
 */
export function jsonBodyIssues(text: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
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
        const read = inexactRead(literal);
        if (read !== undefined) issues.push({ field: pathOf(frames), message: INEXACT_NUMBER(read) });
        break;
      }
    }
  }
  return issues;
}

/** `__proto__` anywhere, and `prototype` in the value of a `constructor` key: what secure-json-parse refuses. */
function isReserved(key: string, frames: readonly Frame[]): boolean {
  if (key === "__proto__") return true;
  if (key !== "prototype") return false;
  const parent = frames[frames.length - 2];
  return parent?.object === true && parent.key === "constructor";
}

/** The field a value at the top of `frames` is, worded as the schemas word paths. */
function pathOf(frames: readonly Frame[]): string {
  const parts = frames.map((f) => (f.object ? (f.key ?? "") : String(f.index)));
  // A key is echoed to the client: unshowable characters in it (a control, an override) become U+FFFD.
  return parts.length === 0 ? "(body)" : replaceUnshowable(parts.join("."));
}

/**
 * What JSON.parse reads a number literal as, when that is not its exact value; undefined when it is, or when
 * the literal is a whole number (no fraction, no exponent).
 */
export function inexactRead(literal: string): string | undefined {
  if (!/[.eE]/.test(literal)) return undefined;
  const read = String(Number(literal));
  if (read === literal) return undefined; // 0.1, 12.34: the common case, without building decimals
  return canonicalDecimal(literal) === canonicalDecimal(read) ? undefined : read;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal's exact value as one spelling, `digits e exponent` without leading or trailing zeros ("1.0",
 * "1e0" and "10e-1" are all "1e0"); null for what is no decimal (String(Infinity)).
 */
function canonicalDecimal(text: string): string | null {
  const m = DECIMAL.exec(text);
  if (m === null) return null;
  const [, sign, whole = "", fraction = "", exponent = "0"] = m;
  const digits = (whole + fraction).replace(/^0+/, "");
  if (digits === "") return "0";
  const significant = digits.replace(/0+$/, "");
  // Exponents beyond 2^53 lose nothing that matters: such a literal reads as 0 or Infinity, never equal.
  const scale = Number(exponent) - fraction.length + (digits.length - significant.length);
  return `${sign}${significant}e${scale}`;
}
