import { describe, expect, it } from "vitest";
import { majorToMinor } from "./payment-commands.ts";

describe("amounts typed on the command line", () => {
  it("convert exactly to minor units with the currency's exponent", () => {
    expect(majorToMinor("12.34", 2)).toBe(1234n);
    expect(majorToMinor("12", 2)).toBe(1200n);
    expect(majorToMinor("12.3", 2)).toBe(1230n);
    expect(majorToMinor("1500", 0)).toBe(1500n);
    expect(majorToMinor("0.001", 3)).toBe(1n);
  });

  it.each(["12.345", "-1", "0", "0.00", "1e3", "", "12,34", "abc"])("refuse %j naming the field", (text) => {
    expect(() => majorToMinor(text, 2)).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ field: "amount" })] }),
    );
  });
});
