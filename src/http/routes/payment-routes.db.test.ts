import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";

// The money-in admin API over real HTTP: payments (201, then 200 for the same reference, 409 for a
// different payment under it), customer payments, refunds, credit notes, the statement, and field-named
// refusals that write nothing.

const file = serverPerFile();
let customer: bigint;
let invoice = "";
beforeAll(async () => {
  [customer] = (await createCustomers(file.handle, [{ email: "pay@example.com" }])) as [bigint];
  [invoice] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1020n }])) as [string];
});

const ledgerRows = async () =>
  Number(
    (
      await file.handle.db
        .selectFrom("ledger_entry")
        .select((eb) => eb.fn.countAll<bigint>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("payments API", () => {
  let paymentId = "";

  it("POST /invoices/{id}/payments answers 201, then 200 with the same payment for the same reference", async () => {
    const body = { amount: 400, method: "bank_transfer", reference: "BANK-1", paid_at: "2026-11-10" };
    const first = await file.server.api("POST", `/api/v1/invoices/${invoice}/payments`, body);
    expect(first.status).toBe(201);
    expect(first.body.data).toMatchObject({
      amount: 400,
      currency: "USD",
      invoice_id: invoice,
      paid_at: "2026-11-10T00:00:00.000Z",
      allocations: [{ invoice_id: invoice, amount: 400 }],
      credit: 0,
    });
    paymentId = first.body.data.id;
    const rows = await ledgerRows();
    const again = await file.server.api("POST", `/api/v1/invoices/${invoice}/payments`, body);
    expect([again.status, again.body.data.id]).toEqual([200, paymentId]);
    expect(await ledgerRows()).toBe(rows);
    const different = await file.server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
      ...body,
      amount: 500,
    });
    expect([different.status, different.body.error.issues[0].field]).toEqual([409, "reference"]);
    const inv = await file.server.api("GET", `/api/v1/invoices/${invoice}`);
    expect(inv.body.data).toMatchObject({ status: "partially_paid", amount_due: 620 });
    const listed = await file.server.api("GET", "/api/v1/invoices?status=partially_paid");
    expect(listed.body.data.map((i: { id: string }) => i.id)).toEqual([invoice]);
  });

  it("refuses bad input naming the field, writing nothing", async () => {
    const rows = await ledgerRows();
    const cases: [unknown, number, string][] = [
      [{ amount: 0, reference: "z" }, 400, "amount"],
      [{ amount: -1, reference: "z" }, 400, "amount"],
      [{ amount: 1.5, reference: "z" }, 400, "amount"],
      [{ amount: 100, reference: "z", currency: "EUR" }, 400, "currency"],
      [{ amount: 100 }, 400, "reference"],
    ];
    for (const [body, status, field] of cases) {
      const r = await file.server.api("POST", `/api/v1/invoices/${invoice}/payments`, body);
      expect([r.status, r.body.error.issues[0].field], JSON.stringify(body)).toEqual([status, field]);
    }
    const unknown = await file.server.api("POST", "/api/v1/invoices/inv_00ff/payments", {
      amount: 1,
      reference: "u",
    });
    expect([unknown.status, unknown.body.error.issues[0].field]).toEqual([404, "invoice_id"]);
    const nobody = await file.server.api("POST", "/api/v1/customers/987654/payments", {
      amount: 1,
      reference: "u",
    });
    expect([nobody.status, nobody.body.error.issues[0].field]).toEqual([404, "customer_id"]);
    expect(await ledgerRows()).toBe(rows);
  });

  it("POST /customers/{id}/payments pays the open invoice and keeps the rest as credit", async () => {
    const r = await file.server.api("POST", `/api/v1/customers/${customer}/payments`, {
      amount: 1000,
      reference: "C-1",
    });
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({
      invoice_id: null,
      allocations: [{ invoice_id: invoice, amount: 620 }],
      credit: 380,
    });
    const statement = await file.server.api("GET", `/api/v1/customers/${customer}/statement`);
    expect(statement.body.data).toMatchObject({ balance: -380, credit: 380 });
    expect(
      statement.body.data.entries.map((e: { kind: string; amount: number }) => [e.kind, e.amount]),
    ).toEqual([
      ["invoice", 1020],
      ["payment", -400],
      ["payment", -1000],
    ]);
    // Allocated to the invoice, it is one of the invoice's payments, beside the one recorded against it.
    const ofInvoice = await file.server.api("GET", `/api/v1/payments?invoice_id=${invoice}`);
    expect(ofInvoice.body.data.map((p: { reference: string }) => p.reference)).toEqual(["C-1", "BANK-1"]);
    expect(ofInvoice.body.meta.total).toBe(2);
  });

  it("POST /payments/{id}/refunds refunds within what is left, and GET shows it", async () => {
    const over = await file.server.api("POST", `/api/v1/payments/${paymentId}/refunds`, { amount: 401 });
    expect([over.status, over.body.error.issues[0].field]).toEqual([400, "amount"]);
    const r = await file.server.api("POST", `/api/v1/payments/${paymentId}/refunds`, {
      amount: 100,
      reason: "asked",
    });
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({ amount: 100, status: "succeeded", reason: "asked" });
    const p = await file.server.api("GET", `/api/v1/payments/${paymentId}`);
    expect(p.body.data).toMatchObject({ refunded: 100, allocations: [{ invoice_id: invoice, amount: 300 }] });
    const list = await file.server.api("GET", `/api/v1/payments?customer_id=${customer}&page=1`);
    expect(list.body.meta.total).toBe(2);
    expect((await file.server.api("GET", "/api/v1/payments/pay_00ff")).status).toBe(404);
  });

  it("POST /invoices/{id}/credit-notes issues a numbered credit note; one above what is left is refused", async () => {
    const r = await file.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
      amount: 100,
      reason: "outage",
    });
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({
      number: "CN-2026-000001",
      net: 100,
      total: 100,
      settlement: "credit",
    });
    const got = await file.server.api("GET", `/api/v1/credit-notes/${r.body.data.id}`);
    expect(got.body.data.number).toBe("CN-2026-000001");
    const over = await file.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
      amount: 921,
      reason: "x",
    });
    expect([over.status, over.body.error.issues[0].field]).toEqual([400, "amount"]);
    const neither = await file.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
      reason: "x",
    });
    expect([neither.status, neither.body.error.issues[0].field]).toEqual([400, "amount"]);
    const list = await file.server.api("GET", `/api/v1/credit-notes?invoice_id=${invoice}`);
    expect(list.body.meta.total).toBe(1);
  });

  it("refuses unknown or repeated query parameters on the recording routes before writing anything", async () => {
    const rows = await ledgerRows();
    const body = { amount: 20, method: "bank_transfer", reference: "QUERY-1" };
    const cases: [string, string][] = [
      [`/api/v1/customers/${customer}/payments?dry_run=true`, "query.dry_run"],
      [`/api/v1/invoices/${invoice}/payments?dry_run=true`, "query.dry_run"],
      [`/api/v1/customers/${customer}/payments?x=1&x=2`, "query.x"],
    ];
    for (const [url, field] of cases) {
      const r = await file.server.api("POST", url, body);
      expect([r.status, r.body.error.issues[0].field], url).toEqual([400, field]);
    }
    expect(await ledgerRows()).toBe(rows);
    const listed = await file.server.api("GET", `/api/v1/payments?customer_id=${customer}&per_page=100`);
    expect(listed.body.data.map((p: { reference: string }) => p.reference)).not.toContain("QUERY-1");
  });

  it("documents the routes in the OpenAPI document", async () => {
    const doc = (await fetch(`${file.server.url}/api/v1/openapi.json`).then((r) => r.json())) as {
      paths: Record<string, { post?: { responses: Record<string, unknown> } }>;
    };
    for (const url of ["/api/v1/invoices/{id}/payments", "/api/v1/customers/{id}/payments"])
      expect(Object.keys(doc.paths[url]?.post?.responses ?? {}), url).toEqual(
        expect.arrayContaining(["200", "201", "400"]),
      );
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/invoices/{id}/payments",
        "/api/v1/customers/{id}/payments",
        "/api/v1/payments/{id}/refunds",
        "/api/v1/customers/{id}/statement",
        "/api/v1/invoices/{id}/credit-notes",
      ]),
    );
  });
});
