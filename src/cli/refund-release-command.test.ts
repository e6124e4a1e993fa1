import { expect, it } from "vitest";
import { commandsOnSharedDatabase } from "../../test/helpers/tokenbill-command.ts";

// `tokenbill payments refund-release` reaches the release verb (src/billing/providers/release-refund-
// reservation.ts, tested against the fake Stripe beside it) and names its options in refusals.

const { tokenbill } = commandsOnSharedDatabase();

it("refuses a bad age naming the option, and an unknown refund as not found", async () => {
  const badAge = await tokenbill(
    "payments",
    "refund-release",
    "--refund",
    "ref_0123456789ab",
    "--older-than-minutes",
    "soon",
  );
  expect([badAge.code, badAge.stderr]).toEqual([
    2,
    "error: --older-than-minutes: must be a whole number of minutes\n",
  ]);
  const unknown = await tokenbill("payments", "refund-release", "--refund", "ref_0123456789ab");
  expect(unknown.stderr).toContain("refund ref_0123456789ab not found");
  expect(unknown.code).not.toBe(0);
});
