import { describe, expect, it } from "vitest";
import { ServiceError } from "./errors.ts";
import { assertCleanText, MAX_NESTING } from "./clean-text.ts";

// The walk keeps its own stack (src/kernel/clean-text.ts): it must still name the first bad field in the
// body's order, check keys before their values, and stop at MAX_NESTING levels whatever the depth.

function issueOf(value: unknown, prefix?: string) {
  try {
    assertCleanText(value, prefix, 100);
  } catch (error) {
    if (error instanceof ServiceError) return error.issues[0];
    throw error;
  }
  return undefined;
}

describe("assertCleanText", () => {
  it("names the first bad field in the body's order", () => {
    const body = { a: "ok", b: [{ c: "ok" }, { d: "x\u0007" }], e: "\u0000" };
    expect(issueOf(body)).toEqual({ field: "b.1.d", message: "must not contain control characters" });
    expect(issueOf({ q: "x".repeat(101) }, "query")).toEqual({
      field: "query.q",
      message: "must be at most 100 characters",
    });
  });

  it("refuses Unicode's line separators and bidirectional controls, and takes the marks and joiners", () => {
    for (const c of ["\u2028", "\u2029"])
      expect(issueOf({ a: `x${c}y` })?.message).toBe(
        "must not contain line or paragraph separators (U+2028, U+2029)",
      );
    // The one found is named, so a person can tell which (until 2026-12-07 the whole range was listed).
    for (const c of [
      "\u202A",
      "\u202B",
      "\u202C",
      "\u202D",
      "\u202E",
      "\u2066",
      "\u2067",
      "\u2068",
      "\u2069",
    ])
      expect(issueOf({ a: `x${c}y` })?.message).toBe(
        `must not contain a text-direction control character (U+${c.charCodeAt(0).toString(16).toUpperCase()}), which changes the order text is shown in`,
      );
    // Left-to-right and right-to-left marks, zero-width (non-)joiners, the characters on either side.
    for (const c of ["\u200E", "\u200F", "\u200C", "\u200D", "\u2027", "\u202F", "\u2065", "\u206A"])
      expect(issueOf({ a: `x${c}y` })).toBeUndefined();
  });

  it("checks a key before its value, naming the object that holds it", () => {
    expect(issueOf({ a: { "b\u0000": "\u0007" } })).toEqual({
      field: "a",
      message: "field names must not contain control characters",
    });
  });

  it("takes MAX_NESTING levels and refuses one more, at any depth", () => {
    const nested = (levels: number) => {
      let value: unknown = "x";
      for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { k: value };
      return value;
    };
    expect(issueOf(nested(MAX_NESTING))).toBeUndefined();
    expect(issueOf(nested(MAX_NESTING + 1))?.message).toBe(
      `nested too deeply (more than ${MAX_NESTING} levels)`,
    );
    expect(issueOf(nested(100_000))?.message).toBe(`nested too deeply (more than ${MAX_NESTING} levels)`);
  });
});
