import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { getInvoice } from "../invoices/get-invoice.ts";
import { listInvoices } from "../invoices/list-invoices.ts";
import { customerCredit } from "../ledger/ledger.ts";
import { runBilling } from "../runs/run-billing.ts";
import {
  billingContext,
  createSection4Customer,
  section4Usage,
  usageOf,
} from "../testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { recordPayment } from "./record-payment.ts";
import { customerStatement } from "./statement.ts";

// billing-rules §7's worked example through two real billing runs: invoice $10.20; payment $4.00 →
// partially_paid, due $6.20; payment $10.00 → paid, credit $3.80; next month's invoice $5.14 is finalized
// with the $3.80 credit applied → due $1.34.

const NOVEMBER = { start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-12-01T00:00:00Z") };
const AFTER_NOVEMBER = new Date("2026-12-01T01:00:00Z");

let handle: DatabaseHandle;
let ada: bigint;
let october = "";
beforeAll(async () => {
  handle = await createTestDatabase();
  ada = await createSection4Customer(handle);
  await runBilling({
    ctx: billingContext(handle),
    input: { period: "2026-10" },
    options: { source: new MemoryUsageSource(section4Usage(ada, 1)) },
  });
  const [invoice] = (await listInvoices({ ctx: billingContext(handle), input: { customer_id: ada } })).data;
  october = invoice!.id;
});
afterAll(async () => handle?.close());

const ctx = () => billingContext(handle, {}, new Date("2026-11-20T10:00:00Z"));
const jobs = (kind: string) =>
  handle.db.selectFrom("job").select(["payload"]).where("kind", "=", kind).orderBy("id").execute();

describe("billing-rules §7 worked example", () => {
  it("the October invoice is $10.20, owed in full", async () => {
    const invoice = await getInvoice({ ctx: ctx(), input: { id: october } });
    expect([invoice.status, invoice.total, invoice.amount_due]).toEqual(["finalized", 1020n, 1020n]);
  });

  it("a payment of $4.00 makes it partially_paid with $6.20 due", async () => {
    const { payment, created } = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: october, amount: 400n, method: "bank_transfer", reference: "BANK-1" },
    });
    expect(created).toBe(true);
    expect(payment).toMatchObject({
      amount: 400n,
      credit: 0n,
      allocations: [{ invoice_id: october, amount: 400n }],
    });
    const invoice = await getInvoice({ ctx: ctx(), input: { id: october } });
    expect([invoice.status, invoice.amount_due]).toEqual(["partially_paid", 620n]);
  });

  it("a payment of $10.00 makes it paid and leaves $3.80 credit", async () => {
    const { payment } = await recordPayment({
      ctx: ctx(),
      input: { invoice_id: october, amount: 1000n, method: "bank_transfer", reference: "BANK-2" },
    });
    expect(payment).toMatchObject({ credit: 380n, allocations: [{ invoice_id: october, amount: 620n }] });
    const invoice = await getInvoice({ ctx: ctx(), input: { id: october } });
    expect([invoice.status, invoice.amount_due]).toEqual(["paid", 0n]);
    expect(await customerCredit(handle.db, ada, "USD")).toBe(380n);
    // Events as jobs, in the payment's transaction: invoice.paid once, payment.received per payment.
    const events = (await jobs("invoice.event")).map((j) => (j.payload as { event: string }).event);
    expect(events.filter((e) => e === "payment.received")).toHaveLength(2);
    expect(events.filter((e) => e === "invoice.paid")).toHaveLength(1);
    expect(await jobs("dunning.evaluate")).toHaveLength(2);
  });

  it("November's $5.14 invoice is finalized with the $3.80 credit applied: $1.34 due", async () => {
    await runBilling({
      ctx: billingContext(handle, {}, AFTER_NOVEMBER),
      input: { period: "2026-11" },
      options: {
        source: new MemoryUsageSource([
          usageOf({
            billingUserId: ada,
            tph: 7,
            tpm: 5000,
            createdAt: "2026-11-01T00:00:00Z",
            deletedAt: null,
            period: NOVEMBER,
          }),
        ]),
      },
    });
    const [november] = (
      await listInvoices({ ctx: billingContext(handle), input: { customer_id: ada, period: "2026-11" } })
    ).data;
    expect([november!.total, november!.amount_due, november!.status]).toEqual([514n, 134n, "partially_paid"]);
    expect(await customerCredit(handle.db, ada, "USD")).toBe(0n);
  });

  it("the statement tells the same story, ending at a balance of $1.34 and no credit", async () => {
    const s = await customerStatement(ctx(), ada);
    expect([s.balance, s.credit, s.currency]).toEqual([134n, 0n, "USD"]);
    expect(s.entries.map((e) => [e.kind, e.amount, e.balance])).toEqual([
      ["invoice", 1020n, 1020n],
      ["payment", -400n, 620n],
      ["payment", -1000n, -380n],
      ["invoice", 514n, 134n],
      ["credit_applied", -380n, 134n],
    ]);
    expect(s.entries.map((e) => e.reference)).toEqual([
      "INV-2026-000001",
      "bank_transfer BANK-1",
      "bank_transfer BANK-2",
      "INV-2026-000002",
      "INV-2026-000002",
    ]);
  });

  it("every event's entries sum to zero", async () => {
    const unbalanced = await handle.db
      .selectFrom("ledger_entry")
      .select("event_id")
      .groupBy("event_id")
      .having((eb) => eb.fn.sum("amount"), "<>", 0)
      .execute();
    expect(unbalanced).toEqual([]);
  });
});
