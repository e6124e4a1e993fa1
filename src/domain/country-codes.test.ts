import { describe, expect, it } from "vitest";
import { ASSIGNED_COUNTRY_CODES, isAssignedCountryCode } from "./country-codes.ts";

describe("isAssignedCountryCode", () => {
  it("holds the 249 assigned codes", () => {
    expect(ASSIGNED_COUNTRY_CODES.size).toBe(249);
    for (const code of ["DE", "GB", "US", "FR", "NL", "CA", "FI", "SS", "BQ", "CW", "SX", "AQ", "AX"])
      expect(isAssignedCountryCode(code), code).toBe(true);
  });

  it("refuses codes that name no country: unassigned, reserved, withdrawn or user-assigned", () => {
    for (const code of ["XX", "ZZ", "UK", "EU", "UN", "AC", "EA", "AN", "YU", "SU", "XK", "QO", "de"])
      expect(isAssignedCountryCode(code), code).toBe(false);
  });

  // Intl.DisplayNames, which names a code it does not know by the code itself, is no such list: it names
  // every assigned code, and 31 others besides (checked on Node 20, ICU 78).
  it("is what Intl.DisplayNames names, less the codes it names that ISO did not assign", () => {
    const names = new Intl.DisplayNames(["en"], { type: "region" });
    for (const code of ASSIGNED_COUNTRY_CODES) expect(names.of(code), code).not.toBe(code);
    expect(names.of("XX")).toBe("XX");
  });
});
