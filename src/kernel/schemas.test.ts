import { describe, expect, it } from "vitest";
import { z } from "zod";
import { id, instantOrDate, isoInstant, wholeNumber } from "./schemas.ts";

// Ids and counts in paths and query strings: one spelling for each number.

describe("wholeNumber", () => {
  const percent = wholeNumber({ min: 0n, max: 100n, message: "must be from 0 to 100" });

  it("takes plain decimal digits, JSON integers and bigints within its bounds", () => {
    expect(["0", "7", "100"].map((v) => percent.parse(v))).toEqual([0n, 7n, 100n]);
    expect(percent.parse(42)).toBe(42n);
    expect(percent.parse(42n)).toBe(42n);
    expect(id.parse("9223372036854775807")).toBe(2n ** 63n - 1n);
  });

  it("refuses every other spelling of a number, leading zeros included", () => {
    for (const spelling of ["06", "00", "007", "0x10", "1e2", " 5", "5 ", "+5", "-0", "", "1.0", "١٢"]) {
      expect(percent.safeParse(spelling).success, spelling).toBe(false);
    }
    expect(id.safeParse("01").error?.issues[0]?.message).toBe(
      "must be an id: a whole number from 1 to 9223372036854775807 (at most 19 digits)",
    );
  });

  // Before, a value of another JSON type or a number past 19 digits failed every branch of the union, and the
  // answer said only "client_group_id: is not valid" (POST /api/v1/discounts with "client_group_id": null).
  it("says what it takes whatever the wrong value is: another type, a fraction, too many digits", () => {
    for (const value of [null, true, {}, [], 1.5, -1, "9".repeat(40), 2 ** 64]) {
      expect(
        id.safeParse(value).error?.issues.map((i) => i.message),
        JSON.stringify(value),
      ).toEqual(["must be an id: a whole number from 1 to 9223372036854775807 (at most 19 digits)"]);
    }
    expect(z.object({ id }).safeParse({}).error?.issues[0]?.message).toBe("is required");
  });

  it("refuses numbers out of its bounds", () => {
    expect(percent.safeParse("101").success).toBe(false);
    expect(id.safeParse("0").success).toBe(false);
    expect(id.safeParse("9223372036854775808").success).toBe(false);
  });
});

describe("instants", () => {
  // zod's own "Invalid input" named no form at all (`payments record --date 2026-02-30`, `--date tomorrow`).
  it("say which forms they take when given none of them", () => {
    for (const text of ["tomorrow", "2026-02-30", "2026-02-30T00:00:00Z", "2026-11-20T10:00:00", ""]) {
      expect(
        instantOrDate.safeParse(text).error?.issues.map((i) => i.message),
        text,
      ).toEqual([
        "must be a date written YYYY-MM-DD (a day that exists) or an ISO 8601 instant with its offset",
      ]);
    }
    for (const text of ["garbage", "2026-01-01", ""]) {
      expect(
        isoInstant.safeParse(text).error?.issues.map((i) => i.message),
        text,
      ).toEqual(["must be an ISO 8601 instant with its offset, e.g. 2026-11-20T10:00:00Z"]);
    }
  });

  it("take their forms", () => {
    // A date stays a date: the verb reads it in BILLING_TIME_ZONE (until 2026-12-06, midnight UTC here).
    expect(instantOrDate.parse("2026-11-20")).toBe("2026-11-20");
    expect(instantOrDate.parse("2026-11-20T10:00:00+01:00")).toEqual(new Date("2026-11-20T09:00:00Z"));
    expect(isoInstant.parse("2026-11-20T10:00:00Z")).toEqual(new Date("2026-11-20T10:00:00Z"));
  });
});
