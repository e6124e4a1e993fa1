import { beforeAll, describe, expect, it } from "vitest";
import { databasePerFile } from "../../../test/helpers/database-per-file.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { statementCounter } from "../testing/statement-counter.ts";
import { getPayment, listPayments } from "./get-payment.ts";
import { recordPayment } from "./record-payment.ts";
import { refundPayment } from "./refund.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// A page of payments costs a fixed number of statements, however many payments it holds (until 2026-12-06
// each payment was read on its own: three statements each), and shows each payment as reading it alone does.

const file = databasePerFile();
const { context, counted } = statementCounter();
let ctx: ServiceContext;
let customerId: bigint;

beforeAll(async () => {
  ctx = context(file.handle, new Date("2026-11-20T10:00:00Z"));
  [customerId] = (await createCustomers(file.handle, [{ email: "list-payments@example.com" }])) as [bigint];
  const invoices = await issueInvoices(file.handle.db, [
    { customerId, total: 500n },
    { customerId, total: 700n },
    { customerId, total: 300n },
  ]);
  // Allocated over two invoices; against one invoice, then refunded twice; one that leaves credit.
  await recordPayment({ ctx, input: { customer_id: customerId, amount: 900n, reference: "L-1" } });
  const against = await recordPayment({
    ctx,
    input: { invoice_id: invoices[2]!, amount: 300n, method: "bank_transfer", reference: "L-2" },
  });
  await refundPayment({ ctx, input: { payment_id: against.payment.id, amount: 50n } });
  await refundPayment({ ctx, input: { payment_id: against.payment.id, amount: 20n } });
  await recordPayment({ ctx, input: { customer_id: customerId, amount: 1000n, reference: "L-3" } });
  for (let i = 4; i <= 6; i++)
    await recordPayment({ ctx, input: { customer_id: customerId, amount: 10n, reference: `L-${i}` } });
});

describe("listing payments", () => {
  it("takes as many statements for a page of six payments as for a page of one", async () => {
    const one = await counted(() =>
      listPayments({ ctx, input: { customer_id: customerId, page: 1, per_page: 1 } }),
    );
    const six = await counted(() =>
      listPayments({ ctx, input: { customer_id: customerId, page: 1, per_page: 50 } }),
    );
    expect(one.answer.data).toHaveLength(1);
    expect(six.answer.data).toHaveLength(6);
    expect(six.statements).toBe(one.statements);
  });

  it("shows each payment as reading it alone does: allocations, credit, refunds", async () => {
    const page = await listPayments({ ctx, input: { customer_id: customerId, page: 1, per_page: 50 } });
    const alone = [];
    for (const p of page.data) alone.push(await getPayment({ ctx, input: { id: p.id } }));
    expect(page.data).toEqual(alone);
    // The fixtures reach every part of the answer.
    expect(page.data.some((p) => p.allocations.length === 2)).toBe(true);
    expect(page.data.some((p) => p.refunds.length === 2 && p.refunded === 70n)).toBe(true);
    expect(page.data.some((p) => p.credit > 0n)).toBe(true);
  });

  it("answers a page past the end without reading ledger or refunds", async () => {
    const full = await counted(() =>
      listPayments({ ctx, input: { customer_id: customerId, page: 1, per_page: 50 } }),
    );
    const past = await counted(() =>
      listPayments({ ctx, input: { customer_id: customerId, page: 9, per_page: 50 } }),
    );
    expect(past.answer.data).toEqual([]);
    expect(past.answer.meta.total).toBe(6);
    expect(past.statements).toBe(full.statements - 2);
  });
});
