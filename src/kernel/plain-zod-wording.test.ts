import { describe, expect, it } from "vitest";
import { z } from "zod";
import { zodToServiceError } from "./verb.ts";
import { ServiceError } from "./errors.ts";

// Every refusal built from zod's issues (the API's `issues`, the CLI's `error: --option: …`, the pages) said
// zod's own words, "Too big: expected string to have <=19 characters"; now the same in plain words.

/** What a verb's refusal says for `value` in field `f` of `schema`. */
function refusal(schema: z.ZodType, value: unknown): string {
  const parsed = z.object({ f: schema }).strict().safeParse({ f: value });
  if (parsed.success) throw new Error("expected a refusal");
  return zodToServiceError(parsed.error).message;
}

describe("zod's issues in plain words", () => {
  it.each([
    ["too big (text)", z.string().max(19), "x".repeat(20), "f: must be at most 19 characters"],
    ["too big (number)", z.number().max(5), 6, "f: must be at most 5"],
    ["too big (exclusive)", z.number().lt(5), 5, "f: must be less than 5"],
    ["too big (list)", z.array(z.string()).max(1), ["a", "b"], "f: must have at most 1 item"],
    ["too small (text)", z.string().min(2), "a", "f: must be at least 2 characters"],
    ["too small (empty text)", z.string().min(1), "", "f: must not be empty"],
    ["too small (number)", z.number().positive(), 0, "f: must be greater than 0"],
    ["too small (bigint)", z.bigint().min(0n), -1n, "f: must be at least 0"],
    ["invalid type", z.number(), "3", "f: must be a number"],
    ["invalid type (whole number)", z.number().int(), 1.5, "f: must be a whole number"],
    ["invalid type (missing)", z.string(), undefined, "f: is required"],
    ["invalid enum", z.enum(["card", "bank_transfer"]), "cash", "f: must be one of card, bank_transfer"],
    ["invalid literal", z.literal("yes"), "no", "f: must be yes"],
    ["invalid enum (missing)", z.enum(["card"]), undefined, "f: is required"],
    ["regex", z.string().regex(/^[a-z]+$/), "A1", "f: is not in the accepted form"],
    ["e-mail", z.email(), "nobody", "f: must be an e-mail address"],
    ["multiple of", z.number().multipleOf(5), 7, "f: must be a multiple of 5"],
  ])("%s", (_kind, schema, value, message) => {
    expect(refusal(schema, value)).toBe(message);
  });

  it("leaves a schema's own message alone", () => {
    expect(refusal(z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD"), "usd")).toBe(
      "f: must be an ISO 4217 code such as USD",
    );
    expect(refusal(z.string().max(3, { error: "is too long for a code" }), "abcd")).toBe(
      "f: is too long for a code",
    );
  });

  it("words an id that is too long as the field's refusal, with no zod wording left", () => {
    // The shape of the ids the CLI and the API take (src/kernel/schemas.ts): text of at most 19 digits.
    const id = z.union([z.string().max(19), z.number().int()]);
    const error = zodToServiceError(
      z.object({ customer_id: id }).safeParse({ customer_id: "1".repeat(25) }).error!,
    );
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.issues).toEqual([{ field: "customer_id", message: "must be at most 19 characters" }]);
    expect(error.message).not.toMatch(/Too big|expected|<=|>=/);
  });
});
