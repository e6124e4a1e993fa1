import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decimalFromNumber,
  formatDecimal,
  multiplyByInteger,
  plainDecimal,
  roundTo,
} from "../billing/decimal.ts";
import { EmulatorClock } from "../clock.ts";
import { FaultRegistry, FaultRuleInput } from "../http/faults.ts";
import { esc } from "../user-area/html.ts";

describe("decimal", () => {
  it("reads a JSON number at its shortest spelling, exponents included", () => {
    expect(decimalFromNumber(1.0812)).toEqual({ units: 10812n, scale: 4 });
    expect(decimalFromNumber(1e-7)).toEqual({ units: 1n, scale: 7 });
    expect(decimalFromNumber(2e21)).toEqual({ units: 2_000_000_000_000_000_000_000n, scale: 0 });
    expect(decimalFromNumber(0)).toEqual({ units: 0n, scale: 0 });
  });

  it("rounds half away from zero and formats with the currency's separators", () => {
    expect(plainDecimal(roundTo({ units: 75684n, scale: 4 }, 2), 2)).toBe("7.57");
    expect(plainDecimal({ units: 125n, scale: 3 }, 2)).toBe("0.13");
    expect(plainDecimal({ units: -125n, scale: 3 }, 2)).toBe("-0.13");
    expect(
      formatDecimal(
        { units: 123456789n, scale: 2 },
        { decimals: 2, thousandsSeparator: ".", decimalsSeparator: "," },
      ),
    ).toBe("1.234.567,89");
    expect(
      formatDecimal(
        { units: 5n, scale: 0 },
        { decimals: 0, thousandsSeparator: ",", decimalsSeparator: "." },
      ),
    ).toBe("5");
  });

  it("tokens × unit cost is exact: 9928 × 0.00102714 = 10.19744592", () => {
    expect(plainDecimal(multiplyByInteger(decimalFromNumber(0.00102714), 9928n), 8)).toBe("10.19744592");
  });

  it("agrees with integer arithmetic for cents", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 99_999 }),
        (tokens, cents) => {
          const unit = decimalFromNumber(cents / 100);
          const expected = BigInt(tokens) * BigInt(cents);
          expect(roundTo(multiplyByInteger(unit, BigInt(tokens)), 2).units).toBe(expected);
        },
      ),
    );
  });
});

describe("clock", () => {
  it("frozen stays put; advance moves it; unfreeze ticks on from where it was", () => {
    let system = 1_000;
    const clock = new EmulatorClock(new Date(0), () => system);
    system += 500;
    expect(clock.nowMs()).toBe(0);
    clock.advanceHours(1);
    expect(clock.nowMs()).toBe(3_600_000);
    clock.unfreeze();
    system += 10;
    expect(clock.nowMs()).toBe(3_600_010);
    expect(clock.frozen).toBe(false);
  });
});

describe("fault registry", () => {
  it("matches globs on the path and lets non-matching requests pass", () => {
    const faults = new FaultRegistry();
    faults.replace([FaultRuleInput.parse({ path: "/api/v1/servers/*/start", error_rate: 1 })]);
    expect(faults.decide("POST", "/api/v1/servers/12/start").kind).toBe("error");
    expect(faults.decide("POST", "/api/v1/servers/12/stop").kind).toBe("pass");
    expect(faults.decide("POST", "/api/v1/servers").kind).toBe("pass");
  });
});

describe("html escaping", () => {
  it("escapes the five HTML-significant characters", () => {
    expect(esc(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });
});
