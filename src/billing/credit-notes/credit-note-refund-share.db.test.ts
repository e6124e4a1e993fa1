import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";

// A credit note with "settlement": "refund" returns to each of the invoice's payments at most what that
// payment paid on the invoice. A customer payment that paid this invoice and another one keeps the other
// invoice's part: refunded here, it left the other invoice paid with money already returned, and the older
// payment of this invoice then had a refundable amount that no source covered (a 500 on its refund).

let handle: DatabaseHandle;
let server: TestServer;
beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

type PaymentView = { id: string; reference: string; amount: number; refunded: number };

describe("a credit note's refund to the invoice's payments", () => {
  // One note, or two whose second must count what the first returned to the newer payment.
  it.each([[[1000]], [[300, 700]]])(
    "returns each payment what it paid on the invoice, so every payment's remainder stays refundable (notes %j)",
    async (notes) => {
      const [c] = (await createCustomers(handle, [{ email: `share-${notes.length}@example.com` }])) as [
        bigint,
      ];
      const [a, b] = (await issueInvoices(handle.db, [
        { customerId: c, total: 1000n },
        { customerId: c, total: 1000n },
      ])) as [string, string];
      // A: 500 from P, then 500 of Q (newer), whose other 1000 pays B.
      const p = await server.api("POST", `/api/v1/invoices/${a}/payments`, {
        amount: 500,
        reference: `SHARE-P-${notes.length}`,
        paid_at: "2026-11-10",
      });
      const q = await server.api("POST", `/api/v1/customers/${c}/payments`, {
        amount: 1500,
        reference: `SHARE-Q-${notes.length}`,
        paid_at: "2026-11-12",
      });
      expect(q.body.data.allocations).toEqual(
        [
          { invoice_id: a, amount: 500 },
          { invoice_id: b, amount: 1000 },
        ].sort((x, y) => (x.invoice_id < y.invoice_id ? -1 : 1)),
      );

      const noteIds: string[] = [];
      for (const amount of notes) {
        const note = await server.api("POST", `/api/v1/invoices/${a}/credit-notes`, {
          amount,
          reason: "service never delivered",
          settlement: "refund",
        });
        expect(note.status).toBe(201);
        noteIds.push(note.body.data.id);
      }
      const refunds = await handle.db
        .selectFrom("refund")
        .innerJoin("payment", "payment.id", "refund.payment_id")
        .select(["payment.id", (eb) => eb.fn.sum<string>("refund.amount").as("amount")])
        .where("refund.credit_note_id", "in", noteIds)
        .groupBy("payment.id")
        .execute();
      const returned = new Map(refunds.map((r) => [r.id, BigInt(r.amount)]));
      expect([returned.get(p.body.data.id), returned.get(q.body.data.id)]).toEqual([500n, 500n]);

      // Whatever the payments say is left can be refunded, and the ledger follows.
      for (const id of [p.body.data.id, q.body.data.id]) {
        const payment = (await server.api("GET", `/api/v1/payments/${id}`)).body.data as PaymentView;
        const left = payment.amount - payment.refunded;
        if (left === 0) continue;
        const refund = await server.api("POST", `/api/v1/payments/${id}/refunds`, { amount: left });
        expect([payment.reference, refund.status]).toEqual([payment.reference, 201]);
      }
      const invoiceB = await server.api("GET", `/api/v1/invoices/${b}`);
      expect(invoiceB.body.data).toMatchObject({ status: "finalized", amount_due: 1000 });
      const statement = (await server.api("GET", `/api/v1/customers/${c}/statement`)).body.data;
      expect([statement.balance, statement.credit, statement.entries.at(-1).balance]).toEqual([
        1000, 0, 1000,
      ]);
    },
  );
});
