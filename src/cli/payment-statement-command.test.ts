import { beforeAll, describe, expect, it } from "vitest";
import { commandsOnSharedDatabase, tokenbillCommand } from "../../test/helpers/tokenbill-command.ts";
import { recordPayment } from "../billing/payments/record-payment.ts";
import { refundPayment } from "../billing/payments/refund.ts";
import { customerStatement } from "../billing/payments/statement.ts";
import { calendarDate } from "../billing/runs/calendar-date.ts";
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

// The table says a payment's own day when it was recorded on another, "(received 2025-06-01)", as the PDF,
// the CSV and the portal do, and gives each entry's day in BILLING_TIME_ZONE, as they do: until 2026-12-07
// it gave neither (its days were UTC's).
describe("payments statement's table, a payment recorded after the day it arrived", () => {
  let lateCustomer = 0n;
  beforeAll(async () => {
    const { handle } = data();
    [lateCustomer] = (await createCustomers(handle, [{ email: "statement-received@example.com" }])) as [
      bigint,
    ];
    const [invoice] = (await issueInvoices(handle.db, [{ customerId: lateCustomer, total: 500n }])) as [
      string,
    ];
    await recordPayment({
      ctx: cliContext(handle),
      input: {
        invoice_id: invoice,
        amount: 500n,
        method: "bank_transfer",
        reference: "late-1",
        paid_at: "2025-06-01",
      },
    });
  });

  /** The payment's row of the table shown with `env`. */
  async function paymentRows(env: Record<string, string> = {}) {
    const shown = await tokenbillCommand(["payments", "statement", "--customer", String(lateCustomer)], {
      DATA_DIR: data().dir,
      ...env,
    });
    expect([shown.code, shown.stderr]).toEqual([0, ""]);
    return shown.stdout.split("\n").filter((l) => l.includes("late-1"));
  }

  it("says the day the payment was received on its row", { timeout: 120_000 }, async () => {
    expect(await paymentRows()).toEqual([
      expect.stringMatching(
        /^\d{4}-\d\d-\d\d\s+payment\s+bank_transfer late-1 \(received 2025-06-01\)\s+-\$5\.00\s+\$0\.00$/,
      ),
    ]);
  });

  it("gives the entry's day and the received day in BILLING_TIME_ZONE", { timeout: 120_000 }, async () => {
    const statement = await customerStatement(cliContext(data().handle), lateCustomer);
    const entry = statement.entries.find((e) => e.kind === "payment")!;
    // A zone whose day at the moment the payment was recorded is not UTC's: 12 hours behind before noon UTC,
    // 14 ahead after.
    const recorded = new Date(entry.date);
    const zone = recorded.getUTCHours() < 12 ? "Etc/GMT+12" : "Pacific/Kiritimati";
    const day = calendarDate(recorded, zone);
    expect(day).not.toBe(entry.date.slice(0, 10));
    const received = calendarDate(new Date(entry.paid_at!), zone);
    expect(await paymentRows({ BILLING_TIME_ZONE: zone })).toEqual([
      expect.stringMatching(
        new RegExp(`^${day}\\s+payment\\s+bank_transfer late-1 \\(received ${received}\\)\\s`),
      ),
    ]);
  });
});
