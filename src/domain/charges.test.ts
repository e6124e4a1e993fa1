import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { billableHoursInPeriod, chargeAdditionalIps, chargeForPeriod, chargeServer } from "./charges.ts";

const HOUR = 3_600_000;
const oct = { periodStart: new Date("2026-10-01T00:00:00Z"), periodEnd: new Date("2026-11-01T00:00:00Z") };
const nov = { periodStart: new Date("2026-11-01T00:00:00Z"), periodEnd: new Date("2026-12-01T00:00:00Z") };

function expectValidation(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    expect((e as ServiceError).issues[0]?.field).toBe(field);
    return;
  }
  throw new Error("expected a validation error");
}

describe("§2 worked examples (plan 7 tph / 5000 tpm unless stated)", () => {
  it("5 minutes → 1 hour, 7 tokens, hourly", () => {
    const createdAt = new Date("2026-10-10T12:00:00Z");
    const deletedAt = new Date("2026-10-10T12:05:00Z");
    const hours = billableHoursInPeriod({ createdAt, deletedAt, ...oct });
    expect(hours).toBe(1n);
    expect(chargeForPeriod({ tokensPerHour: 7n, tokensPerMonth: 5000n, hours })).toEqual({
      tokens: 7n,
      kind: "hourly",
    });
  });

  it.each([
    [700n, 7n, 5000n, 4900n, "hourly"],
    [730n, 7n, 5000n, 5000n, "monthly_cap"],
    [744n, 7n, 0n, 5208n, "hourly"],
    [3n, 0n, 5000n, 5000n, "monthly_fixed"],
  ] as const)("%s h on %s/%s → %s tokens, %s", (hours, tph, tpm, tokens, kind) => {
    expect(chargeForPeriod({ tokensPerHour: tph, tokensPerMonth: tpm, hours })).toEqual({ tokens, kind });
  });

  it("created 2026-10-31T22:30Z, deleted 2026-11-01T01:10Z → Oct 2 h / 14 tokens, Nov 1 h / 7 tokens", () => {
    const life = { createdAt: new Date("2026-10-31T22:30:00Z"), deletedAt: new Date("2026-11-01T01:10:00Z") };
    const plan = { tokensPerHour: 7n, tokensPerMonth: 5000n };
    expect(chargeServer({ ...plan, ...life, ...oct })).toEqual({ hours: 2n, tokens: 14n, kind: "hourly" });
    expect(chargeServer({ ...plan, ...life, ...nov })).toEqual({ hours: 1n, tokens: 7n, kind: "hourly" });
  });
});

describe("billableHoursInPeriod", () => {
  it("bounds a running server by the period end only", () => {
    const createdAt = new Date("2026-10-01T00:00:00Z");
    expect(billableHoursInPeriod({ createdAt, deletedAt: null, ...oct })).toBe(744n);
    expect(billableHoursInPeriod({ createdAt, deletedAt: null, ...nov })).toBe(720n);
  });

  it("charges an hour starting 1 ms before the period end to that period", () => {
    const createdAt = new Date(oct.periodEnd.getTime() - 1);
    expect(billableHoursInPeriod({ createdAt, deletedAt: null, ...oct })).toBe(1n);
    expect(billableHoursInPeriod({ createdAt, deletedAt: null, ...nov })).toBe(720n);
  });

  it("counts nothing for a server outside the period or deleted at creation", () => {
    const createdAt = new Date("2026-09-01T00:00:00Z");
    const deletedAt = new Date("2026-09-30T00:00:00Z");
    expect(billableHoursInPeriod({ createdAt, deletedAt, ...oct })).toBe(0n);
    expect(billableHoursInPeriod({ createdAt: nov.periodStart, deletedAt: null, ...oct })).toBe(0n);
    expect(billableHoursInPeriod({ createdAt, deletedAt: createdAt, ...oct })).toBe(0n);
  });

  it("rejects an inverted lifetime, an empty period and invalid dates", () => {
    const createdAt = new Date("2026-10-05T00:00:00Z");
    expectValidation(
      () => billableHoursInPeriod({ createdAt, deletedAt: new Date(createdAt.getTime() - 1), ...oct }),
      "deletedAt",
    );
    expectValidation(
      () =>
        billableHoursInPeriod({
          createdAt,
          deletedAt: null,
          periodStart: nov.periodStart,
          periodEnd: nov.periodStart,
        }),
      "periodEnd",
    );
    expectValidation(
      () => billableHoursInPeriod({ createdAt: new Date("nope"), deletedAt: null, ...oct }),
      "createdAt",
    );
  });

  it("is O(1): a century-long lifetime is instant", () => {
    const createdAt = new Date("1970-01-01T00:00:00Z");
    const periodEnd = new Date("2070-01-01T00:00:00Z");
    const hours = billableHoursInPeriod({ createdAt, deletedAt: null, periodStart: createdAt, periodEnd });
    expect(hours).toBe(BigInt((periodEnd.getTime() - createdAt.getTime()) / HOUR));
  });

  it("property: hours over adjacent periods covering a lifetime sum to ceil(lifetime / 1 h)", () => {
    const base = Date.UTC(2026, 0, 1);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 * HOUR }),
        fc.integer({ min: 0, max: 400 * HOUR }),
        fc.uniqueArray(fc.integer({ min: 1, max: 600 * HOUR }), { maxLength: 12 }),
        (offset, lifetime, cuts) => {
          const createdAt = new Date(base + offset);
          const deletedAt = new Date(base + offset + lifetime);
          // Boundaries from before creation to after deletion, cut at arbitrary instants.
          const bounds = [0, ...cuts.sort((a, b) => a - b), 700 * HOUR].map((t) => new Date(base + t));
          let total = 0n;
          for (let i = 0; i + 1 < bounds.length; i++) {
            total += billableHoursInPeriod({
              createdAt,
              deletedAt,
              periodStart: bounds[i]!,
              periodEnd: bounds[i + 1]!,
            });
          }
          expect(total).toBe(BigInt(Math.ceil(lifetime / HOUR)));
        },
      ),
    );
  });
});

describe("chargeForPeriod", () => {
  it("charges 0 tokens for 0 hours and reports the plan's kind", () => {
    expect(chargeForPeriod({ tokensPerHour: 7n, tokensPerMonth: 5000n, hours: 0n })).toEqual({
      tokens: 0n,
      kind: "hourly",
    });
    expect(chargeForPeriod({ tokensPerHour: 0n, tokensPerMonth: 5000n, hours: 0n })).toEqual({
      tokens: 0n,
      kind: "monthly_fixed",
    });
    expect(chargeForPeriod({ tokensPerHour: 0n, tokensPerMonth: 0n, hours: 10n })).toEqual({
      tokens: 0n,
      kind: "free",
    });
  });

  it("reports hourly when h × tph equals the cap exactly", () => {
    expect(chargeForPeriod({ tokensPerHour: 10n, tokensPerMonth: 5000n, hours: 500n })).toEqual({
      tokens: 5000n,
      kind: "hourly",
    });
  });

  it("rejects negative inputs", () => {
    expectValidation(
      () => chargeForPeriod({ tokensPerHour: -1n, tokensPerMonth: 0n, hours: 1n }),
      "tokensPerHour",
    );
    expectValidation(
      () => chargeForPeriod({ tokensPerHour: 1n, tokensPerMonth: -1n, hours: 1n }),
      "tokensPerMonth",
    );
    expectValidation(() => chargeForPeriod({ tokensPerHour: 1n, tokensPerMonth: 0n, hours: -1n }), "hours");
  });

  const arbTokens = fc.bigInt({ min: 0n, max: 100_000n });
  const arbHours = fc.bigInt({ min: 0n, max: 800n });

  it("property: the cap is never exceeded when tph > 0 and tpm > 0", () => {
    fc.assert(
      fc.property(arbTokens, arbTokens, arbHours, (tph, tpm, hours) => {
        fc.pre(tph > 0n && tpm > 0n);
        const { tokens, kind } = chargeForPeriod({ tokensPerHour: tph, tokensPerMonth: tpm, hours });
        expect(tokens <= tpm).toBe(true);
        const capWins = hours * tph > tpm;
        expect(tokens).toBe(capWins ? tpm : hours * tph);
        expect(kind).toBe(capWins ? "monthly_cap" : "hourly");
      }),
    );
  });

  it("property: tokens never decrease as hours grow", () => {
    fc.assert(
      fc.property(arbTokens, arbTokens, arbHours, arbHours, (tph, tpm, h1, h2) => {
        const [lo, hi] = h1 <= h2 ? [h1, h2] : [h2, h1];
        const a = chargeForPeriod({ tokensPerHour: tph, tokensPerMonth: tpm, hours: lo });
        const b = chargeForPeriod({ tokensPerHour: tph, tokensPerMonth: tpm, hours: hi });
        expect(a.tokens <= b.tokens).toBe(true);
      }),
    );
  });
});

describe("chargeAdditionalIps", () => {
  it("applies the same rule times the number of IPs", () => {
    const ips = { ipTokensPerHour: 1n, ipTokensPerMonth: 500n };
    expect(chargeAdditionalIps({ ...ips, hours: 100n, count: 3n })).toEqual({ tokens: 300n, kind: "hourly" });
    expect(chargeAdditionalIps({ ...ips, hours: 744n, count: 2n })).toEqual({
      tokens: 1000n,
      kind: "monthly_cap",
    });
    expect(chargeAdditionalIps({ ...ips, hours: 744n, count: 0n })).toEqual({
      tokens: 0n,
      kind: "monthly_cap",
    });
  });

  it("rejects a negative count", () => {
    expectValidation(
      () => chargeAdditionalIps({ ipTokensPerHour: 1n, ipTokensPerMonth: 0n, hours: 1n, count: -1n }),
      "count",
    );
  });
});
