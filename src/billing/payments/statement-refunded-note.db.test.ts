import { describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// A credit note settled as a refund on a paid invoice changes the balance by nothing: the note takes its
// amount off and the money paid back puts it on again. The statement shows both, so that the customer sees
// the note's amount and the refund, not one line of 0.00 (as until 2026-12-06).

const file = serverPerFile();

type Entry = { kind: string; reference: string; amount: number; balance: number; payment_id: string | null };

describe("a statement with a credit note settled as a refund", () => {
  it("shows the note's amount and then the refund it paid, each with the running balance", async () => {
    const [c] = (await createCustomers(file.handle, [{ email: "refunded-note@example.com" }])) as [bigint];
    const [invoice] = (await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }])) as [string];
    const payment = await file.server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
      amount: 1000,
      reference: "REFUNDED-NOTE-1",
    });
    expect(payment.status).toBe(201);
    const note = await file.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
      amount: 300,
      reason: "downtime",
      settlement: "refund",
    });
    expect(note.status).toBe(201);
    const [refund] = await file.handle.db
      .selectFrom("refund")
      .select("id")
      .where("credit_note_id", "=", note.body.data.id)
      .execute();

    const statement = (await file.server.api("GET", `/api/v1/customers/${c}/statement`)).body.data;
    const entries = (statement.entries as Entry[]).map((e) => [e.kind, e.reference, e.amount, e.balance]);
    expect(entries).toEqual([
      ["invoice", expect.any(String), 1000, 1000],
      ["payment", "manual REFUNDED-NOTE-1", -1000, 0],
      ["credit_note", note.body.data.number, -300, -300],
      ["refund", refund!.id, 300, 0],
    ]);
    expect((statement.entries as Entry[])[3]!.payment_id).toBe(payment.body.data.id);
    expect([statement.balance, statement.credit]).toEqual([0, 0]);

    // The CSV rendering is built on the same entries.
    const csv = await fetch(`${file.server.url}/api/v1/customers/${c}/statement.csv`, {
      headers: { authorization: "Bearer test-admin-key-0123456789" },
    });
    expect(csv.status).toBe(200);
    const rows = (await csv.text()).split("\r\n").filter((r) => r !== "");
    expect(rows.slice(-2).map((r) => r.split(",").slice(1, 3))).toEqual([
      ["credit_note", note.body.data.number],
      ["refund", refund!.id],
    ]);
  });

  it("keeps one line for a note settled as credit, its whole amount taken off the balance", async () => {
    const [c] = (await createCustomers(file.handle, [{ email: "credited-note@example.com" }])) as [bigint];
    const [invoice] = (await issueInvoices(file.handle.db, [{ customerId: c, total: 1000n }])) as [string];
    const note = await file.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
      amount: 1000,
      reason: "goodwill",
    });
    expect(note.status).toBe(201);
    const statement = (await file.server.api("GET", `/api/v1/customers/${c}/statement`)).body.data;
    const entries = (statement.entries as Entry[]).map((e) => [e.kind, e.amount, e.balance]);
    expect(entries).toEqual([
      ["invoice", 1000, 1000],
      ["credit_note", -1000, 0],
    ]);
  });
});
