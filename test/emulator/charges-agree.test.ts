import fc from "fast-check";
import { describe, it } from "vitest";
import { hoursInPeriod, periodCharge } from "../../emulator/billing/charges.ts";
import { billableHoursInPeriod, chargeForPeriod } from "../../src/domain/charges.ts";

// Two implementations of billing-rules §2: tokenbill's (src/domain/charges.ts, billed) and the emulator's
// (emulator/billing/charges.ts, reported as SolusIO's usage). Written apart so that tests comparing invoices
// with the emulator's figures compare two readings of the rule; here they must agree on every input.

const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 9, 1);
/** An offset in ms, half the time on a whole hour: the edges where an hour begins are where counts differ. */
const offset = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ min: min * HOUR, max: max * HOUR }),
    fc.integer({ min, max }).map((h) => h * HOUR),
  );

describe("tokenbill's and the emulator's §2 agree", () => {
  it("on the hours of any lifetime in any period", () => {
    fc.assert(
      fc.property(
        offset(-60 * 24, 60 * 24),
        offset(0, 60 * 24),
        offset(-40 * 24, 40 * 24),
        offset(1, 40 * 24),
        (createdOffset, lifetime, startOffset, length) => {
          const created = new Date(BASE + createdOffset);
          const ended = new Date(BASE + createdOffset + lifetime);
          const period = { start: new Date(BASE + startOffset), end: new Date(BASE + startOffset + length) };
          const tokenbill = billableHoursInPeriod({
            createdAt: created,
            deletedAt: ended,
            periodStart: period.start,
            periodEnd: period.end,
          });
          return hoursInPeriod({ created, ended }, period) === tokenbill;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("on the tokens and kind of any prices and hours", () => {
    const tokens = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 100_000n }));
    fc.assert(
      fc.property(tokens, tokens, fc.bigInt({ min: 0n, max: 800n }), (perHour, monthly, hours) => {
        // Also the monthly price the hours cost exactly: where "the cap wins" needs a reading.
        return [monthly, perHour * hours].every((perMonth) => {
          const tokenbill = chargeForPeriod({ tokensPerHour: perHour, tokensPerMonth: perMonth, hours });
          const emulator = periodCharge({ perHour, perMonth }, hours);
          return emulator.tokens === tokenbill.tokens && emulator.charge === tokenbill.kind;
        });
      }),
      { numRuns: 2000 },
    );
  });
});
