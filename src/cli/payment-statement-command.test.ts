import { beforeAll, describe, expect, it } from "vitest";
import { commandsOnSharedDatabase } from "../../test/helpers/tokenbill-command.ts";
import { recordPayment } from "../billing/payments/record-payment.ts";
import { refundPayment } from "../billing/payments/refund.ts";
import { issueInvoices } from "../billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../billing/testing/billing-fixtures.ts";
import { cliContext } from "../web/console/pricing-test-client.ts";

// `payments statement`'s table says how each refund's money went back, in the words of the statement's PDF
// ("paid back by bank transfer"). Until 2026-12-07 only its `--json` had them (`refund_method`): the table
// gave the refund's id alone.

const { data, tokenbill } = commandsOnSharedDatabase();
let customerId = 0n;
const refunds = { bank: "", cash: "" };

/** A $10.00 invoice paid $6.00 by bank transfer and $4.00 in cash; $3.00 of the first and $1.00 of the second go back. */
beforeAll(async () => {
  const { handle } = data();
  const ctx = cliContext(handle);
  [customerId] = (await createCustomers(handle, [{ email: "statement-words@example.com" }])) as [bigint];
  const [invoice] = (await issueInvoices(handle.db, [{ customerId, total: 1000n }])) as [string];
  for (const [method, amount, back] of [
    ["bank_transfer", 600n, 300n],
    ["cash", 400n, 100n],
  ] as const) {
    const paid = await recordPayment({
      ctx,
      input: { invoice_id: invoice, amount, method, reference: `${method}-1` },
    });
    const refund = await refundPayment({
      ctx,
      input: { payment_id: paid.payment.id, amount: back, reason: "" },
    });
    refunds[method === "cash" ? "cash" : "bank"] = refund.refund.id;
  }
});

describe("payments statement's table", () => {
  it("names each refund's way back on its row, in the PDF's words", { timeout: 120_000 }, async () => {
    const shown = await tokenbill("payments", "statement", "--customer", String(customerId));
    expect([shown.code, shown.stderr]).toEqual([0, ""]);
    const lines = shown.stdout.split("\n");
    const rowOf = (refundId: string) => lines.filter((l) => l.includes(refundId));
    expect(rowOf(refunds.bank)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\S+\\s+refund\\s+${refunds.bank} \\(paid back by bank transfer\\)\\s+\\$3\\.00\\s+\\$7\\.00$`,
        ),
      ),
    ]);
    expect(rowOf(refunds.cash)).toEqual([
      expect.stringMatching(
        new RegExp(`^\\S+\\s+refund\\s+${refunds.cash} \\(paid back in cash\\)\\s+\\$1\\.00\\s+\\$4\\.00$`),
      ),
    ]);
    // The other rows name no way back.
    expect(lines.filter((l) => l.includes("paid back"))).toHaveLength(2);
  });
});
