import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { recordPayment } from "../payments/record-payment.ts";
import { runBilling } from "../runs/run-billing.ts";
import { billingContext, julyOfThreeCustomers } from "../testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { voidInvoice } from "./void-invoice.ts";

// An invoice the customer's credit paid at finalization is not voided (billing-rules §7: void is for an
// invoice nothing paid). Refused, it said only "is partially_paid; only a draft or finalized invoice can be
// voided", which does not tell staff what to do; the refusal names the credit and the credit note.

const AFTER_JULY = new Date("2026-08-01T01:00:00Z");

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("voiding an invoice credit paid", () => {
  it("is refused naming what paid it and the credit note to issue instead", async () => {
    const ctx = billingContext(handle, {}, AFTER_JULY);
    const july = await julyOfThreeCustomers(handle, [
      "fay@example.com",
      "gus@example.com",
      "hal@example.com",
    ]);
    const [partly, fully] = [july.ids[0]!, july.ids[1]!];
    // $5.00 invoices: $2.00 of credit pays part of one, $9.00 all of the other.
    await recordPayment({ ctx, input: { customer_id: partly, amount: 200n, reference: "VOID-CREDIT-1" } });
    await recordPayment({ ctx, input: { customer_id: fully, amount: 900n, reference: "VOID-CREDIT-2" } });
    await runBilling({
      ctx,
      input: { period: "2026-07" },
      options: { source: new MemoryUsageSource(july.usage) },
    });
    for (const [customer, status] of [
      [partly, "partially_paid"],
      [fully, "paid"],
    ] as const) {
      const invoice = await handle.db
        .selectFrom("invoice")
        .select(["id", "status"])
        .where("customer_id", "=", customer)
        .executeTakeFirstOrThrow();
      expect(invoice.status).toBe(status);
      await expect(
        voidInvoice({ ctx, input: { id: invoice.id, reason: "wrong tax" } }),
      ).rejects.toMatchObject({
        code: "CONFLICT",
        message: `invoice ${invoice.id} is ${status === "paid" ? "paid" : "partly paid"} (by the customer's credit or a payment); only an invoice nothing was paid or credited on can be voided — issue a credit note instead`,
      });
      const after = await handle.db
        .selectFrom("invoice")
        .select("status")
        .where("id", "=", invoice.id)
        .executeTakeFirstOrThrow();
      expect(after.status).toBe(status);
    }
  });
});
