import { describe, expect, it } from "vitest";
import {
  exactStripeAmountOf,
  stripeAmountIn,
  stripeChargeOf,
  stripeMinimumIn,
  stripeMinimumOf,
} from "./stripe-amounts.ts";

const USD = { code: "USD", exponent: 2 };
const JPY = { code: "JPY", exponent: 0 };
const KWD = { code: "KWD", exponent: 3 };
const BHD = { code: "BHD", exponent: 3 };
const ISK = { code: "ISK", exponent: 0 };

describe("Stripe amounts (docs.stripe.com/currencies)", () => {
  it("sends two-decimal and zero-decimal amounts as they are", () => {
    expect(stripeChargeOf(620n, USD)).toBe(620n);
    expect(stripeChargeOf(769n, JPY)).toBe(769n);
    expect(stripeAmountIn(620n, USD)).toBe(620n);
    expect(stripeAmountIn(769n, JPY)).toBe(769n);
  });

  it("sends ISK as two-decimal: 690 kr is 69000, and 69000 from Stripe is 690 kr", () => {
    expect(stripeChargeOf(690n, ISK)).toBe(69000n);
    expect(stripeAmountIn(69000n, ISK)).toBe(690n);
    expect(stripeAmountIn(69050n, ISK)).toBeNull();
    expect(exactStripeAmountOf(345n, ISK)).toBe(34500n);
  });

  it("rounds a three-decimal charge up to a multiple of ten: 1.581 KWD is charged 1.590", () => {
    expect(stripeChargeOf(1581n, KWD)).toBe(1590n);
    expect(stripeChargeOf(2126n, BHD)).toBe(2130n);
    expect(stripeChargeOf(1580n, KWD)).toBe(1580n);
    expect(stripeAmountIn(1590n, KWD)).toBe(1590n);
  });

  it("refuses a three-decimal refund Stripe cannot make exactly, and takes one it can", () => {
    expect(exactStripeAmountOf(1581n, KWD)).toBeNull();
    expect(exactStripeAmountOf(1580n, KWD)).toBe(1580n);
  });

  it("converts a currency configured finer than Stripe's unit, rounding the charge up", () => {
    // JPY kept with two decimals: ¥768.50 cannot be charged, ¥769 can.
    expect(stripeChargeOf(76850n, { code: "JPY", exponent: 2 })).toBe(769n);
    expect(stripeAmountIn(769n, { code: "JPY", exponent: 2 })).toBe(76900n);
    expect(exactStripeAmountOf(76850n, { code: "JPY", exponent: 2 })).toBeNull();
  });

  it("knows Stripe's minimum charge in Stripe's units and in tokenbill's, and none for a currency Stripe states none for", () => {
    expect(stripeMinimumOf("usd")).toBe(50n);
    expect(stripeMinimumIn(USD)).toBe(50n);
    expect(stripeMinimumIn({ code: "GBP", exponent: 2 })).toBe(30n);
    expect(stripeMinimumIn(JPY)).toBe(50n);
    // JPY kept with two decimals: ¥50 is 5000 of tokenbill's units.
    expect(stripeMinimumIn({ code: "JPY", exponent: 2 })).toBe(5000n);
    expect(stripeMinimumIn({ code: "HUF", exponent: 0 })).toBe(175n);
    expect(stripeMinimumIn(KWD)).toBeNull();
    expect(stripeMinimumIn(ISK)).toBeNull();
  });
});
