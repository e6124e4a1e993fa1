import { describe, expect, it } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { assertCleanText, MAX_NESTING } from "./text-input.ts";

// The walk keeps its own stack (src/http/text-input.ts): it must still name the first bad field in the
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
