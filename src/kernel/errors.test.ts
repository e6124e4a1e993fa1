import { describe, expect, it } from "vitest";
import { asServiceError, ServiceError, UpstreamError } from "./errors.ts";
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
