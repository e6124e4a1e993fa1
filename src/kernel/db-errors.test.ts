import { describe, expect, it } from "vitest";
import { mapDbError } from "./db-errors.ts";

// What a refused statement says: in the request's terms, from PostgreSQL's detail, never a constraint name
// (until 2026-12-06 "plan price 2 already exists (plan_price_plan_name_key)" on a rename into a taken name).

const refusal = (fields: Record<string, string>) => {
  try {
    mapDbError(fields, "plan price 2");
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error("mapDbError returned");
};

describe("mapDbError", () => {
  it("names the taken key and its value, not the constraint", () => {
    const e = {
      code: "23505",
      constraint: "plan_price_plan_name_key",
      detail: "Key (plan_name)=(1 Core, 1 GB RAM) already exists.",
    };
    expect(refusal(e)).toEqual({
      code: "CONFLICT",
      message: 'plan price 2: plan_name "1 Core, 1 GB RAM" is already taken',
    });
    // An expression index names its key with parentheses of its own.
    expect(refusal({ ...e, detail: "Key (lower(email))=(ada@example.com) already exists." }).message).toBe(
      'plan price 2: lower(email) "ada@example.com" is already taken',
    );
    expect(refusal({ ...e, detail: "" })).toEqual({
      code: "CONFLICT",
      message: "plan price 2 conflicts with an existing record",
    });
  });

  it("says which records still refer to a row that cannot go, and which referred-to row is missing", () => {
    expect(
      refusal({
        code: "23503",
        constraint: "payment_customer_id_fkey",
        detail: 'Key (id)=(5) is still referenced from table "payment".',
      }).message,
    ).toBe("plan price 2 is still referred to by payment records");
    expect(
      refusal({
        code: "23503",
        constraint: "customer_client_group_id_fkey",
        detail: 'Key (client_group_id)=(99) is not present in table "client_group".',
      }).message,
    ).toBe('plan price 2: client_group_id "99" does not exist');
  });

  it("rethrows anything that is not a constraint violation", () => {
    const other = new Error("connection lost");
    expect(() => mapDbError(other, "x")).toThrow(other);
  });
});
