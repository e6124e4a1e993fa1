import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { Decimal } from "./decimal.ts";

const d = (s: string) => Decimal.parse(s);

function validationError(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    expect((e as ServiceError).code).toBe("VALIDATION");
    return e as ServiceError;
  }
  throw new Error("expected a validation error");
}

const arbDecimal = fc
  .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 14 }))
  .map(([c, s]) => Decimal.of(c, s));

describe("Decimal.parse", () => {
  it("reads plain decimal strings exactly", () => {
    const x = d("-12.3400");
    expect(x.coefficient).toBe(-123400n);
    expect(x.scale).toBe(4);
    expect(x.toString()).toBe("-12.34");
    expect(d("0.00091").toString()).toBe("0.00091");
    expect(d("5").toString()).toBe("5");
    expect(d("+7.50").toString()).toBe("7.5");
  });

  it("accepts bigints, safe integers and exponent-free JSON numbers", () => {
    expect(Decimal.parse(42n).toString()).toBe("42");
    expect(Decimal.parse(-3).toString()).toBe("-3");
    expect(Decimal.parse(0.95).toString()).toBe("0.95");
    expect(Decimal.parse(1.34).toString()).toBe("1.34");
  });

  it.each(["", " 1", "1 ", "1e3", "1E-7", "abc", "1,000", ".5", "5.", "--1", "0x10", "NaN", "Infinity"])(
    "rejects the string %j with a validation error naming the field",
    (s) => {
      const e = validationError(() => Decimal.parse(s, "unitCost"));
      expect(e.issues[0]?.field).toBe("unitCost");
      expect(e.message).toContain("plain decimal");
    },
  );

  it("rejects NaN, Infinity, exponent-form numbers and unsafe integers", () => {
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY, 1e-7, 1e21, 2 ** 60]) {
      validationError(() => Decimal.parse(n));
    }
  });

  it("rejects absurdly long strings before parsing them", () => {
    expect(() => Decimal.parse("1".repeat(201), "b")).toThrow(/^b: has too many digits/);
  });

  it("rejects non-string, non-number inputs from untyped callers", () => {
    validationError(() => Decimal.parse(null as unknown as string));
    validationError(() => Decimal.parse({} as unknown as string));
  });
});

describe("Decimal arithmetic", () => {
  it("adds, subtracts and multiplies exactly", () => {
    expect(d("0.1").add(d("0.2")).toString()).toBe("0.3");
    expect(d("1").sub(d("0.95")).toString()).toBe("0.05");
    expect(d("1.34").mul(d("0.95")).toString()).toBe("1.273");
    expect(d("0.001").mul(9928n).toString()).toBe("9.928");
    expect(Decimal.sum([d("1.5"), d("2.25"), d("-0.75")]).toString()).toBe("3");
    expect(Decimal.product([d("1.06"), d("1.02")]).toString()).toBe("1.0812");
    expect(Decimal.product([]).toString()).toBe("1");
  });

  it("divides and multiplies by powers of ten exactly", () => {
    expect(d("6").divPow10(2).toString()).toBe("0.06");
    expect(d("6").shiftLeft(2).toString()).toBe("0.06");
    expect(d("0.06").mulPow10(3).toString()).toBe("60");
  });

  it("compares across scales", () => {
    expect(d("1.50").cmp(d("1.5"))).toBe(0);
    expect(d("1.50").eq(d("1.5"))).toBe(true);
    expect(d("-2").lt(d("-1.9"))).toBe(true);
    expect(d("0.001").gt(0n)).toBe(true);
    expect(d("0.000").isZero()).toBe(true);
    expect(d("-0.1").isNegative()).toBe(true);
    expect(d("-0.1").sign()).toBe(-1);
    expect(d("3.00").isInteger()).toBe(true);
  });
});

describe("Decimal rounding", () => {
  it.each([
    ["2.5", "3", "2"],
    ["3.5", "4", "4"],
    ["-2.5", "-3", "-2"],
    ["-3.5", "-4", "-4"],
    ["2.4999", "2", "2"],
    ["2.5001", "3", "3"],
    ["-0.4", "0", "0"],
  ])("rounds %s to %s half away from zero and %s half even", (x, away, even) => {
    expect(d(x).round(0).toString()).toBe(away);
    expect(d(x).round(0, "half_even").toString()).toBe(even);
  });

  it("rounds to minor units and pads to a fixed scale", () => {
    expect(d("4.9").roundToBigInt(2)).toBe(490n);
    expect(d("0.028").roundToBigInt(2)).toBe(3n);
    expect(d("0.025").roundToBigInt(2, "half_even")).toBe(2n);
    expect(d("10.19744592").toFixed(2)).toBe("10.20");
    expect(d("0.00091").toFixed(5)).toBe("0.00091");
    expect(d("10").toFixed(5)).toBe("10.00000");
    expect(d("-0.001").toFixed(2)).toBe("0.00");
  });

  it("floors, ceils and truncates", () => {
    expect(d("-1.5").floor().toString()).toBe("-2");
    expect(d("-1.5").ceil().toString()).toBe("-1");
    expect(d("-1.5").trunc().toString()).toBe("-1");
    expect(d("1.59").floor(1).toString()).toBe("1.5");
  });

  it("emits JSON numbers only through toJSONNumber", () => {
    expect(d("1.3763676").toJSONNumber()).toBe(1.3763676);
    expect(d("0.1234567890125").toJSONNumber()).toBe(0.123456789013);
    expect(JSON.stringify({ u: d("1.50") })).toBe('{"u":"1.5"}');
  });

  it("prints canonical strings", () => {
    expect(d("-0.50").toString()).toBe("-0.5");
    expect(d("-0.0").toString()).toBe("0");
    expect(d("100").toString()).toBe("100");
    expect(d("12.3400").normalize().scale).toBe(2);
  });
});

describe("Decimal properties", () => {
  it("toString round-trips through parse", () => {
    fc.assert(
      fc.property(arbDecimal, (x) => {
        expect(Decimal.parse(x.toString()).eq(x)).toBe(true);
      }),
    );
  });

  it("a + b − b = a and a·b = b·a", () => {
    fc.assert(
      fc.property(arbDecimal, arbDecimal, (a, b) => {
        expect(a.add(b).sub(b).eq(a)).toBe(true);
        expect(a.mul(b).eq(b.mul(a))).toBe(true);
      }),
    );
  });

  it("rounding moves a value by at most half a unit of the target scale", () => {
    fc.assert(
      fc.property(arbDecimal, fc.integer({ min: 0, max: 6 }), fc.boolean(), (x, s, even) => {
        const r = x.round(s, even ? "half_even" : "half_away_from_zero");
        const half = Decimal.of(5n, s + 1);
        expect(r.sub(x).abs().lte(half)).toBe(true);
        expect(r.scale).toBe(s);
      }),
    );
  });

  it("rounding is symmetric around zero in both modes", () => {
    fc.assert(
      fc.property(arbDecimal, fc.integer({ min: 0, max: 6 }), (x, s) => {
        expect(x.neg().round(s).eq(x.round(s).neg())).toBe(true);
        expect(x.neg().round(s, "half_even").eq(x.round(s, "half_even").neg())).toBe(true);
      }),
    );
  });
});
