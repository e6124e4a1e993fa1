import { describe, expect, it } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { IDEMPOTENCY_KEY_FIELD, IdempotentReplay } from "../kernel/idempotency.ts";
import { fieldError } from "../billing/payments/field-error.ts";
import { formOnceOutcome, newFormKey } from "./form-once.ts";

// What a money form sent again is told (src/web/form-once.ts); the pages' own tests send the forms.

describe("formOnceOutcome", () => {
  it("answers a kept success with its data, so the page lands where the first sending did", () => {
    const replay = new IdempotentReplay({ status: 201, body: '{"data":{"id":"cn_1"}}' });
    expect(formOnceOutcome(replay)).toEqual({ done: true, data: { id: "cn_1" } });
  });

  it("tells a kept refusal in the console's words, with what was refused", () => {
    const body =
      '{"error":{"code":"UPSTREAM_UNAVAILABLE","message":"Stripe refused the refund.","requestId":"r1"}}';
    expect(formOnceOutcome(new IdempotentReplay({ status: 503, body }))).toEqual({
      done: false,
      status: 503,
      errors: {
        form: "This form was sent before and refused: Stripe refused the refund. Nothing was done again.",
      },
    });
  });

  it("turns the key's conflicts into one message that never names an Idempotency-Key", () => {
    for (const message of [
      "a request with this Idempotency-Key is still being processed",
      "used with a different request",
    ]) {
      const outcome = formOnceOutcome(fieldError("CONFLICT", IDEMPOTENCY_KEY_FIELD, message));
      expect(outcome).toMatchObject({ done: false, status: 409 });
      expect(JSON.stringify(outcome)).not.toMatch(/Idempotency/i);
    }
  });

  it("leaves every other error to the page", () => {
    expect(formOnceOutcome(ServiceError.validation("amount", "too much"))).toBeUndefined();
    expect(formOnceOutcome(fieldError("CONFLICT", "reference", "taken"))).toBeUndefined();
    expect(formOnceOutcome(new Error("boom"))).toBeUndefined();
  });
});

describe("newFormKey", () => {
  it("draws a new 22-character URL-safe key each time", () => {
    const keys = new Set(Array.from({ length: 100 }, newFormKey));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
