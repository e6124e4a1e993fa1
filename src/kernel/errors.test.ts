import { describe, expect, it } from "vitest";
import { asServiceError, MAX_LISTED_ISSUES, ServiceError, UpstreamError } from "./errors.ts";
import { SolusioError } from "../solusio/solusio-error.ts";

// Adapters map errors of outside systems by their class (UpstreamError), not by a name string.

describe("asServiceError", () => {
  it("makes any upstream failure UPSTREAM_UNAVAILABLE, saying who failed", () => {
    const solusio = new SolusioError("GET users: 503 busy", 503, true);
    expect(solusio).toBeInstanceOf(UpstreamError);
    expect(solusio).toMatchObject({ status: 503, retryable: true, fields: {}, name: "SolusioError" });
    expect(asServiceError(solusio)).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: "SolusIO: GET users: 503 busy",
    });
    const payments = new UpstreamError("Payments", "POST charges: timeout", null, true);
    expect(asServiceError(payments)?.message).toBe("Payments: POST charges: timeout");
  });

  it("keeps ServiceErrors and leaves other errors alone, whatever their name", () => {
    const own = ServiceError.notFound("customer 7");
    expect(asServiceError(own)).toBe(own);
    const lookalike = Object.assign(new Error("not from SolusIO"), { name: "SolusioError" });
    expect(asServiceError(lookalike)).toBeUndefined();
  });
});

describe("ServiceError.invalid", () => {
  const unknown = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ field: `k${i}`, message: "unknown field" }));

  it("lists every issue up to 20", () => {
    const error = ServiceError.invalid(unknown(MAX_LISTED_ISSUES));
    expect(error.issues).toEqual(unknown(20));
    expect(error.message).toBe(
      unknown(20)
        .map((i) => `${i.field}: unknown field`)
        .join("; "),
    );
  });

  // A 769 KB body of 60,000 unknown keys was answered with 60,003 issues in 4 MB.
  it("lists 20 and one more saying how many were left out, and words the message from those", () => {
    const error = ServiceError.invalid(unknown(60_000));
    expect(error.issues).toHaveLength(21);
    expect(error.issues[19]).toEqual({ field: "k19", message: "unknown field" });
    expect(error.issues[20]).toEqual({ field: "(more)", message: "59980 more issues not listed" });
    expect(error.message.endsWith("k19: unknown field; (more): 59980 more issues not listed")).toBe(true);
    expect(error.message.length).toBeLessThan(500);
  });

  it("shortens a field name over 100 characters, never halving a surrogate pair", () => {
    const long = ServiceError.invalid([{ field: "k".repeat(100_000), message: "unknown field" }]);
    expect(long.issues).toEqual([{ field: `${"k".repeat(100)}…`, message: "unknown field" }]);
    expect(long.message).toBe(`${"k".repeat(100)}…: unknown field`);
    const exact = ServiceError.invalid([{ field: "k".repeat(100), message: "x" }]);
    expect(exact.issues[0]?.field).toBe("k".repeat(100));
    const pair = ServiceError.invalid([{ field: `${"k".repeat(99)}😀😀`, message: "x" }]);
    expect(pair.issues[0]?.field).toBe(`${"k".repeat(99)}…`);
  });
});
