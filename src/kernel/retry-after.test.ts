import { describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_MS, retryAfterMs } from "./retry-after.ts";

describe("Retry-After", () => {
  it("reads seconds and HTTP dates, capped, and ignores what it cannot read", () => {
    const now = Date.parse("2026-12-04T12:00:00Z");
    expect(retryAfterMs("30", now)).toBe(30_000);
    expect(retryAfterMs("Fri, 04 Dec 2026 12:00:45 GMT", now)).toBe(45_000);
    expect(retryAfterMs("Fri, 04 Dec 2026 11:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("86400", now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
